"""Step 4, schedule: a vehicle's stops in order (pickups by a short open path, drops by a short path
or earliest deadline first) driven under the driver-hour rules (``driving.Crew``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from homeward.core.planning.driving import Crew
from homeward.core.planning.geo import drive_min, great_circle_km, road_km
from homeward.core.planning.model import Point, Rules, Stop
from homeward.core.planning.planner.clock import Clock
from homeward.core.planning.planner.demand import Load
from homeward.core.planning.routing import order_open_path


@dataclass(frozen=True, slots=True)
class Leg:
    kind: str  # pickup, drop, end
    place: str
    point: Point
    service: int
    board: tuple[str, ...] = ()
    alight: tuple[str, ...] = ()
    deadline: int | None = None
    ready: int = 0  # a pickup: not before this minute (its workers' ``pickup_from``)


@dataclass(frozen=True, slots=True)
class Run:
    """A scheduled trip: its stops (when built), driving spans (driver, start, end) in minutes."""

    stops: tuple[Stop, ...]
    spans: tuple[tuple[int, int, int], ...]
    start: int
    end: int
    km: float
    deadline_met: bool
    drivers: int  # every driver of the trip: the crew size times (1 + crew changes)
    crew_changes: int = 0


def drivers_for(km: float, rules: Rules) -> int:
    return 2 if km > rules.two_drivers_over_km else 1


def ready_start(
    start_min: int, start: Point, legs: list[Leg], rules: Rules, kms: list[float] | None = None
) -> int:
    """``start_min``, or later when a pickup's workers are not ready by the time the bus would get
    there: the latest start that still reaches each pickup (driving without breaks) no earlier than
    its ``ready``. Breaks only make it later; ``simulate`` waits at a pickup that is still early."""
    if not any(leg.ready for leg in legs):
        return start_min
    out, elapsed, here = start_min, 0, start
    for i, leg in enumerate(legs):
        elapsed += drive_min(kms[i] if kms is not None else road_km(here, leg.point, rules), rules)
        if leg.kind == "pickup" and leg.ready:
            out = max(out, leg.ready - elapsed)
        elapsed += leg.service
        here = leg.point
    return out


def simulate(
    start_place: str,
    start_point: Point,
    start_min: int,
    legs: list[Leg],
    drivers: int,
    rules: Rules,
    clock: Clock,
    *,
    build_stops: bool = True,
) -> Run:
    """Drive ``legs`` from ``start_point`` at ``start_min`` (later when its pickups are not ready by
    then: ``ready_start``) with a crew of ``drivers``."""
    start_min = ready_start(start_min, start_point, legs, rules)
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
        if leg.ready > crew.t:  # early at a pickup whose workers are not ready yet
            crew.stop(leg.ready - crew.t)
        crew.stop(leg.service)
        if build_stops:
            stops.append(
                Stop(
                    leg.kind, leg.place, leg.point, clock.at(arrive), clock.at(crew.t), leg.board, leg.alight
                )
            )
        here = leg.point
    return Run(
        tuple(stops),
        tuple(crew.spans),
        start_min,
        crew.t,
        km_total,
        met,
        len(crew.drivers),
        crew.crew_changes,
    )


def meets_deadlines(start_min: int, legs: list[Leg], start: Point, rules: Rules, clock: Clock) -> bool:
    """``simulate(...).deadline_met`` for the crew ``drivers_for`` the legs' km, without the rest of
    the run: the drive stops at the first missed deadline and after the last leg that has one
    (later legs cannot change the answer)."""
    kms: list[float] = []
    total = 0.0  # added in turn as ``legs_km`` does (``sum`` rounds differently)
    here = start
    for leg in legs:
        kms.append(road_km(here, leg.point, rules))
        total += kms[-1]
        here = leg.point
    last = max((i for i, leg in enumerate(legs) if leg.deadline is not None), default=-1)
    start_min = ready_start(start_min, start, legs, rules, kms)
    crew = Crew(rules=rules, clock0=clock.clock0, t=start_min, size=drivers_for(total, rules))
    for leg, km in zip(legs[: last + 1], kms, strict=False):
        crew.drive(drive_min(km, rules))
        if leg.deadline is not None and crew.t > leg.deadline:
            return False
        if leg.ready > crew.t:
            crew.stop(leg.ready - crew.t)
        crew.stop(leg.service)
    return True


def _en_route(
    crew: Crew, n_events: int, n_spans: int, minutes: int, a: Point, b: Point, clock: Clock
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


def legs_km(start: Point, legs: list[Leg], rules: Rules) -> float:
    km = 0.0
    here = start
    for leg in legs:
        km += road_km(here, leg.point, rules)
        here = leg.point
    return km


@dataclass(frozen=True, slots=True)
class RoadDistance:
    """Road km between two points for a detour factor (``road_km``'s product, without its two
    calls: the path ordering reads millions of distances), as a callable for the path ordering."""

    detour_factor: float

    def __call__(self, a: Point, b: Point) -> float:
        return great_circle_km(a, b) * self.detour_factor


def road_path(
    start: Point, points: tuple[Point, ...], rules: Rules, end: Point | None = None
) -> tuple[int, ...]:
    """``order_open_path`` by road km, remembered: the lateness checks order the same pickups and
    drops again for every option and trial route that shares them."""
    return _road_path(start, points, rules.detour_factor, end)


@lru_cache(maxsize=1 << 16)
def _road_path(
    start: Point, points: tuple[Point, ...], detour_factor: float, end: Point | None
) -> tuple[int, ...]:
    # keyed by the detour factor, the one rule the distances read (hashing ``Rules`` costs more)
    return tuple(order_open_path(start, points, RoadDistance(detour_factor), end))


def minutes_matrix(km: NDArray[np.float64], rules: Rules) -> NDArray[np.int64]:
    """``drive_min`` over a matrix of road km."""
    speed = np.where(km < rules.local_leg_km, rules.local_kmh, rules.highway_kmh)
    out: NDArray[np.int64] = np.ceil(np.round(km / speed * 60, 6)).astype(np.int64)
    return out


def bus_legs(
    loads: list[Load], start_point: Point, rules: Rules, *, edf: bool = False, names: bool = True
) -> list[Leg]:
    """A bus's pickups (a short open path from ``start_point`` toward the factories) then drops;
    without ``names``, no leg lists the workers who board or alight there."""
    by_county: dict[str, list[Load]] = {}
    for ld in loads:
        by_county.setdefault(ld.group.county, []).append(ld)
    counties = sorted(by_county)
    cpoints = [by_county[c][0].group.pickup for c in counties]
    drops = [ld.group.factory for ld in loads]
    toward = Point(sum(p.lat for p in drops) / len(drops), sum(p.lon for p in drops) / len(drops))
    porder = road_path(start_point, tuple(cpoints), rules, toward)
    legs: list[Leg] = []
    for i in porder:
        lds = by_county[counties[i]]
        board = tuple(w for ld in lds for w, _ in ld.workers) if names else ()
        ready = max(ld.group.ready for ld in lds)
        legs.append(
            Leg(
                "pickup",
                lds[0].group.county_name,
                cpoints[i],
                rules.pickup_service_min,
                board=board,
                ready=ready,
            )
        )
    last = cpoints[porder[-1]] if porder else start_point
    legs.extend(drop_legs(loads, last, rules, edf=edf, names=names))
    return legs


def drop_legs(
    loads: list[Load],
    start: Point,
    rules: Rules,
    *,
    edf: bool = False,
    given: bool = False,
    names: bool = True,
) -> list[Leg]:
    """Drops ordered as a short open path from ``start``; with ``edf``, earliest deadline first
    (used when the short path makes a tight group late); with ``given``, in the loads' order."""
    by_drop: dict[tuple[str, float, float], list[Load]] = {}
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
        order = list(road_path(start, tuple(points), rules))
    legs: list[Leg] = []
    for i in order:
        lds = by_drop[keys[i]]
        alight = tuple(w for ld in lds for w, _ in ld.workers) if names else ()
        legs.append(
            Leg(
                "drop",
                lds[0].group.enterprise_name,
                points[i],
                rules.drop_service_min,
                alight=alight,
                deadline=deadlines[i],
            )
        )
    return legs
