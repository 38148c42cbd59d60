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
from homeward.core.planning.planner import add_buses, result_of
from homeward.core.planning.planner.buses import fill_rank, least_slack, with_workers
from homeward.core.planning.planner.clock import Clock
from homeward.core.planning.planner.context import Context
from homeward.core.planning.planner.demand import Group, GroupKey, Load, demand, load_of
from homeward.core.planning.planner.direct import baseline, directed, ref_seats
from homeward.core.planning.planner.emit import (
    Arrival,
    Emitted,
    Plan,
    VehicleSpec,
    emit_train,
    finish_vehicle,
)
from homeward.core.planning.planner.fleet import Fleet, Option, Pool
from homeward.core.planning.planner.kpis import References, kpis
from homeward.core.planning.planner.proposals import train_requests
from homeward.core.planning.planner.trains import (
    Feeder,
    TrainPlan,
    board,
    feeder_buses,
    plan_trains,
    rail_of,
    train_ok,
    unboard,
    with_shuttles,
)

Progress = Callable[[int, str], None]


@dataclass(slots=True)
class _KeptBus:
    vehicle: Vehicle
    coach: Coach
    option: Option
    cap: int
    loads: list[Load]
    seats: tuple[tuple[str, str], ...]


class _Open:
    """The demand not on a vehicle yet, by group, in key order: re-planning takes workers from it
    for the vehicles it keeps and gives back those a kept bus sheds."""

    def __init__(self, groups: list[Group]) -> None:
        self.order = [g.key for g in groups]
        self.by_key = {g.key: g for g in groups}
        self.key_of = {w: g.key for g in groups for w, _ in g.workers}

    def group_of(self, worker: str) -> Group | None:
        key = self.key_of.get(worker)
        return None if key is None else self.by_key[key]

    def groups(self) -> list[Group]:
        return [self.by_key[k] for k in self.order]

    def update(self, groups: list[Group]) -> None:
        for g in groups:
            self.by_key[g.key] = g

    def take(self, workers: list[str]) -> list[Load]:
        """Take ``workers`` out of their groups; the loads they make, groups in order of first
        appearance, workers in group order."""
        by_key: dict[GroupKey, set[str]] = {}
        for w in workers:
            by_key.setdefault(self.key_of[w], set()).add(w)
        loads: list[Load] = []
        for key, mine in by_key.items():
            g = self.by_key[key]
            loads.append(Load(g, tuple(p for p in g.workers if p[0] in mine)))
            self.by_key[key] = g.with_workers(p for p in g.workers if p[0] not in mine)
        return loads

    def give_back(self, load: Load) -> None:
        g = self.by_key[load.group.key]
        self.by_key[g.key] = g.with_workers((*g.workers, *load.workers))


def _closure(previous: PlanResult, ids: frozenset[str]) -> set[str]:
    """Dispatched ids, with a train's feeder buses and shuttles, and the train of either."""
    known = {v.id for v in previous.vehicles}
    out = set(ids) & known
    while True:
        more = {v.id for v in previous.vehicles if v.feeds and v.feeds in out}
        more |= {v.feeds for v in previous.vehicles if v.feeds and v.id in out}
        if more <= out:
            return out
        out |= more


def _arrivals(v: Vehicle, app_of: dict[str, str], clock: Clock) -> tuple[Arrival, ...]:
    """When the workers a kept vehicle drops at their factories arrive (those still in the request)."""
    return tuple(
        Arrival(w, app_of[w], v.id, clock.minutes(s.arrive))
        for s in v.stops
        if s.kind == "drop"
        for w in s.alight
        if w in app_of
    )


