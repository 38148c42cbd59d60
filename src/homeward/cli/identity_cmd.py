"""``homeward id inspect NUMBER``: check a resident ID number and resolve its county of origin."""

from __future__ import annotations

import argparse
import json
from datetime import date

from homeward.core.identity import inspect_ric


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from exc


def _inspect(args: argparse.Namespace) -> int:
    result = inspect_ric(args.number, today=args.today)
    payload = {
        "valid": result.valid,
        "reason": result.reason,
        "message": result.message,
        "birth_date": result.birth_date.isoformat() if result.birth_date else None,
        "origin": {
            "code": result.origin_code,
            "name": result.origin_name,
            "code_at_issue": result.code_at_issue,
        },
    }
    print(json.dumps(payload, ensure_ascii=False, indent=2 if args.indent else None))
    return 0 if result.valid else 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    id_parser = subparsers.add_parser(
        "id",
        help="identity numbers (居民身份证号码)",
        description="Identity numbers: check resident ID numbers and resolve their county of origin.",
    )
    id_sub = id_parser.add_subparsers(dest="id_command", metavar="SUBCOMMAND", required=True)
    inspect = id_sub.add_parser(
        "inspect",
        help="check a resident ID number and print JSON (exit 0 valid, 1 invalid)",
        description=(
            "Check a resident ID number (18 characters, or a legacy 15-digit number) and print JSON: "
            "valid, reason, message, birth_date and origin {code (today's county), name, code_at_issue}. "
            "Exits 0 when valid, 1 when invalid."
        ),
    )
    inspect.add_argument("number", metavar="NUMBER", help="the ID number (spaces are ignored)")
    inspect.add_argument(
        "--today", type=_iso_date, default=None, metavar="YYYY-MM-DD", help="check as of this date"
    )
    inspect.add_argument("--indent", action="store_true", help="pretty-print")
    inspect.set_defaults(func=_inspect)
