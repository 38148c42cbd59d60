"""``homeward cvrp FILE.vrp --seconds S --seed N`` and the internals of ``homeward bench plan``.

Pure (no Django): the planner core runs without the database. ``homeward plan --scale ...`` needs
the demo database and lives with the Django commands. ``homeward bench plan`` also plans the demo
city's stored campaign day when the configured database has one (read only: nothing is stored), so
that the city figure stands beside the synthetic one.

- ``register(subparsers)`` adds ``cvrp``.
- ``add_bench_plan_arguments(parser)`` + ``run_bench_plan(args)`` are for ``homeward bench plan``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _cvrp(args: argparse.Namespace) -> int:
    from homeward.core.errors import DomainError
    from homeward.core.planning import cvrplib
    from homeward.core.planning.planner.parallel import default_processes

    try:
        instance = cvrplib.read(args.file)
    except (OSError, DomainError) as exc:
        print(f"homeward cvrp: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    answer = cvrplib.solve(
        instance,
        seconds=args.seconds,
        seed=args.seed,
        max_iterations=args.iterations,
        processes=args.processes or default_processes(),
    )
    print(
        f"{instance.name}: {len(instance.demands) - 1} clients, capacity {instance.capacity}, "
        f"{len(answer.routes)} routes (≥ {cvrplib.lower_bound_vehicles(instance)}), cost {answer.cost}",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {"cost": answer.cost, "routes": [list(r) for r in answer.routes], "seconds": answer.seconds}
        )
    )
    return 0 if answer.feasible else 2


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "cvrp",
        help="solve a CVRPLIB instance with the station-shuttle solver",
        description="Solve a CVRPLIB (.vrp) instance; prints {cost, routes, seconds} as JSON on the last line.",
    )
    p.add_argument("file", metavar="FILE.vrp")
    p.add_argument("--seconds", type=float, default=10.0, help="time limit (default 10)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--iterations", type=int, default=0, help="also stop after this many iterations (repeatable answers)"
    )
    p.add_argument(
        "--processes",
        type=int,
        default=None,
        help="solve from this many seeds at once, one per core, and keep the cheapest (default: the cores)",
    )
    p.set_defaults(func=_cvrp)


def add_bench_plan_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, default=15_000)
    parser.add_argument("--applications", type=int, default=1_000)
    parser.add_argument("--counties", type=int, default=300)
    parser.add_argument("--train-slots", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=None, help="solver iterations per sub-problem")
    parser.add_argument(
        "--no-city",
        dest="city",
        action="store_false",
        help="skip the demo city's campaign day (planned from the configured database when it has one)",
    )
    parser.add_argument(
        "--no-relay-crews",
        dest="relay_crews",
        action="store_false",
        help="stop-only driver hours: no 接驳 crew change when both drivers have driven 8 h in 24 h",
    )


def run_bench_plan(args: argparse.Namespace) -> int:
    from homeward.core.planning.bench import bench_plan
    from homeward.core.planning.model import StopCriterion

    stop = None
    if args.iterations is not None:
        stop = StopCriterion(max_iterations=args.iterations, no_improvement=max(1, args.iterations // 4))
    out = bench_plan(
        workers=args.workers,
        applications=args.applications,
        counties=args.counties,
        train_slots=args.train_slots,
        seed=args.seed,
        stop=stop,
        relay_crews=args.relay_crews,
    )
    d = out["details"]
    print(
        f"planned {d['workers']} workers in {d['seconds']} s: {d['assigned']} assigned "
        f"({d['train_passengers']} by {d['trains']} trains + {d['shuttles']} shuttles, "
        f"{d['bus_passengers']} by {d['buses']} buses), {d['unassigned']} unassigned",
        file=sys.stderr,
    )
    print(
        f"buses {d['buses']} vs lower bound {d['buses_lower_bound']} (×{out['buses_over_lower_bound']}), "
        f"vs per-enterprise baseline {d['baseline_buses']} (×{out['buses_vs_baseline']}); "
        f"vehicle-km {d['vehicle_km']} vs baseline {d['baseline_vehicle_km']} (×{out['vehicle_km_vs_baseline']})",
        file=sys.stderr,
    )
    if args.city:
        out["city"] = bench_city(seed=1, stop=stop)
        c = out["city"]
        if "skipped" in c:
            print(f"city: skipped ({c['skipped']})", file=sys.stderr)
        else:
            print(
                f"city (demo database, seed 1): planned {c['workers']} workers in {c['seconds']} s "
                f"(CPU {c['cpu_seconds']} s on {c['processes']} processes; reading the day {c['input_seconds']} s): "
                f"{c['buses']} buses, {c['trains']} trains, {c['late_workers']} late, {c['unassigned']} unassigned "
                f"— beside the synthetic day's {d['seconds']} s",
                file=sys.stderr,
            )
    print(json.dumps(out, ensure_ascii=False))
    return 0


CITY_KEYS = ("workers", "assigned", "unassigned", "trains", "buses", "shuttles", "late_workers", "cost_fen")


def bench_city(*, seed: int, stop: Any = None) -> dict[str, Any]:
    """The demo city's campaign day (``homeward demo --scale city``) planned by the core from the
    configured database, as a plan run would read it, without storing anything: wall and CPU
    seconds (the forked processes' included) and the KPIs. ``{"skipped": why}`` without one."""
    import resource
    import time

    from homeward.cli._django import setup_django

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    setup_django()
    from django.db import DatabaseError

    from homeward.apps.planning.services import DEFAULT_STOP, build_request
    from homeward.core.errors import DomainError
    from homeward.core.planning.planner import plan_campaign
    from homeward.core.planning.planner.parallel import default_processes
    from homeward.demo.campaign import campaign_time

    t0 = time.perf_counter()
    try:
        when = campaign_time()
        if when is None:
            return {
                "skipped": "no campaign day in the database: homeward demo --scale city, then homeward plan"
            }
        data = build_request(
            now=when.replace(second=0, microsecond=0), seed=seed, stop=stop or DEFAULT_STOP, as_planned=True
        )
    except (DatabaseError, DomainError) as exc:
        return {"skipped": str(getattr(exc, "message", exc))[:200]}
    t_input = time.perf_counter() - t0
    processes = default_processes()
    c0, t1 = cpu(), time.perf_counter()
    result = plan_campaign(data.request, processes=processes)
    seconds, cpu_seconds = time.perf_counter() - t1, cpu() - c0
    out: dict[str, Any] = {key: result.kpis.get(key) for key in CITY_KEYS}
    out.update(
        seconds=round(seconds, 3),
        cpu_seconds=round(cpu_seconds, 3),
        input_seconds=round(t_input, 3),
        processes=processes,
    )
    return out
