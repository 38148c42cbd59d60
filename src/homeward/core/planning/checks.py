"""The plan's invariants, checked from the outside (tests, and callers before they store a plan)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from homeward.core.planning.driving import check_drive_spans
from homeward.core.planning.model import REASONS, PlanRequest, PlanResult
from homeward.core.planning.planner.clock import cst


def check_plan(request: PlanRequest, result: PlanResult) -> list[str]:
    """Problems with a plan; empty when: no worker holds two seats on one leg and no seat holds two
    workers; no vehicle carries more than its cap; every driving span keeps the driver-hour rules and
    the 02:00–05:00 curfew; every worker is assigned or has one reason, never both; no worker is
    picked up before their application's ``pickup_from``; a worker flagged late is assigned, once,
    with the hours it arrives after its application's deadline."""
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
    problems += _early_pickups(request, result)
    late = Counter(x.worker_id for x in result.late)
    problems += [f"worker {w} flagged late {n} times" for w, n in late.items() if n > 1]
    for x in result.late:
        over = int((cst(x.arrives) - cst(x.deadline)).total_seconds() // 60)
        if x.worker_id not in main:
            problems.append(f"late worker {x.worker_id} is not assigned")
        if x.minutes_over <= 0 or abs(over - x.minutes_over) > 1:
            problems.append(f"late worker {x.worker_id}: {x.minutes_over} min over, arrives {over} min after")
    problems += _journeys(result)
    return problems


def _journeys(result: PlanResult) -> list[str]:
    """Each worker's legs are numbered 0, 1, ... in order and end at the factory: a train's rider
    continues on a shuttle that meets it; a feeder bus's rider boards the train it feeds, and is
    at the station before the train leaves."""
    problems: list[str] = []
    by_id = {v.id: v for v in result.vehicles}
    legs: dict[str, dict[int, str]] = {}
    for a in result.assignments:
        legs.setdefault(a.worker_id, {})[a.leg] = a.vehicle_id
    for w, ls in legs.items():
        if sorted(ls) != list(range(len(ls))):
            problems.append(f"worker {w} rides legs {sorted(ls)}")
            continue
        for leg in range(len(ls)):
            v = by_id.get(ls[leg])
            nxt = by_id.get(ls.get(leg + 1, ""))
            if v is None:
                problems.append(f"worker {w} seated on an unknown vehicle {ls[leg]}")
            elif v.kind == "train" and (nxt is None or nxt.kind != "shuttle" or nxt.feeds != v.id):
                problems.append(f"worker {w} leaves train {v.id} without its shuttle")
            elif v.kind == "shuttle" and (leg == 0 or ls[leg - 1] != v.feeds):
                problems.append(f"worker {w} on shuttle {v.id} did not come by its train {v.feeds}")
            elif v.kind == "bus" and v.feeds:
                if nxt is None or nxt.id != v.feeds:
                    problems.append(f"worker {w} on feeder {v.id} does not board train {v.feeds}")
                    continue
                at = next((s.arrive for s in v.stops if w in s.alight), None)
                leaves = nxt.stops[0].depart if nxt.stops else None
                if at is None or leaves is None or cst(at) > cst(leaves):
                    problems.append(
                        f"worker {w}: feeder {v.id} reaches the station after train {nxt.id} leaves"
                    )
            elif v.kind == "bus" and nxt is not None:
                problems.append(f"worker {w} rides on after bus {v.id}")
    return problems


def _early_pickups(request: PlanRequest, result: PlanResult) -> list[str]:
    """Workers whose first boarding (a bus stop's departure, else their train's) comes before their
    application's ``pickup_from``."""
    ready = {
        w.worker_id: cst(a.pickup_from) for a in request.applications if a.pickup_from for w in a.workers
    }
    if not ready:
        return []
    boards: dict[str, datetime] = {}
    for v in result.vehicles:
        on_stop = {w: cst(s.depart) for s in v.stops for w in s.board}
        first = cst(v.stops[0].depart) if v.stops else None
        for w in v.manifest:
            at = on_stop.get(w, first)
            if w in ready and at is not None and (w not in boards or at < boards[w]):
                boards[w] = at
    return [
        f"worker {w} picked up at {at} before {ready[w]}" for w, at in sorted(boards.items()) if at < ready[w]
    ]
