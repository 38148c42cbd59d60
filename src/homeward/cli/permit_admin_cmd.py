"""``homeward permit export-keys FILE``, ``homeward permit list --json`` and ``homeward permit
rotate-keys``: the database-backed permit subcommands. ``permit_cmd.register`` calls
``add_db_commands(permit_sub)``; ``verify`` stays pure (no Django)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from homeward.cli._django import setup_django
from homeward.core.permits.model import Department


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


def _secret_file(path: str | None) -> str | None:
    if path is None:
        return None
    secret = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    if not secret:
        raise SystemExit(f"homeward permit rotate-keys: {path} is empty")
    return secret


def _rotate_keys(args: argparse.Namespace) -> int:
    setup_django()
    from django.conf import settings

    from homeward.apps.accounts.policy import CLI
    from homeward.apps.applications.key_services import permit_keys_reencrypt, permit_keys_rotate
    from homeward.core.errors import DomainError

    configured = settings.HOMEWARD_PERMIT_KEY_SECRET
    old = _secret_file(args.old_secret_file) or configured
    new = _secret_file(args.new_secret_file) or configured
    if old == new and not args.signing_keys:
        print(
            "homeward permit rotate-keys: nothing to do — give --signing-keys, or a secret file that "
            "differs from HOMEWARD_PERMIT_KEY_SECRET (--old-secret-file or --new-secret-file)",
            file=sys.stderr,
        )
        return 2
    try:
        if old != new:
            moved, already = permit_keys_reencrypt(actor=CLI, old_secret=old, new_secret=new)
            print(f"re-encrypted {moved} private keys under the new secret ({already} already were)")
        if args.signing_keys:
            departments = [Department(d) for d in args.department] if args.department else None
            for key in permit_keys_rotate(actor=CLI, departments=departments, secret=new):
                print(f"new signing key {key.kid} for {key.department} from {key.valid_from.isoformat()}")
            print("export the keys file again (homeward permit export-keys FILE) for offline verifiers")
    except DomainError as exc:
        print(f"homeward permit rotate-keys: {exc.message} ({exc.code})", file=sys.stderr)
        return 1
    if new != configured:
        print("now set HOMEWARD_PERMIT_KEY_SECRET to the new secret and restart the web server and worker")
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
    rotate = permit_sub.add_parser(
        "rotate-keys",
        help="rotate the departments' signing keys and/or re-encrypt them under a new secret",
        description=(
            "--signing-keys starts a new signing key per department (or per --department) now; what "
            "the old keys signed keeps verifying until revoked or expired. --old-secret-file / "
            "--new-secret-file re-encrypt every stored private key from one HOMEWARD_PERMIT_KEY_SECRET "
            "to another (each defaults to the configured secret): either set the new secret first and "
            "pass the old one, or pass the new one and set it afterwards. Both together re-encrypt "
            "first, then rotate under the new secret. Each step is audited; a re-run changes nothing."
        ),
    )
    rotate.add_argument("--signing-keys", action="store_true", help="start new signing keys now")
    rotate.add_argument(
        "--department", action="append", choices=[d.value for d in Department], default=[],
        help="only this department (repeatable; default: all)",
    )  # fmt: skip
    rotate.add_argument(
        "--old-secret-file", metavar="FILE", help="the secret the keys are encrypted with now"
    )
    rotate.add_argument("--new-secret-file", metavar="FILE", help="the secret to encrypt them with")
    rotate.set_defaults(func=_rotate_keys)
