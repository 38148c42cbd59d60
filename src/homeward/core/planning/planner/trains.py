"""Step 3, trains: granted slots, by departure, take the largest county clusters within reach of
their origin station whose workers can be at the station in time and at the factory by the
deadline after the train; the arrival station's shuttles to the factories are a CVRP from the
station (full shuttles first, each factory a time window: its deadline)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from homeward.core import regions
from homeward.core.planning import _pyvrp_adapter
from homeward.core.planning.geo import drive_min, road_km, road_matrix_units
from homeward.core.planning.model import DIST_UNIT_M, PlanRequest, Point, TrainSlot
from homeward.core.planning.planner.clock import Clock
from homeward.core.planning.planner.context import Tally
from homeward.core.planning.planner.demand import Group, GroupKey, Load, Pair
from homeward.core.planning.planner.schedule import minutes_matrix

FIXED_SHUTTLE_COST = 5_000  # solver units (500 km): the number of shuttles comes first


@dataclass(frozen=True, slots=True)
class Rail:
    """A granted slot placed on the map and the planner's clock."""

    slot: TrainSlot
    origin: Point
    destination: Point
    departs: int
    arrives: int
    cap: int  # passengers: seats × load cap


@dataclass(frozen=True, slots=True)
class TrainPlan:
    rail: Rail
    loads: tuple[Load, ...]
    shuttles: tuple[tuple[Load, ...], ...]  # from the arrival station to the factories
    fixed_seats: tuple[tuple[str, str], ...] = ()  # (worker, seat) kept from an earlier plan


def rail_of(slot: TrainSlot, clock: Clock) -> Rail | None:
    """``slot`` on the map and the clock; None when a station is not known."""
    origin = regions.station_by_name(slot.origin_station)
    dest = regions.station_by_name(slot.destination_station)
    if origin is None or dest is None:
        return None
    return Rail(
        slot,
        Point(origin.lat, origin.lon),
        Point(dest.lat, dest.lon),
        clock.minutes(slot.departs),
        clock.minutes(slot.arrives),
        slot.seats * slot.load_cap_pct // 100,
    )


def train_ok(g: Group, rail: Rail, request: PlanRequest) -> bool:
    """Can ``g`` take ``rail``: within the catchment, at the station in time, at the factory by the
    deadline after a shuttle."""
    rules = request.rules
    km = road_km(g.pickup, rail.origin, rules)
    if km > rules.train_catchment_km:
        return False
    if rules.origin_dispatch_lead_min + drive_min(km, rules) > rail.departs - rules.station_margin_min:
        return False
    to_factory = drive_min(road_km(rail.destination, g.factory, rules), rules)
    return rail.arrives + rules.shuttle_wait_min + to_factory + rules.drop_service_min * 3 <= g.deadline


def board(groups: list[Group], rail: Rail, room: int, request: PlanRequest) -> tuple[list[Load], list[Group]]:
    """Up to ``room`` workers of ``groups`` for ``rail``: the largest county clusters that can take
    it first, within a county the earliest deadlines first. Returns the loads and the groups with
    the workers left (same order)."""
    by_county: dict[str, list[Group]] = {}
    for g in groups:
        if not g.workers or not train_ok(g, rail, request):
            continue
        by_county.setdefault(g.county, []).append(g)
    ranked = sorted(by_county.items(), key=lambda kv: (-sum(len(g.workers) for g in kv[1]), kv[0]))
    loads: list[Load] = []
    taken: dict[GroupKey, int] = {}
    for _, gs in ranked:
        for g in sorted(gs, key=lambda g: (g.deadline, g.key)):
            if room <= 0:
                break
            take = g.workers[:room]
            room -= len(take)
            loads.append(Load(g, take))
            taken[g.key] = len(take)
        if room <= 0:
            break
    rest = [g.with_workers(g.workers[taken[g.key] :]) if g.key in taken else g for g in groups]
    return loads, rest


def plan_trains(
    groups: list[Group],
    request: PlanRequest,
    clock: Clock,
    tally: Tally,
    only_slots: frozenset[str] | None = None,
) -> tuple[list[TrainPlan], list[Group]]:
    """Every granted slot (``only_slots``: those only), by departure, loaded from ``groups`` and
    with its shuttles; returns the trains and the groups with the workers left."""
    slots = sorted(
        (
            s
            for s in request.train_slots
            if s.state == "granted" and (only_slots is None or s.id in only_slots)
        ),
        key=lambda s: (clock.minutes(s.departs), s.id),
    )
    trains: list[TrainPlan] = []
    for slot in slots:
        rail = rail_of(slot, clock)
        if rail is None:
            tally.counts["train_slots_unknown_station"] += 1
            continue
        loads, groups = board(groups, rail, rail.cap, request)
        if loads:
            trains.append(train_plan(rail, loads, request, tally))
    return trains, groups


def train_plan(
    rail: Rail,
    loads: list[Load],
    request: PlanRequest,
    tally: Tally,
    fixed_seats: tuple[tuple[str, str], ...] = (),
) -> TrainPlan:
    return TrainPlan(
        rail, tuple(loads), tuple(tuple(r) for r in shuttle_routes(rail, loads, request, tally)), fixed_seats
    )


def shuttle_routes(rail: Rail, loads: list[Load], request: PlanRequest, tally: Tally) -> list[list[Load]]:
    """The station shuttles' loads: full shuttles straight to a factory, the rest a CVRP from the
    arrival station with a time window per factory (its earliest deadline)."""
    rules = request.rules
    station = rail.destination
    cap = rules.seat_cap(request.shuttle_seats, rules.shuttle_load_cap_pct)
    by_drop: dict[tuple[str, float, float], list[Load]] = {}
    for ld in loads:
        g = ld.group
        by_drop.setdefault((g.enterprise_id, g.factory.lat, g.factory.lon), []).append(ld)
    routes: list[list[Load]] = []
    nodes: list[tuple[Point, list[Load], int]] = []
    for key in sorted(by_drop):
        items = [(w, ld.group) for ld in by_drop[key] for w in ld.workers]
        while len(items) >= cap:
            chunk, items = items[:cap], items[cap:]
            routes.append(_loads_of(chunk))
        if items:
            nodes.append((by_drop[key][0].group.factory, _loads_of(items), len(items)))
    start = rail.arrives + rules.shuttle_wait_min
    if nodes:
        pts = [station] + [n[0] for n in nodes]
        mat = road_matrix_units(pts, pts, rules)
        demands = [0] + [n[2] for n in nodes]
        dur = minutes_matrix(mat.astype(np.float64) * DIST_UNIT_M / 1000, rules)
        latest = [0] + [
            max(int(dur[0, i + 1]), min(ld.group.deadline for ld in n[1]) - start)
            for i, n in enumerate(nodes)
        ]
        sol = _pyvrp_adapter.solve_cvrp(
            mat,
            demands,
            cap,
            seed=request.seed,
            stop=request.stop,
            fixed_cost=FIXED_SHUTTLE_COST,
            coords=[(p.lon, p.lat) for p in pts],
            durations=dur,
            latest=latest,
            service=rules.drop_service_min,
        )
        tally.solved(sol)
        for r in sol.routes:
            routes.append([ld for i in r for ld in nodes[i - 1][1]])
    return routes


def _loads_of(items: list[tuple[Pair, Group]]) -> list[Load]:
    out: list[Load] = []
    for w, g in items:
        if out and out[-1].group is g:
            out[-1] = Load(g, (*out[-1].workers, w))
        else:
            out.append(Load(g, (w,)))
    return out
