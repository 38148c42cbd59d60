"""Trains worth requesting (issue 11 item 3): from the workers a bus brings late, or on a long and
costly trip, the extra special trains the task force could ask the railway for — as the article's
city asked for three more (from 贵阳北, 郑州东 and 宜宾西 to its own stations).

For every origin station (not the home city's) and arrival station of the home city, a worker in
the station's catchment can take a train leaving at ``t`` when the origin county can bring it to
the station by then and the train and a shuttle bring it to its factory by its deadline. The
departure that brings the most late workers in time (then the most workers, within one train's
seats) is proposed for the best pair; its workers are set aside and the next pair is looked for,
up to ``Rules.train_requests_max`` proposals of at least ``Rules.train_request_min_workers``."""

from __future__ import annotations

from dataclasses import dataclass

from homeward.core import regions
from homeward.core.planning.geo import drive_min, rail_min, road_km
from homeward.core.planning.model import Late, Point, TrainRequest, Vehicle
from homeward.core.planning.planner.context import Context
from homeward.core.planning.planner.demand import Group


@dataclass(frozen=True, slots=True)
class _Rider:
    worker_id: str
    earliest: int  # the earliest departure the worker can be at the origin station for
    latest: int  # the latest departure that still brings the worker in time
    late_min: int  # how late the plan brings the worker (0: on time, on a costly bus trip)


@dataclass(frozen=True, slots=True)
class _Offer:
    origin: str
    destination: str
    journey: int
    depart: int
    riders: tuple[_Rider, ...]

    @property
    def score(self) -> tuple[int, int, int]:
        late = sum(1 for r in self.riders if r.late_min)
        return late, len(self.riders), -self.depart


def train_requests(
    groups: list[Group], late: list[Late], vehicles: list[Vehicle], ctx: Context
) -> list[TrainRequest]:
    """The trains worth requesting for ``groups``' workers, given who the plan brings late
    (``late``) and on which vehicles."""
    request, rules = ctx.request, ctx.rules
    home = [s for name in request.home.stations if (s := regions.station_by_name(name)) is not None]
    if not home:
        return []
    late_min = {x.worker_id: x.minutes_over for x in late}
    costly = {
        w
        for v in vehicles
        if v.kind == "bus" and not v.feeds and v.km >= rules.train_request_bus_km
        for w in v.manifest
    }
    wanted = [g for g in groups if any(w in late_min or w in costly for w, _ in g.workers)]
    cap = rules.train_request_seats * rules.train_request_load_cap_pct // 100
    taken: set[str] = set()
    out: list[TrainRequest] = []
    origins = [s for s in regions.stations() if s.name not in request.home.stations]
    while len(out) < rules.train_requests_max:
        best: _Offer | None = None
        for st in origins:
            op = Point(st.lat, st.lon)
            near = [g for g in wanted if road_km(g.pickup, op, rules) <= rules.train_catchment_km]
            if not near:
                continue
            for dest in home:
                dp = Point(dest.lat, dest.lon)
                journey = rail_min(op, dp, rules)
                riders = [r for g in near for r in _riders(g, op, dp, journey, late_min, costly, taken, ctx)]
                offer = _best_departure(st.name, dest.name, journey, riders, cap)
                if offer is not None and (best is None or offer.score > best.score):
                    best = offer
        if best is None or len(best.riders) < rules.train_request_min_workers:
            break
        ids = {r.worker_id for r in best.riders}
        taken |= ids
        out.append(
            TrainRequest(
                origin_station=best.origin,
                destination_station=best.destination,
                departs_earliest=ctx.clock.at(max(r.earliest for r in best.riders)),
                departs_latest=ctx.clock.at(min(r.latest for r in best.riders)),
                journey_min=best.journey,
                workers=len(best.riders),
                late_in_time=best.score[0],
                hours_late_saved=round(sum(r.late_min for r in best.riders) / 60, 1),
                buses_saved=sum(
                    1
                    for v in vehicles
                    if v.kind == "bus" and not v.feeds and v.manifest and set(v.manifest) <= ids
                ),
            )
        )
    return out


def _riders(
    g: Group,
    origin: Point,
    dest: Point,
    journey: int,
    late_min: dict[str, int],
    costly: set[str],
    taken: set[str],
    ctx: Context,
) -> list[_Rider]:
    rules = ctx.rules
    earliest = (
        max(rules.origin_dispatch_lead_min, g.ready)
        + drive_min(road_km(g.pickup, origin, rules), rules)
        + rules.station_margin_min
    )
    after = (
        journey
        + rules.shuttle_wait_min
        + drive_min(road_km(dest, g.factory, rules), rules)
        + rules.drop_service_min * 3
    )
    out = []
    for w, app in g.workers:
        if w in taken or not (w in late_min or w in costly):
            continue
        latest = ctx.due[app] - after
        if earliest <= latest:
            out.append(_Rider(w, earliest, latest, late_min.get(w, 0)))
    return out


def _best_departure(origin: str, dest: str, journey: int, riders: list[_Rider], cap: int) -> _Offer | None:
    """The departure (one of the riders' earliest) that a train can take the most of them at:
    late ones first, then the most, within ``cap`` seats (the earliest among equals)."""
    if not riders:
        return None
    best: _Offer | None = None
    for t in sorted({r.earliest for r in riders}):
        fit = [r for r in riders if r.earliest <= t <= r.latest]
        fit.sort(key=lambda r: (-r.late_min, r.latest, r.worker_id))
        offer = _Offer(origin, dest, journey, t, tuple(fit[:cap]))
        if best is None or offer.score > best.score:
            best = offer
    return best
