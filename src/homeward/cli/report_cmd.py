"""``homeward report daily --date YYYY-MM-DD [--out DIR]``: the daily report 日报 of a Beijing-local
day (00:00–24:00 Beijing time), by town and in total, written as ``daily-report-DATE.xlsx`` and
``daily-report-DATE.pdf`` in DIR (default: the current directory). Computed from the scan events
(``apps.trips.report``; what each figure means: ``core.daily_report``); each file is audited.
Prints the two paths and the total row as one JSON line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from homeward.cli._django import setup_django


def _daily(args: argparse.Namespace) -> int:
    setup_django()
    from homeward.apps.accounts.policy import CLI
    from homeward.apps.trips import report
    from homeward.apps.trips.report_files import HEADERS, cells
    from homeward.core.errors import DomainError

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        made = report.daily_report_export(actor=CLI, day=report.parse_day(args.date), formats=report.FORMATS)
    except DomainError as exc:
        print(f"homeward report: {exc.message} [{exc.code}]", file=sys.stderr)
        return 1
    written = []
    for f in made:
        (out / f.name).write_bytes(f.body)
        written.append(str(out / f.name))
    total = dict(zip(HEADERS[1:], cells("", made[0].report.total)[1:], strict=True))
    seconds = round(time.perf_counter() - started, 3)
    print(json.dumps({"files": written, "total": total, "seconds": seconds}, ensure_ascii=False))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report",
        help="the daily report (日报) as .xlsx and PDF",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    kinds = parser.add_subparsers(dest="report", metavar="REPORT", required=True)
    daily = kinds.add_parser("daily", help="one Beijing-local day, by town and in total", description=__doc__)
    daily.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="the day (Beijing time)")
    daily.add_argument("--out", default=".", metavar="DIR", help="where to write the two files")
    daily.set_defaults(func=_daily)
