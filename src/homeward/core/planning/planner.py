"""``plan_campaign(request) -> PlanResult``: one campaign day, trains + station shuttles + pooled buses.

Steps (DESIGN §6):

1. Flatten the applications' workers; drop what cannot legally move (health, closed origin, unknown
   county) with a reason; group the rest by (origin county, enterprise/factory).
2. Granted train slots, by departure, take the largest county clusters within ``train_catchment_km``
   of their origin station whose workers can reach the station in time and whose factory can be
   reached by the deadline after the train. Getting to the origin station is organised by the
   origin county and is not planned here. Each train's passengers are carried from the arrival
   station to the factories by shuttles: a CVRP from the station (depot), full shuttles first,
   each factory a time window (its deadline).
3. The rest go by bus, pooled across enterprises, one sub-problem per (origin area = prefecture,
   load cap): full buses for whole loads of a group first, then the remainders as a CVRP whose
   nodes are (county, factory) groups and whose pairwise cost is the pickup detour plus the drop
   detour. Deadline-aware: each group has a drive slack (the extra driving its direct trip can
   absorb under the driver-hour rules and still arrive in time) and the solver keeps every route's
   estimated extra driving within the slack of each group on it. Each bus's pickups and drops are
   then ordered (open paths; drops earliest-deadline-first when the short path is late). Groups
   that no legal direct trip brings in time are ``no_legal_way_in_time``. The schedule is the
   judge: a pooled bus still late sheds its least-slack groups into free seats of buses that stay
   on time (split if need be), the rest are pooled again; then the lightest buses are emptied into
   the others where every bus stays on time.
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

import numpy as np
from numpy.typing import NDArray

from homeward.core import regions
from homeward.core.planning import _pyvrp_adapter
from homeward.core.planning.driving import Crew
from homeward.core.planning.geo import drive_min, road_km, road_matrix_units, units
from homeward.core.planning.model import (
    DIST_UNIT_M,
    PLATE_PLACEHOLDER,
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
    PermitDraft,
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
    drivers: int  # every driver of the trip: the crew size times (1 + crew changes)
    crew_changes: int = 0


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
        n_events = len(crew.events)
        n_spans = len(crew.spans)
        minutes = drive_min(km, rules)
        crew.drive(minutes)
        if build_stops and len(crew.events) > n_events:
            stops.extend(_en_route(crew, n_events, n_spans, minutes, here, leg.point, clock))
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
    return _Run(
        tuple(stops),
        tuple(crew.spans),
        start_min,
        crew.t,
        km_total,
        met,
        len(crew.drivers),
        crew.crew_changes,
    )


def _en_route(
    crew: Crew, n_events: int, n_spans: int, minutes: int, a: Point, b: Point, clock: _Clock
) -> list[Stop]:
    out: list[Stop] = []
    spans = crew.spans[n_spans:]
    for ev in crew.events[n_events:]:
        done = sum(max(0, min(e, ev.start) - s) for _, s, e in spans if s < ev.start)
        f = done / minutes if minutes else 0.0
        p = Point(round(a.lat + (b.lat - a.lat) * f, 4), round(a.lon + (b.lon - a.lon) * f, 4))
        place = "接驳点 (relay point)" if ev.kind == "crew_change" else "途中 (en route)"
        out.append(Stop(ev.kind, place, p, clock.at(ev.start), clock.at(ev.end)))
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
    # per (point, number of bases): the bases within reach, nearest first (whether they still have
    # coaches is read at each call; a re-plan may add a base when it gives a coach back)
    _near: dict[tuple[Point, int], list[str]] = field(default_factory=dict)

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

    def _reach(self, p: Point) -> list[str]:
        key = (p, len(self.base_points))
        reach = self._near.get(key)
        if reach is None:
            near = [(road_km(p, bp, self.rules), code) for code, bp in self.base_points.items()]
            reach = [code for km, code in sorted(near) if km <= self.rules.origin_fleet_radius_km]
            self._near[key] = reach
        return reach

    def origin_bases_near(self, p: Point) -> list[str]:
        """Origin bases within reach of ``p`` that still have coaches, nearest first."""
        return [code for code in self._reach(p) if self.origin.get(code)]

    def any_origin_near(self, p: Point) -> str | None:
        """The nearest origin base within reach of ``p``, coaches left or not."""
        reach = self._reach(p)
        return reach[0] if reach else None

    def coaches(self, base: str) -> list[Coach]:
        return self.cixi if base == "cixi" else self.origin.get(base, [])

    def has_coach(self, base: str, load: int, cap_pct: int) -> bool:
        return any(self.rules.seat_cap(c.seats, cap_pct) >= load for c in self.coaches(base))

    def give_back(self, coach: Coach) -> None:
        """Return a coach (a re-plan no longer needs its bus); its base comes back within reach."""
        if coach.base == "cixi":
            lst = self.cixi
        else:
            region = regions.get(coach.base)
            if region is None:
                return
            lst = self.origin.setdefault(region.code, [])
            self.base_points.setdefault(region.code, Point(region.lat, region.lon))
        lst.append(coach)
        lst.sort(key=lambda c: (c.seats, c.plate))

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
    taken_ids: set[str] = field(default_factory=set)
    direct: dict[tuple[str, str, float, float], _Direct] = field(default_factory=dict)
    # whether a bus serving these groups from this option meets every deadline: the schedule
    # depends on the groups (pickups, factories, deadlines), not on how many workers ride
    on_time: dict[tuple[_Option, tuple[tuple[str, str, float, float], ...]], bool] = field(
        default_factory=dict
    )

    def drop(self, workers: Iterable[tuple[str, str]], reason: str, detail: str = "") -> None:
        for wid, app in workers:
            self.unassigned.append(Unassigned(wid, app, reason, detail))


Progress = Callable[[int, str], None]


def _result(state: _State, request: PlanRequest, kpis: dict[str, float]) -> PlanResult:
    """The plan in its canonical order (by worker), stamped with the seed, stop and solver version."""
    return PlanResult(
        assignments=tuple(sorted(state.assignments, key=lambda a: (a.worker_id, a.leg))),
        vehicles=tuple(state.vehicles),
        unassigned=tuple(sorted(state.unassigned, key=lambda u: u.worker_id)),
        kpis=kpis,
        seed=request.seed,
        stop=request.stop,
        solver=_pyvrp_adapter.solver_version(),
    )


def plan_campaign(request: PlanRequest, progress: Progress | None = None) -> PlanResult:
    """Plan one campaign day. ``progress(percent, stage)`` is called as the stages go by (for a
    background task's progress bar); percent rises from 0 to 100."""
    t0 = time.perf_counter()

    def report(pct: int, stage: str) -> None:
        if progress is not None:
            progress(pct, stage)

    report(0, "demand")
    rules = request.rules
    clock = _Clock.of(request.now)
    state = _State(request, clock, rules, _Pool.of(request.coaches, rules))
    groups = _groups(state)
    total_workers = sum(len(a.workers) for a in request.applications)
    movable = [g for g in groups if g.workers]
    report(5, "direct trips")
    _check_direct_feasible(state, movable)
    baseline = _baseline(state, [g for g in movable if g.workers])
    report(25, "trains")
    _trains(state, movable)
    bus_groups = [g for g in movable if g.workers]
    lb, bus_workers = _bus_lower_bound(state, bus_groups)
    same_split = _baseline(state, bus_groups)
    report(40, "buses")
    _buses(state, bus_groups, progress=lambda f: report(40 + int(55 * f), "buses"))
    report(95, "kpis")
    kpis = _kpis(state, total_workers, lb, bus_workers, baseline, same_split)
    kpis["seconds"] = round(time.perf_counter() - t0, 3)
    report(100, "done")
    return _result(state, request, kpis)


def _groups(state: _State, skip: frozenset[str] = frozenset()) -> list[_Group]:
    """Group the request's workers by (county, enterprise, factory); drop (with a reason) what
    cannot move. Workers in ``skip`` (on dispatched vehicles, when re-planning) are left alone."""
    req = state.request
    risk = dict(req.origin_risk)
    seen: set[str] = set()
    groups: dict[tuple[str, str, float, float], _Group] = {}
    for app in req.applications:
        deadline = state.clock.minutes(app.deadline)
        for w in app.workers:
            if w.worker_id in skip:
                continue
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
    slack: int = 0  # extra driving minutes a shared trip may add and still meet the deadline


_MAX_SLACK_MIN = 12 * 60
# The solver's estimate of the minutes a shared bus adds, per step between two groups of its route:
# the pickup detour, plus half the drop detour (the drops are re-ordered as a short path afterwards,
# so the route order overstates them). Stops are not counted: they also rest the drivers. Measured
# on ``homeward bench plan`` seeds 0 and 1 against weights 0–1; the schedule check repairs the rest.
# Pooling without budgets (the schedule repair doing all the work) gave the same bus count on
# ``homeward bench plan --seed 0`` (191) for 1.5× the time, so every area is pooled with them.
_DROP_DETOUR_WEIGHT = 0.5


def _drive_slack(state: _State, g: _Group, start: Point, start_min: int, drivers: int, *, lo_ok: bool) -> int:
    """The most extra driving minutes (pickup and drop detours of a shared bus) that the direct trip
    from ``start`` can absorb and still reach ``g``'s factory by its deadline, under the driver-hour
    rules (extra driving also eats into the daily limit, which a start delay would not)."""
    if not lo_ok:
        return 0
    rules = state.rules
    to_pickup = drive_min(road_km(start, g.pickup, rules), rules)
    haul = drive_min(road_km(g.pickup, g.factory, rules), rules)

    def arrives(extra: int) -> int:
        crew = Crew(rules=rules, clock0=state.clock.clock0, t=start_min, size=drivers)
        crew.drive(to_pickup)
        crew.stop(rules.pickup_service_min)
        crew.drive(extra + haul)
        return crew.t

    if arrives(_MAX_SLACK_MIN) <= g.deadline:
        return _MAX_SLACK_MIN
    lo, hi = 0, _MAX_SLACK_MIN  # arrives(lo) on time, arrives(hi) late
    while hi - lo > 5:
        mid = (lo + hi) // 2
        if arrives(mid) <= g.deadline:
            lo = mid
        else:
            hi = mid
    return lo


def _direct(state: _State, g: _Group) -> _Direct:
    """One bus for ``g`` alone, from Cixi and from the nearest origin base: when it arrives, its
    vehicle-km (deadheads included) and the drive slack it leaves."""
    rules = state.rules
    legs = [
        _Leg("pickup", "", g.pickup, rules.pickup_service_min),
        _Leg("drop", "", g.factory, 0, deadline=g.deadline),
    ]
    starts = [_option_at(state, "cixi")]
    base = state.pool.any_origin_near(g.pickup)
    if base is not None:
        starts.append(_option_at(state, base))
    haul = road_km(g.pickup, g.factory, rules)
    options: list[_Direct] = []
    for opt in starts:
        km = road_km(opt.start_point, g.pickup, rules) + haul
        drivers = _drivers_for(km, rules)
        run = _simulate(
            "", opt.start_point, opt.start_min, legs, drivers, rules, state.clock, build_stops=False
        )
        slack = _drive_slack(state, g, opt.start_point, opt.start_min, drivers, lo_ok=run.deadline_met)
        back = road_km(g.factory, opt.return_to, rules) if opt.return_to is not None else 0.0
        options.append(_Direct(opt.base, run.end, km + back, run.deadline_met, slack))
    met = [o for o in options if o.met]
    if met:
        best_slack = max(o.slack for o in met)
        return replace(met[0], slack=best_slack)  # Cixi first when it makes it
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


def _train_ok(state: _State, g: _Group, op: Point, dp: Point, dep: int, arr: int) -> bool:
    """Can ``g`` take a train from ``op`` (departing ``dep``) to ``dp`` (arriving ``arr``): within the
    catchment, at the station in time, at the factory by the deadline after a shuttle."""
    rules = state.rules
    km = road_km(g.pickup, op, rules)
    if km > rules.train_catchment_km:
        return False
    if rules.origin_dispatch_lead_min + drive_min(km, rules) > dep - rules.station_margin_min:
        return False
    to_factory = drive_min(road_km(dp, g.factory, rules), rules)
    return arr + rules.shuttle_wait_min + to_factory + rules.drop_service_min * 3 <= g.deadline


def _trains(state: _State, groups: list[_Group], only_slots: frozenset[str] | None = None) -> list[_Group]:
    clock = state.clock
    used: list[_Group] = []
    slots = sorted(
        (
            s
            for s in state.request.train_slots
            if s.state == "granted" and (only_slots is None or s.id in only_slots)
        ),
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
        loads = _train_loads(state, groups, op, dp, dep, arr, cap)
        if not loads:
            continue
        _emit_train(state, slot, op, dp, dep, arr, cap, loads)
        used.extend(ld.group for ld in loads)
    return used


def _train_loads(
    state: _State, groups: list[_Group], op: Point, dp: Point, dep: int, arr: int, room: int
) -> list[_Load]:
    """Take up to ``room`` workers out of ``groups`` for a train: the largest county clusters that
    can take it first, within a county the earliest deadlines first."""
    by_county: dict[str, list[_Group]] = {}
    for g in groups:
        if not g.workers or not _train_ok(state, g, op, dp, dep, arr):
            continue
        by_county.setdefault(g.county, []).append(g)
    ranked = sorted(by_county.items(), key=lambda kv: (-sum(len(g.workers) for g in kv[1]), kv[0]))
    loads: list[_Load] = []
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
    return loads


def _emit_train(
    state: _State,
    slot: TrainSlot,
    op: Point,
    dp: Point,
    dep: int,
    arr: int,
    cap: int,
    loads: list[_Load],
    fixed_seats: dict[str, str] | None = None,
) -> None:
    rules, clock = state.rules, state.clock
    vid = _fresh_id(state, f"T-{slot.id}")
    manifest = [w for ld in loads for w, _ in ld.workers]
    labels = _train_seat_labels(slot.seats, cap)
    for wid, label in zip(manifest, _place(manifest, labels, fixed_seats), strict=True):
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
            load_cap_pct=slot.load_cap_pct,
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
    start = arr + rules.shuttle_wait_min
    if nodes:
        pts = [station] + [n[0] for n in nodes]
        mat = road_matrix_units(pts, pts, rules)
        demands = [0] + [n[2] for n in nodes]
        # deadline-aware: each factory is a time window (its earliest deadline, from departure)
        dur = _minutes_matrix(mat.astype(np.float64) * DIST_UNIT_M / 1000, rules)
        latest = [0] + [
            max(int(dur[0, i + 1]), min(ld.group.deadline for ld in n[1]) - start)
            for i, n in enumerate(nodes)
        ]
        sol = _pyvrp_adapter.solve_cvrp(
            mat,
            demands,
            cap,
            seed=state.request.seed,
            stop=state.request.stop,
            fixed_cost=_FIXED_SHUTTLE_COST,
            coords=[(p.lon, p.lat) for p in pts],
            durations=dur,
            latest=latest,
            service=rules.drop_service_min,
        )
        _count_solver(state, sol)
        for r in sol.routes:
            routes.append([ld for i in r for ld in nodes[i - 1][1]])
    for k, route in enumerate(routes):
        _emit_shuttle(state, f"S-{slot.id}-{k + 1:03d}", route, slot, station, start)


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


def _buses(state: _State, groups: list[_Group], progress: Callable[[float], None] | None = None) -> None:
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
    for n_done, ((area, cap_pct), gs) in enumerate(sorted(parts.items())):
        if progress is not None:
            progress(n_done / max(1, len(parts)))
        cap = rules.seat_cap(seats, cap_pct)
        state.counters["buses_bound_deadline_aware"] += _deadline_aware_bound(state, gs, cap)
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
            routes.extend(_pool_area(state, nodes, cap))
        routes = _eliminate_routes(state, _split_late(state, routes, cap), cap)
        for k, route in enumerate(routes):
            _emit_bus(state, f"B-{area}-{cap_pct}-{k + 1:03d}", route, area, cap_pct)


def _deadline_aware_bound(state: _State, gs: list[_Group], cap: int) -> int:
    """A second, deadline-aware bound on the buses of one origin area, reported beside the plain
    one (``buses_lower_bound``) and labelled as such: groups that cannot share a bus pairwise (every
    two of them are late together under the planner's schedule model — its coach options, stop
    order and driver-hour rules) need separate buses. Greedy, tightest slack first; the bound is the
    larger of ``ceil(workers / cap)`` and the buses those groups need on their own. It is a bound
    *under the planner's schedule model*, not a proof over every possible schedule."""
    workers = sum(len(g.workers) for g in gs)
    apart: list[_Group] = []
    for g in sorted(gs, key=lambda g: (state.direct[g.key].slack, g.key)):
        one = _Load(g, g.workers[:1])
        if _late(state, [one]):
            continue
        if all(_late(state, [one, _Load(h, h.workers[:1])]) for h in apart):
            apart.append(g)
    return max(math.ceil(workers / cap), sum(math.ceil(len(g.workers) / cap) for g in apart))


def _minutes_matrix(km: NDArray[np.float64], rules: Rules) -> NDArray[np.int64]:
    """``drive_min`` over a matrix of road km."""
    speed = np.where(km < rules.local_leg_km, rules.local_kmh, rules.highway_kmh)
    out: NDArray[np.int64] = np.ceil(np.round(km / speed * 60, 6)).astype(np.int64)
    return out


def _pool_area(
    state: _State, nodes: list[tuple[_Group, list[tuple[str, str]]]], cap: int
) -> list[list[_Load]]:
    """Pool the remainders of one origin area: a CVRP whose nodes are (county, factory) groups and
    whose distance is the pickup detour plus the drop detour. Deadline-aware: the driving minutes a
    shared bus adds (estimated: pickup detours plus ``_DROP_DETOUR_WEIGHT`` × drop detours) must fit
    the drive slack of every group on it (``_Direct.slack``), which the solver keeps as a route
    budget. The schedule under the driver-hour rules is checked afterwards (``_split_late``)."""
    rules = state.rules
    pick = [g.pickup for g, _ in nodes]
    drop = [g.factory for g, _ in nodes]
    n = len(nodes)
    pick_u = road_matrix_units(pick, pick, rules)
    drop_u = road_matrix_units(drop, drop, rules)
    mat = np.zeros((n + 1, n + 1), dtype=np.int64)
    mat[1:, 1:] = pick_u + drop_u
    haul = np.array([units(road_km(p, d, rules)) for p, d in zip(pick, drop, strict=True)], dtype=np.int64)
    mat[0, 1:] = haul // 2
    mat[1:, 0] = haul - haul // 2
    dur = np.zeros((n + 1, n + 1), dtype=np.int64)
    dur[1:, 1:] = np.ceil(
        _minutes_matrix(pick_u.astype(np.float64) * DIST_UNIT_M / 1000, rules)
        + _DROP_DETOUR_WEIGHT * _minutes_matrix(drop_u.astype(np.float64) * DIST_UNIT_M / 1000, rules)
    ).astype(np.int64)
    np.fill_diagonal(dur, 0)
    budgets = [0] + [state.direct[g.key].slack for g, _ in nodes]
    demands = [0] + [len(w) for _, w in nodes]
    sol = _pyvrp_adapter.solve_cvrp(
        mat,
        demands,
        cap,
        seed=state.request.seed,
        stop=state.request.stop,
        fixed_cost=_FIXED_BUS_COST,
        coords=[(0.0, 0.0)] + [(p.lon, p.lat) for p in pick],
        durations=dur,
        budgets=budgets,
    )
    _count_solver(state, sol)
    return [[_Load(nodes[i - 1][0], list(nodes[i - 1][1])) for i in r] for r in sol.routes]


def _bus_plan(state: _State, loads: list[_Load], start_point: Point, *, edf: bool = False) -> list[_Leg]:
    rules = state.rules
    by_county: dict[str, list[_Load]] = {}
    for ld in loads:
        by_county.setdefault(ld.group.county, []).append(ld)
    counties = sorted(by_county)
    cpoints = [by_county[c][0].group.pickup for c in counties]
    dist = _dist_fn(rules)
    drops = [ld.group.factory for ld in loads]
    toward = Point(sum(p.lat for p in drops) / len(drops), sum(p.lon for p in drops) / len(drops))
    porder = order_open_path(start_point, cpoints, dist, toward)
    legs: list[_Leg] = []
    for i in porder:
        lds = by_county[counties[i]]
        board = tuple(w for ld in lds for w, _ in ld.workers)
        legs.append(
            _Leg("pickup", lds[0].group.county_name, cpoints[i], rules.pickup_service_min, board=board)
        )
    last = cpoints[porder[-1]] if porder else start_point
    legs.extend(_drop_legs(state, loads, last, edf=edf))
    return legs


def _drop_legs(
    state: _State, loads: list[_Load], start: Point, *, edf: bool = False, given: bool = False
) -> list[_Leg]:
    """Drops ordered as a short open path from ``start``; with ``edf``, earliest deadline first
    (used when the short path makes a tight group late); with ``given``, in the loads' order."""
    rules = state.rules
    by_drop: dict[tuple[str, float, float], list[_Load]] = {}
    for ld in loads:
        g = ld.group
        by_drop.setdefault((g.enterprise_id, g.factory.lat, g.factory.lon), []).append(ld)
    keys = sorted(by_drop)
    points = [by_drop[k][0].group.factory for k in keys]
    deadlines = [min(ld.group.deadline for ld in by_drop[k]) for k in keys]
    if edf:
        order = sorted(range(len(keys)), key=lambda i: (deadlines[i], keys[i]))
    elif given:
        first: dict[tuple[str, float, float], int] = {}
        for n, ld in enumerate(loads):
            first.setdefault((ld.group.enterprise_id, ld.group.factory.lat, ld.group.factory.lon), n)
        order = sorted(range(len(keys)), key=lambda i: first[keys[i]])
    else:
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
                deadline=deadlines[i],
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


_ORIGIN_OPTIONS = 3  # origin-side bases tried per bus, nearest first


def _options(
    state: _State, first_pickup: Point, limit: int | None = _ORIGIN_OPTIONS, area: str = ""
) -> list[_Option]:
    """Cixi first, then origin-side bases with coaches within reach: the area's own base first
    (so that a neighbour's fleet stays for the neighbour's workers), then by distance."""
    near = state.pool.origin_bases_near(first_pickup)
    near = [b for b in near if b == area] + [b for b in near if b != area]
    return [_option_at(state, "cixi"), *(_option_at(state, base) for base in near[:limit])]


def _option_at(state: _State, base: str, point: Point | None = None) -> _Option:
    """Start from Cixi (one-way: the coach stays in Cixi) or from an origin base at ``point`` (the
    pool's point for it by default) and back to it."""
    rules = state.rules
    if base == "cixi":
        return _Option("cixi", "慈溪 (Cixi)", state.request.cixi, rules.dispatch_lead_min, None)
    region = regions.get(base)
    point = point or state.pool.base_points[base]
    return _Option(base, region.full_name if region else base, point, rules.origin_dispatch_lead_min, point)


def _best_run(
    state: _State,
    loads: list[_Load],
    *,
    build: bool,
    cap_pct: int,
    take: bool,
    only: _Option | None = None,
) -> tuple[_Run, _Option, list[_Leg], Coach | None]:
    """The first option (Cixi first, then origin bases by distance) that meets every deadline and has
    a coach; else the earliest-arriving option that has a coach; else (no coach) the earliest."""
    rules = state.rules
    pickups = sorted({ld.group.county for ld in loads})
    first_point = next(ld.group.pickup for ld in loads if ld.group.county == pickups[0])
    load = sum(len(ld.workers) for ld in loads)
    mixed = len({ld.group.deadline for ld in loads}) > 1

    def attempt(opt: _Option, edf: bool) -> tuple[_Run, list[_Leg]]:
        return _attempt(state, loads, opt, edf=edf, build=build)

    def ranked(options: list[_Option]) -> list[tuple[_Run, _Option, list[_Leg]]]:
        tried: list[tuple[_Run, _Option, list[_Leg]]] = []
        for opt in options:
            run, legs = attempt(opt, False)
            if not run.deadline_met and mixed:
                run_edf, legs_edf = attempt(opt, True)
                if run_edf.deadline_met:
                    run, legs = run_edf, legs_edf
            tried.append((run, opt, legs))
        return [t for t in tried if t[0].deadline_met] + sorted(
            (t for t in tried if not t[0].deadline_met), key=lambda t: t[0].end
        )

    def on_time_with_coach(rs: list[tuple[_Run, _Option, list[_Leg]]]) -> bool:
        return any(r.deadline_met and state.pool.has_coach(o.base, load, cap_pct) for r, o, _ in rs)

    area = loads[0].group.area
    options = [only] if only is not None else _options(state, first_point, area=area)
    runs = ranked(options)
    if only is None and not on_time_with_coach(runs):  # look further afield before giving up
        wider = _options(state, first_point, limit=None, area=area)
        if len(wider) > len(options):
            runs = ranked(wider)
    for run, opt, legs in runs:
        if take:
            coach = _Pool.take(state.pool.coaches(opt.base), load, cap_pct, rules)
            if coach is not None:
                return run, opt, legs, coach
        elif state.pool.has_coach(opt.base, load, cap_pct):
            return run, opt, legs, None
    run, opt, legs = runs[0]
    return run, opt, legs, None


def _legs_km(start: Point, legs: list[_Leg], rules: Rules) -> float:
    km = 0.0
    here = start
    for leg in legs:
        km += road_km(here, leg.point, rules)
        here = leg.point
    return km


def _late(state: _State, route: list[_Load], only: _Option | None = None) -> bool:
    """Whether ``_best_run`` (without taking a coach) would pick a late run for ``route``; the same
    answer, computed lazily: options without a coach are not simulated unless no option has one,
    and the search stops at the first option that has a coach and meets every deadline."""
    cap_pct = route[0].group.cap_pct
    load = _load_of(route)
    mixed = len({ld.group.deadline for ld in route}) > 1
    groups = tuple(sorted(ld.group.key for ld in route))

    def on_time(opt: _Option) -> bool:
        ok = state.on_time.get((opt, groups))
        # a group late on a bus of its own from ``opt`` is late with company too: more stops and
        # more driving never bring an arrival forward
        if ok is None and len(route) > 1 and not all(_on_time_alone(state, ld, opt) for ld in route):
            ok = False
        if ok is None:
            ok = _attempt(state, route, opt, edf=False, build=False)[0].deadline_met
            if not ok and mixed:
                ok = _attempt(state, route, opt, edf=True, build=False)[0].deadline_met
            state.on_time[(opt, groups)] = ok
        return ok

    def has_coach(opt: _Option) -> bool:
        return state.pool.has_coach(opt.base, load, cap_pct)

    if only is not None:
        options = [only]
    else:
        pickups = sorted({ld.group.county for ld in route})
        first_point = next(ld.group.pickup for ld in route if ld.group.county == pickups[0])
        area = route[0].group.area
        options = _options(state, first_point, area=area)
        if any(has_coach(o) and on_time(o) for o in options):
            return False
        wider = _options(state, first_point, limit=None, area=area)
        if len(wider) > len(options):
            options = wider
    if any(has_coach(o) and on_time(o) for o in options):
        return False
    if any(has_coach(o) for o in options):
        return True
    return not any(on_time(o) for o in options)


def _on_time_alone(state: _State, load: _Load, opt: _Option) -> bool:
    """Whether a bus from ``opt`` carrying only ``load``'s group meets its deadline (cached)."""
    key = (opt, (load.group.key,))
    ok = state.on_time.get(key)
    if ok is None:
        ok = _attempt(state, [load], opt, edf=False, build=False)[0].deadline_met
        state.on_time[key] = ok
    return ok


def _attempt(
    state: _State, loads: list[_Load], opt: _Option, *, edf: bool, build: bool
) -> tuple[_Run, list[_Leg]]:
    """Schedule ``loads`` from ``opt`` (pickups, drops, back to an origin base)."""
    rules = state.rules
    legs = _bus_plan(state, loads, opt.start_point, edf=edf)
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
    return run, legs


def _with(route: list[_Load], g: _Group, workers: list[tuple[str, str]]) -> list[_Load]:
    """``route`` with ``workers`` of group ``g`` added (merged into ``g``'s load if it has one)."""
    out: list[_Load] = []
    merged = False
    for ld in route:
        if ld.group is g and not merged:
            out.append(_Load(g, [*ld.workers, *workers]))
            merged = True
        else:
            out.append(ld)
    if not merged:
        out.append(_Load(g, list(workers)))
    return out


def _load_of(route: list[_Load]) -> int:
    return sum(len(ld.workers) for ld in route)


def _eliminate_routes(state: _State, routes: list[list[_Load]], cap: int) -> list[list[_Load]]:
    """Fewer buses: try to empty the lightest buses of an area into free seats of the others,
    every bus staying on time; keep a change only if the whole bus empties."""
    routes = [r for r in routes if r]
    tried: set[tuple[tuple[tuple[str, str, float, float], int], ...]] = set()
    while True:
        order = sorted(range(len(routes)), key=lambda i: (_load_of(routes[i]), i))
        for i in order:
            sig = tuple(sorted((ld.group.key, len(ld.workers)) for ld in routes[i]))
            if _load_of(routes[i]) > cap * 3 // 4 or sig in tried:
                continue
            tried.add(sig)
            others = [r for j, r in enumerate(routes) if j != i]
            if sum(cap - _load_of(r) for r in others) < _load_of(routes[i]):
                continue
            if not _fill_free_seats(state, others, list(routes[i]), cap, count=False, all_or_none=True):
                routes = others
                state.counters["buses_eliminated"] += 1
                break
        else:
            return routes


def _fill_free_seats(
    state: _State,
    routes: list[list[_Load]],
    pieces: list[_Load],
    cap: int,
    *,
    count: bool = True,
    all_or_none: bool = False,
) -> list[_Load]:
    """Put the workers of ``pieces`` into free seats of ``routes`` where every bus stays on time,
    splitting a piece over several buses if need be: buses already calling at the piece's county
    (and factory) first, then by distance. Returns what found no seat. With ``all_or_none`` (the
    caller drops ``routes`` unless every piece fits), it stops at the first piece left over."""
    rules = state.rules
    left: list[_Load] = []
    for piece in sorted(pieces, key=lambda ld: (-len(ld.workers), ld.group.key)):
        g = piece.group
        remaining = list(piece.workers)

        candidates = sorted(
            (i for i, r in enumerate(routes) if r and _load_of(r) < cap),
            key=lambda i: _fill_rank(routes[i], i, piece.group, rules),
        )
        for i in candidates[:_FILL_CANDIDATES]:
            room = cap - _load_of(routes[i])
            if room <= 0:
                continue
            take, rest = remaining[:room], remaining[room:]
            trial = _with(routes[i], g, take)
            if _late(state, trial):
                continue
            routes[i] = trial
            remaining = rest
            if count:
                state.counters["late_refilled"] += len(take)
            if not remaining:
                break
        if remaining:
            left.append(_Load(g, remaining))
            if all_or_none:
                break
    return left


_FILL_CANDIDATES = 20


def _fill_rank(route: list[_Load], i: int, g: _Group, rules: Rules) -> tuple[int, float, int]:
    """Buses carrying the same group first, then the same county, then by pickup distance."""
    if any(ld.group is g for ld in route):
        same = 0
    elif any(ld.group.county == g.county for ld in route):
        same = 1
    else:
        same = 2
    return same, min(road_km(g.pickup, ld.group.pickup, rules) for ld in route), i


def _least_slack(state: _State, loads: list[_Load]) -> _Load:
    """The load whose group's direct trip arrives closest to its deadline: the first to leave a
    late bus."""
    return min(loads, key=lambda ld: (ld.group.deadline - state.direct[ld.group.key].arrive, ld.group.key))


def _split_late(state: _State, routes: list[list[_Load]], cap: int, depth: int = 0) -> list[list[_Load]]:
    """Repair pooled buses that miss a deadline (the solver's route budgets are an estimate; the
    schedule under the driver-hour rules is the judge): peel off the group with the least slack
    until the bus is on time; put the peeled workers into free seats of buses of the area that stay
    on time (``_fill_free_seats``, splitting a group if need be); pool what is left again (the
    deadline-aware CVRP) and repair that once more; a group still left over gets its own bus."""
    out: list[list[_Load]] = []
    peeled: list[_Load] = []
    for route in routes:
        route = list(route)
        while len(route) > 1 and _late(state, route):
            worst = _least_slack(state, route)
            route.remove(worst)
            peeled.append(worst)
            state.counters["late_peeled"] += 1
        out.append(route)
    if not peeled:
        return out
    left = _fill_free_seats(state, out, peeled, cap)
    if not left:
        return out
    if depth < 2 and len(left) > 1:
        by_group: dict[tuple[str, str, float, float], tuple[_Group, list[tuple[str, str]]]] = {}
        for ld in left:
            by_group.setdefault(ld.group.key, (ld.group, []))[1].extend(ld.workers)
        nodes: list[tuple[_Group, list[tuple[str, str]]]] = []
        for key in sorted(by_group):
            g, ws = by_group[key]
            while ws:
                nodes.append((g, ws[:cap]))
                ws = ws[cap:]
        again = _pool_area(state, nodes, cap)
        state.counters["late_extra_buses"] += len(again)
        return out + _split_late(state, again, cap, depth + 1)
    state.counters["late_extra_buses"] += len(left)
    return out + [[ld] for ld in left]


def _emit_bus(state: _State, vid: str, loads: list[_Load], area: str, cap_pct: int) -> None:
    run, opt, _, coach = _best_run(state, loads, build=True, cap_pct=cap_pct, take=True)
    if coach is None:
        state.drop([w for ld in loads for w in ld.workers], REASON_NO_CAPACITY, "no coach left")
        return
    _finish_vehicle(state, "bus", vid, loads, run, opt.base, coach, cap_pct, area, "")


def _emit_shuttle(
    state: _State, vid: str, loads: list[_Load], slot: TrainSlot, station: Point, start_min: int
) -> None:
    """A Cixi coach from the arrival station to the factories of ``loads`` and back."""
    rules = state.rules
    place = slot.destination_station
    run = _Run((), (), 0, 0, 0.0, False, 1)
    for order in ("path", "given", "edf"):  # the short path; the solver's order; deadlines first
        legs = _drop_legs(state, loads, station, edf=order == "edf", given=order == "given")
        legs.append(_Leg("end", place, station, 0))
        km = _legs_km(station, legs, rules)
        trial = _simulate(place, station, start_min, legs, _drivers_for(km, rules), rules, state.clock)
        if order == "path" or trial.deadline_met:
            run = trial
        if run.deadline_met:
            break
    cap_pct = rules.shuttle_load_cap_pct
    coach = _Pool.take(state.pool.cixi, _load_of(loads), cap_pct, rules)
    if coach is None:
        state.counters["shuttles_without_coach"] += 1
    _finish_vehicle(state, "shuttle", vid, loads, run, "cixi", coach, cap_pct, "", f"T-{slot.id}")


_DESTINATION_PROVINCE = "330000"  # Zhejiang (Cixi)


def _permit(coach: Coach | None, loads: list[_Load], run: _Run, passengers: int) -> PermitDraft:
    county_of = {w: ld.group.county for ld in loads for w, _ in ld.workers}
    route = tuple(s.place for s in run.stops if s.kind in ("pickup", "drop"))
    provinces: list[str] = []
    for s in run.stops:
        if s.kind != "pickup" or not s.board:
            continue
        prov = regions.province_of(county_of[s.board[0]])
        code = prov.code if prov else county_of[s.board[0]][:2] + "0000"
        if code not in provinces:
            provinces.append(code)
    if _DESTINATION_PROVINCE not in provinces:
        provinces.append(_DESTINATION_PROVINCE)
    pickups = [s for s in run.stops if s.kind == "pickup"]
    drops = [s for s in run.stops if s.kind == "drop"]
    return PermitDraft(
        plate=coach.plate if coach else PLATE_PLACEHOLDER,
        carrier=coach.carrier if coach else "",
        origin=pickups[0].place if pickups else "",
        destination=drops[-1].place if drops else "",
        route=route,
        provinces_crossed=tuple(provinces),
        window_start=run.stops[0].depart if run.stops else datetime.min,
        window_end=drops[-1].depart if drops else (run.stops[-1].arrive if run.stops else datetime.min),
        passengers=passengers,
    )


def _fresh_id(state: _State, vid: str) -> str:
    """``vid``, or ``vid-2``, ``vid-3``... if a kept vehicle already has it (re-planning)."""
    out, k = vid, 1
    while out in state.taken_ids:
        k += 1
        out = f"{vid}-{k}"
    state.taken_ids.add(out)
    return out


def _place(workers: list[str], labels: list[str], fixed: dict[str, str] | None) -> list[str]:
    """A seat label per worker, in order: a worker's ``fixed`` seat when it is one of ``labels``,
    else the next free label."""
    fixed = fixed or {}
    keep = {w: fixed[w] for w in workers if fixed.get(w) in labels}
    if len(set(keep.values())) != len(keep):  # pragma: no cover - seats come from one plan
        raise RuntimeError("two workers on one seat")
    free = iter(lb for lb in labels if lb not in set(keep.values()))
    out = [keep[w] if w in keep else next(free) for w in workers]
    return out


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
    fixed_seats: dict[str, str] | None = None,
) -> None:
    rules = state.rules
    vid = _fresh_id(state, vid)
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
    for wid, label in zip(boarding, _place(boarding, labels, fixed_seats), strict=True):
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
    total = (
        int(round(run.km * per_km))
        + max(1, math.ceil(hours / 24)) * per_day
        + run.crew_changes * rules.relay_crew_cost_fen
    )
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
            load_cap_pct=cap_pct,
            permit=_permit(coach, loads, run, len(manifest)) if kind == "bus" else None,
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
        "buses_bound_deadline_aware": state.counters["buses_bound_deadline_aware"],
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
        "late_refilled": state.counters["late_refilled"],
        "buses_eliminated": state.counters["buses_eliminated"],
        "duplicate_workers": state.counters["duplicate_workers"],
        "shuttles_without_coach": state.counters["shuttles_without_coach"],
    }
    return kpis
