"""``homeward bench heatmap --scale province``: the fusion over a province's ~20M roster rows and ~30M
police rows, each engine in its own process under the same time and memory limits.

1. DuckDB writes the synthetic province to Parquet (``core.fusion.province``; not timed, reused when
   ``--data`` already holds the same scale and seed).
2. Each engine (DuckDB, or PySpark with ``--engine spark``, and the pandas baseline) runs in a child
   process with its address space capped by ``setrlimit(RLIMIT_AS)`` at ``--memory-gb``; the parent
   samples the resident memory of the child and its descendants (the JVM for Spark) and ends the
   child when it passes the cap or the ``--time-limit``. The child warms up on a tiny province (not
   timed: imports, query compilers, the JVM), prints ``START``, runs the fusion once and writes its
   aggregates (origins at three levels, cells, cross-check, hotspots, shortfall) as Parquet.
3. The DuckDB and Spark children never materialise the per-worker table (``run_aggregates``:
   Parquet scanned from disk, the status grouped straight into counts inside the engine, DuckDB
   with a ``memory_limit`` and a ``temp_directory`` to spill to);
   the pandas baseline reads every input into pandas, which is what it does at city scale.

Timed (per engine): opening the Parquet inputs, the per-worker status, every aggregate collected as
Arrow. The JSON gives each engine's seconds and peak RSS or "did not finish: <reason>", whether the
finished engines' aggregates agree, and pandas / DuckDB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

#: DuckDB's own buffer limit as a share of the process cap (Arrow results and Python live beside it).
DUCKDB_SHARE = 0.5
#: Spark's driver heap as a share of the cap (the JVM's off-heap, Python and Arrow live beside it).
SPARK_SHARE = 0.5
STARTUP_LIMIT_S = 300.0


# ------------------------------------------------------------------------------------------- the child


def _cpu_seconds() -> float:
    """CPU time of this process (all its threads) and its reaped children; the JVM's is not seen."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _child(argv: list[str]) -> int:
    """``python -m homeward.cli.bench_province ENGINE DATA TINY OUT MEMORY_GB`` (run by the parent)."""
    engine, data, tiny, out, memory_gb = argv[0], Path(argv[1]), Path(argv[2]), Path(argv[3]), float(argv[4])
    import pyarrow.parquet as pq

    from homeward.core.fusion import ParquetInputs, run_aggregates
    from homeward.core.fusion.pipeline import EngineOptions
    from homeward.core.fusion.synthetic import default_params

    params = default_params()
    spill = out / "spill"
    spill.mkdir(parents=True, exist_ok=True)
    share = DUCKDB_SHARE if engine == "duckdb" else SPARK_SHARE
    megabytes = max(256, int(memory_gb * share * 1024))
    roster_rows = ParquetInputs(data).row_counts["roster"]
    options = EngineOptions(
        memory_limit=f"{megabytes}MB" if engine == "duckdb" else f"{megabytes}m",
        temp_directory=str(spill),
        shuffle_partitions=max(4, roster_rows // 500_000),
    )
    run_aggregates(ParquetInputs(tiny), params, engine, options)  # warm-up, not timed
    print("START", flush=True)
    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    agg = run_aggregates(ParquetInputs(data), params, engine, options)
    seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    for name, table in agg.tables().items():
        pq.write_table(table, out / f"{name}.parquet")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    summary = {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 1),
        "self_peak_rss_mb": round(peak_kb / 1024),
        "workers": agg.worker_rows,
        "totals": agg.totals(),
        "outputs": {name: t.num_rows for name, t in agg.tables().items()},
        "timings": {k: round(v, 3) for k, v in agg.timings.items()},
    }
    print("RESULT " + json.dumps(summary), flush=True)
    return 0


