"""Step 3, trains and feeders: granted slots, by departure, take the workers who can be at the
origin station in time and at the factory by the deadline after the train — first those a bus
would bring late, from the catchment (the origin county brings them to the station) and from
beyond it on origin-side feeder buses planned here (bus → origin station → train → shuttle), then
the rest of the catchment; the largest county clusters first. The arrival station's shuttles to
the factories are a CVRP from the station (full shuttles first, each factory a time window: its
deadline)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from homeward.core import regions
from homeward.core.planning import _pyvrp_adapter
from homeward.core.planning.geo import drive_min, road_km, road_matrix_units
from homeward.core.planning.model import DIST_UNIT_M, PlanRequest, Point, Rules, TrainSlot
from homeward.core.planning.planner.buses import Area, plan_area
from homeward.core.planning.planner.clock import Clock
from homeward.core.planning.planner.context import Context, Tally
from homeward.core.planning.planner.demand import Group, GroupKey, Load, Pair
from homeward.core.planning.planner.direct import direct_trip
from homeward.core.planning.planner.fleet import Trip
from homeward.core.planning.planner.parallel import run_all
from homeward.core.planning.planner.schedule import minutes_matrix

FIXED_SHUTTLE_COST = 5_000  # solver units (500 km): the number of shuttles comes first
FEEDER = "feed:"  # a feeder group's enterprise: the train's origin station as its drop


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
class Feeder:
    """A feeder bus: pickups beyond the train's catchment to its origin station, before it leaves."""

    route: tuple[Load, ...]  # loads of feeder groups (``feeder_group``)
    trip: Trip


@dataclass(frozen=True, slots=True)
class TrainPlan:
    rail: Rail
    loads: tuple[Load, ...]  # every passenger, by the group of its factory
    shuttles: tuple[tuple[Load, ...], ...]  # from the arrival station to the factories
    feeders: tuple[Feeder, ...] = ()
    fixed_seats: tuple[tuple[str, str], ...] = ()  # (worker, seat) kept from an earlier plan


@dataclass(frozen=True, slots=True)
class Boarding:
    loads: tuple[Load, ...]  # who takes the train, by group
    feeder_loads: tuple[Load, ...]  # those of them who reach the station on a feeder bus
    rest: tuple[Group, ...]  # the groups with the workers left, in the order given


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


def by_train(g: Group, rail: Rail, rules: Rules) -> int:
    """When ``g`` reaches its factory after ``rail`` and a station shuttle (a shuttle's first drops
    are not counted: three drops' service is allowed)."""
    to_factory = drive_min(road_km(rail.destination, g.factory, rules), rules)
    return rail.arrives + rules.shuttle_wait_min + to_factory + rules.drop_service_min * 3


def _in_time_by_train(g: Group, rail: Rail, ctx: Context) -> bool:
    """At the factory by the group's deadline after the train; for a group a bus brings late,
    also earlier than its bus would."""
    arrive = by_train(g, rail, ctx.rules)
    d = ctx.direct[g.key]
    return arrive <= g.deadline and (d.arrive <= g.due or arrive < d.arrive)


def train_ok(g: Group, rail: Rail, ctx: Context) -> bool:
    """Can ``g`` take ``rail`` on its own: within the catchment, at the station in time (the origin
    county brings it), at the factory in time after a shuttle."""
    rules = ctx.rules
    km = road_km(g.pickup, rail.origin, rules)
    if km > rules.train_catchment_km:
        return False
    if (
        max(rules.origin_dispatch_lead_min, g.ready) + drive_min(km, rules)
        > rail.departs - rules.station_margin_min
    ):
        return False
    return _in_time_by_train(g, rail, ctx)


def feeder_group(g: Group, rail: Rail, rules: Rules) -> Group:
    """``g``'s workers as a feeder bus sees them: picked up in their county, dropped at the train's
    origin station ``station_margin_min`` before it leaves."""
    at = rail.departs - rules.station_margin_min
    station = f"{FEEDER}{rail.slot.id}"
    return Group(
        key=(g.county, station, rail.origin.lat, rail.origin.lon, g.ready),
        county=g.county,
        county_name=g.county_name,
        area=g.area,
        cap_pct=g.cap_pct,
        pickup=g.pickup,
        factory=rail.origin,
        enterprise_id=station,
        enterprise_name=rail.slot.origin_station,
        deadline=at,
        due=at,
        workers=g.workers,
        ready=g.ready,
    )


def feeder_ok(g: Group, rail: Rail, ctx: Context) -> bool:
    """Can ``g`` take ``rail`` on a feeder bus: beyond the catchment but within the feeder reach, a
    bus would bring it late and the train earlier, and a coach within reach makes the departure."""
    rules = ctx.rules
    if not rules.feeders or ctx.direct[g.key].arrive <= g.due:
        return False
    km = road_km(g.pickup, rail.origin, rules)
    if not rules.train_catchment_km < km <= rules.feeder_reach_km or not _in_time_by_train(g, rail, ctx):
        return False
    return ctx.fleet.decide([Load(feeder_group(g, rail, rules), g.workers[:1])]).on_time


