"""``homeward bench heatmap --scale city``: the heat-map fusion on DuckDB against a plain pandas baseline.

(``--scale province`` and ``--rows N`` run ``bench_province.py`` instead: Parquet inputs, each engine
in its own process under a time and a memory limit.)

Generates synthetic inputs in memory, deterministically from ``--seed`` (city scale: 700,000 roster
rows, 1,000,000 police arrivals, carrier counts for every county over 20 days), then in the same run
computes the whole fusion (per-worker status, origin tables at three levels, cells, cross-check,
hotspots, shortfall) with the Ibis pipeline on DuckDB and with the pandas baseline; checks that every
output table is identical; prints both times and the ratio, then one JSON line.

Timed: loading the Arrow inputs into the engine, the fusion, and collecting every output as Arrow.
Not timed: data generation and one warm-up run of each engine on a tiny input (first-call costs of
imports, query compilers and, for Spark, the JVM). ``--engine spark`` runs the same Ibis pipeline on
local PySpark (beside DuckDB with ``--engine both``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

TARGET_SECONDS = 5.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scale",
        choices=("city", "town", "tiny", "province"),
        default="city",
        help="province: ~20M roster and ~30M police rows as Parquet, each engine in a capped process",
    )
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument(
        "--engine",
        choices=("duckdb", "spark", "both"),
        default="duckdb",
        help="duckdb (default), spark instead of duckdb, or both",
    )
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per engine; the best is reported")
    parser.add_argument("--no-baseline", action="store_true", help="skip the pandas baseline")
    province = parser.add_argument_group("province scale (bench_province.py)")
    province.add_argument(
        "--rows", type=int, help="province-shaped inputs with this many roster rows (police 1.5x)"
    )
    province.add_argument("--province", default="33", help="province code whose towns employ (default 33)")
    province.add_argument("--memory-gb", type=float, default=6.0, help="memory cap of each engine's process")
    province.add_argument("--time-limit", type=float, default=60.0, help="seconds each engine may take")
    province.add_argument("--data", help="directory for the Parquet inputs (kept and reused)")
    province.add_argument("--keep-data", action="store_true", help="keep the generated Parquet inputs")


def _timed(inputs: Any, params: Any, engine: str, repeat: int) -> tuple[float, Any]:
    from homeward.core.fusion import run_fusion

    best, result = float("inf"), None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        result = run_fusion(inputs, params, engine)
        best = min(best, time.perf_counter() - t0)
    return best, result


def run_bench_heatmap(args: argparse.Namespace) -> int:
    if args.scale == "province" or args.rows:
        from homeward.cli.bench_province import run_province

        return run_province(args)
    from homeward.core.fusion.synthetic import default_params, generate

    out = sys.stdout
    engines = {"duckdb": ["duckdb"], "spark": ["pyspark"], "both": ["duckdb", "pyspark"]}[args.engine]
    if not args.no_baseline:
        engines.append("pandas")
    params = default_params()

    t0 = time.perf_counter()
    inputs = generate(args.scale, seed=args.seed)
    gen_s = time.perf_counter() - t0
    rows = {k: v for k, v in inputs.row_counts.items() if k != "regions"}
    print(f"generated {args.scale} inputs in {gen_s:.2f} s: {rows}", file=out)

    tiny = generate("tiny", seed=args.seed)
    for engine in engines:
        t0 = time.perf_counter()
        _timed(tiny, params, engine, 1)
        print(f"warm-up {engine} (tiny, not timed): {time.perf_counter() - t0:.2f} s", file=out)

    seconds: dict[str, float] = {}
    results: dict[str, Any] = {}
    for engine in engines:
        seconds[engine], results[engine] = _timed(inputs, params, engine, args.repeat)
        print(f"{engine:>8}: {seconds[engine]:.3f} s", file=out)

    reference = results["pandas"] if "pandas" in results else results[engines[0]]
    diffs = {e: r.differences(reference) for e, r in results.items() if r is not reference}
    agree = not any(diffs.values())
    for engine, names in diffs.items():
        if names:
            print(f"DISAGREE: {engine} differs from the reference in {names}", file=out)

    main = "duckdb" if "duckdb" in seconds else "pyspark"
    ratio = seconds["pandas"] / seconds[main] if "pandas" in seconds else None
    if ratio is not None:
        print(f"pandas / {main}: {ratio:.2f}x", file=out)
    first = results[engines[0]]
    summary: dict[str, Any] = {
        "scale": args.scale,
        "seed": args.seed,
        "duckdb_seconds": round(seconds["duckdb"], 3) if "duckdb" in seconds else None,
        "pandas_seconds": round(seconds["pandas"], 3) if "pandas" in seconds else None,
        "ratio": round(ratio, 2) if ratio is not None else None,
        "rows": rows,
        "outputs": {name: t.num_rows for name, t in first.tables().items()},
        "totals": first.totals(),
        "hotspots": first.hotspots.num_rows,
        "agree": agree,
        "target_seconds": TARGET_SECONDS,
        "generate_seconds": round(gen_s, 3),
    }
    if "pyspark" in seconds:
        summary["spark_seconds"] = round(seconds["pyspark"], 3)
    if main in seconds:
        summary["under_target"] = seconds[main] < TARGET_SECONDS
    print(json.dumps(summary, ensure_ascii=False), file=out)
    return 0 if agree else 1
