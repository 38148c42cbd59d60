"""The live command dashboard's reads (``/command/``, ``GET /api/v1/command/board``).

``command_board(actor=..., now=...)`` is everything the big screen shows, in a fixed number of
queries whatever the number of vehicles, workers or scans (nine at most, seven once the plan is
read; the tests hold it to that):

1. the plan in force;
2. its vehicles with their stops (``detail.stops`` only), once per plan run (``_Plan``);
3. the seats of that plan for the workers in the actor's scope, with each worker's town;
4. the scan events of those workers, oldest first, with each worker's town (no times: a flag for today);
5. the times of each vehicle's latest scan and first and last arrival scans;
   the tickets read by those latest scans (when the plan expected it there), each once per plan run;
6. the towns the actor sees;
7–8. the applications whose deadline is at risk (the first ``AT_RISK_SHOWN``, and how many).

Scope is the policy's (``accounts.policy``: action ``command.read``, the ``SCOPES`` of application
workers and applications): the task force and the departments see the city; a town officer sees the
workers of their town's enterprises, the vehicles those ride and their town's applications.

What it derives, with the conflict rule of ``core.scans`` (only the winning scans count):

- each vehicle's state, position, delay and ETA (``core.tracking``): boarded once a boarding on it
  stands; arrived once every worker who boarded it has reached its arrival checkpoint (a train: the
  station arrival; a bus or a shuttle: the factory gate), or once some have and its shifted schedule
  has reached the last stop (a worker taken to observation never reaches the gate);
- each worker's stage: home (a seat, no scan yet), vehicle, station, shuttle, factory;
- per town: the buses and trains arrived and the workers returned (a standing gate scan), today
  (Beijing time) and in total. A vehicle counts for every town whose workers it carried, once in
  the city's total.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.utils import timezone

from homeward.apps.accounts.policy import area_of, authorize, scoped
from homeward.apps.applications.models import ApplicationWorker, ReturnApplication
from homeward.apps.applications.queues import due_match
from homeward.apps.applications.selectors import application_clock
from homeward.apps.planning.models import PlanRun, PlanSeat, PlanVehicle
from homeward.apps.planning.services import latest_done_run
from homeward.apps.registry.models import Town
from homeward.apps.trips.models import ScanEvent, Ticket
from homeward.core import scans as rules
from homeward.core import tracking
from homeward.i18n import BEIJING, beijing_time, localized

AT_RISK_SHOWN = 30
# A worker's stage on the dashboard, in the order of the journey (core.scans names the stages).
STAGES = ("home", "vehicle", "station", "shuttle", "factory")
_STAGE_OF = {"on_vehicle": "vehicle", "at_station": "station", "on_shuttle": "shuttle", "arrived": "factory"}
# The checkpoint at which a vehicle of each kind has brought its riders in.
_ARRIVAL: dict[str, str] = {PlanVehicle.Kind.TRAIN: rules.STATION_ARRIVAL}
_COUNTED_KINDS = (PlanVehicle.Kind.BUS, PlanVehicle.Kind.TRAIN)


@dataclass(frozen=True, slots=True)
class _Winner:
    """A winning scan on a vehicle, as far as placing the vehicle needs it."""

    nonce: str
    leg: int
    checkpoint: str
    ticket: int | None


@dataclass(slots=True)
class _VehicleScans:
    boarded: set[int] = field(default_factory=set)
    arrived: set[int] = field(default_factory=set)
    first_arrival: str | None = None  # nonces: their times are read for these few scans only
    last_arrival: str | None = None
    last: _Winner | None = None


@dataclass(frozen=True, slots=True)
class _Vehicle:
    kind: str
    name: str
    origin: str
    destination: str
    passengers: int
    stops: list[tracking.Stop]


# (pickup time, arrival time) of each leg of a ticket, by leg number
_LegTimes = dict[int, tuple[datetime | None, datetime | None]]


@dataclass(slots=True)
class _Plan:
    """What the board reads of the plan in force, decoded once per plan run (the plan changes a few
    times a day, the board is polled every few seconds): its vehicles with their stops, and the
    planned times of the tickets' legs as the board comes to need them. A ticket's legs change only
    when a later run re-seats it, which makes a new ``_Plan``."""

    run: tuple[int, datetime | None]
    vehicles: dict[str, _Vehicle]
    key_of: dict[int, str]
    leg_times: dict[int, _LegTimes] = field(default_factory=dict)

    def legs(self, tickets: Iterable[int | None]) -> dict[int, _LegTimes]:
        wanted = {t for t in tickets if t is not None}
        missing = wanted - self.leg_times.keys()
        if missing:
            for pk, legs in Ticket.objects.filter(pk__in=missing).values_list("pk", "legs"):
                self.leg_times[pk] = {
                    leg["leg"]: (_when(leg.get("pickup_at")), _when(leg.get("arrives_at"))) for leg in legs
                }
        return {t: self.leg_times[t] for t in wanted if t in self.leg_times}


_plan_cache: list[_Plan] = []  # the latest plan read (one run at a time)


def _plan_of(run: PlanRun | None) -> _Plan | None:
    if run is None:
        return None
    stamp = (run.pk, run.created_at)
    cached = _plan_cache[0] if _plan_cache else None
    if cached is not None and cached.run == stamp:
        return cached
    vehicles: dict[str, _Vehicle] = {}
    key_of: dict[int, str] = {}
    fields = ("pk", "key", "kind", "name", "origin_name", "destination_name", "passengers", "detail__stops")
    for pk, key, kind, name, origin, destination, passengers, stops in PlanVehicle.objects.filter(
        run=run
    ).values_list(*fields):
        key_of[pk] = key
        vehicles[key] = _Vehicle(kind, name, origin, destination, passengers, _stops(stops))
    plan = _Plan(stamp, vehicles, key_of)
    _plan_cache[:] = [plan]
    return plan


def _arrival_checkpoint(kind: str) -> str:
    return _ARRIVAL.get(kind, rules.GATE)


def _stops(raw: list[dict[str, Any]]) -> list[tracking.Stop]:
    return [
        tracking.Stop(
            float(s["lon"]), float(s["lat"]), datetime.fromisoformat(s["a"]), datetime.fromisoformat(s["d"])
        )
        for s in raw or ()
    ]


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _clock(at: datetime) -> str:
    return f"{at.astimezone(BEIJING):%H:%M}"


def command_board(*, actor: Any, now: datetime | None = None) -> dict[str, Any]:
    """The dashboard as JSON-ready data (see the module docstring).

    Raises:
        PermissionDenied: the actor's role may not see the dashboard (``command.read``).
    """
    authorize(actor, "command.read")
    now = now or timezone.now()
    today = now.astimezone(BEIJING).date()
    workers = scoped(actor, ApplicationWorker.objects.all()).values("pk")
    run = latest_done_run()

    # 2–3. the vehicles (decoded once per plan run) and the seats on them of the workers in scope
    plan = _plan_of(run)
    by_key = plan.vehicles if plan is not None else {}
    seats: list[tuple[int, int, int, int]] = []
    if run is not None:
        seats = list(
            PlanSeat.objects.filter(
                run=run, vehicle__isnull=False, worker__in=workers,
                worker__active=True, worker__declined_at__isnull=True,
            ).values_list("worker_id", "vehicle_id", "leg", "application__enterprise__town_id")
        )  # fmt: skip
    town_of: dict[int, int] = {}
    seated: set[int] = set()
    vehicle_towns: dict[str, set[int]] = defaultdict(set)
    key_of = plan.key_of if plan is not None else {}
    for worker_id, vehicle_id, leg, town_id in seats:
        town_of[worker_id] = town_id
        vehicle_towns[key_of[vehicle_id]].add(town_id)
        if leg == 0:
            seated.add(worker_id)

    # 4. the scans of those workers, oldest first (the database sorts them), without their times
    # (converting ~25k datetimes per poll was most of its cost): today's flag instead. Read in that
    # order, the first scan of each worker, leg and checkpoint is the one the conflict rule keeps.
    start = datetime.combine(today, time.min, BEIJING)
    rows = (
        ScanEvent.objects.filter(worker__in=workers)
        .exclude(outcome=rules.REFUSED)
        .annotate(today=ExpressionWrapper(Q(client_at__gte=start, client_at__lt=start + timedelta(days=1)),
                                          output_field=BooleanField()))
        .order_by("client_at", "nonce")
        .values_list("nonce", "worker_id", "leg", "checkpoint", "vehicle_key", "outcome", "ticket_id",
                     "today", "worker__application__enterprise__town_id")
    )  # fmt: skip
    decided: set[tuple[int, int, str]] = set()
    on: dict[str, _VehicleScans] = defaultdict(_VehicleScans)
    returned: dict[int, bool] = {}
    furthest: dict[int, tuple[int, int]] = {}
    observation: set[int] = set()
    for nonce, worker_id, leg, checkpoint, vehicle_key, outcome, ticket_id, is_today, town_id in rows:
        town_of.setdefault(worker_id, town_id)
        if (worker_id, leg, checkpoint) in decided:
            continue  # a conflict: changes nothing
        decided.add((worker_id, leg, checkpoint))
        step = rules.stage_step(leg, checkpoint)
        if worker_id not in furthest or step > furthest[worker_id]:
            furthest[worker_id] = step
        if outcome == rules.OBSERVATION:
            observation.add(worker_id)
        if checkpoint == rules.GATE:
            returned[worker_id] = bool(is_today)
        v = by_key.get(vehicle_key)
        if v is None:
            continue
        scans = on[vehicle_key]
        scans.last = _Winner(nonce, leg, checkpoint, ticket_id)  # the rows come oldest first
        if checkpoint in rules.BOARDINGS:
            scans.boarded.add(worker_id)
        elif checkpoint == _arrival_checkpoint(v.kind):
            scans.arrived.add(worker_id)
            scans.first_arrival = scans.first_arrival or nonce
            scans.last_arrival = nonce
    stage_of = {w: rules.stage_at(step) for w, step in furthest.items()}

    # 5. the times of the few scans that place a vehicle, and when the plan expected its latest one
    wanted = {n for s in on.values() for n in (s.first_arrival, s.last_arrival, s.last and s.last.nonce)}
    wanted.discard(None)
    at_of = (
        dict(ScanEvent.objects.filter(nonce__in=wanted).values_list("nonce", "client_at")) if wanted else {}
    )
    legs_of = plan.legs(s.last.ticket for s in on.values() if s.last is not None) if plan else {}

    shown: list[tuple[tuple[bool, timedelta, datetime, str], dict[str, Any]]] = []
    states = {tracking.WAITING: 0, tracking.IN_TRANSIT: 0, tracking.ARRIVED: 0}
    arrived_vehicles: dict[str, datetime] = {}
    late = 0
    for key in sorted(vehicle_towns):
        v = by_key[key]
        stops = v.stops
        if not stops:
            continue
        scans = on.get(key) or _VehicleScans()
        observation_scan = None
        if scans.last is not None:
            ticket_legs = legs_of.get(scans.last.ticket) if scans.last.ticket is not None else None
            planned = (ticket_legs or {}).get(scans.last.leg)
            if planned is not None:
                expected = planned[0] if scans.last.checkpoint in rules.BOARDINGS else planned[1]
                if expected is not None:
                    observation_scan = tracking.Observation(at_of[scans.last.nonce], expected)
        arrived_at = None
        if scans.arrived and scans.boarded <= scans.arrived:
            arrived_at = at_of[scans.last_arrival or ""]
        elif scans.arrived:
            delay = observation_scan.delay if observation_scan is not None else timedelta(0)
            if now - delay >= stops[-1].arrive:
                arrived_at = at_of[scans.first_arrival or ""]
        t = tracking.track(
            stops, now, boarded=bool(scans.boarded), arrived_at=arrived_at, last_scan=observation_scan
        )
        states[t.state] += 1
        if t.state == tracking.ARRIVED:
            arrived_vehicles[key] = t.eta
            continue
        late += t.late
        if t.state == tracking.WAITING and not t.late:
            continue  # not due yet: not on the map
        order = (not t.late, -t.delay, t.eta, key)
        shown.append(
            (order, {
                "key": key, "kind": v.kind, "name": v.name, "state": t.state,
                "origin": v.origin, "destination": v.destination,
                "lon": round(t.lon, 4), "lat": round(t.lat, 4), "riders": len(scans.boarded),
                "passengers": v.passengers, "eta_text": _clock(t.eta),
                "delay_min": _minutes(t.delay), "late": t.late,
            })
        )  # fmt: skip

    # workers by stage: everyone seated on the plan or scanned
    stages = dict.fromkeys(STAGES, 0)
    for worker_id in seated | stage_of.keys():
        stages[_STAGE_OF.get(stage_of.get(worker_id, ""), "home")] += 1

    # 6. per town: vehicles arrived, workers returned, today and in total
    towns = Town.objects.order_by("code")
    area = area_of(actor)
    if area is not None and area.town_id is not None:
        towns = towns.filter(pk=area.town_id)
    per_town = {pk: _counts(name) for pk, name in towns.values_list("pk", "name")}
    total = _counts("")
    for key, at in arrived_vehicles.items():
        kind = by_key[key].kind
        if kind not in _COUNTED_KINDS:
            continue
        plural = "buses" if kind == PlanVehicle.Kind.BUS else "trains"
        for counts in [total, *(per_town[t] for t in vehicle_towns[key] if t in per_town)]:
            counts[f"{plural}_total"] += 1
            counts[f"{plural}_today"] += at.astimezone(BEIJING).date() == today
    for worker_id, is_today in returned.items():
        town = per_town.get(town_of.get(worker_id, 0))
        for worker_counts in [total, *([town] if town is not None else [])]:
            worker_counts["workers_total"] += 1
            worker_counts["workers_today"] += is_today

    return {
        "now": now.isoformat(),
        "now_text": beijing_time(now),
        "plan": run.pk if run is not None else None,
        "vehicles": [row for _order, row in sorted(shown, key=lambda x: x[0])],  # late first, most late first
        "vehicle_states": {**states, "late": late},
        "stages": {**stages, "observation": len(observation & (seated | stage_of.keys()))},
        "at_risk": _at_risk(actor, now),
        "towns": list(per_town.values()),
        "total": total,
    }


def _counts(town: str) -> dict[str, Any]:
    keys = ("buses_today", "buses_total", "trains_today", "trains_total", "workers_today", "workers_total")
    return {"town": town, **dict.fromkeys(keys, 0)}


def _at_risk(actor: Any, now: datetime) -> dict[str, Any]:
    """7–8. The running applications whose deadline is near or past, or that the planner says cannot
    make it (``applications.queues.due_match``), soonest deadline first, with their clock."""
    risky = scoped(actor, ReturnApplication.objects.filter(due_match("soon", now=now) | due_match("at_risk")))
    rows = (
        risky.select_related("enterprise__town")
        .annotate(worker_count=Count("workers", filter=Q(workers__active=True)))
        .order_by("deadline_at", "pk")[:AT_RISK_SHOWN]
    )
    out = []
    for app in rows:
        clock = application_clock(app, now)
        out.append(
            {
                "id": app.pk, "enterprise": app.enterprise.name, "town": app.enterprise.town.name,
                "workers": app.worker_count, "level": clock.level, "at_risk": clock.at_risk,
                "deadline_text": f"{app.deadline_at.astimezone(BEIJING):%m-%d %H:%M}" if app.deadline_at else "",
                "remaining": clock.remaining_text, "reason": localized(app.at_risk_reason),
            }
        )  # fmt: skip
    return {"total": risky.count() if len(out) >= AT_RISK_SHOWN else len(out), "rows": out}
