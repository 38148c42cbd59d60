"""The fleet: the coaches of a run (the home city's, and origin-side operators' at their bases),
where a bus can start, and the one decision on a bus route: which start serves it, and whether it
meets every deadline on it (DESIGN §6 step 3: a home or an origin-side coach by whether the
deadline can be met)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from homeward.core import regions
from homeward.core.planning.geo import road_km
from homeward.core.planning.model import Coach, HomeCity, Point, Rules
from homeward.core.planning.planner.clock import Clock
from homeward.core.planning.planner.demand import GroupKey, Load, load_of
from homeward.core.planning.planner.schedule import (
    Leg,
    Run,
    bus_legs,
    drivers_for,
    legs_km,
    meets_deadlines,
    simulate,
)

ORIGIN_OPTIONS = 3  # origin-side bases tried per bus, nearest first


@dataclass(frozen=True, slots=True)
class Option:
    """Where a bus starts: the home city (one way: the coach stays there) or an origin base (and
    back to it)."""

    base: str
    start_place: str
    start_point: Point
    start_min: int
    return_to: Point | None


@dataclass(slots=True)
class Pool:
    """The coaches not yet given to a vehicle, by base."""

    rules: Rules
    home_city: HomeCity
    home: list[Coach]
    origin: dict[str, list[Coach]]  # base code → coaches
    base_points: dict[str, Point]
    # per (point, number of bases): the bases within reach, nearest first (whether they still have
    # coaches is read at each call; a re-plan may add a base when it gives a coach back)
    _near: dict[tuple[Point, int], list[str]] = field(default_factory=dict)
    _option: dict[str, Option] = field(default_factory=dict)  # a base's option at its own point

    @classmethod
    def of(cls, coaches: Iterable[Coach], rules: Rules, home_city: HomeCity) -> Pool:
        home: list[Coach] = []
        origin: dict[str, list[Coach]] = {}
        points: dict[str, Point] = {}
        for c in sorted(coaches, key=lambda c: (c.seats, c.plate)):
            if c.base == home_city.base:
                home.append(c)
                continue
            region = regions.get(c.base)
            if region is None:
                continue
            origin.setdefault(region.code, []).append(c)
            points[region.code] = Point(region.lat, region.lon)
        return cls(rules, home_city, home, origin, points)

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
        return self.home if base == self.home_city.base else self.origin.get(base, [])

    def has_coach(self, base: str, load: int, cap_pct: int) -> bool:
        # a base's coaches are kept by seats, and the seat cap never falls as seats rise: the last
        # coach is the one that seats the most (asked hundreds of thousands of times a city day)
        coaches = self.coaches(base)
        return bool(coaches) and self.rules.seat_cap(coaches[-1].seats, cap_pct) >= load

    def take(self, base: str, load: int, cap_pct: int) -> Coach | None:
        """The smallest coach of ``base`` that seats ``load`` under ``cap_pct``, taken from the pool."""
        coaches = self.coaches(base)
        for i, c in enumerate(coaches):
            if self.rules.seat_cap(c.seats, cap_pct) >= load:
                return coaches.pop(i)
        return None

    def give_back(self, coach: Coach) -> None:
        """Return a coach (a re-plan no longer needs its bus); its base comes back within reach."""
        if coach.base == self.home_city.base:
            lst = self.home
        else:
            region = regions.get(coach.base)
            if region is None:
                return
            lst = self.origin.setdefault(region.code, [])
            self.base_points.setdefault(region.code, Point(region.lat, region.lon))
        lst.append(coach)
        lst.sort(key=lambda c: (c.seats, c.plate))

    def option_at(self, base: str, point: Point | None = None) -> Option:
        """Start from the home city (one-way) or from an origin base at ``point`` (the pool's point
        for it by default) and back to it."""
        if point is None:  # a base's point never changes once known: its option is made once
            known = self._option.get(base)
            if known is None:
                known = self._option[base] = self._make_option(base, None)
            return known
        return self._make_option(base, point)

    def _make_option(self, base: str, point: Point | None) -> Option:
        rules = self.rules
        if base == self.home_city.base:
            home = self.home_city
            return Option(home.base, home.name, home.point, rules.dispatch_lead_min, None)
        region = regions.get(base)
        point = point or self.base_points[base]
        return Option(
            base, region.full_name if region else base, point, rules.origin_dispatch_lead_min, point
        )

    def options(
        self, first_pickup: Point, limit: int | None = ORIGIN_OPTIONS, area: str = ""
    ) -> list[Option]:
        """The home city first, then origin-side bases with coaches within reach: the area's own base
        first (so that a neighbour's fleet stays for the neighbour's workers), then by distance."""
        near = self.origin_bases_near(first_pickup)
        near = [b for b in near if b == area] + [b for b in near if b != area]
        return [self.option_at(self.home_city.base), *(self.option_at(base) for base in near[:limit])]


@dataclass(frozen=True, slots=True)
class Decision:
    """Which start serves a route: ``chosen`` is the first option (home first, then origin bases by
    distance) that meets every deadline and has a coach; ``on_time`` says whether the route will
    meet its deadlines (without a coach anywhere: whether any option could)."""

    options: tuple[Option, ...]
    chosen: Option | None
    on_time: bool


@dataclass(frozen=True, slots=True)
class Trip:
    run: Run
    option: Option
    coach: Coach | None


@dataclass(slots=True)
class Fleet:
    """The pool with the schedule: one lateness decision for every caller (pooling, repairs,
    bounds, emission, re-planning)."""

    pool: Pool
    clock: Clock
    # whether a bus serving these groups from this option meets every deadline: the schedule
    # depends on the groups (pickups, factories, deadlines), not on how many workers ride
    _on_time: dict[tuple[str, float, float, tuple[GroupKey, ...]], bool] = field(default_factory=dict)

    @property
    def rules(self) -> Rules:
        return self.pool.rules

    def legs(self, loads: list[Load], opt: Option, *, edf: bool, names: bool = True) -> list[Leg]:
        """The legs of a bus serving ``loads`` from ``opt`` (pickups, drops, back to an origin base);
        without ``names``, the workers boarding and alighting are left out (a drive does not read
        them)."""
        legs = bus_legs(loads, opt.start_point, self.rules, edf=edf, names=names)
        if opt.return_to is not None:
            legs = [*legs, Leg("end", "返回 (back to base)", opt.return_to, 0)]
        return legs

    def attempt(self, loads: list[Load], opt: Option, *, edf: bool, build: bool) -> tuple[Run, list[Leg]]:
        """Schedule ``loads`` from ``opt`` (pickups, drops, back to an origin base)."""
        rules = self.rules
        legs = self.legs(loads, opt, edf=edf)
        km = legs_km(opt.start_point, legs, rules)
        run = simulate(
            opt.start_place,
            opt.start_point,
            opt.start_min,
            legs,
            drivers_for(km, rules),
            rules,
            self.clock,
            build_stops=build,
        )
        return run, legs

    def run(self, route: list[Load], opt: Option, *, build: bool = True) -> Run:
        """``route`` from ``opt``: drops by a short path, or earliest deadline first when that is
        what keeps every deadline."""
        run, _ = self.attempt(route, opt, edf=False, build=build)
        if not run.deadline_met and _mixed(route):
            edf, _ = self.attempt(route, opt, edf=True, build=build)
            if edf.deadline_met:
                return edf
        return run

    def meets(self, route: list[Load], opt: Option) -> bool:
        """``self.run(route, opt).deadline_met``, driving no further than the answer needs."""
        tried: list[Leg] = []
        for edf in (False, True):
            if edf and not _mixed(route):
                return False
            legs = self.legs(route, opt, edf=edf, names=False)
            if legs == tried:  # earliest deadline first is the short path's order: same drive
                return False
            tried = legs
            if meets_deadlines(opt.start_min, legs, opt.start_point, self.rules, self.clock):
                return True
        return False

    def on_time(self, route: list[Load], opt: Option) -> bool:
        """Whether ``route`` from ``opt`` meets every deadline (cached by groups and option)."""
        # an option is its base and start point (the rest follows from the base): a key of plain
        # values hashes without calling the dataclasses' hashes (over a million lookups a city day)
        point = opt.start_point
        key = (opt.base, point.lat, point.lon, tuple(sorted(ld.group.key for ld in route)))
        ok = self._on_time.get(key)
        # a group late on a bus of its own from ``opt`` is late with company too: more stops and
        # more driving never bring an arrival forward
        if ok is None and len(route) > 1 and not all(self.on_time([ld], opt) for ld in route):
            return False
        if ok is None:
            ok = self.meets(route, opt)
            self._on_time[key] = ok
        return ok

    def decide(self, route: list[Load], only: Option | None = None) -> Decision:
        """The one lateness decision, computed lazily: options without a coach are not simulated
        unless no option has one, and the search stops at the first option that has a coach and
        meets every deadline; further bases are tried before a route is called late."""
        cap_pct = route[0].group.cap_pct
        load = load_of(route)

        def usable(opt: Option) -> bool:
            return self.pool.has_coach(opt.base, load, cap_pct) and self.on_time(route, opt)

        if only is not None:
            options = [only]
        else:
            pickups = sorted({ld.group.county for ld in route})
            first_point = next(ld.group.pickup for ld in route if ld.group.county == pickups[0])
            area = route[0].group.area
            options = self.pool.options(first_point, area=area)
            chosen = next((o for o in options if usable(o)), None)
            if chosen is not None:
                return Decision(tuple(options), chosen, True)
            wider = self.pool.options(first_point, limit=None, area=area)
            if len(wider) > len(options):
                options = wider
        chosen = next((o for o in options if usable(o)), None)
        if chosen is not None:
            return Decision(tuple(options), chosen, True)
        if any(self.pool.has_coach(o.base, load, cap_pct) for o in options):
            return Decision(tuple(options), None, False)
        return Decision(tuple(options), None, any(self.on_time(route, o) for o in options))

    def late(self, route: list[Load], only: Option | None = None) -> bool:
        return not self.decide(route, only).on_time

    def trip(self, route: list[Load], *, take: bool, only: Option | None = None) -> Trip:
        """The scheduled trip of the decision: its chosen option; if none, the earliest-arriving
        option that has a coach; without a coach anywhere, the first on-time option or else the
        earliest-arriving one (``coach`` None). With ``take`` the coach leaves the pool."""
        decision = self.decide(route, only)
        cap_pct = route[0].group.cap_pct
        load = load_of(route)
        opt = decision.chosen
        if opt is None:
            options = list(decision.options)
            candidates = [o for o in options if self.pool.has_coach(o.base, load, cap_pct)]
            if not candidates:
                candidates = [o for o in options if self.on_time(route, o)][:1] or options
            ends = [self.attempt(route, o, edf=False, build=False)[0].end for o in candidates]
            opt = candidates[min(range(len(candidates)), key=lambda i: (ends[i], i))]
        run = self.run(route, opt)
        coach = self.pool.take(opt.base, load, cap_pct) if take else None
        return Trip(run, opt, coach)


def _mixed(route: list[Load]) -> bool:
    return len({ld.group.deadline for ld in route}) > 1
