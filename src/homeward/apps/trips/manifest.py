"""The scanner's passenger list (``scan_manifest``): for one vehicle of the plan in force, each
rider's seat, masked name, pickup point and time, declared health and the state their scans give.

Which vehicles: the actor's ``planning.planvehicle`` scope (``accounts.policy``): an escort the
vehicles they are crewed on, a station the arrivals expected at its place, the task force all.

A rider's state on the vehicle (the ticket leg their seat is on: a feeder rider's train is leg 1),
by how far their standing scans reach (``core.scans.stage_step``), first match:

- ``declined``     the worker declined the trip or was removed from the application;
- ``isolated`` / ``cleared`` / ``handed_over``  handed to a health post (``ObservationHandover``),
                   by the health department's outcome;
- ``observation``  a standing scan routed them to observation (fever or a non-green code);
- ``arrived``      a standing scan beyond this vehicle's boarding (station arrival, the next leg, gate);
- ``boarded``      the boarding of this vehicle stands;
- ``no_show``      not boarded and the vehicle's departure has passed; else ``expected``.

A fixed number of queries whatever the number of riders (``tests/trips/test_manifest.py``)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from homeward.apps.accounts.policy import authorize, authorized, scoped
from homeward.apps.planning.models import PlanRun, PlanSeat, PlanVehicle
from homeward.apps.trips.models import HealthDeclaration, ObservationHandover, ScanEvent, Ticket, TicketState
from homeward.apps.trips.selectors import scan_state, vehicle_labels
from homeward.apps.trips.services.tickets import holder_name
from homeward.core import scans as rules
from homeward.i18n import beijing_time

STATES = (
    "expected", "boarded", "arrived", "observation", "handed_over", "cleared", "isolated", "no_show",
    "declined",
)  # fmt: skip


def _seat_order(seat: str) -> tuple[Any, ...]:
    """Seats in the order they are numbered (``2`` before ``10``, ``3车5`` before ``3车12``)."""
    return tuple(int(x) if x.isdigit() else x for x in re.split(r"(\d+)", seat or ""))


def manifest_vehicles(actor: Any) -> QuerySet[PlanVehicle]:
    """The vehicles of the plan in force whose manifest ``actor`` may open."""
    run = PlanRun.objects.in_force_first().values("pk")[:1]
    return scoped(actor, PlanVehicle.objects.filter(run__in=run)).order_by("departs", "kind", "key")


def _state(
    worker: Any, here: tuple[int, int], departs: Any, furthest: tuple[int, int] | None, observed: bool,
    handover: Any, now: Any,
) -> str:  # fmt: skip
    """``here``: the ``core.scans.stage_step`` of boarding this vehicle; ``furthest``: the worker's."""
    if worker.declined_at is not None or not worker.active:
        return "declined"
    if handover is not None:
        return "handed_over" if handover.outcome == "pending" else str(handover.outcome)
    if observed:
        return "observation"
    if furthest is not None and furthest > here:
        return "arrived"
    if furthest == here:
        return "boarded"
    return "no_show" if departs <= now else "expected"


def handover_dict(h: ObservationHandover) -> dict[str, Any]:
    return {
        "id": h.pk, "rear_seat": h.rear_seat, "health_post": h.health_post, "handed_by": h.handed_by,
        "received_by": h.received_by, "handed_at": beijing_time(h.handed_at, zone_name=False),
        "outcome": h.outcome,
    }  # fmt: skip


