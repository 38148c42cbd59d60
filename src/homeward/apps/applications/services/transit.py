"""Application state changes that follow the plan's vehicles: a dispatched vehicle puts the
applications it carries on the road (the transition table's planned → in_transit)."""

from __future__ import annotations

from typing import Any

from homeward.apps.applications.models import TRANSITIONS, ApplicationState, ReturnApplication
from homeward.apps.audit.services import audit_record

# Where an application may go on the road from: planned (a seat in the plan in force), as the
# transition table allows.
DEPARTS_FROM = (ApplicationState.PLANNED,)
assert set(DEPARTS_FROM) <= set(TRANSITIONS[ApplicationState.IN_TRANSIT])


def applications_depart(*, actor: Any, vehicle: Any) -> list[int]:
    """planned → in_transit (接返途中) for every application with a worker seated on ``vehicle``
    (a ``planning.PlanVehicle`` just dispatched by ``actor``, whose ``plan.dispatch`` the caller
    checked): one conditional UPDATE, one audit event per application moved. Call inside the
    dispatch's transaction. Returns the ids of the applications moved."""
    from homeward.apps.planning.models import PlanSeat

    riding = PlanSeat.objects.filter(vehicle=vehicle).values("application_id")
    ids = list(
        ReturnApplication.objects.filter(pk__in=riding, state__in=DEPARTS_FROM)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return []
    ReturnApplication.objects.filter(pk__in=ids, state__in=DEPARTS_FROM).update(
        state=ApplicationState.IN_TRANSIT
    )
    for pk in ids:
        audit_record(
            actor=actor, action="application.in_transit", object_type="application", object_id=pk,
            data={"from": "planned", "plan_vehicle": vehicle.pk, "vehicle": vehicle.name},
        )  # fmt: skip
    return ids


def application_arrive(*, actor: Any, application_id: int, at: Any) -> bool:
    """The application's last worker is at the factory (the trips' gate scans say so; the caller
    decides when, inside its transaction): planned → in_transit when no dispatch moved it yet, then
    in_transit → completed with ``closed_at`` = ``at`` (the last arrival: the 30-hour clock stops
    there) and its case done. Conditional UPDATEs, each move audited. True when this call completed
    it."""
    from homeward.apps.applications.models import Case

    app = ReturnApplication.objects.filter(pk=application_id)
    if app.filter(state__in=DEPARTS_FROM).update(state=ApplicationState.IN_TRANSIT):
        audit_record(
            actor=actor, action="application.in_transit", object_type="application",
            object_id=application_id, data={"from": "planned", "by": "scan"},
        )  # fmt: skip
    completes_from = TRANSITIONS[ApplicationState.COMPLETED]
    if not app.filter(state__in=completes_from).update(state=ApplicationState.COMPLETED, closed_at=at):
        return False
    Case.objects.filter(application_id=application_id).update(state=Case.State.DONE, closed_at=at)
    audit_record(
        actor=actor, action="application.completed", object_type="application", object_id=application_id,
        data={"from": "in_transit", "by": "scan", "last_arrival": at.isoformat()},
    )  # fmt: skip
    return True
