"""Reads scoped to the actor by the permission policy (``accounts.policy.SCOPES``): an enterprise
sees its own applications, a town officer its town's once submitted, a department the cases it has
tasks in (every accepted application has one task per department) but acts only on its own
department's tasks and the permits it must sign; the task force sees all. Anything outside scope is
simply absent (a service asked for it answers 404 and audits the denial)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy

from homeward.apps.accounts.policy import actionable, allows, authorize, authorized, scoped, signer_of
from homeward.apps.applications.clock import DeadlineStatus, deadline_status
from homeward.apps.applications.models import (
    ApplicationState,
    ApplicationWorker,
    DepartmentTask,
    Permit,
    PermitSignature,
    PermitState,
    ReturnApplication,
)
from homeward.apps.planning.models import PlanRun, PlanSeat, PlanVehicle
from homeward.apps.registry.personal_data import PersonOut, audit_list_read, person_reveal
from homeward.core import permits as core_permits

TASKS = DepartmentTask.objects.select_related("case__application__enterprise", "assignee", "done_by")


def applications_visible(*, actor: Any) -> QuerySet[ReturnApplication]:
    return scoped(actor, ReturnApplication.objects.select_related("enterprise", "enterprise__town"))


def application_list(*, actor: Any, state: str = "") -> QuerySet[ReturnApplication]:
    """The actor's applications, by ``state`` as shown, with ``worker_count`` (active rows)."""
    qs = applications_in_state(actor=actor, state=state)
    return qs.annotate(worker_count=Count("workers", filter=Q(workers__active=True)))


def applications_in_state(*, actor: Any, state: str = "") -> QuerySet[ReturnApplication]:
    """The actor's applications, by ``state`` as shown (a draft past its expiry shows as expired)."""
    authorize(actor, "application.read")
    qs = applications_visible(actor=actor)
    expired = Q(state=ApplicationState.DRAFT, expires_at__lte=timezone.now())
    if state == ApplicationState.EXPIRED:
        qs = qs.filter(Q(state=state) | expired)
    elif state:
        qs = qs.filter(state=state).exclude(expired)
    return qs


def application_people(*, actor: Any, app: ReturnApplication) -> list[ApplicationWorker]:
    """The application's worker rows (active and removed), for an actor who may see the application
    (the caller checked); the read of the list is audited once."""
    rows = list(app.workers.select_related("replaced_by"))
    audit_list_read(
        actor=actor,
        what="application_worker",
        rows=len(rows),
        filters={"application": app.pk},
        object_id=app.pk,
    )
    return rows


def application_worker_reveal(*, actor: Any, application_id: int, row_id: int) -> PersonOut:
    """The full ID number and phone of one worker row of an application the actor may see, for a role
    with personal-data rights; audited either way (``personal_data.person_reveal``)."""
    app = authorized(actor, "worker.reveal", ReturnApplication.objects.all(), application_id)
    row = ApplicationWorker.objects.filter(pk=row_id, application=app).first()
    return person_reveal(actor=actor, record=row, object_type="application_worker", object_id=row_id)


def application_clock(app: ReturnApplication, now: datetime | None = None) -> DeadlineStatus:
    """The application's deadline clock, stopped once it is completed or cancelled: at its
    ``closed_at`` (for a completed one, the last worker's arrival at the factory gate), so the time
    left shown is the margin it was kept by (negative: how late)."""
    stopped = app.state in (ApplicationState.COMPLETED, ApplicationState.CANCELLED)
    return deadline_status(
        app.deadline_at,
        app.closed_at if stopped and app.closed_at is not None else now or timezone.now(),
        stopped=stopped,
        at_risk=app.at_risk,
    )


def task_queue(*, actor: Any, state: str = DepartmentTask.State.OPEN) -> QuerySet[DepartmentTask]:
    """The tasks the actor works (those the policy lets it complete): its department's; a town
    officer the reception tasks of its town; the task force every task."""
    authorize(actor, "task.read")
    qs = actionable(actor, "task.complete", TASKS)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("case__application__deadline_at", "pk")


