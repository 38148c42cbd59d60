"""``plan_campaign(request) -> PlanResult``: one campaign day, trains + station shuttles + pooled buses.

Steps (DESIGN §6):

1. Flatten the applications' workers; drop what cannot legally move (health, closed origin, unknown
   county) with a reason; group the rest by (origin county, enterprise/factory).
2. Granted train slots, by departure, take the largest county clusters within ``train_catchment_km``
   of their origin station whose workers can reach the station in time and whose factory can be
   reached by the deadline after the train. Getting to the origin station is organised by the
   origin county and is not planned here. Each train's passengers are carried from the arrival
   station to the factories by shuttles: a CVRP from the station (depot), full shuttles first.
3. The rest go by bus, pooled across enterprises, one sub-problem per (origin area = prefecture,
   load cap): full buses for whole loads of a group first, then the remainders as a CVRP whose
   nodes are (county, factory) groups and whose pairwise cost is the pickup detour plus the drop
   detour; each bus's pickups and drops are then ordered (open paths). Groups that no legal direct
   trip brings in time are ``no_legal_way_in_time``; a pooled bus that misses a deadline is split.
4. Each vehicle is scheduled under the driver-hour rules (``driving.Crew``), a Cixi coach when it
   meets the deadlines, else an origin-side one; escort, kit and a cost ledger per vehicle.

The per-enterprise baseline (each application charters its own buses per origin county) and the
bus lower bound (per origin area and cap, workers ÷ seat cap rounded up) are computed on the same
input and reported in ``kpis``.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

import numpy as np

from homeward.core import regions
from homeward.core.planning import _pyvrp_adapter
from homeward.core.planning.driving import Crew
from homeward.core.planning.geo import drive_min, road_km, road_matrix_units, units
from homeward.core.planning.model import (
    REASON_HEALTH,
    REASON_NO_CAPACITY,
    REASON_NO_LEGAL_WAY,
    REASON_ORIGIN_RISK,
    REASON_UNKNOWN_ORIGIN,
    REASONS,
    Assignment,
    Coach,
    CostLedger,
    DriveSpan,
    Kit,
    PlanRequest,
    PlanResult,
    Point,
    Rules,
    Stop,
    TrainSlot,
    Unassigned,
    Vehicle,
)
from homeward.core.planning.routing import order_open_path

CST = timezone(timedelta(hours=8))
_FIXED_BUS_COST = 20_000  # solver units (2,000 km): the number of buses comes first
_FIXED_SHUTTLE_COST = 5_000  # 500 km


# ------------------------------------------------------------------------------------------------
# time
# ------------------------------------------------------------------------------------------------


def _cst(dt: datetime) -> datetime:
    return dt if dt.tzinfo is None else dt.astimezone(CST).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class _Clock:
    now: datetime
    clock0: int  # wall-clock minute of the day at ``now``

    @classmethod
    def of(cls, now: datetime) -> _Clock:
        local = _cst(now)
        return cls(now, local.hour * 60 + local.minute)

    def minutes(self, dt: datetime) -> int:
        return int((_cst(dt) - _cst(self.now)).total_seconds() // 60)

    def at(self, minutes: int) -> datetime:
        return self.now + timedelta(minutes=minutes)


# ------------------------------------------------------------------------------------------------
# demand
# ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Group:
    key: tuple[str, str, float, float]
    county: str
    county_name: str
    area: str
    cap_pct: int
    pickup: Point
    factory: Point
    enterprise_id: str
    enterprise_name: str
    deadline: int  # minutes after now (the earliest deadline of its applications)
    workers: list[tuple[str, str]] = field(default_factory=list)  # (worker_id, application_id)


@dataclass(slots=True)
class _Load:
    """Some workers of one group on one vehicle."""

    group: _Group
    workers: list[tuple[str, str]]


def _area_of(county: regions.Region) -> str:
    pref = regions.prefecture_of(county.code)
    if pref is not None:
        return pref.code
    return county.parent or county.code


# ------------------------------------------------------------------------------------------------
# vehicles: schedule a sequence of stops under the driver-hour rules
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Leg:
    kind: str  # pickup, drop, end
    place: str
    point: Point
    service: int
    board: tuple[str, ...] = ()
    alight: tuple[str, ...] = ()
    deadline: int | None = None


@dataclass(frozen=True, slots=True)
class _Run:
    stops: tuple[Stop, ...]
    spans: tuple[tuple[int, int, int], ...]
    start: int
    end: int
    km: float
    deadline_met: bool
    drivers: int


def _simulate(
    start_place: str,
    start_point: Point,
    start_min: int,
    legs: list[_Leg],
    drivers: int,
    rules: Rules,
    clock: _Clock,
    *,
    build_stops: bool = True,
) -> _Run:
    crew = Crew(rules=rules, clock0=clock.clock0, t=start_min, size=drivers)
    stops: list[Stop] = []
    if build_stops:
        stops.append(Stop("start", start_place, start_point, clock.at(start_min), clock.at(start_min)))
    here = start_point
    km_total = 0.0
    met = True
    for leg in legs:
        km = road_km(here, leg.point, rules)
        km_total += km
        t_leg = crew.t
        n_events = len(crew.events)
        n_spans = len(crew.spans)
        minutes = drive_min(km, rules)
        crew.drive(minutes)
        if build_stops and len(crew.events) > n_events:
            stops.extend(_en_route(crew, n_events, n_spans, t_leg, minutes, here, leg.point, clock))
        arrive = crew.t
        if leg.deadline is not None and arrive > leg.deadline:
            met = False
        crew.stop(leg.service)
        if build_stops:
            stops.append(
                Stop(
                    leg.kind, leg.place, leg.point, clock.at(arrive), clock.at(crew.t), leg.board, leg.alight
                )
            )
        here = leg.point
    return _Run(tuple(stops), tuple(crew.spans), start_min, crew.t, km_total, met, drivers)


def _en_route(
    crew: Crew, n_events: int, n_spans: int, t_leg: int, minutes: int, a: Point, b: Point, clock: _Clock
) -> list[Stop]:
    out: list[Stop] = []
    spans = crew.spans[n_spans:]
    for ev in crew.events[n_events:]:
        done = sum(max(0, min(e, ev.start) - s) for _, s, e in spans if s < ev.start)
        f = done / minutes if minutes else 0.0
        p = Point(round(a.lat + (b.lat - a.lat) * f, 4), round(a.lon + (b.lon - a.lon) * f, 4))
        out.append(Stop(ev.kind, "途中 (en route)", p, clock.at(ev.start), clock.at(ev.end)))
    del t_leg
    return out


def _drivers_for(km: float, rules: Rules) -> int:
    return 2 if km > rules.two_drivers_over_km else 1


# ------------------------------------------------------------------------------------------------
# coaches
# ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Pool:
    rules: Rules
    cixi: list[Coach]
    origin: dict[str, list[Coach]]  # base code → coaches
    base_points: dict[str, Point]

    @classmethod
    def of(cls, coaches: Iterable[Coach], rules: Rules) -> _Pool:
        cixi: list[Coach] = []
        origin: dict[str, list[Coach]] = {}
        points: dict[str, Point] = {}
        for c in sorted(coaches, key=lambda c: (c.seats, c.plate)):
            if c.base == "cixi":
                cixi.append(c)
                continue
            region = regions.get(c.base)
            if region is None:
                continue
            origin.setdefault(region.code, []).append(c)
            points[region.code] = Point(region.lat, region.lon)
        return cls(rules, cixi, origin, points)

    def origin_bases_near(self, p: Point) -> list[str]:
        near = [
            (road_km(p, bp, self.rules), code)
            for code, bp in self.base_points.items()
            if self.origin.get(code) and road_km(p, bp, self.rules) <= self.rules.origin_fleet_radius_km
        ]
        return [code for _, code in sorted(near)]

    def any_origin_near(self, p: Point) -> str | None:
        near = [
            (road_km(p, bp, self.rules), code)
            for code, bp in self.base_points.items()
            if road_km(p, bp, self.rules) <= self.rules.origin_fleet_radius_km
        ]
        return min(near)[1] if near else None

    @staticmethod
    def take(coaches: list[Coach], load: int, cap_pct: int, rules: Rules) -> Coach | None:
        for i, c in enumerate(coaches):
            if rules.seat_cap(c.seats, cap_pct) >= load:
                return coaches.pop(i)
        return None


def _seat_labels(seats: int, cap: int, rules: Rules) -> list[str]:
    """Seats 1..seats numbered front to back, ``row_size`` a row (``1A 1B 1C 1D 2A ...``); the last
    ``empty_rows`` rows' worth of seats stay empty; every other seat first so passengers spread out."""
    usable = max(0, seats - rules.empty_rows * rules.row_size)
    letters = "ABCDEFGH"
    numbers = list(range(1, usable + 1, 2)) + list(range(2, usable + 1, 2))
    labels = [f"{(k - 1) // rules.row_size + 1}{letters[(k - 1) % rules.row_size]}" for k in numbers]
    if len(labels) < cap:  # pragma: no cover - seat_cap never exceeds the usable seats
        raise RuntimeError("more passengers than usable seats")
    return labels[:cap]