def _coach_option(pool: Pool, coach: Coach) -> Option | None:
    """Where an undispatched bus's coach starts: the home city or its origin base."""
    if coach.base == pool.home_city.base:
        return pool.option_at(coach.base)
    region = regions.get(coach.base)
    if region is None:
        return None
    return pool.option_at(region.code, Point(region.lat, region.lon))


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
    clock = Clock.of(request.now)
    dispatched = _closure(previous, dispatched_vehicle_ids)
    kept = [v for v in previous.vehicles if v.id in dispatched]
    on_board = frozenset(w for v in kept for w in v.manifest)
    # coaches of dispatched vehicles are gone; those of undispatched buses stay with their bus
    busy = {v.name for v in previous.vehicles if v.kind != "train" and v.name and v.id in dispatched}
    busy |= {v.name for v in previous.vehicles if v.kind == "bus" and v.name}
    pool = Pool.of((c for c in request.coaches if c.plate not in busy), rules, request.home)
    report(5, "kept")
    # 1. dispatched vehicles, untouched
    plan = Plan()
    prev_seats = {(a.worker_id, a.leg): a for a in previous.assignments}
    app_of = {w.worker_id: a.id for a in request.applications for w in a.workers}
    for v in kept:
        plan.vehicles.append(v)
        plan.taken_ids.add(v.id)
        plan.assignments.extend(a for a in previous.assignments if a.vehicle_id == v.id)
        plan.add(Emitted(arrivals=_arrivals(v, app_of, clock)))
    # 2. the demand, without the workers on board
    wanted = demand(request, clock, skip=on_board)
    plan.unassigned.extend(wanted.unassigned)
    movable = list(wanted.groups)
    found = directed(movable, pool, request, clock)
    plan.unassigned.extend(found.beyond)
    movable, directs = list(found.groups), found.direct
    ctx = Context(request, clock, Fleet(pool, clock), directs)
    ctx.tally.counts["duplicate_workers"] += wanted.duplicates
    open_ = _Open(movable)
    total_workers = len({w.worker_id for a in request.applications for w in a.workers} | on_board)
    base = baseline(movable, directs, request)
    report(25, "undispatched")
    # 3. undispatched trains keep who can still take them; their feeder buses are planned afresh
    coaches = {c.plate: c for c in request.coaches}
    for v in previous.vehicles:
        if v.kind == "bus" and v.feeds and v.id not in dispatched and v.name in coaches:
            pool.give_back(coaches[v.name])
    slots = {s.id: s for s in request.train_slots if s.state == "granted"}
    used_slots: set[str] = {v.id[2:] for v in kept if v.kind == "train"}
    for v in previous.vehicles:
        if v.kind != "train" or v.id in dispatched:
            continue
        slot = slots.get(v.id[2:])
        rail = rail_of(slot, clock) if slot else None
        if slot is None or rail is None:
            continue
        stay = [w for w in v.manifest if (g := open_.group_of(w)) is not None and train_ok(g, rail, ctx)]
        seats = tuple((w, prev_seats[(w, 0)].seat) for w in stay if (w, 0) in prev_seats)
        loads = open_.take(stay[: rail.cap])
        # free seats (cancellations, a bigger slot, passengers who came by feeder) go to the new
        # demand the train can take, feeders planned afresh
        boarding = board(open_.groups(), rail, rail.cap - load_of(loads), ctx)
        open_.update(list(boarding.rest))
        extra = list(boarding.loads)
        feeders: list[Feeder] = []
        if boarding.feeder_loads:
            feeders, stranded = feeder_buses(list(boarding.feeder_loads), rail, ctx)
            extra, back = unboard(extra, open_.groups(), stranded)
            open_.update(back)
        ctx.tally.counts["replan_filled"] += load_of(extra)
        loads += extra
        if not loads:
            continue
        train = TrainPlan(rail, tuple(loads), (), tuple(feeders), seats)
        plan.add(emit_train(with_shuttles([train], ctx)[0], ctx, plan))
        used_slots.add(slot.id)
    # 4. undispatched buses keep their coach and who still belongs on them
    kept_buses: list[_KeptBus] = []
    for v in previous.vehicles:
        if v.kind != "bus" or v.feeds or v.id in dispatched:
            continue
        coach = coaches.get(v.name)
        option = _coach_option(pool, coach) if coach else None
        if coach is None or option is None:
            if coach is not None:
                pool.give_back(coach)
            continue
        pickup = {w: s.point for s in v.stops for w in s.board}
        alight = {w: s.point for s in v.stops for w in s.alight}
        stay = [
            w
            for w in v.manifest
            if (g := open_.group_of(w)) is not None
            and directs[g.key].met
            and g.area == v.origin_area
            and g.cap_pct == v.load_cap_pct
            and g.pickup == pickup.get(w)
            and g.factory == alight.get(w)
        ]
        cap = rules.seat_cap(coach.seats, v.load_cap_pct)
        loads = open_.take(stay[:cap])
        seats = tuple((w, prev_seats[(w, 0)].seat) for w in stay if (w, 0) in prev_seats)
        # shed the least-slack groups while the bus is late under the new request
        while len(loads) > 1 and ctx.fleet.late(loads, only=option):
            worst = least_slack(loads, ctx)
            loads.remove(worst)
            open_.give_back(worst)
            ctx.tally.counts["replan_shed"] += len(worst.workers)
        if loads:
            kept_buses.append(_KeptBus(v, coach, option, cap, loads, seats))
            plan.taken_ids.add(v.id)
        else:
            pool.give_back(coach)
    report(40, "fill")
    # 5. new trains on slots not used yet, then fill free seats of the kept buses
    new_trains, rest = plan_trains(open_.groups(), ctx, frozenset(slots) - used_slots)
    open_.update(rest)
    for train in with_shuttles(new_trains, ctx):
        plan.add(emit_train(train, ctx, plan))
    for kb in kept_buses:
        area, pct = kb.vehicle.origin_area, kb.vehicle.load_cap_pct
        pieces = [
            Load(g, g.workers)
            for g in open_.groups()
            if g.workers and g.area == area and g.cap_pct == pct and directs[g.key].met
        ]
        pieces.sort(key=lambda ld: (fill_rank(kb.loads, 0, ld.group, ctx)[:2], ld.group.key))
        for piece in pieces:
            room = kb.cap - load_of(kb.loads)
            if room <= 0:
                break
            take = piece.workers[:room]
            trial = with_workers(kb.loads, piece.group, take)
            if ctx.fleet.late(trial, only=kb.option):
                continue
            kb.loads = trial
            open_.take([w for w, _ in take])
            ctx.tally.counts["replan_filled"] += len(take)
    for kb in kept_buses:
        trip = ctx.fleet.trip(kb.loads, take=False, only=kb.option)
        plan.taken_ids.discard(kb.vehicle.id)
        spec = VehicleSpec(
            "bus",
            kb.vehicle.id,
            tuple(kb.loads),
            trip.run,
            trip.option.base,
            kb.coach,
            kb.vehicle.load_cap_pct,
            area=kb.vehicle.origin_area,
            fixed_seats=kb.seats,
        )
        plan.add(finish_vehicle(spec, ctx, plan))
    report(55, "buses")
    # 6. the rest as new buses
    add_buses([g for g in open_.groups() if g.workers], ctx, plan)
    report(95, "kpis")
    bus_pax: Counter[tuple[str, int]] = Counter()
    for v in plan.vehicles:
        if v.kind == "bus" and not v.feeds:
            bus_pax[(v.origin_area, v.load_cap_pct)] += len(v.manifest)
    seat_ref = ref_seats(request)
    lb = sum(math.ceil(n / max(1, rules.seat_cap(seat_ref, pct))) for (_, pct), n in bus_pax.items())
    late = plan.late(ctx)
    asks = train_requests(movable, late, plan.vehicles, ctx)
    out = kpis(
        plan, request, References(total_workers, lb, sum(bus_pax.values()), base, base), ctx.tally, late
    )
    out["train_requests"] = len(asks)
    out["replan_kept_dispatched"] = len(kept)
    out["replan_kept_buses"] = len(kept_buses)
    out["replan_filled"] = ctx.tally.counts["replan_filled"]
    out["replan_shed"] = ctx.tally.counts["replan_shed"]
    out["seconds"] = round(time.perf_counter() - t0, 3)
    report(100, "done")
    return result_of(plan, request, out, late, asks)
