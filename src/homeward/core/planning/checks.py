"""The plan's invariants, checked from the outside (tests, and callers before they store a plan)."""

from __future__ import annotations

from collections import Counter

from homeward.core.planning.driving import check_drive_spans
from homeward.core.planning.model import REASONS, PlanRequest, PlanResult
from homeward.core.planning.planner.clock import cst


def check_plan(request: PlanRequest, result: PlanResult) -> list[str]:
    """Problems with a plan; empty when: no worker holds two seats on one leg and no seat holds two
    workers; no vehicle carries more than its cap; every driving span keeps the driver-hour rules and
    the 02:00–05:00 curfew; every worker is assigned or has one reason, never both; a worker flagged
    late is assigned, once, with the hours it arrives after its application's deadline."""
    problems: list[str] = []
    workers = {w.worker_id for a in request.applications for w in a.workers}
    legs = Counter((a.worker_id, a.leg) for a in result.assignments)
    problems += [f"worker {w} holds {n} seats on leg {leg}" for (w, leg), n in legs.items() if n > 1]
    seats = Counter((a.vehicle_id, a.seat) for a in result.assignments)
    problems += [f"seat {s} of {v} given {n} times" for (v, s), n in seats.items() if n > 1]
    per_vehicle = Counter(a.vehicle_id for a in result.assignments)
    for v in result.vehicles:
        if len(v.manifest) > v.seat_cap or per_vehicle[v.id] > v.seat_cap:
            problems.append(f"{v.id} carries {len(v.manifest)} > cap {v.seat_cap}")
        if v.seat_cap > v.seats:
            problems.append(f"{v.id} cap {v.seat_cap} > seats {v.seats}")
        if v.drive:
            t0 = cst(request.now)
            clock0 = t0.hour * 60 + t0.minute
            spans = [
                (
                    d.driver,
                    int((cst(d.start) - t0).total_seconds() // 60),
                    int((cst(d.end) - t0).total_seconds() // 60),
                )
                for d in v.drive
            ]
            problems += [f"{v.id}: {p}" for p in check_drive_spans(spans, clock0, request.rules)]
            if max(d.driver for d in v.drive) >= v.drivers:
                problems.append(f"{v.id}: a driver beyond its crew of {v.drivers}")
    main = {a.worker_id for a in result.assignments if a.leg == 0}
    unassigned = Counter(u.worker_id for u in result.unassigned)
    for u in result.unassigned:
        if u.reason not in REASONS:
            problems.append(f"unknown reason {u.reason!r}")
    problems += [f"worker {w} has {n} reasons" for w, n in unassigned.items() if n > 1]
    problems += [f"worker {w} both assigned and unassigned" for w in main & set(unassigned)]
    missing = workers - main - set(unassigned)
    if missing:
        problems.append(f"{len(missing)} workers neither assigned nor explained, e.g. {sorted(missing)[:3]}")
    late = Counter(x.worker_id for x in result.late)
    problems += [f"worker {w} flagged late {n} times" for w, n in late.items() if n > 1]
    for x in result.late:
        over = int((cst(x.arrives) - cst(x.deadline)).total_seconds() // 60)
        if x.worker_id not in main:
            problems.append(f"late worker {x.worker_id} is not assigned")
        if x.minutes_over <= 0 or abs(over - x.minutes_over) > 1:
            problems.append(f"late worker {x.worker_id}: {x.minutes_over} min over, arrives {over} min after")
    shuttle_riders = {a.worker_id for a in result.assignments if a.leg == 1}
    train_riders = {w for v in result.vehicles if v.kind == "train" for w in v.manifest}
    if shuttle_riders != train_riders:
        problems.append("station shuttles do not carry exactly the train passengers")
    return problems