def _train_seat_labels(seats: int, cap: int) -> list[str]:
    step = max(1, seats // max(1, cap))
    out = []
    for k in range(cap):
        idx = k * step
        out.append(f"{idx // 100 + 1:02d}车{idx % 100 + 1:03d}")
    return out


def _kit(passengers: int, hours: float, vehicles_thermo: int, rules: Rules, crew: int) -> Kit:
    blocks = max(1, math.ceil(hours / 4))
    return Kit(
        masks=(passengers + crew) * blocks * rules.masks_per_passenger_per_4h,
        thermometers=vehicles_thermo,
        disinfectant_ml=int(
            math.ceil(passengers * max(hours, 1.0) * rules.disinfectant_ml_per_passenger_hour)
        ),
    )


def _ledger(total: int, loads: Iterable[tuple[str, int]], rules: Rules) -> CostLedger:
    gov = total * rules.subsidy.government_pct // 100
    wrk = total * rules.subsidy.worker_pct // 100
    ent = total - gov - wrk
    per: Counter[str] = Counter()
    for ent_id, n in loads:
        per[ent_id] += n
    pax = sum(per.values())
    shares: list[tuple[str, int]] = []
    if pax:
        keys = sorted(per)
        raw = [ent * per[k] // pax for k in keys]
        rem = ent - sum(raw)
        fracs = sorted(range(len(keys)), key=lambda i: (-(ent * per[keys[i]] % pax), keys[i]))
        for i in fracs[:rem]:
            raw[i] += 1
        shares = list(zip(keys, raw, strict=True))
    return CostLedger(total, gov, ent, wrk, tuple(shares))


# ------------------------------------------------------------------------------------------------
# the planner
# ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _State:
    request: PlanRequest
    clock: _Clock
    rules: Rules
    pool: _Pool
    assignments: list[Assignment] = field(default_factory=list)
    vehicles: list[Vehicle] = field(default_factory=list)
    unassigned: list[Unassigned] = field(default_factory=list)
    deadline_ok: dict[str, bool] = field(default_factory=dict)
    fallbacks: int = 0
    time_limit_hits: int = 0
    solver_seconds: float = 0.0
    counters: Counter[str] = field(default_factory=Counter)
    direct: dict[tuple[str, str, float, float], _Direct] = field(default_factory=dict)

    def drop(self, workers: Iterable[tuple[str, str]], reason: str, detail: str = "") -> None:
        for wid, app in workers:
            self.unassigned.append(Unassigned(wid, app, reason, detail))


def plan_campaign(request: PlanRequest) -> PlanResult:
    t0 = time.perf_counter()
    rules = request.rules
    clock = _Clock.of(request.now)
    state = _State(request, clock, rules, _Pool.of(request.coaches, rules))
    groups = _groups(state)
    total_workers = sum(len(a.workers) for a in request.applications)
    movable = [g for g in groups if g.workers]
    _check_direct_feasible(state, movable)
    baseline = _baseline(state, [g for g in movable if g.workers])
    train_groups = _trains(state, movable)
    bus_groups = [g for g in movable if g.workers]
    lb, bus_workers = _bus_lower_bound(state, bus_groups)
    same_split = _baseline(state, bus_groups)
    _buses(state, bus_groups)
    del train_groups
    kpis = _kpis(state, total_workers, lb, bus_workers, baseline, same_split)
    kpis["seconds"] = round(time.perf_counter() - t0, 3)
    return PlanResult(
        assignments=tuple(sorted(state.assignments, key=lambda a: (a.worker_id, a.leg))),
        vehicles=tuple(state.vehicles),
        unassigned=tuple(sorted(state.unassigned, key=lambda u: u.worker_id)),
        kpis=kpis,
        seed=request.seed,
        stop=request.stop,
        solver=_pyvrp_adapter.solver_version(),
    )


def _groups(state: _State) -> list[_Group]:
    req = state.request
    risk = dict(req.origin_risk)
    seen: set[str] = set()
    groups: dict[tuple[str, str, float, float], _Group] = {}
    for app in req.applications:
        deadline = state.clock.minutes(app.deadline)
        for w in app.workers:
            if w.worker_id in seen:
                state.counters["duplicate_workers"] += 1
                continue
            seen.add(w.worker_id)
            county = regions.get(w.pickup_county)
            pair = [(w.worker_id, app.id)]
            if county is None:
                state.drop(pair, REASON_UNKNOWN_ORIGIN, w.pickup_county)
                continue
            level = risk.get(county.code, "low")
            if level in state.rules.blocked_risks:
                state.drop(pair, REASON_ORIGIN_RISK, f"{county.code} {level}")
                continue
            if not w.health_ok:
                state.drop(pair, REASON_HEALTH)
                continue
            key = (county.code, app.enterprise_id, app.destination.lat, app.destination.lon)
            g = groups.get(key)
            if g is None:
                g = _Group(
                    key=key,
                    county=county.code,
                    county_name=county.full_name,
                    area=_area_of(county),
                    cap_pct=state.rules.load_cap_pct(level),
                    pickup=Point(county.lat, county.lon),
                    factory=app.destination,
                    enterprise_id=app.enterprise_id,
                    enterprise_name=app.enterprise_name,
                    deadline=deadline,
                )
                groups[key] = g
            g.deadline = min(g.deadline, deadline)
            g.workers.append(pair[0])
    return [groups[k] for k in sorted(groups)]


# --- direct trips (feasibility, baseline) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Direct:
    base: str  # "cixi" or origin base code
    arrive: int
    km: float  # vehicle-km of one direct bus, deadheads included
    met: bool


def _direct(state: _State, g: _Group) -> _Direct:
    rules, clock, pool = state.rules, state.clock, state.pool
    legs = [
        _Leg("pickup", "", g.pickup, rules.pickup_service_min),
        _Leg("drop", "", g.factory, 0, deadline=g.deadline),
    ]
    options: list[_Direct] = []
    haul = road_km(g.pickup, g.factory, rules)
    km = road_km(state.request.cixi, g.pickup, rules) + haul
    run = _simulate(
        "",
        state.request.cixi,
        rules.dispatch_lead_min,
        legs,
        _drivers_for(km, rules),
        rules,
        clock,
        build_stops=False,
    )
    options.append(_Direct("cixi", run.end, km, run.deadline_met))
    base = pool.any_origin_near(g.pickup)
    if base is not None:
        bp = pool.base_points[base]
        km_o = road_km(bp, g.pickup, rules) + haul
        run = _simulate(
            "",
            bp,
            rules.origin_dispatch_lead_min,
            legs,
            _drivers_for(km_o, rules),
            rules,
            clock,
            build_stops=False,
        )
        options.append(_Direct(base, run.end, km_o + road_km(g.factory, bp, rules), run.deadline_met))
    met = [o for o in options if o.met]
    if met:
        return met[0]  # Cixi first when it makes it
    return min(options, key=lambda o: o.arrive)


def _check_direct_feasible(state: _State, groups: list[_Group]) -> None:
    cache: dict[tuple[str, float, float, int], _Direct] = {}
    state_direct: dict[tuple[str, str, float, float], _Direct] = {}
    for g in groups:
        ck = (g.county, round(g.factory.lat, 2), round(g.factory.lon, 2), g.deadline)
        d = cache.get(ck)
        if d is None:
            d = _direct(state, g)
            cache[ck] = d
        state_direct[g.key] = d
    state.counters["direct_checks"] = len(cache)
    state.direct = state_direct


_DIRECT: dict[int, dict[tuple[str, str, float, float], _Direct]] = {}


def _baseline(state: _State, groups: list[_Group]) -> tuple[int, float]:
    """Per-enterprise chartering: each application charters its own buses per origin county."""
    direct = state.direct
    per_app: Counter[tuple[str, str, int]] = Counter()
    km_of: dict[tuple[str, str, int], float] = {}
    for g in groups:
        d = direct[g.key]
        if not d.met:
            continue
        for _, app in g.workers:
            k = (app, g.county, g.cap_pct)
            per_app[k] += 1
            km_of[k] = d.km
    cap_cache: dict[int, int] = {}
    buses = 0
    km = 0.0
    for k, n in sorted(per_app.items()):
        cap = cap_cache.setdefault(k[2], state.rules.seat_cap(_ref_seats(state), k[2]))
        b = math.ceil(n / cap)
        buses += b
        km += b * km_of[k]
    return buses, km


def _ref_seats(state: _State) -> int:
    seats = Counter(c.seats for c in state.request.coaches)
    if not seats:
        return state.request.shuttle_seats
    return max(seats.items(), key=lambda kv: (kv[1], kv[0]))[0]


# --- trains and shuttles -----------------------------------------------------------------------------


def _trains(state: _State, groups: list[_Group]) -> list[_Group]:
    rules, clock = state.rules, state.clock
    used: list[_Group] = []
    slots = sorted(
        (s for s in state.request.train_slots if s.state == "granted"),
        key=lambda s: (state.clock.minutes(s.departs), s.id),
    )
    for slot in slots:
        origin = regions.station_by_name(slot.origin_station)
        dest = regions.station_by_name(slot.destination_station)
        if origin is None or dest is None:
            state.counters["train_slots_unknown_station"] += 1
            continue
        op, dp = Point(origin.lat, origin.lon), Point(dest.lat, dest.lon)
        dep, arr = clock.minutes(slot.departs), clock.minutes(slot.arrives)
        cap = slot.seats * slot.load_cap_pct // 100
        by_county: dict[str, list[_Group]] = {}
        for g in groups:
            if not g.workers:
                continue
            km = road_km(g.pickup, op, rules)
            if km > rules.train_catchment_km:
                continue
            if rules.origin_dispatch_lead_min + drive_min(km, rules) > dep - rules.station_margin_min:
                continue
            to_factory = drive_min(road_km(dp, g.factory, rules), rules)
            if arr + rules.shuttle_wait_min + to_factory + rules.drop_service_min * 3 > g.deadline:
                continue
            by_county.setdefault(g.county, []).append(g)
        ranked = sorted(by_county.items(), key=lambda kv: (-sum(len(g.workers) for g in kv[1]), kv[0]))
        loads: list[_Load] = []
        room = cap
        for _, gs in ranked:
            for g in sorted(gs, key=lambda g: (g.deadline, g.key)):
                if room <= 0:
                    break
                take = g.workers[:room]
                g.workers = g.workers[room:]
                room -= len(take)
                loads.append(_Load(g, take))
            if room <= 0:
                break
        if not loads:
            continue
        _emit_train(state, slot, op, dp, dep, arr, cap, loads)
        used.extend(ld.group for ld in loads)
    return used


def _emit_train(
    state: _State, slot: TrainSlot, op: Point, dp: Point, dep: int, arr: int, cap: int, loads: list[_Load]
) -> None:
    rules, clock = state.rules, state.clock
    vid = f"T-{slot.id}"
    manifest = [w for ld in loads for w, _ in ld.workers]
    labels = _train_seat_labels(slot.seats, cap)
    for (wid, _), label in zip([w for ld in loads for w in ld.workers], labels, strict=False):
        state.assignments.append(Assignment(wid, vid, label, 0))
    hours = max(0.0, (arr - dep) / 60)
    stops = (
        Stop("station_depart", slot.origin_station, op, clock.at(dep), clock.at(dep), tuple(manifest), ()),
        Stop(
            "station_arrive", slot.destination_station, dp, clock.at(arr), clock.at(arr), (), tuple(manifest)
        ),
    )
    pax = len(manifest)
    total = pax * rules.train_fare_fen
    loads_by_ent = [(ld.group.enterprise_id, len(ld.workers)) for ld in loads]
    km = road_km(op, dp, _rail_rules(rules))
    state.vehicles.append(
        Vehicle(
            id=vid,
            kind="train",
            name=slot.name,
            base="rail",
            seats=slot.seats,
            seat_cap=cap,
            origin_area=slot.origin_station,
            stops=stops,
            drive=(),
            drivers=0,
            escorts=max(1, math.ceil(pax / rules.train_passengers_per_escort)),
            kit=_kit(pax, hours, max(1, math.ceil(pax / 100)) * rules.thermometers_per_vehicle, rules, 0),
            km=round(km, 1),
            manifest=tuple(manifest),
            cost=_ledger(total, loads_by_ent, rules),
            deadline_met=True,
        )
    )
    _shuttles(state, slot, dp, arr, loads)


def _rail_rules(rules: Rules) -> Rules:
    return replace(rules, detour_factor=1.0)


def _shuttles(state: _State, slot: TrainSlot, station: Point, arr: int, loads: list[_Load]) -> None:
    rules = state.rules
    cap = rules.seat_cap(state.request.shuttle_seats, rules.shuttle_load_cap_pct)
    # drop points: one per (enterprise, factory)
    by_drop: dict[tuple[str, float, float], list[_Load]] = {}
    for ld in loads:
        g = ld.group
        by_drop.setdefault((g.enterprise_id, g.factory.lat, g.factory.lon), []).append(ld)
    routes: list[list[_Load]] = []
    nodes: list[tuple[Point, list[_Load], int]] = []
    for key in sorted(by_drop):
        items = [(w, ld.group) for ld in by_drop[key] for w in ld.workers]
        while len(items) >= cap:  # full shuttles straight to the factory
            chunk, items = items[:cap], items[cap:]
            routes.append(_loads_of(chunk))
        if items:
            nodes.append((by_drop[key][0].group.factory, _loads_of(items), len(items)))
    if nodes:
        pts = [station] + [n[0] for n in nodes]
        mat = road_matrix_units(pts, pts, rules)
        demands = [0] + [n[2] for n in nodes]
        sol = _pyvrp_adapter.solve_cvrp(
            mat,
            demands,
            cap,
            seed=state.request.seed,
            stop=state.request.stop,
            fixed_cost=_FIXED_SHUTTLE_COST,
            coords=[(p.lon, p.lat) for p in pts],
        )
        _count_solver(state, sol)
        for r in sol.routes:
            routes.append([ld for i in r for ld in nodes[i - 1][1]])
    start = arr + rules.shuttle_wait_min
    for k, route in enumerate(routes):
        _emit_road_vehicle(
            state,
            kind="shuttle",
            vid=f"S-{slot.id}-{k + 1:03d}",
            loads=route,
            start_place=slot.destination_station,
            start_point=station,
            start_min=start,
            base="cixi",
            coach_list=state.pool.cixi,
            cap_pct=rules.shuttle_load_cap_pct,
            area="",
            order_drops_from=station,
            pickups=False,
            feeds=f"T-{slot.id}",
            return_to=station,
        )


def _loads_of(items: list[tuple[tuple[str, str], _Group]]) -> list[_Load]:
    out: list[_Load] = []
    for w, g in items:
        if out and out[-1].group is g:
            out[-1].workers.append(w)
        else:
            out.append(_Load(g, [w]))
    return out


def _count_solver(state: _State, sol: _pyvrp_adapter.CvrpSolution) -> None:
    state.solver_seconds += sol.seconds
    state.fallbacks += int(sol.fallback)
    state.time_limit_hits += int(sol.time_limit_hit)


# --- buses -------------------------------------------------------------------------------------------


def _bus_lower_bound(state: _State, groups: list[_Group]) -> tuple[int, int]:
    direct = state.direct
    per: Counter[tuple[str, int]] = Counter()
    for g in groups:
        if direct[g.key].met:
            per[(g.area, g.cap_pct)] += len(g.workers)
    seats = _ref_seats(state)
    lb = sum(math.ceil(n / state.rules.seat_cap(seats, cap)) for (_, cap), n in per.items())
    return lb, sum(per.values())


def _buses(state: _State, groups: list[_Group]) -> None:
    rules = state.rules
    direct = state.direct
    seats = _ref_seats(state)
    parts: dict[tuple[str, int], list[_Group]] = {}
    for g in groups:
        if not g.workers:
            continue
        if not direct[g.key].met:
            state.drop(
                g.workers,
                REASON_NO_LEGAL_WAY,
                f"direct arrival +{direct[g.key].arrive} min > deadline +{g.deadline} min",
            )
            g.workers = []
            continue
        parts.setdefault((g.area, g.cap_pct), []).append(g)
    for (area, cap_pct), gs in sorted(parts.items()):
        cap = rules.seat_cap(seats, cap_pct)
        routes: list[list[_Load]] = []
        nodes: list[tuple[_Group, list[tuple[str, str]]]] = []
        for g in gs:
            items = list(g.workers)
            while len(items) >= cap:
                chunk, items = items[:cap], items[cap:]
                routes.append([_Load(g, chunk)])
            if items:
                nodes.append((g, items))
        if nodes:
            routes.extend(_pool_area(state, area, nodes, cap))
        for k, route in enumerate(_split_late(state, routes, cap)):
            _emit_bus(state, f"B-{area}-{cap_pct}-{k + 1:03d}", route, area, cap_pct)


def _pool_area(
    state: _State, area: str, nodes: list[tuple[_Group, list[tuple[str, str]]]], cap: int
) -> list[list[_Load]]:
    rules = state.rules
    pick = [g.pickup for g, _ in nodes]
    drop = [g.factory for g, _ in nodes]
    n = len(nodes)
    mat = np.zeros((n + 1, n + 1), dtype=np.int64)
    mat[1:, 1:] = road_matrix_units(pick, pick, rules) + road_matrix_units(drop, drop, rules)
    haul = np.array([units(road_km(p, d, rules)) for p, d in zip(pick, drop, strict=True)], dtype=np.int64)
    mat[0, 1:] = haul // 2
    mat[1:, 0] = haul - haul // 2
    demands = [0] + [len(w) for _, w in nodes]
    sol = _pyvrp_adapter.solve_cvrp(
        mat,
        demands,
        cap,
        seed=state.request.seed,
        stop=state.request.stop,
        fixed_cost=_FIXED_BUS_COST,
        coords=[(0.0, 0.0)] + [(p.lon, p.lat) for p in pick],
    )
    _count_solver(state, sol)
    del area
    return [[_Load(nodes[i - 1][0], list(nodes[i - 1][1])) for i in r] for r in sol.routes]


def _bus_plan(state: _State, loads: list[_Load], start_point: Point) -> list[_Leg]:
    rules = state.rules
    by_county: dict[str, list[_Load]] = {}
    for ld in loads:
        by_county.setdefault(ld.group.county, []).append(ld)
    counties = sorted(by_county)
    cpoints = [by_county[c][0].group.pickup for c in counties]
    dist = _dist_fn(rules)
    porder = order_open_path(start_point, cpoints, dist)
    legs: list[_Leg] = []
    for i in porder:
        lds = by_county[counties[i]]
        board = tuple(w for ld in lds for w, _ in ld.workers)
        legs.append(
            _Leg("pickup", lds[0].group.county_name, cpoints[i], rules.pickup_service_min, board=board)
        )
    last = cpoints[porder[-1]] if porder else start_point
    legs.extend(_drop_legs(state, loads, last))
    return legs


def _drop_legs(state: _State, loads: list[_Load], start: Point) -> list[_Leg]:
    rules = state.rules
    by_drop: dict[tuple[str, float, float], list[_Load]] = {}
    for ld in loads:
        g = ld.group
        by_drop.setdefault((g.enterprise_id, g.factory.lat, g.factory.lon), []).append(ld)
    keys = sorted(by_drop)
    points = [by_drop[k][0].group.factory for k in keys]
    order = order_open_path(start, points, _dist_fn(rules))
    legs: list[_Leg] = []
    for i in order:
        lds = by_drop[keys[i]]
        alight = tuple(w for ld in lds for w, _ in ld.workers)
        legs.append(
            _Leg(
                "drop",
                lds[0].group.enterprise_name,
                points[i],
                rules.drop_service_min,
                alight=alight,
                deadline=min(ld.group.deadline for ld in lds),
            )
        )
    return legs


def _dist_fn(rules: Rules) -> _DistFn:
    return _DistFn(rules)


@dataclass(frozen=True, slots=True)
class _DistFn:
    rules: Rules

    def __call__(self, a: Point, b: Point) -> float:
        return road_km(a, b, self.rules)


@dataclass(frozen=True, slots=True)
class _Option:
    base: str
    start_place: str
    start_point: Point
    start_min: int
    return_to: Point | None


def _options(state: _State, first_pickup: Point) -> list[_Option]:
    rules, pool = state.rules, state.pool
    opts = [_Option("cixi", "慈溪 (Cixi)", state.request.cixi, rules.dispatch_lead_min, None)]
    for base in pool.origin_bases_near(first_pickup):
        region = regions.get(base)
        name = region.full_name if region else base
        opts.append(
            _Option(
                base, name, pool.base_points[base], rules.origin_dispatch_lead_min, pool.base_points[base]
            )
        )
    return opts


def _best_run(
    state: _State, loads: list[_Load], *, build: bool, cap_pct: int, take: bool
) -> tuple[_Run, _Option, list[_Leg], Coach | None]:
    """The first option (Cixi first, then origin bases by distance) that meets every deadline and has
    a coach; else the earliest-arriving option that has a coach; else (no coach) the earliest."""
    rules = state.rules
    pickups = sorted({ld.group.county for ld in loads})
    first_point = next(ld.group.pickup for ld in loads if ld.group.county == pickups[0])
    load = sum(len(ld.workers) for ld in loads)
    tried: list[tuple[_Run, _Option, list[_Leg]]] = []
    for opt in _options(state, first_point):
        legs = _bus_plan(state, loads, opt.start_point)
        if opt.return_to is not None:
            legs = [*legs, _Leg("end", "返回 (back to base)", opt.return_to, 0)]
        km = _legs_km(opt.start_point, legs, rules)
        run = _simulate(
            opt.start_place,
            opt.start_point,
            opt.start_min,
            legs,
            _drivers_for(km, rules),
            rules,
            state.clock,
            build_stops=build,
        )
        tried.append((run, opt, legs))

    def coaches_for(o: _Option) -> list[Coach]:
        return state.pool.cixi if o.base == "cixi" else state.pool.origin.get(o.base, [])

    ranked = [t for t in tried if t[0].deadline_met] + sorted(
        (t for t in tried if not t[0].deadline_met), key=lambda t: t[0].end
    )
    for run, opt, legs in ranked:
        lst = coaches_for(opt)
        if take:
            coach = _Pool.take(lst, load, cap_pct, rules)
            if coach is not None:
                return run, opt, legs, coach
        elif any(rules.seat_cap(c.seats, cap_pct) >= load for c in lst):
            return run, opt, legs, None
    run, opt, legs = ranked[0]
    return run, opt, legs, None


def _legs_km(start: Point, legs: list[_Leg], rules: Rules) -> float:
    km = 0.0
    here = start
    for leg in legs:
        km += road_km(here, leg.point, rules)
        here = leg.point
    return km


def _late(state: _State, route: list[_Load]) -> bool:
    run, _, _, _ = _best_run(state, route, build=False, cap_pct=route[0].group.cap_pct, take=False)
    return not run.deadline_met


def _split_late(state: _State, routes: list[list[_Load]], cap: int) -> list[list[_Load]]:
    """Repair pooled buses that miss a deadline: peel off the group with the least slack until the
    bus is on time, then insert each peeled group into another bus of the area with room where the
    schedule stays on time (nearest pickups first), else give it a bus of its own."""
    direct = state.direct
    out: list[list[_Load]] = []
    peeled: list[_Load] = []
    for route in routes:
        route = list(route)
        while len(route) > 1 and _late(state, route):
            worst = min(route, key=lambda ld: (ld.group.deadline - direct[ld.group.key].arrive, ld.group.key))
            route.remove(worst)
            peeled.append(worst)
            state.counters["late_peeled"] += 1
        out.append(route)
    rules = state.rules
    for ld in sorted(peeled, key=lambda ld: (-len(ld.workers), ld.group.key)):
        n = len(ld.workers)
        candidates = [r for r in out if sum(len(x.workers) for x in r) + n <= cap]
        candidates.sort(key=lambda r: min(road_km(ld.group.pickup, x.group.pickup, rules) for x in r))
        for r in candidates[:8]:
            if not _late(state, [*r, ld]):
                r.append(ld)
                break
        else:
            out.append([ld])
            state.counters["late_extra_buses"] += 1
    return out


def _emit_bus(state: _State, vid: str, loads: list[_Load], area: str, cap_pct: int) -> None:
    run, opt, legs, coach = _best_run(state, loads, build=True, cap_pct=cap_pct, take=True)
    if coach is None:
        state.drop([w for ld in loads for w in ld.workers], REASON_NO_CAPACITY, "no coach left")
        return
    _finish_vehicle(state, "bus", vid, loads, run, opt.base, coach, cap_pct, area, "")
    del legs


def _emit_road_vehicle(
    state: _State,
    *,
    kind: str,
    vid: str,
    loads: list[_Load],
    start_place: str,
    start_point: Point,
    start_min: int,
    base: str,
    coach_list: list[Coach],
    cap_pct: int,
    area: str,
    order_drops_from: Point,
    pickups: bool,
    feeds: str,
    return_to: Point | None,
) -> None:
    rules = state.rules
    legs = _drop_legs(state, loads, order_drops_from)
    if return_to is not None:
        legs.append(_Leg("end", start_place, return_to, 0))
    km = _legs_km(start_point, legs, rules)
    run = _simulate(start_place, start_point, start_min, legs, _drivers_for(km, rules), rules, state.clock)
    load = sum(len(ld.workers) for ld in loads)
    coach = _Pool.take(coach_list, load, cap_pct, rules)
    if coach is None:
        state.counters["shuttles_without_coach"] += 1
    del pickups
    _finish_vehicle(
        state, "shuttle" if kind == "shuttle" else "bus", vid, loads, run, base, coach, cap_pct, area, feeds
    )


def _finish_vehicle(
    state: _State,
    kind: str,
    vid: str,
    loads: list[_Load],
    run: _Run,
    base: str,
    coach: Coach | None,
    cap_pct: int,
    area: str,
    feeds: str,
) -> None:
    rules = state.rules
    seats = coach.seats if coach else state.request.shuttle_seats
    cap = rules.seat_cap(seats, cap_pct)
    manifest = [w for ld in loads for w, _ in ld.workers]
    if len(manifest) > cap:  # pragma: no cover - guarded by construction
        raise RuntimeError(f"{vid} over its cap")
    labels = _seat_labels(seats, cap, rules)
    leg = 1 if kind == "shuttle" else 0
    # seats in boarding order
    boarding = [w for s in run.stops for w in s.board] if kind == "bus" else manifest
    if len(boarding) != len(manifest):  # pragma: no cover - every passenger boards once
        raise RuntimeError(f"{vid}: boarding list does not match the manifest")
    for wid, label in zip(boarding, labels[: len(boarding)], strict=True):
        state.assignments.append(Assignment(wid, vid, label, leg))
    arrivals = {w: s.arrive for s in run.stops for w in s.alight}
    deadlines = {w: ld.group.deadline for ld in loads for w, _ in ld.workers}
    met_all = True
    for w in manifest:
        ok = state.clock.minutes(arrivals[w]) <= deadlines[w]
        met_all &= ok
        state.deadline_ok[w] = state.deadline_ok.get(w, True) and ok
    hours = (run.end - run.start) / 60
    per_km = coach.cost_per_km_fen if coach else 800
    per_day = coach.cost_per_day_fen if coach else 100_000
    total = int(round(run.km * per_km)) + max(1, math.ceil(hours / 24)) * per_day
    state.vehicles.append(
        Vehicle(
            id=vid,
            kind="shuttle" if kind == "shuttle" else "bus",
            name=coach.plate if coach else "",
            base=base,
            seats=seats,
            seat_cap=cap,
            origin_area=area,
            stops=run.stops,
            drive=tuple(DriveSpan(d, state.clock.at(s), state.clock.at(e)) for d, s, e in run.spans),
            drivers=run.drivers,
            escorts=rules.escorts_per_bus,
            kit=_kit(
                len(manifest),
                hours,
                rules.thermometers_per_vehicle,
                rules,
                run.drivers + rules.escorts_per_bus,
            ),
            km=round(run.km, 1),
            manifest=tuple(manifest),
            cost=_ledger(total, [(ld.group.enterprise_id, len(ld.workers)) for ld in loads], rules),
            deadline_met=met_all,
            feeds=feeds,
        )
    )


# --- KPIs --------------------------------------------------------------------------------------------


def _kpis(
    state: _State,
    total_workers: int,
    lb: int,
    bus_workers: int,
    baseline: tuple[int, float],
    same_split: tuple[int, float],
) -> dict[str, float]:
    vs = state.vehicles
    trains = [v for v in vs if v.kind == "train"]
    buses = [v for v in vs if v.kind == "bus"]
    shuttles = [v for v in vs if v.kind == "shuttle"]
    main_assigned = {a.worker_id for a in state.assignments if a.leg == 0}
    reasons = Counter(u.reason for u in state.unassigned)
    met = sum(1 for w in main_assigned if state.deadline_ok.get(w, False))
    shuttle_lb = 0
    cap_sh = state.rules.seat_cap(state.request.shuttle_seats, state.rules.shuttle_load_cap_pct)
    for t in trains:
        shuttle_lb += math.ceil(len(t.manifest) / cap_sh)
    kpis: dict[str, float] = {
        "workers": total_workers,
        "assigned": len(main_assigned),
        "unassigned": len(state.unassigned),
        **{f"unassigned_{r}": reasons.get(r, 0) for r in REASONS},
        "trains": len(trains),
        "train_passengers": sum(len(v.manifest) for v in trains),
        "buses": len(buses),
        "bus_passengers": sum(len(v.manifest) for v in buses),
        "buses_lower_bound": lb,
        "bus_workers_for_bound": bus_workers,
        "shuttles": len(shuttles),
        "shuttles_lower_bound": shuttle_lb,
        "baseline_buses": baseline[0],
        "baseline_vehicle_km": round(baseline[1], 1),
        "baseline_buses_same_split": same_split[0],
        "baseline_vehicle_km_same_split": round(same_split[1], 1),
        "vehicle_km": round(sum(v.km for v in buses) + sum(v.km for v in shuttles), 1),
        "bus_vehicle_km": round(sum(v.km for v in buses), 1),
        "shuttle_vehicle_km": round(sum(v.km for v in shuttles), 1),
        "seats_filled_share": round(
            sum(len(v.manifest) for v in buses) / max(1, sum(v.seat_cap for v in buses)), 4
        ),
        "cost_fen": sum(v.cost.total_fen for v in vs),
        "deadline_met_share": round(met / max(1, len(main_assigned)), 4),
        "solver_seconds": round(state.solver_seconds, 3),
        "solver_fallbacks": state.fallbacks,
        "time_limit_hits": state.time_limit_hits,
        "late_peeled": state.counters["late_peeled"],
        "late_extra_buses": state.counters["late_extra_buses"],
        "duplicate_workers": state.counters["duplicate_workers"],
        "shuttles_without_coach": state.counters["shuttles_without_coach"],
    }
    return kpis
