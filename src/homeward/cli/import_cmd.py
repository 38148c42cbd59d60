"""``homeward import {roster,police,carrier} FILE``: import a CSV, XLSX or XLS file and print the report.

Exit status 0 when the import ran (even with rejected rows), 1 on a file-level error (missing
columns, unreadable file) or when the database is not migrated.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from homeward.cli._django import setup_django


def _run(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"homeward import: 文件不存在 (no such file): {path}", file=sys.stderr)
        return 1
    setup_django()
    from django.db import DatabaseError

    from homeward.apps.accounts.policy import CLI
    from homeward.apps.registry.services import import_run_from_path
    from homeward.core.errors import DomainError

    try:
        _run_obj, report = import_run_from_path(actor=CLI, kind=args.kind, path=path)
    except DomainError as exc:
        print(f"homeward import: {path.name}: {exc.message} [{exc.code}]", file=sys.stderr)
        return 1
    except DatabaseError as exc:
        if "no such table" in str(exc) or "does not exist" in str(exc):
            print(
                f"homeward import: the database is not migrated; run `homeward manage migrate` first ({exc})",
                file=sys.stderr,
            )
            return 1
        raise
    payload = report.as_dict(max_rejected=args.max_rejected)
    if args.json:
        print(json.dumps(payload, ensure_ascii=False))
        return 0
    print(
        f"{path.name}: accepted {report.accepted}, updated {report.updated}, "
        f"unchanged {report.unchanged}, rejected {len(report.rejected)}"
    )
    print(json.dumps(payload, ensure_ascii=False, indent=2))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "import",
        help="import a roster, police or carrier file (.csv, .xlsx or .xls) and print the report",
        description=(
            "Import a file with Chinese or English headers (a title may sit above the header row; the "
            "HOMEWARD_UPLOAD_IMPORT_MAX_* limits apply). roster: 统一社会信用代码/uscc, 企业名称/enterprise_name, "
            "镇街/town, 身份证号/id_number, 姓名/name, 手机号/phone, 参保日期/insured_since; police: 身份证号/id_number, "
            "到达日期/arrived_on, 地点/place; carrier: 日期/date, 所在区县代码/county_code, 人数/count. "
            "Prints {accepted, updated, unchanged, rejected: [{row, field, reason, message}], flagged: [...]}."
        ),
    )
    parser.add_argument("kind", choices=["roster", "police", "carrier"])
    parser.add_argument("file", help="a .csv (UTF-8, UTF-16 or GB18030), .xlsx or .xls file")
    parser.add_argument("--json", action="store_true", help="print only the report, as one JSON line")
    parser.add_argument(
        "--max-rejected",
        type=int,
        default=None,
        metavar="N",
        help="print at most N rejected rows (default: all)",
    )
    parser.set_defaults(func=_run)
