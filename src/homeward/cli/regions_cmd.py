"""``homeward regions show CODE`` and ``homeward regions history CODE``: pure, no Django needed."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from homeward.core import regions
from homeward.core.errors import DomainError


def _show(args: argparse.Namespace) -> int:
    try:
        region = regions.require(args.code)
    except DomainError as exc:
        print(f"homeward regions show: {exc.message}", file=sys.stderr)
        return 1
    print(json.dumps(dataclasses.asdict(region), ensure_ascii=False, indent=2 if args.indent else None))
    return 0


def _history(args: argparse.Namespace) -> int:
    spans = regions.area_code_spans(args.code)
    if not spans:
        print(
            f"homeward regions history: 代码 {args.code!r} 从未使用过 (code {args.code!r} was never in use)",
            file=sys.stderr,
        )
        return 1
    out = []
    for span in spans:
        row = dataclasses.asdict(span)
        current = regions.get(span.current_code) if span.current_code else None
        row["current_full_name"] = current.full_name if current else None
        out.append(row)
    print(json.dumps(out, ensure_ascii=False, indent=2 if args.indent else None))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("regions", help="look up regions of China and the history of area codes")
    sub = parser.add_subparsers(dest="regions_command", metavar="SUBCOMMAND", required=True)

    show = sub.add_parser(
        "show",
        help="print a current region as JSON {code, name, full_name, level, parent, lat, lon}",
        description="Print a current province, prefecture or county (6-digit code) as JSON; exit 1 if unknown.",
    )
    show.add_argument("code", metavar="CODE", help="6-digit region code, e.g. 330282")
    show.add_argument("--indent", action="store_true", help="pretty-print")
    show.set_defaults(func=_show)

    history = sub.add_parser(
        "history",
        help="print every period a 6-digit code was in use, with today's region, as a JSON list",
        description=(
            "Print the periods an area code named a county (codes were reused), each with the region "
            "the area belongs to today; exit 1 if the code was never used."
        ),
    )
    history.add_argument("code", metavar="CODE", help="6-digit area code, e.g. 522421")
    history.add_argument("--indent", action="store_true", help="pretty-print")
    history.set_defaults(func=_history)
