"""What the access matrix checked in this run, printed by the package's terminal-summary hook."""

from __future__ import annotations

from collections import Counter

COUNTS: Counter[str] = Counter()
IDENTITIES: set[str] = set()


EXTRA = frozenset({"anonymous", "worker_session"})  # identities that are not roles


def summary() -> str:
    c = COUNTS
    lines = [
        f"{c['api_rows']} API rows ({c['api_operations']} operations) and {c['page_rows']} page rows "
        f"({c['page_routes']} routes) x {len(IDENTITIES)} identities ({len(IDENTITIES - EXTRA)} roles, a "
        f"worker's own session, anonymous) x own and "
        f"foreign objects: {c['checks']} checks",
        f"  {c['allowed']} allowed calls succeeded; {c['denied']} refused (401/403/404 or the login "
        f"page) with the database unchanged; {c['audited']} of the {c['denied_signed_in']} refusals "
        f"of signed-in personas audited; {c['list_checks']} list-visibility checks",
    ]
    if c["admin_checks"]:
        lines.append(
            f"  admin: {c['admin_pages']} pages x {len(IDENTITIES)} identities: {c['admin_checks']} checks"
        )
    return "\n".join(lines)
