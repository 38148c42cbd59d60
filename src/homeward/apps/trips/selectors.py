"""Reads of the door-to-door state: everything derived from ``ScanEvent`` rows with the conflict
rule of ``core.scans`` (no stored worker, seat or vehicle state)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from homeward.apps.accounts.policy import authorize, scoped
from homeward.apps.trips.models import ObservationHandover, ScanEvent
from homeward.core import scans as rules


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
    """What the scanner page offers: the vehicles of the plan in force (by their stable key) and the
    place the actor scans at (station staff: their own, which the service holds them to)."""
    from homeward.apps.accounts.roles import Role, profile_of
    from homeward.apps.planning.models import PlanVehicle
    from homeward.apps.planning.services import latest_done_run

    authorize(actor, "scan.record")
    run = latest_done_run()
    vehicles = (
        list(
            PlanVehicle.objects.filter(run=run)
            .order_by("kind", "departs", "key")
            .values("key", "kind", "name")
        )
        if run is not None
        else []
    )
    profile = profile_of(actor)
    if profile is not None and profile.role == Role.ESCORT and run is not None:  # their own vehicles only
        mine = scoped(actor, PlanVehicle.objects.filter(run=run)).values_list("key", flat=True)
        vehicles = [v for v in vehicles if v["key"] in set(mine)]
    station = profile is not None and profile.role == Role.STATION
    return {"vehicles": vehicles, "place": profile.place if station else "", "place_fixed": station}


def observation_list(*, actor: Any, outcome: str = "") -> list[ObservationHandover]:
    """The hand-overs the health department follows (newest first), optionally of one outcome."""
    authorize(actor, "observation.read")
    rows = scoped(actor, ObservationHandover.objects.select_related("worker", "scan"))
    if outcome:
        rows = rows.filter(outcome=outcome)
    return list(rows.order_by("-handed_at", "-pk")[:500])
