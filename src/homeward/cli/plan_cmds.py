"""``homeward cvrp FILE.vrp --seconds S --seed N`` and the internals of ``homeward bench plan``.

Pure (no Django): the planner core runs without the database. ``homeward plan --scale ...`` needs
the demo database and lives with the Django commands.

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
    print(json.dumps(out, ensure_ascii=False))
    return 0
