"""Step 1, demand: the applications' workers grouped by (origin county, enterprise, factory), with
what cannot legally move set aside with a reason (health, closed origin, unknown county)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from homeward.core import regions
from homeward.core.planning.model import (
    REASON_HEALTH,
    REASON_ORIGIN_RISK,
    REASON_UNKNOWN_ORIGIN,
    PlanRequest,
    Point,
    Unassigned,
)
from homeward.core.planning.planner.clock import Clock

# (county, enterprise, factory lat, factory lon, ready): workers picked up from different times
# are different groups
GroupKey = tuple[str, str, float, float, int]
Pair = tuple[str, str]  # (worker id, application id)


@dataclass(frozen=True, slots=True)
class Group:
    """Workers of one enterprise's factory from one origin county: the unit trips are planned for.
    ``due`` is the earliest deadline of their applications, in minutes after ``now``; ``deadline``
    the arrival the plan aims at: ``due``, or later for a group no trip brings in time (soft
    deadlines); for a feeder group, the time to be at the train's origin station. ``ready``: no
    pickup before this minute (the applications' ``pickup_from``; 0 when now)."""

    key: GroupKey
    county: str
    county_name: str
    area: str  # the origin area (prefecture) whose buses pool together
    cap_pct: int  # the load cap of the county's risk level
    pickup: Point
    factory: Point
    enterprise_id: str
    enterprise_name: str
    deadline: int
    due: int
    workers: tuple[Pair, ...] = ()
    ready: int = 0

    def with_workers(self, workers: Any) -> Group:
        return replace(self, workers=tuple(workers))


@dataclass(frozen=True, slots=True)
class Load:
    """Some workers of one group on one vehicle."""

    group: Group
    workers: tuple[Pair, ...]

    def __len__(self) -> int:
        return len(self.workers)


@dataclass(frozen=True, slots=True)
class Demand:
    groups: tuple[Group, ...]  # by key, each with at least one worker
    unassigned: tuple[Unassigned, ...]
    duplicates: int  # workers listed twice (the second listing is ignored)


def area_of(county: regions.Region) -> str:
    pref = regions.prefecture_of(county.code)
    if pref is not None:
        return pref.code
    return county.parent or county.code


def load_of(route: list[Load]) -> int:
    """Workers on a route (a list of loads)."""
    return sum(len(ld.workers) for ld in route)


@dataclass(slots=True)
class _Open:
    group: Group
    workers: list[Pair] = field(default_factory=list)


def demand(request: PlanRequest, clock: Clock, skip: frozenset[str] = frozenset()) -> Demand:
    """Group the request's workers by (county, enterprise, factory); set aside (with a reason) what
    cannot move. Workers in ``skip`` (on dispatched vehicles, when re-planning) are left out."""
    rules = request.rules
    risk = dict(request.origin_risk)
    seen: set[str] = set()
    duplicates = 0
    unassigned: list[Unassigned] = []
    groups: dict[GroupKey, _Open] = {}
    for app in request.applications:
        deadline = clock.minutes(app.deadline)
        ready = max(0, clock.minutes(app.pickup_from)) if app.pickup_from is not None else 0
        for w in app.workers:
            if w.worker_id in skip:
                continue
            if w.worker_id in seen:
                duplicates += 1
                continue
            seen.add(w.worker_id)
            county = regions.get(w.pickup_county)
            if county is None:
                unassigned.append(Unassigned(w.worker_id, app.id, REASON_UNKNOWN_ORIGIN, w.pickup_county))
                continue
            level = risk.get(county.code, "low")
            if level in rules.blocked_risks:
                unassigned.append(
                    Unassigned(w.worker_id, app.id, REASON_ORIGIN_RISK, f"{county.code} {level}")
                )
                continue
            if not w.health_ok:
                unassigned.append(Unassigned(w.worker_id, app.id, REASON_HEALTH))
                continue
            key = (county.code, app.enterprise_id, app.destination.lat, app.destination.lon, ready)
            g = groups.get(key)
            if g is None:
                g = _Open(
                    Group(
                        key=key,
                        county=county.code,
                        county_name=county.full_name,
                        area=area_of(county),
                        cap_pct=rules.load_cap_pct(level),
                        pickup=Point(county.lat, county.lon),
                        factory=app.destination,
                        enterprise_id=app.enterprise_id,
                        enterprise_name=app.enterprise_name,
                        deadline=deadline,
                        due=deadline,
                        ready=ready,
                    )
                )
                groups[key] = g
            if deadline < g.group.deadline:
                g.group = replace(g.group, deadline=deadline, due=deadline)
            g.workers.append((w.worker_id, app.id))
    return Demand(
        tuple(groups[k].group.with_workers(groups[k].workers) for k in sorted(groups)),
        tuple(unassigned),
        duplicates,
    )
