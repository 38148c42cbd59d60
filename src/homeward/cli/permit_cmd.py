"""``homeward permit verify TOKEN --keys FILE``: check a permit token offline.

``verify`` needs no database, no settings and no network: it reads the keys file (public keys and the
signed revocation list written by ``permit export-keys``) and calls the pure core. It must never call
``setup_django``.

The database-backed subcommands (``export-keys FILE``, ``list --json``) belong here too; they call
``homeward.core.permits.write_keys_file(path, keyring, signed_revocations, generated_at)`` and
``SignedPermit.token()`` on what the permits app stores.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta

from homeward.core.errors import DomainError
from homeward.core.permits.keysfile import DEFAULT_MAX_AGE, read_keys_file
from homeward.core.permits.verify import verify_token


def _aware_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a UTC offset, e.g. {value}+08:00 or {value}Z")
    return parsed


def _verify(args: argparse.Namespace) -> int:
    token = sys.stdin.read() if args.token == "-" else args.token
    try:
        keys = read_keys_file(args.keys)
    except OSError as exc:
        print(f"homeward permit verify: cannot read {args.keys}: {exc.strerror}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"homeward permit verify: {args.keys}: {exc.message} ({exc.code})", file=sys.stderr)
        return 2
    now = args.now if args.now is not None else datetime.now(UTC)
    result = verify_token(token.strip(), keys.keyring, keys.revocations, now)
    freshness = keys.freshness(now, timedelta(hours=args.max_age_hours))
    doc = {**result.to_dict(), "keys_file": freshness.to_dict(), "warnings": []}
    if freshness.warning is not None:
        doc["warnings"].append(freshness.warning)
        print(f"homeward permit verify: warning: {freshness.warning}", file=sys.stderr)
    print(json.dumps(doc, ensure_ascii=False, indent=2 if args.indent else None))
    return 0 if result.valid else 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    permit = subparsers.add_parser(
        "permit",
        help="co-signed permits (通行证, 防控许可证): verify offline",
        description="Co-signed road passes and epidemic-prevention permits.",
    )
    permit_sub = permit.add_subparsers(dest="permit_command", metavar="SUBCOMMAND", required=True)
    verify = permit_sub.add_parser(
        "verify",
        help="check a permit token offline and print JSON (exit 0 valid, 1 invalid)",
        description=(
            "Check a permit token (starting HW1., or the verification link its QR code holds, "
            "…/permits/verify/?t=HW1.…) against a keys file, with "
            "no database and no network. Prints JSON: valid, reason (ok, format, tampered, unknown_key, "
            "missing_signature, revoked, expired, not_yet_valid), detail, permit, signatures, "
            "revocation_list, keys_file (its export time, age and whether it is stale) and warnings. "
            "A keys file older than --max-age-hours knows nothing revoked since its export: verify "
            "then warns on standard error and in warnings. Exits 0 when valid, 1 when invalid, 2 when "
            "the keys file is unusable."
        ),
    )
    verify.add_argument(
        "token", metavar="TOKEN", help="the token or the scanned link, or - to read it from standard input"
    )
    verify.add_argument(
        "--keys", required=True, metavar="FILE", help="keys file written by `homeward permit export-keys`"
    )
    verify.add_argument(
        "--now", type=_aware_time, default=None, metavar="ISO", help="check as of this time (with offset)"
    )
    verify.add_argument(
        "--max-age-hours", type=float, default=DEFAULT_MAX_AGE.total_seconds() / 3600, metavar="H",
        help="warn when the keys file was exported longer ago than this (default: %(default)g)",
    )  # fmt: skip
    verify.add_argument("--indent", action="store_true", help="pretty-print")
    verify.set_defaults(func=_verify)

    from homeward.cli.permit_admin_cmd import add_db_commands

    add_db_commands(permit_sub)
