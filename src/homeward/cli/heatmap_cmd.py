"""``homeward heatmap --level {province,prefecture,county} --format {json,csv} [--date YYYY-MM-DD]``.

Prints the origin table, rows ``{code, name, away, returned, carrier_estimate, risk, hotspot}``, largest
away first, for the whole city (an operator's command: no role scoping, exact counts).
Reads the latest heat-map snapshot; when there is none, or with ``--rebuild``, builds one first from the
database (synchronously, stored like a background rebuild). ``--date`` shows an earlier day of the
snapshot (between its window start and its as_of).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys

from homeward.cli._django import setup_django

FIELDS = ("code", "name", "away", "returned", "carrier_estimate", "risk", "hotspot")


def _run(args: argparse.Namespace) -> int:
    setup_django()
    from homeward.apps.accounts.policy import CLI
    from homeward.apps.heatmap import selectors
    from homeward.apps.heatmap.services import heatmap_rebuild_execute_now, heatmap_rebuild_request
    from homeward.core.errors import DomainError

    try:
        snap = selectors.latest_snapshot()
        if snap is None or args.rebuild:
            queued = heatmap_rebuild_request(actor=CLI, reason="cli", force_new=True)
            state = heatmap_rebuild_execute_now(queued.pk)
            queued.refresh_from_db()
            if state == "failed":
                print(f"homeward heatmap: rebuild failed: {queued.error}", file=sys.stderr)
                return 1
            print(
                f"homeward heatmap: built snapshot #{queued.pk} as of {queued.as_of} "
                f"({queued.summary.get('seconds', {})})",
                file=sys.stderr,
            )
            snap = selectors.latest_snapshot()
        filters = selectors.parse_filters(day=args.date)
        table = selectors.origin_table(selectors.require_snapshot(snap), args.level, filters)
    except DomainError as exc:
        print(f"homeward heatmap: {exc.message} [{exc.code}]", file=sys.stderr)
        return 1
    rows = [{k: r[k] for k in FIELDS} for r in table.to_pylist()]
    rows.sort(key=lambda r: (-(r["away"] or 0), r["code"]))
    out = sys.stdout
    if args.format == "json":
        json.dump(rows, out, ensure_ascii=False)
        out.write("\n")
    else:
        writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "hotspot": "true" if r["hotspot"] else "false"})
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "heatmap",
        help="print the labour heat map (用工热图) by origin province, prefecture or county",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--level", choices=("province", "prefecture", "county"), default="prefecture")
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.add_argument("--date", default=None, metavar="YYYY-MM-DD", help="an earlier day of the snapshot")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the snapshot from the database first")
    parser.set_defaults(func=_run)
