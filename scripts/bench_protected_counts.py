#!/usr/bin/env python3
"""The heat map's protected counts (``core.fusion.disclosure``) on a built city, this coin against
the baseline one side by side in one run: the four queries a heat-map page makes for a role that
sees protected counts (origins, hotspots, enterprise and town shortfall), each timed with the coin
taken from the digest's two 64-bit halves and with DuckDB's 128-bit modulo, the tables checked
equal; prints both times and the ratio.

    HOMEWARD_DATA_DIR=/tmp/city .venv/bin/python scripts/bench_protected_counts.py   # after homeward demo --scale city
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any


def _baseline_sql(n: str, key: Any) -> str:
    """The coin as it was: the digest's number modulo the base in 128-bit arithmetic (``$pc_wrap``
    read and ignored, as DuckDB refuses a parameter no expression reads)."""
    parts = ", ".join(f"CAST({k} AS VARCHAR)" for k in key)
    coin = f"CAST(md5_number(concat_ws('|', $pc_secret, {parts}, CAST({n} AS VARCHAR))) % CAST($pc_base AS UHUGEINT) AS BIGINT)"
    return (
        f"(CASE WHEN $pc_base <= 1 OR $pc_wrap < 0 THEN {n} "
        f"ELSE {n} - {n} % $pc_base + CASE WHEN {coin} < {n} % $pc_base THEN $pc_base ELSE 0 END END)"
    )


def main() -> int:
    from homeward.cli._django import setup_django

    setup_django()
    from homeward.apps.heatmap import selectors
    from homeward.core.fusion import disclosure

    snapshot = selectors.latest_snapshot()
    if snapshot is None:
        raise SystemExit("no heat-map snapshot: homeward demo --scale city first")
    protection = selectors.protection_for(selectors.Scope(personal_data=False), snapshot)
    filters = selectors.Filters()
    queries: dict[str, Callable[[], Any]] = {
        "origins": lambda: selectors.origin_table(snapshot, "prefecture", filters, protection),
        "enterprise shortfall": lambda: selectors.shortfall_table(
            snapshot, "enterprise", filters, protection
        ),
        "town shortfall": lambda: selectors.shortfall_table(snapshot, "town", filters, protection),
        "county origins": lambda: selectors.origin_table(snapshot, "county", filters, protection),
    }
    current = selectors.protected_count_sql
    out: dict[str, Any] = {}
    for name, query in queries.items():
        query()  # warm: the snapshot's files read once
        t0 = time.perf_counter()
        ours = query()
        t1 = time.perf_counter()
        selectors.protected_count_sql = _baseline_sql  # type: ignore[assignment]
        try:
            theirs = query()
        finally:
            selectors.protected_count_sql = current  # type: ignore[assignment]
        t2 = time.perf_counter()

        def rows(table: Any) -> Any:  # the shortfall tables come unsorted
            return table.sort_by([(c, "ascending") for c in table.column_names if c != "suppressed"])

        if not rows(ours).equals(rows(theirs)):
            raise SystemExit(f"{name}: the tables differ")
        out[name] = {
            "ours_s": round(t1 - t0, 3),
            "baseline_s": round(t2 - t1, 3),
            "ratio": round((t2 - t1) / (t1 - t0), 1),
        }
        print(
            f"{name}: {out[name]['ours_s']} s against {out[name]['baseline_s']} s (×{out[name]['ratio']})",
            flush=True,
        )
    print(json.dumps({"base": protection.base, "cells_rule": disclosure.__name__, "queries": out}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
