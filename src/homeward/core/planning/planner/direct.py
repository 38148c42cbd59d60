"""Step 2, direct trips and bounds: one bus for each group alone (from the home city and from the
nearest origin base) — whether it can arrive in time, when, its vehicle-km and the drive slack it
leaves for sharing; the per-enterprise baseline and the bus lower bounds built on them."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace

from homeward.core.planning.driving import Crew
from homeward.core.planning.geo import drive_min, road_km
from homeward.core.planning.model import REASON_NO_LEGAL_WAY, PlanRequest, Point, Unassigned
from homeward.core.planning.planner.clock import Clock
from homeward.core.planning.planner.demand import Group, GroupKey, Load
from homeward.core.planning.planner.fleet import Fleet, Pool
from homeward.core.planning.planner.schedule import Leg, drivers_for, simulate

MAX_SLACK_MIN = 12 * 60


@dataclass(frozen=True, slots=True)
class Direct:
    base: str  # the home city's base key or an origin base code
    arrive: int
    km: float  # vehicle-km of one direct bus, deadheads included
    met: bool
    slack: int = 0  # extra driving minutes a shared trip may add and still meet the deadline


Directs = dict[GroupKey, Direct]


def drive_slack(
    g: Group, start: Point, start_min: int, drivers: int, request: PlanRequest, clock: Clock
) -> int:
    """The most extra driving minutes (pickup and drop detours of a shared bus) that the direct trip
    from ``start`` can absorb and still reach ``g``'s factory by its deadline, under the driver-hour
    rules (extra driving also eats into the daily limit, which a start delay would not)."""
    rules = request.rules
    to_pickup = drive_min(road_km(start, g.pickup, rules), rules)
    haul = drive_min(road_km(g.pickup, g.factory, rules), rules)
    # One crew drives the haul and the most slack: driving less is a prefix of driving more (a crew
    # stops or hands over by the clock and its hours, never by what is left to drive), so the
    # arrival after any shorter drive is read off its driving spans.
    crew = Crew(rules=rules, clock0=clock.clock0, t=start_min, size=drivers)
    crew.drive(to_pickup)
    crew.stop(rules.pickup_service_min)
    boarded, first = crew.t, len(crew.spans)
    crew.drive(haul + MAX_SLACK_MIN)
    spans = crew.spans[first:]

    def arrives(extra: int) -> int:
        left = extra + haul
        if left <= 0:
            return boarded
        for _, s, e in spans:
            if e - s >= left:
                return s + left
            left -= e - s
        return crew.t  # pragma: no cover - the spans cover haul + MAX_SLACK_MIN

    if arrives(MAX_SLACK_MIN) <= g.deadline:
        return MAX_SLACK_MIN
    lo, hi = 0, MAX_SLACK_MIN  # arrives(lo) on time, arrives(hi) late
    while hi - lo > 5:
        mid = (lo + hi) // 2
        if arrives(mid) <= g.deadline:
            lo = mid
        else:
            hi = mid
    return lo


def direct_trip(g: Group, pool: Pool, request: PlanRequest, clock: Clock) -> Direct:
    """One bus for ``g`` alone, from the home city and from the nearest origin base: when it
    arrives, its vehicle-km (deadheads included) and the drive slack it leaves."""
    rules = request.rules
    legs = [
        Leg("pickup", "", g.pickup, rules.pickup_service_min, ready=g.ready),
        Leg("drop", "", g.factory, 0, deadline=g.deadline),
    ]
    starts = [pool.option_at(pool.home_city.base)]
    base = pool.any_origin_near(g.pickup)
    if base is not None:
        starts.append(pool.option_at(base))
    haul = road_km(g.pickup, g.factory, rules)
    options: list[Direct] = []
    for opt in starts:
        km = road_km(opt.start_point, g.pickup, rules) + haul
        drivers = drivers_for(km, rules)
        run = simulate("", opt.start_point, opt.start_min, legs, drivers, rules, clock, build_stops=False)
        slack = drive_slack(g, opt.start_point, run.start, drivers, request, clock) if run.deadline_met else 0
        back = road_km(g.factory, opt.return_to, rules) if opt.return_to is not None else 0.0
        options.append(Direct(opt.base, run.end, km + back, run.deadline_met, slack))
    met = [o for o in options if o.met]
    if met:
        best_slack = max(o.slack for o in met)
        return replace(met[0], slack=best_slack)  # the home city first when it makes it
    return min(options, key=lambda o: o.arrive)


def direct_trips(groups: list[Group], pool: Pool, request: PlanRequest, clock: Clock) -> Directs:
    """The direct trip of every group (groups of one county and factory with one deadline share
    it)."""
    cache: dict[tuple[str, float, float, int, int], Direct] = {}
    out: Directs = {}
    for g in groups:
        ck = (g.county, round(g.factory.lat, 2), round(g.factory.lon, 2), g.deadline, g.ready)
        d = cache.get(ck)
        if d is None:
            d = direct_trip(g, pool, request, clock)
            cache[ck] = d
        out[g.key] = d
    return out


@dataclass(frozen=True, slots=True)
class Directed:
    """Groups with their direct trips: under soft deadlines the late ones retargeted and those
    beyond the planning horizon set aside (``carry_late``)."""

    groups: tuple[Group, ...]
    direct: Directs
    beyond: tuple[Unassigned, ...] = ()


def directed(groups: list[Group], pool: Pool, request: PlanRequest, clock: Clock) -> Directed:
    """The direct trips of ``groups``, late groups carried under soft deadlines."""
    direct = direct_trips(groups, pool, request, clock)
    if request.rules.deadline == "soft":
        return carry_late(groups, direct, pool, request, clock)
    return Directed(tuple(groups), direct)


def carry_late(
    groups: list[Group], direct: Directs, pool: Pool, request: PlanRequest, clock: Clock
) -> Directed:
    """Soft deadlines: a group no direct trip brings in time is planned toward its earliest legal
    arrival plus ``Rules.late_pooling_min`` (the most a shared bus may delay it) instead of its
    deadline; a group that arrives no earlier than the planning horizon (counted from when it can be
    picked up: ``now``, or its ``ready``) is set aside as ``no_legal_way_in_time``. Returns the groups (late ones retargeted), their direct trips and the
    workers set aside."""
    rules = request.rules
    horizon = rules.horizon_hours * 60
    out: list[Group] = []
    beyond: list[Unassigned] = []
    directs = dict(direct)
    for g in groups:
        d = direct[g.key]
        if d.met:
            out.append(g)
        elif d.arrive > g.ready + horizon:
            detail = f"earliest arrival +{d.arrive} min > horizon +{g.ready + horizon} min"
            beyond.extend(Unassigned(w, app, REASON_NO_LEGAL_WAY, detail) for w, app in g.workers)
            del directs[g.key]
        else:
            late = replace(g, deadline=d.arrive + rules.late_pooling_min)
            out.append(late)
            directs[g.key] = direct_trip(late, pool, request, clock)
    return Directed(tuple(out), directs, tuple(beyond))


def ref_seats(request: PlanRequest) -> int:
    """The most common coach size (the shuttle size without coaches): the bounds' and baseline's bus."""
    seats = Counter(c.seats for c in request.coaches)
    if not seats:
        return request.shuttle_seats
    return max(seats.items(), key=lambda kv: (kv[1], kv[0]))[0]


def baseline(groups: list[Group], direct: Directs, request: PlanRequest) -> tuple[int, float]:
    """Per-enterprise chartering: each application charters its own buses per origin county."""
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
    seats = ref_seats(request)
    for k, n in sorted(per_app.items()):
        cap = cap_cache.setdefault(k[2], request.rules.seat_cap(seats, k[2]))
        b = math.ceil(n / cap)
        buses += b
        km += b * km_of[k]
    return buses, km


def bus_lower_bound(groups: list[Group], direct: Directs, request: PlanRequest) -> tuple[int, int]:
    """Per origin area and load cap, workers ÷ seat cap rounded up; and the workers it counts."""
    per: Counter[tuple[str, int]] = Counter()
    for g in groups:
        if direct[g.key].met:
            per[(g.area, g.cap_pct)] += len(g.workers)
    seats = ref_seats(request)
    lb = sum(math.ceil(n / request.rules.seat_cap(seats, cap)) for (_, cap), n in per.items())
    return lb, sum(per.values())


def deadline_aware_bound(groups: list[Group], direct: Directs, fleet: Fleet, cap: int) -> int:
    """A second, deadline-aware bound on the buses of one origin area, reported beside the plain
    one (``buses_lower_bound``) and labelled as such: groups that cannot share a bus pairwise (every
    two of them are late together under the planner's schedule model — its coach options, stop
    order and driver-hour rules) need separate buses. Greedy, tightest slack first; the bound is the
    larger of ``ceil(workers / cap)`` and the buses those groups need on their own. It is a bound
    *under the planner's schedule model*, not a proof over every possible schedule."""
    workers = sum(len(g.workers) for g in groups)
    apart: list[Group] = []
    for g in sorted(groups, key=lambda g: (direct[g.key].slack, g.key)):
        one = Load(g, g.workers[:1])
        if fleet.late([one]):
            continue
        if all(fleet.late([one, Load(h, h.workers[:1])]) for h in apart):
            apart.append(g)
    return max(math.ceil(workers / cap), sum(math.ceil(len(g.workers) / cap) for g in apart))
