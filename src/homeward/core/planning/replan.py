"""``replan(previous, request, dispatched_vehicle_ids) -> PlanResult``: plan new and changed
applications into a plan that is already running (DESIGN §6 step 5, issue 5 item 3).

- Dispatched vehicles are kept as they are, with every worker on them on the same seat, even if the
  worker's application was withdrawn or changed since (they are on board). A train and its station
  shuttles count as one: dispatching either keeps both.
- Undispatched vehicles keep their coach, id and the seats of the workers whose application still
  puts them on that vehicle (same pickup, same factory, same origin area and load cap, still
  movable). Removed or changed applications free their seats on these vehicles only. Free seats of
  undispatched buses are filled with the new demand of the same origin area and load cap where the
  bus stays on time (every group's deadline, under the driver-hour rules). A bus that the new
  request makes late sheds its least-slack groups back into the demand. Undispatched trains keep
  their passengers who can still take them, and their free seats take new demand as a new train
  would (largest county clusters in reach first); their shuttles are planned again.
- The rest is planned as in ``plan_campaign``: train slots not used yet, then new buses.
  Every worker of ``request`` is on a vehicle or has a reason.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from homeward.core import regions
from homeward.core.planning.model import Coach, PlanRequest, PlanResult, Point, Vehicle
from homeward.core.planning.planner import (
    _baseline,
    _best_run,
    _buses,
    _check_direct_feasible,
    _Clock,
    _emit_train,
    _fill_rank,
    _finish_vehicle,
    _Group,
    _groups,
    _kpis,
    _late,
    _least_slack,
    _Load,
    _load_of,
    _Option,
    _option_at,
    _Pool,
    _ref_seats,
    _result,
    _State,
    _train_loads,
    _train_ok,
    _trains,
    _with,
)

Progress = Callable[[int, str], None]


@dataclass(slots=True)
class _KeptBus:
    vehicle: Vehicle
    coach: Coach
    option: _Option
    cap: int
    loads: list[_Load]
    seats: dict[str, str]


def _closure(previous: PlanResult, ids: frozenset[str]) -> set[str]:
    """Dispatched ids, with a train's shuttles and a shuttle's train."""
    known = {v.id for v in previous.vehicles}
    out = set(ids) & known
    while True:
        more = {v.id for v in previous.vehicles if v.kind == "shuttle" and v.feeds in out}
        more |= {v.feeds for v in previous.vehicles if v.kind == "shuttle" and v.id in out and v.feeds}
        if more <= out:
            return out
        out |= more


def _coach_option(state: _State, coach: Coach) -> _Option | None:
    """Where an undispatched bus's coach starts: Cixi or its origin base."""
    if coach.base == "cixi":
        return _option_at(state, "cixi")
    region = regions.get(coach.base)
    if region is None:
        return None
    return _option_at(state, region.code, Point(region.lat, region.lon))


def _take(groups_of: dict[str, _Group], wids: list[str]) -> list[_Load]:
    """Take ``wids`` out of their groups' open workers; the loads they make, in order."""
    loads: list[_Load] = []
    by_group: dict[int, list[str]] = {}
    for w in wids:
        by_group.setdefault(id(groups_of[w]), []).append(w)
    done: set[int] = set()
    for w in wids:
        g = groups_of[w]
        if id(g) in done:
            continue
        done.add(id(g))
        mine = set(by_group[id(g)])
        pairs = [p for p in g.workers if p[0] in mine]
        g.workers = [p for p in g.workers if p[0] not in mine]
        loads.append(_Load(g, pairs))
    return loads