def scan_manifest(*, actor: Any, vehicle_key: str = "") -> dict[str, Any]:
    """The manifest of ``vehicle_key`` (default: the actor's first vehicle) and the vehicles the
    actor may choose from.

    Raises:
        PermissionDenied: the role may not read manifests (``scan.manifest``).
        NotFound: ``vehicle_key`` names no vehicle of the plan in force in the actor's scope.
    """
    authorize(actor, "scan.manifest")
    now = timezone.now()
    vehicles = list(manifest_vehicles(actor))
    labels = vehicle_labels([(v.name, v.origin_name, v.departs) for v in vehicles])
    options = [
        {"key": v.key, "name": v.name, "kind": v.kind, "label": label}
        for v, label in zip(vehicles, labels, strict=True)
    ]
    vehicle = next((v for v in vehicles if v.key == vehicle_key), None) if vehicle_key else None
    if vehicle_key and vehicle is None:  # another's vehicle, or none: the policy's audited 404
        run = PlanRun.objects.in_force_first().values("pk")[:1]
        other = PlanVehicle.objects.filter(run__in=run, key=vehicle_key).values_list("pk", flat=True).first()
        authorized(actor, "scan.manifest", PlanVehicle.objects.all(), other or 0)
    vehicle = vehicle or (vehicles[0] if vehicles else None)
    out: dict[str, Any] = {
        "vehicles": options, "vehicle": None, "passengers": [], "counts": dict.fromkeys(STATES, 0),
        "total": 0, "fetched_at": now.isoformat(),
        "fetched_at_text": beijing_time(now),
    }  # fmt: skip
    if vehicle is None:
        return out
    out["vehicle"] = {
        "key": vehicle.key, "name": vehicle.name, "kind": vehicle.kind,
        "label": next(o["label"] for o in options if o["key"] == vehicle.key), "origin": vehicle.origin_name,
        "destination": vehicle.destination_name, "departs": beijing_time(vehicle.departs, zone_name=False),
        "arrives": beijing_time(vehicle.arrives, zone_name=False),
    }  # fmt: skip
    seats = list(PlanSeat.objects.filter(vehicle=vehicle).select_related("worker"))
    ids = [s.worker_id for s in seats]
    tickets = {t.worker_id: t for t in Ticket.objects.filter(worker_id__in=ids, state=TicketState.ISSUED)}
    declared: dict[int, HealthDeclaration] = {}
    for d in HealthDeclaration.objects.filter(worker_id__in=ids).order_by("worker_id", "-declared_at", "-pk"):
        declared.setdefault(d.worker_id, d)
    derived = scan_state(workers=ids)
    observed_nonces = [f.nonce for f in derived.winners.values() if f.outcome == rules.OBSERVATION]
    observations = {
        e.worker_id: e
        for e in ScanEvent.objects.filter(nonce__in=observed_nonces).order_by("client_at", "nonce")
    }
    handovers: dict[int, ObservationHandover] = {}
    for h in ObservationHandover.objects.filter(worker_id__in=ids).order_by("handed_at", "pk"):
        handovers[h.worker_id] = h  # the latest counts
    furthest: dict[int, tuple[int, int]] = {}
    for worker_id, leg_no, checkpoint in derived.winners:
        step = rules.stage_step(leg_no, checkpoint)
        furthest[worker_id] = max(step, furthest.get(worker_id, step))
    boarding = rules.boarding_checkpoint(vehicle.kind)
    passengers = []
    for s in seats:
        w, ticket = s.worker, tickets.get(s.worker_id)
        legs: list[dict[str, Any]] = ticket.legs if ticket else []
        leg = next((x for x in legs if x.get("vehicle_key") == vehicle.key), {})
        health, obs, handover = declared.get(w.pk), observations.get(w.pk), handovers.get(w.pk)
        state = _state(w, rules.stage_step(s.leg, boarding), vehicle.departs, furthest.get(w.pk),
                       w.pk in derived.observation, handover, now)  # fmt: skip
        out["counts"][state] += 1
        passengers.append({
            "worker": w.pk, "seat": s.seat, "holder": f"{holder_name(w.name)} {w.id_number[-4:]}",
            "pickup": leg.get("pickup", ""),
            "pickup_at": beijing_time(datetime.fromisoformat(leg["pickup_at"]), zone_name=False)
            if leg.get("pickup_at") else "",
            "health_code": health.health_code if health else "",
            "temperature": str(health.temperature_c) if health else "",
            "state": state,
            "observation": None if obs is None else {
                "scan_id": obs.pk, "reason": obs.reason,
                "temperature": "" if obs.temperature_c is None else str(obs.temperature_c),
            },
            "handover": None if handover is None else handover_dict(handover),
        })  # fmt: skip
    passengers.sort(key=lambda p: _seat_order(p["seat"]))
    out["passengers"], out["total"] = passengers, len(passengers)
    return out