# ------------------------------------------------------------------------------------------ the parent


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, in KiB (0 once it is gone)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        stack.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def run_limited(
    engine: str, data: Path, tiny: Path, out: Path, *, memory_gb: float, time_limit: float
) -> dict[str, Any]:
    """Run one engine's child under the limits; its figures, or ``did_not_finish`` with the reason."""
    cap = int(memory_gb * 1024**3)

    # The address-space cap suits Python (pandas, DuckDB); the JVM reserves far more address space than
    # it touches (metaspace, code cache, heap) and fails to start under it, so Spark's process tree is
    # held by its heap size and the sampled resident-memory cap alone.
    address_cap = engine != "pyspark"

    def limit() -> None:  # in the child, before exec
        if address_cap:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        os.setsid()  # its own process group: ending it ends the JVM too

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "homeward.cli.bench_province",
            engine,
            str(data),
            str(tiny),
            str(out),
            str(memory_gb),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=limit,  # noqa: PLW1509 (no threads started yet in this process)
    )
    cap_kind = (
        "RLIMIT_AS and sampled RSS" if address_cap else "sampled RSS of the process tree (JVM heap bounded)"
    )
    lines: list[str] = []
    started: list[float] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("START") and not started:
                started.append(time.monotonic())
            lines.append(line.rstrip("\n"))

    err: list[str] = []

    def read_err() -> None:
        assert proc.stderr is not None
        err.extend(proc.stderr.read().splitlines()[-20:])

    readers = [threading.Thread(target=read, daemon=True), threading.Thread(target=read_err, daemon=True)]
    for r in readers:
        r.start()
    t_launch = time.monotonic()
    peak_kb, reason = 0, None
    while proc.poll() is None:
        peak_kb = max(peak_kb, _tree_rss_kb(proc.pid))
        now = time.monotonic()
        if peak_kb * 1024 > cap:
            reason = f"resident memory passed {memory_gb:g} GB"
        elif started and now - started[0] > time_limit:
            reason = f"still running after {time_limit:g} s"
        elif not started and now - t_launch > STARTUP_LIMIT_S:
            reason = f"warm-up still running after {STARTUP_LIMIT_S:g} s"
        if reason:
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.1)
    _, status, usage = os.wait4(proc.pid, 0) if proc.returncode is None else (0, 0, None)
    proc.returncode = proc.returncode if proc.returncode is not None else os.waitstatus_to_exitcode(status)
    for r in readers:
        r.join(timeout=5)
    if usage is not None:
        peak_kb = max(peak_kb, usage.ru_maxrss)
    result: dict[str, Any] | None = next((json.loads(x[7:]) for x in lines if x.startswith("RESULT ")), None)
    if result is None:
        if reason is None:
            tail = [x for x in err if x.strip()]
            memory = any("MemoryError" in x or "OutOfMemory" in x or "Cannot allocate" in x for x in tail)
            reason = (
                f"out of memory under the {memory_gb:g} GB address-space cap ({tail[-1][:200] if tail else ''})"
                if memory
                else f"exited with {proc.returncode}: {tail[-1][:300] if tail else 'no output'}"
            )
        return {
            "engine": engine,
            "memory_cap": cap_kind,
            "finished": False,
            "did_not_finish": reason,
            "peak_rss_mb": round(peak_kb / 1024),
        }
    result.update(
        engine=engine,
        memory_cap=cap_kind,
        finished=True,
        peak_rss_mb=round(max(peak_kb, result["self_peak_rss_mb"] * 1024) / 1024),
    )
    return result


def _agree(out: Path, a: str, b: str) -> list[str]:
    import pyarrow.parquet as pq

    names = sorted(p.stem for p in (out / a).glob("*.parquet"))
    return [
        n
        for n in names
        if not pq.read_table(out / a / f"{n}.parquet").equals(pq.read_table(out / b / f"{n}.parquet"))
    ]


