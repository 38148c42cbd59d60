"""``homeward plan --scale {small,city} --seed N --json``: plan the demo city's campaign day.

Needs a database with the demo city (``homeward demo``). When the campaign day is missing, it is
generated from the demo registry first (``homeward.demo.campaign``, idempotent). The plan then runs
synchronously, stored like a background run (plan board, manifests), and the KPIs are printed; with
``--json`` as one JSON object on the last line, with the keys ``KPI_KEYS``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from homeward.cli._django import setup_django
from homeward.core.planning.bench import KPI_KEYS


def _say(message: str) -> None:
    print(f"homeward plan: {message}", file=sys.stderr, flush=True)


def run_plan(*, scale: str, seed: int, iterations: int | None = None) -> dict[str, Any]:
    """Ensure the campaign day, plan it, return the KPIs (``KPI_KEYS`` first, then the run's own)."""
    from homeward.demo.campaign import campaign_ensure, campaign_plan

    t0 = time.perf_counter()
    created = campaign_ensure(scale=scale, seed=seed, report=_say)
    t_gen = time.perf_counter() - t0
    t1 = time.perf_counter()
    run = campaign_plan(seed=seed, iterations=iterations)
    seconds = time.perf_counter() - t1
    k = dict(run.kpis)
    out: dict[str, Any] = {key: k.get(key) for key in KPI_KEYS}
    out["seconds"] = round(seconds, 3)  # the whole run: input, solve, checks, storing
    out["solve_seconds"] = k.get("seconds")
    out["generate_seconds"] = round(t_gen, 3)
    out["generated"] = created
    out["run"] = run.pk
    out["seed"] = run.seed
    out["solver"] = run.solver
    out["shuttles"] = k.get("shuttles")
    out["unassigned_by_reason"] = {
        key.removeprefix("unassigned_"): v for key, v in k.items() if key.startswith("unassigned_")
    }
    out["late"] = {
        key: k.get(key) for key in ("late_workers", "late_hours_p50", "late_hours_p95", "late_hours_max")
    }
    out["feeder_buses"] = k.get("feeder_buses")
    out["train_requests"] = run.train_requests
    return out


def _run(args: argparse.Namespace) -> int:
    setup_django()
    from homeward.core.errors import DomainError

    try:
        out = run_plan(scale=args.scale, seed=args.seed, iterations=args.iterations)
    except DomainError as exc:
        _say(f"{exc.message} [{exc.code}]")
        return 1
    except RuntimeError as exc:
        _say(str(exc))
        return 1
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        for key in KPI_KEYS:
            print(f"{key:>22}: {out[key]}")
        print(f"{'run':>22}: #{out['run']} (plan board: /planning/)")
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "plan",
        help="plan the demo city's campaign day (trains, buses, shuttles) and print the KPIs",
        description=(
            "Plan the demo city's campaign day; generates it from the demo registry when missing. "
            "With --json prints the KPIs as JSON on the last line."
        ),
    )
    p.add_argument("--scale", choices=("small", "city"), default="small")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="KPIs as JSON on the last line")
    p.add_argument("--iterations", type=int, default=None, help="solver iterations per sub-problem")
    p.set_defaults(func=_run)


def main(argv: list[str] | None = None) -> int:
    """``python -m homeward.cli.plan_cmd plan ...`` (until ``plan_cmd`` is in COMMAND_MODULES)."""
    parser = argparse.ArgumentParser(prog="homeward")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
