"""``homeward permit export-keys FILE`` and ``homeward permit list --json``: the database-backed
permit subcommands. ``permit_cmd.register`` calls ``add_db_commands(permit_sub)``; ``verify`` stays
pure (no Django)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from homeward.cli._django import setup_django


def _export_keys(args: argparse.Namespace) -> int:
    setup_django()
    from homeward.apps.applications.services import keys_file_text

    path = Path(args.file)
    text = keys_file_text()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    doc = json.loads(text)
    revocations = "none" if doc["revocation_list"] is None else "included"
    print(f"wrote {path}: {len(doc['keys'])} public keys, revocation list {revocations}", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    setup_django()
    from homeward.apps.applications.selectors import permit_holder, permits_signed

    rows = [
        {
            "permit_id": p.permit_id,
            "kind": p.kind,
            "state": p.state,
            "application_id": p.application_id,
            "plan_vehicle_id": p.plan_vehicle_id,
            "enterprise": permit_holder(p),
            "issued_at": p.issued_at.isoformat() if p.issued_at else None,
            "valid_from": p.payload.get("valid_from"),
            "valid_to": p.payload.get("valid_to"),
            "token": p.token,
        }
        for p in permits_signed(include_revoked=args.all)
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2 if args.indent else None))
    else:
        for r in rows:
            print(f"{r['permit_id']}\t{r['kind']}\t{r['state']}\t{r['enterprise']}\t{r['valid_to']}")
    return 0


def add_db_commands(permit_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = permit_sub.add_parser(
        "export-keys",
        help="write the public keys and the current signed revocation list for offline verifiers",
        description="Write a keys file (public keys only, never private ones) for `homeward permit verify --keys`.",
    )
    export.add_argument("file", metavar="FILE")
    export.set_defaults(func=_export_keys)
    listing = permit_sub.add_parser("list", help="list issued permits with their tokens")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.add_argument("--all", action="store_true", help="include revoked permits")
    listing.add_argument("--indent", action="store_true", help="pretty-print")
    listing.set_defaults(func=_list)