def board(groups: list[Group], rail: Rail, room: int, ctx: Context) -> Boarding:
    """Up to ``room`` workers of ``groups`` for ``rail``. With ``Rules.feeders``: first those a bus
    would bring late (in the catchment, then by feeder), then the rest of the catchment; otherwise
    the catchment only. Within that, the largest county clusters first, within a county the
    earliest deadlines first."""
    clusters: dict[tuple[int, str], list[Group]] = {}
    feeders: set[GroupKey] = set()
    for g in groups:
        if not g.workers:
            continue
        if train_ok(g, rail, ctx):
            by_bus_late = ctx.direct[g.key].arrive > g.due
            tier = 0 if by_bus_late or not ctx.rules.feeders else 2
        elif feeder_ok(g, rail, ctx):
            feeders.add(g.key)
            tier = 1
        else:
            continue
        clusters.setdefault((tier, g.county), []).append(g)
    ranked = sorted(
        clusters.items(), key=lambda kv: (kv[0][0], -sum(len(g.workers) for g in kv[1]), kv[0][1])
    )
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
    rest = tuple(g.with_workers(g.workers[taken[g.key] :]) if g.key in taken else g for g in groups)
    return Boarding(tuple(loads), tuple(ld for ld in loads if ld.group.key in feeders), rest)


def plan_trains(
    groups: list[Group], ctx: Context, only_slots: frozenset[str] | None = None
) -> tuple[list[TrainPlan], list[Group]]:
    """Every granted slot (``only_slots``: those only), by departure, loaded from ``groups``, with
    its feeder buses and shuttles; returns the trains and the groups with the workers left."""
    request, clock = ctx.request, ctx.clock
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
            ctx.tally.counts["train_slots_unknown_station"] += 1
            continue
        boarding = board(groups, rail, rail.cap, ctx)
        groups = list(boarding.rest)
        loads = list(boarding.loads)
        feeders: list[Feeder] = []
        if boarding.feeder_loads:
            feeders, stranded = feeder_buses(list(boarding.feeder_loads), rail, ctx)
            if stranded:  # back to the demand: a bus takes them
                loads, groups = unboard(loads, groups, stranded)
        if loads:
            trains.append(TrainPlan(rail, tuple(loads), (), tuple(feeders)))
    return trains, groups


def feeder_buses(loads: list[Load], rail: Rail, ctx: Context) -> tuple[list[Feeder], set[str]]:
    """Feeder buses for the workers of ``loads`` (pooled per load cap as buses are, toward the
    station), each with its coach taken; the workers no bus brings to the station in time."""
    rules = ctx.rules
    by_key: dict[GroupKey, Group] = {}
    for ld in loads:
        fg = feeder_group(ld.group, rail, rules)
        have = by_key.get(fg.key)
        by_key[fg.key] = fg.with_workers(ld.workers if have is None else (*have.workers, *ld.workers))
    by_cap: dict[int, list[Group]] = {}
    for key in sorted(by_key):
        fg = by_key[key]
        ctx.direct[key] = direct_trip(fg, ctx.pool, ctx.request, ctx.clock)
        by_cap.setdefault(fg.cap_pct, []).append(fg)
    feeders: list[Feeder] = []
    stranded: set[str] = set()
    for cap_pct in sorted(by_cap):
        for route in plan_area(
            Area(f"{FEEDER}{rail.slot.id}", cap_pct, tuple(by_cap[cap_pct])), ctx, bound=False
        ):
            trip = ctx.fleet.trip(route, take=True)
            if trip.coach is None or not trip.run.deadline_met:
                if trip.coach is not None:
                    ctx.pool.give_back(trip.coach)
                stranded.update(w for ld in route for w, _ in ld.workers)
                ctx.tally.counts["feeder_stranded"] += sum(len(ld.workers) for ld in route)
                continue
            feeders.append(Feeder(tuple(route), trip))
    return feeders, stranded


def unboard(loads: list[Load], groups: list[Group], workers: set[str]) -> tuple[list[Load], list[Group]]:
    """``workers`` off the train: out of its loads, back into their groups."""
    back: dict[GroupKey, list[Pair]] = {}
    kept: list[Load] = []
    for ld in loads:
        off = [p for p in ld.workers if p[0] in workers]
        if off:
            back.setdefault(ld.group.key, []).extend(off)
        on = tuple(p for p in ld.workers if p[0] not in workers)
        if on:
            kept.append(Load(ld.group, on))
    out = [g.with_workers((*g.workers, *back[g.key])) if g.key in back else g for g in groups]
    return kept, out


def with_shuttles(trains: list[TrainPlan], ctx: Context, processes: int = 1) -> list[TrainPlan]:
    """``trains`` with their station shuttles' loads (one CVRP per train, on ``processes``)."""

    def solve(i: int) -> tuple[list[list[Load]], Tally]:
        tally = Tally()
        return shuttle_routes(trains[i].rail, list(trains[i].loads), ctx.request, tally), tally

    solved = run_all(
        solve, len(trains), processes, order=sorted(range(len(trains)), key=lambda i: -len(trains[i].loads))
    )
    out = []
    for train, (routes, tally) in zip(trains, solved, strict=True):
        ctx.tally.add(tally)
        out.append(replace(train, shuttles=tuple(tuple(r) for r in routes)))
    return out


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