def run_province(args: argparse.Namespace) -> int:
    from homeward.core.fusion.province import PROVINCE, ParquetInputs, generate_parquet, scale_of_rows

    out = sys.stdout
    scale = scale_of_rows(args.rows) if args.rows else PROVINCE
    work = (
        Path(args.data) if args.data else Path(os.environ.get("TMPDIR", "/tmp")) / "homeward-bench-province"
    )
    data = work / f"inputs-{scale.roster}-{args.seed}"
    tiny = work / f"inputs-tiny-{args.seed}"
    gen_s = 0.0
    for where, sc in ((tiny, scale_of_rows(2_000)), (data, scale)):
        if not (where / "done").exists():
            shutil.rmtree(where, ignore_errors=True)
            t0 = time.perf_counter()
            generate_parquet(where, sc, seed=args.seed, province=args.province)
            (where / "done").write_text("ok\n")
            gen_s += time.perf_counter() - t0
    rows = {k: v for k, v in ParquetInputs(data).row_counts.items() if k != "regions"}
    size_mb = sum(p.stat().st_size for p in data.glob("*.parquet")) / 1024**2
    print(f"inputs {data} ({size_mb:.0f} MB Parquet, generated in {gen_s:.1f} s): {rows}", file=out)

    engines = {"duckdb": ["duckdb"], "spark": ["pyspark"], "both": ["duckdb", "pyspark"]}[args.engine]
    if not args.no_baseline:
        engines.append("pandas")
    figures: dict[str, dict[str, Any]] = {}
    for engine in engines:
        figures[engine] = run_limited(
            engine, data, tiny, work / "out" / engine, memory_gb=args.memory_gb, time_limit=args.time_limit
        )
        f = figures[engine]
        line = (
            f"{f['seconds']:.2f} s ({f.get('cpu_seconds')} CPU s), peak RSS {f['peak_rss_mb']} MB"
            if f["finished"]
            else f"did not finish: {f['did_not_finish']} (peak RSS {f['peak_rss_mb']} MB)"
        )
        print(f"{engine:>8}: {line}", file=out)

    done = [e for e in engines if figures[e]["finished"]]
    diffs = {e: _agree(work / "out", e, done[0]) for e in done[1:]}
    # null when fewer than two engines finished (nothing to compare)
    agree: bool | None = not any(diffs.values()) if len(done) > 1 else None
    for engine, names in diffs.items():
        if names:
            print(f"DISAGREE: {engine} differs from {done[0]} in {names}", file=out)
    main = "duckdb" if "duckdb" in engines else "pyspark"

    def figure(e: str) -> Any:
        if e not in figures:
            return None
        f = figures[e]
        if not f["finished"]:
            return {
                "finished": False,
                "did_not_finish": f["did_not_finish"],
                "peak_rss_mb": f["peak_rss_mb"],
                "memory_cap": f["memory_cap"],
            }
        return {
            "finished": True,
            "seconds": f["seconds"],
            "cpu_seconds": f.get("cpu_seconds"),
            "peak_rss_mb": f["peak_rss_mb"],
            "memory_cap": f["memory_cap"],
        }

    ratio: Any = None
    if "pandas" in figures and figures[main]["finished"]:
        p = figures["pandas"]
        ratio = (
            round(p["seconds"] / figures[main]["seconds"], 2)
            if p["finished"]
            else f"pandas did not finish within {args.time_limit:g} s and {args.memory_gb:g} GB"
        )
    first = figures[done[0]] if done else {}
    summary: dict[str, Any] = {
        "scale": "province" if not args.rows else f"rows={args.rows}",
        "province": args.province,
        "seed": args.seed,
        "rows": rows,
        "limits": {"seconds": args.time_limit, "memory_gb": args.memory_gb},
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "duckdb": figure("duckdb"),
        "spark": figure("pyspark"),
        "pandas": figure("pandas"),
        "ratio": ratio,
        "under_limits": bool(
            figures[main]["finished"]
            and figures[main]["seconds"] <= args.time_limit
            and figures[main]["peak_rss_mb"] <= args.memory_gb * 1024
        ),
        "agree": agree,
        "workers": first.get("workers"),
        "totals": first.get("totals"),
        "outputs": first.get("outputs"),
        "generate_seconds": round(gen_s, 1),
    }
    print(json.dumps(summary, ensure_ascii=False), file=out)
    if not args.keep_data and not args.data:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if agree is not False and summary["under_limits"] else 1


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