def replan(
    previous: PlanResult,
    request: PlanRequest,
    dispatched_vehicle_ids: frozenset[str],
    progress: Progress | None = None,
) -> PlanResult:
    """Re-plan ``request`` around ``previous`` without moving anyone on a dispatched vehicle."""
    t0 = time.perf_counter()

    def report(pct: int, stage: str) -> None:
        if progress is not None:
            progress(pct, stage)

    rules = request.rules
    clock = _Clock.of(request.now)
    dispatched = _closure(previous, dispatched_vehicle_ids)
    kept = [v for v in previous.vehicles if v.id in dispatched]
    on_board = frozenset(w for v in kept for w in v.manifest)
    # coaches of dispatched vehicles are gone; those of undispatched buses stay with their bus
    busy = {v.name for v in previous.vehicles if v.kind != "train" and v.name and v.id in dispatched}
    busy |= {v.name for v in previous.vehicles if v.kind == "bus" and v.name}
    pool = _Pool.of((c for c in request.coaches if c.plate not in busy), rules)
    state = _State(request, clock, rules, pool)
    report(5, "kept")
    # 1. dispatched vehicles, untouched
    prev_seats = {(a.worker_id, a.leg): a for a in previous.assignments}
    for v in kept:
        state.vehicles.append(v)
        state.taken_ids.add(v.id)
        for a in previous.assignments:
            if a.vehicle_id == v.id:
                state.assignments.append(a)
        for w in v.manifest:
            state.deadline_ok[w] = state.deadline_ok.get(w, True) and v.deadline_met
    # 2. the demand, without the workers on board
    groups = _groups(state, skip=on_board)
    movable = [g for g in groups if g.workers]
    _check_direct_feasible(state, movable)
    groups_of = {w: g for g in movable for w, _ in g.workers}
    total_workers = len({w.worker_id for a in request.applications for w in a.workers} | on_board)
    baseline = _baseline(state, movable)
    report(25, "undispatched")
    # 3. undispatched trains keep who can still take them
    slots = {s.id: s for s in request.train_slots if s.state == "granted"}
    used_slots: set[str] = {v.id[2:] for v in kept if v.kind == "train"}
    for v in previous.vehicles:
        if v.kind != "train" or v.id in dispatched:
            continue
        slot = slots.get(v.id[2:])
        origin = regions.station_by_name(slot.origin_station) if slot else None
        dest = regions.station_by_name(slot.destination_station) if slot else None
        if slot is None or origin is None or dest is None:
            continue
        op, dp = Point(origin.lat, origin.lon), Point(dest.lat, dest.lon)
        dep, arr = clock.minutes(slot.departs), clock.minutes(slot.arrives)
        stay = [w for w in v.manifest if w in groups_of and _train_ok(state, groups_of[w], op, dp, dep, arr)]
        cap = slot.seats * slot.load_cap_pct // 100
        seats = {w: prev_seats[(w, 0)].seat for w in stay if (w, 0) in prev_seats}
        loads = _take(groups_of, stay[:cap])
        # free seats (cancellations, a bigger slot) go to the new demand the train can take
        extra = _train_loads(state, movable, op, dp, dep, arr, cap - _load_of(loads))
        state.counters["replan_filled"] += _load_of(extra)
        loads += extra
        if not loads:
            continue
        _emit_train(state, slot, op, dp, dep, arr, cap, loads, fixed_seats=seats)
        used_slots.add(slot.id)
    # 4. undispatched buses keep their coach and who still belongs on them
    coaches = {c.plate: c for c in request.coaches}
    seat_ref = _ref_seats(state)
    kept_buses: list[_KeptBus] = []
    for v in previous.vehicles:
        if v.kind != "bus" or v.id in dispatched:
            continue
        coach = coaches.get(v.name)
        option = _coach_option(state, coach) if coach else None
        if coach is None or option is None:
            if coach is not None:
                state.pool.give_back(coach)
            continue
        board = {w: s.point for s in v.stops for w in s.board}
        alight = {w: s.point for s in v.stops for w in s.alight}
        stay = [
            w
            for w in v.manifest
            if w in groups_of
            and _direct_ok(state, groups_of[w])
            and groups_of[w].area == v.origin_area
            and groups_of[w].cap_pct == v.load_cap_pct
            and groups_of[w].pickup == board.get(w)
            and groups_of[w].factory == alight.get(w)
        ]
        cap = rules.seat_cap(coach.seats, v.load_cap_pct)
        loads = _take(groups_of, stay[:cap])
        seats = {w: prev_seats[(w, 0)].seat for w in stay if (w, 0) in prev_seats}
        kb = _KeptBus(v, coach, option, cap, loads, seats)
        # shed the least-slack groups while the bus is late under the new request
        while len(kb.loads) > 1 and _late(state, kb.loads, only=option):
            worst = _least_slack(state, kb.loads)
            kb.loads.remove(worst)
            worst.group.workers.extend(worst.workers)
            state.counters["replan_shed"] += len(worst.workers)
        if kb.loads:
            kept_buses.append(kb)
            state.taken_ids.add(v.id)
        else:
            state.pool.give_back(coach)
    report(40, "fill")
    # 5. new trains on slots not used yet, then fill free seats of the kept buses
    _trains(state, movable, only_slots=frozenset(slots) - used_slots)
    for kb in kept_buses:
        area, pct = kb.vehicle.origin_area, kb.vehicle.load_cap_pct
        pieces = [
            _Load(g, list(g.workers))
            for g in movable
            if g.workers and g.area == area and g.cap_pct == pct and _direct_ok(state, g)
        ]
        pieces.sort(key=lambda ld: (_fill_rank(kb.loads, 0, ld.group, rules)[:2], ld.group.key))
        for piece in pieces:
            room = kb.cap - _load_of(kb.loads)
            if room <= 0:
                break
            take = piece.workers[:room]
            trial = _with(kb.loads, piece.group, take)
            if _late(state, trial, only=kb.option):
                continue
            kb.loads = trial
            taken = {w for w, _ in take}
            piece.group.workers = [p for p in piece.group.workers if p[0] not in taken]
            state.counters["replan_filled"] += len(take)
    for kb in kept_buses:
        run, opt, _, _ = _best_run(
            state, kb.loads, build=True, cap_pct=kb.vehicle.load_cap_pct, take=False, only=kb.option
        )
        state.taken_ids.discard(kb.vehicle.id)
        _finish_vehicle(
            state,
            "bus",
            kb.vehicle.id,
            kb.loads,
            run,
            opt.base,
            kb.coach,
            kb.vehicle.load_cap_pct,
            kb.vehicle.origin_area,
            "",
            fixed_seats=kb.seats,
        )
    report(55, "buses")
    # 6. the rest as new buses
    rest = [g for g in movable if g.workers]
    _buses(state, rest)
    report(95, "kpis")
    bus_pax: Counter[tuple[str, int]] = Counter()
    for v in state.vehicles:
        if v.kind == "bus":
            bus_pax[(v.origin_area, v.load_cap_pct)] += len(v.manifest)
    lb = sum(math.ceil(n / max(1, rules.seat_cap(seat_ref, pct))) for (_, pct), n in bus_pax.items())
    kpis = _kpis(state, total_workers, lb, sum(bus_pax.values()), baseline, baseline)
    kpis["replan_kept_dispatched"] = len(kept)
    kpis["replan_kept_buses"] = len(kept_buses)
    kpis["replan_filled"] = state.counters["replan_filled"]
    kpis["replan_shed"] = state.counters["replan_shed"]
    kpis["seconds"] = round(time.perf_counter() - t0, 3)
    report(100, "done")
    return _result(state, request, kpis)


def _direct_ok(state: _State, g: _Group) -> bool:
    d = state.direct.get(g.key)
    return d is not None and d.met
