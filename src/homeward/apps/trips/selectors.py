"""Reads of the door-to-door state: everything derived from ``ScanEvent`` rows with the conflict
rule of ``core.scans`` (no stored worker, seat or vehicle state)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Q

from homeward.apps.accounts.policy import authorize, scoped
from homeward.apps.accounts.roles import Role
from homeward.apps.trips.models import ObservationHandover, ScanCheckpoint, ScanEvent
from homeward.apps.trips.services.scans import checkpoints_for
from homeward.core import scans as rules
from homeward.i18n import beijing_time


def _facts(events: Any) -> list[rules.ScanFact]:
    fields = ("nonce", "worker_id", "leg", "checkpoint", "vehicle_key", "client_at", "outcome")
    return [rules.ScanFact(*row) for row in events.values_list(*fields)]


def scan_state(*, workers: list[int] | None = None, vehicle_key: str = "") -> rules.Derived:
    """The derived state of ``workers`` (all when None), or of the riders of one vehicle. Internal:
    callers authorize (``scan_state_for``)."""
    events = ScanEvent.objects.all()
    if workers is not None:
        events = events.filter(worker_id__in=workers)
    if vehicle_key:
        riders = ScanEvent.objects.filter(vehicle_key=vehicle_key).values("worker_id")
        events = events.filter(Q(worker_id__in=riders))
    return rules.derive(_facts(events))


def vehicle_state(*, actor: Any, vehicle_key: str) -> rules.Derived:
    """What scanners see of one vehicle: its riders, stages, observation cases and conflicts."""
    authorize(actor, "scan.record")
    return scan_state(vehicle_key=vehicle_key)


def scan_page_options(*, actor: Any) -> dict[str, Any]:
    """What the scanner page offers: the checkpoints and the vehicles of the plan in force (by their
    stable key) the actor can record scans at, and the place they scan at (station staff: their own,
    which the service holds them to). An enterprise hands over at its gate, naming no vehicle; a
    station boards and meets the vehicles that stop there; an escort rides their own. The service
    refuses the rest anyway: offering it only leaked other trips' plates and names."""
    from homeward.apps.accounts.roles import profile_of
    from homeward.apps.planning.models import PlanVehicle
    from homeward.apps.planning.services import latest_done_run

    authorize(actor, "scan.record")
    profile = profile_of(actor)
    role = profile.role if profile is not None else None
    run = latest_done_run()
    rows = PlanVehicle.objects.filter(run=run).order_by("kind", "departs", "key")
    fields = ("key", "kind", "name", "origin_name", "departs")
    vehicles: list[dict[str, Any]]
    if run is None or role == Role.ENTERPRISE:
        vehicles = []
    elif role == Role.ESCORT:  # their own vehicles only
        vehicles = [dict(v) for v in scoped(actor, rows).values(*fields)]
    elif role == Role.STATION:
        vehicles = [
            dict(zip(fields, row, strict=True))
            for *row, destination, stops in rows.values_list(*fields, "destination_name", "detail__stops")
            if rules.stops_at(profile.place, [destination, *(s.get("place", "") for s in stops or [])])
        ]
    else:
        vehicles = [dict(v) for v in rows.values(*fields)]
    offered = checkpoints_for(role or "")
    checkpoints = [(value, label) for value, label in ScanCheckpoint.choices if value in offered]
    station = role == Role.STATION
    return {
        "vehicles": _labelled(vehicles),
        "checkpoints": checkpoints,
        "place": profile.place if station else "",
        "place_fixed": station,
    }


def _labelled(vehicles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    labels = vehicle_labels([(v["name"], v["origin_name"], v["departs"]) for v in vehicles])
    return [
        {"key": v["key"], "kind": v["kind"], "name": v["name"], "label": label}
        for v, label in zip(vehicles, labels, strict=True)
    ]


def vehicle_labels(vehicles: list[tuple[str, str, Any]]) -> list[str]:
    """What staff choose each vehicle (name, origin, departure) by: its name (a plate), and where
    several share a name (a city's special trains often share one) also where and when it leaves."""
    names = Counter(name for name, _, _ in vehicles)
    out = []
    for name, origin, departs in vehicles:
        if names[name] > 1:
            when = beijing_time(departs, zone_name=False)[5:] if departs else ""  # MM-DD HH:MM
            name = " · ".join(x for x in (name, origin, when) if x)
        out.append(name)
    return out


def observation_list(*, actor: Any, outcome: str = "") -> list[ObservationHandover]:
    """The hand-overs the health department follows (newest first), optionally of one outcome."""
    authorize(actor, "observation.read")
    rows = scoped(actor, ObservationHandover.objects.select_related("worker", "scan"))
    if outcome:
        rows = rows.filter(outcome=outcome)
    return list(rows.order_by("-handed_at", "-pk")[:500])
