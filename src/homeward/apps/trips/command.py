"""The live command dashboard's reads (``/command/``, ``GET /api/v1/command/board``).

``command_board(actor=..., now=...)`` is everything the big screen shows, in a fixed number of
queries whatever the number of vehicles, workers or scans (eight; the tests hold it to that):

1. the plan in force;
2. its vehicles with their stops (``detail.stops`` only);
3. the seats of that plan for the workers in the actor's scope, with each worker's town;
4. the scan events of those workers, with each worker's town;
5. the tickets read by each vehicle's latest scan (when the plan expected it there);
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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from homeward.apps.accounts.policy import area_of, authorize, scoped
from homeward.apps.applications.models import ApplicationWorker, ReturnApplication
from homeward.apps.applications.queues import due_match
from homeward.apps.applications.selectors import application_clock
from homeward.apps.planning.models import PlanSeat, PlanVehicle
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


@dataclass(slots=True)
class _VehicleScans:
    boarded: set[int] = field(default_factory=set)
    arrived: set[int] = field(default_factory=set)
    first_arrival: datetime | None = None
    last_arrival: datetime | None = None
    last: rules.ScanFact | None = None

    def saw(self, f: rules.ScanFact) -> None:
        if self.last is None or f.order > self.last.order:
            self.last = f


def _arrival_checkpoint(kind: str) -> str:
    return _ARRIVAL.get(kind, rules.GATE)


def _stops(raw: list[dict[str, Any]]) -> list[tracking.Stop]:
    return [
        tracking.Stop(
            float(s["lon"]), float(s["lat"]), datetime.fromisoformat(s["a"]), datetime.fromisoformat(s["d"])
        )
        for s in raw or ()
    ]


def _planned_at(legs: list[dict[str, Any]], fact: rules.ScanFact) -> datetime | None:
    """When the ticket's leg expected the scan ``fact``: the pickup time for a boarding, the leg's
    arrival time for an arrival."""
    leg = next((x for x in legs if x.get("leg") == fact.leg), None)
    if leg is None:
        return None
    text = leg.get("pickup_at") if fact.checkpoint in rules.BOARDINGS else leg.get("arrives_at")
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

    # 2–3. the vehicles and the seats on them of the workers in scope
    vehicles: dict[int, dict[str, Any]] = {}
    seats: list[tuple[int, int, int, int]] = []
    if run is not None:
        vehicles = {
            v["pk"]: dict(v)
            for v in PlanVehicle.objects.filter(run=run).values(
                "pk",
                "key",
                "kind",
                "name",
                "origin_name",
                "destination_name",
                "passengers",
                "departs",
                "arrives",
                "detail__stops",
            )  # fmt: skip
        }
        seats = list(
            PlanSeat.objects.filter(
                run=run, vehicle__isnull=False, worker__in=workers,
                worker__active=True, worker__declined_at__isnull=True,
            ).values_list("worker_id", "vehicle_id", "leg", "application__enterprise__town_id")
        )  # fmt: skip
    town_of: dict[int, int] = {}
    seated: set[int] = set()
    vehicle_towns: dict[str, set[int]] = defaultdict(set)
    by_key = {v["key"]: v for v in vehicles.values()}
    for worker_id, vehicle_id, leg, town_id in seats:
        town_of[worker_id] = town_id
        vehicle_towns[vehicles[vehicle_id]["key"]].add(town_id)
        if leg == 0:
            seated.add(worker_id)

    # 4. the scans of those workers, through the conflict rule
    rows = ScanEvent.objects.filter(worker__in=workers).values_list(
        "nonce", "worker_id", "leg", "checkpoint", "vehicle_key", "client_at", "outcome",
        "ticket_id", "worker__application__enterprise__town_id",
    )  # fmt: skip
    facts, ticket_of = [], {}
    for nonce, worker_id, leg, checkpoint, vehicle_key, client_at, outcome, ticket_id, town_id in rows:
        facts.append(rules.ScanFact(nonce, worker_id, leg, checkpoint, vehicle_key, client_at, outcome))
        ticket_of[nonce] = ticket_id
        town_of.setdefault(worker_id, town_id)
    derived = rules.derive(facts)

    on: dict[str, _VehicleScans] = defaultdict(_VehicleScans)
    returned: dict[int, datetime] = {}
    for (worker_id, _leg, checkpoint), f in derived.winners.items():
        if checkpoint == rules.GATE:
            returned[worker_id] = f.client_at
        v = by_key.get(f.vehicle_key)
        if v is None:
            continue
        scans = on[f.vehicle_key]
        scans.saw(f)
        if checkpoint in rules.BOARDINGS:
            scans.boarded.add(worker_id)
        elif checkpoint == _arrival_checkpoint(v["kind"]):
            scans.arrived.add(worker_id)
            scans.first_arrival = min(filter(None, (scans.first_arrival, f.client_at)))
            scans.last_arrival = max(filter(None, (scans.last_arrival, f.client_at)))

    # 5. when the plan expected each vehicle's latest scan
    last_tickets = {ticket_of[s.last.nonce] for s in on.values() if s.last is not None} - {None}
    legs_of = (
        dict(Ticket.objects.filter(pk__in=last_tickets).values_list("pk", "legs")) if last_tickets else {}
    )

    shown: list[tuple[tuple[bool, timedelta, datetime, str], dict[str, Any]]] = []
    states = {tracking.WAITING: 0, tracking.IN_TRANSIT: 0, tracking.ARRIVED: 0}
    arrived_vehicles: dict[str, datetime] = {}
    late = 0
    for key in sorted(vehicle_towns):
        v = by_key[key]
        stops = _stops(v["detail__stops"])
        if not stops:
            continue
        scans = on.get(key) or _VehicleScans()
        observation = None
        if scans.last is not None:
            planned = _planned_at(legs_of.get(ticket_of[scans.last.nonce]) or [], scans.last)
            if planned is not None:
                observation = tracking.Observation(scans.last.client_at, planned)
        arrived_at = None
        if scans.arrived and scans.boarded <= scans.arrived:
            arrived_at = scans.last_arrival
        elif scans.arrived:
            delay = observation.delay if observation is not None else timedelta(0)
            if now - delay >= stops[-1].arrive:
                arrived_at = scans.first_arrival
        t = tracking.track(
            stops, now, boarded=bool(scans.boarded), arrived_at=arrived_at, last_scan=observation
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
                "key": key, "kind": v["kind"], "name": v["name"], "state": t.state,
                "origin": v["origin_name"], "destination": v["destination_name"],
                "lon": round(t.lon, 4), "lat": round(t.lat, 4), "riders": len(scans.boarded),
                "passengers": v["passengers"], "eta_text": _clock(t.eta),
                "delay_min": _minutes(t.delay), "late": t.late,
            })
        )  # fmt: skip

    # workers by stage: everyone seated on the plan or scanned
    stages = dict.fromkeys(STAGES, 0)
    for worker_id in seated | derived.stages.keys():
        stages[_STAGE_OF.get(derived.stages.get(worker_id, ""), "home")] += 1

    # 6. per town: vehicles arrived, workers returned, today and in total
    towns = Town.objects.order_by("code")
    area = area_of(actor)
    if area is not None and area.town_id is not None:
        towns = towns.filter(pk=area.town_id)
    per_town = {pk: _counts(name) for pk, name in towns.values_list("pk", "name")}
    total = _counts("")
    for key, at in arrived_vehicles.items():
        kind = by_key[key]["kind"]
        if kind not in _COUNTED_KINDS:
            continue
        plural = "buses" if kind == PlanVehicle.Kind.BUS else "trains"
        for counts in [total, *(per_town[t] for t in vehicle_towns[key] if t in per_town)]:
            counts[f"{plural}_total"] += 1
            counts[f"{plural}_today"] += at.astimezone(BEIJING).date() == today
    for worker_id, at in returned.items():
        town = per_town.get(town_of.get(worker_id, 0))
        for worker_counts in [total, *([town] if town is not None else [])]:
            worker_counts["workers_total"] += 1
            worker_counts["workers_today"] += at.astimezone(BEIJING).date() == today

    return {
        "now": now.isoformat(),
        "now_text": beijing_time(now),
        "plan": run.pk if run is not None else None,
        "vehicles": [row for _order, row in sorted(shown, key=lambda x: x[0])],  # late first, most late first
        "vehicle_states": {**states, "late": late},
        "stages": {**stages, "observation": len(derived.observation & (seated | derived.stages.keys()))},
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