def permits_visible(*, actor: Any) -> QuerySet[Permit]:
    """Departments: the permits they sign. Others: the permits of the applications they see, and the
    road passes of plan buses on which workers of those applications ride."""
    authorize(actor, "permit.read")
    return scoped(actor, Permit.objects.select_related("application__enterprise", "plan_vehicle"))


def superseded_plan_vehicles() -> QuerySet[PlanVehicle]:
    """Buses whose road passes wait for nobody: their run is no longer the plan in force and they are
    not on the road (a re-plan moved their workers; dispatched buses are kept by every re-plan)."""
    in_force = PlanRun.objects.in_force_first().values("pk")[:1]
    return PlanVehicle.objects.filter(dispatch__isnull=True).exclude(run_id=Subquery(in_force))


def permits_of_application(app: ReturnApplication) -> QuerySet[Permit]:
    """The application's own permits and the road passes of the plan buses its workers ride."""
    riding = PlanSeat.objects.filter(vehicle_id=OuterRef("plan_vehicle_id"), application=app)
    return Permit.objects.filter(Q(application=app) | Q(Exists(riding))).order_by("kind", "permit_id")


def permits_to_sign(*, actor: Any) -> QuerySet[Permit]:
    """Drafted permits that need the actor's department's signature and do not have it yet (none
    for those who sign nothing)."""
    signer = signer_of(actor)
    if signer is None:
        return Permit.objects.none()
    dept = str(signer)
    signed = PermitSignature.objects.filter(permit=OuterRef("pk"), department=dept)
    return (
        scoped(actor, Permit.objects.select_related("application__enterprise", "plan_vehicle"))
        .filter(state=PermitState.DRAFTED, required_signers__contains=dept)
        .exclude(Exists(signed))
        .exclude(application__state=ApplicationState.CANCELLED)
        .exclude(plan_vehicle__in=superseded_plan_vehicles())
        .order_by("created_at", "pk")
    )


def permits_signed(*, include_revoked: bool = False) -> QuerySet[Permit]:
    """Every issued permit (and, with ``include_revoked``, the revoked ones), in issue order: the
    city-wide list for offline verifiers and the command line, not scoped to a user."""
    qs = Permit.objects.select_related("application__enterprise", "plan_vehicle")
    qs = qs.exclude(state=PermitState.DRAFTED) if include_revoked else qs.filter(state=PermitState.ISSUED)
    return qs.order_by("issued_at", "permit_id")


def permit_holder(permit: Permit) -> str:
    """Whose permit: the applying enterprise, or the plan's bus for a road pass drafted from a plan."""
    if permit.application is not None:
        return str(permit.application.enterprise.name)
    if permit.plan_vehicle is not None:
        return f"计划 #{permit.plan_vehicle.run_id} 包车 {permit.plan_vehicle.name}"
    return ""


# The road-pass fields transport fills in before signing (services.FILLABLE_FIELDS), labelled.
FILL_LABELS = {
    "plate": gettext_lazy("车牌号"),
    "carrier": gettext_lazy("承运单位"),
    "entry_station": gettext_lazy("入口收费站"),
    "exit_station": gettext_lazy("出口收费站"),
}


def permit_unready(permit: Permit) -> tuple[str, ...]:
    """The fields of a drafted road pass still 待定 (its signing is refused until they are filled)."""
    if permit.kind != Permit.Kind.ROAD_PASS or permit.state != PermitState.DRAFTED:
        return ()
    return core_permits.placeholder_fields(core_permits.permit_from_body(permit.body.encode("utf-8")))


def fill_panel(actor: Any, permit: Permit) -> dict[str, Any]:
    """What is still 待定 on a drafted road pass nobody has signed (``unready``: field names) and, when
    the actor may fill it in, the form's fields (``fill``: name, label, current value or blank)."""
    unready = permit_unready(permit)
    if not unready:
        return {"unready": (), "fill": None}
    may_fill = not permit.signatures.exists() and allows(actor, "permit.fill", permit)
    fill = None
    if may_fill:
        fill = [
            (name, FILL_LABELS[name], "" if name in unready else str(permit.payload.get(name, "")))
            for name in FILL_LABELS
        ]
    return {"unready": unready, "fill": fill}
