"""Reads scoped to the actor. An enterprise sees its own applications, a town officer its town's, a
department the cases it has tasks in (every accepted application has one task per department) but
acts only on its own department's tasks and the permits it must sign; the task force sees all.
Anything outside scope is simply absent (the caller turns that into a 404 and a denial audit)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from homeward.apps.accounts.roles import DEPARTMENT_ROLES, Role, profile_of
from homeward.apps.applications.clock import DeadlineStatus, deadline_status
from homeward.apps.applications.models import (
    ApplicationState,
    ApplicationWorker,
    DepartmentTask,
    Permit,
    PermitSignature,
    PermitState,
    ReturnApplication,
    TaskDepartment,
)
from homeward.apps.planning.models import PlanRun, PlanSeat, PlanVehicle
from homeward.apps.registry.personal_data import PersonOut, audit_list_read, person_reveal
from homeward.core.permits import Department

# Role → the task department it works and the permit department it signs as.
ROLE_TASK_DEPARTMENT = {
    Role.DEPT_TRANSPORT: TaskDepartment.TRANSPORT,
    Role.DEPT_HEALTH: TaskDepartment.HEALTH,
    Role.DEPT_HR: TaskDepartment.HR,
    Role.TOWN: TaskDepartment.RECEPTION,
}
ROLE_SIGNER = {
    Role.DEPT_TRANSPORT: Department.TRANSPORT,
    Role.DEPT_HEALTH: Department.HEALTH,
    Role.DEPT_HR: Department.HR,
}


def applications_visible(*, actor: Any) -> QuerySet[ReturnApplication]:
    profile = profile_of(actor)
    qs = ReturnApplication.objects.select_related("enterprise", "enterprise__town")
    if profile is None:
        return qs.none()
    if profile.role == Role.TASKFORCE:
        return qs
    if profile.role == Role.ENTERPRISE:
        return qs.filter(enterprise_id=profile.enterprise_id)
    if profile.role == Role.TOWN:
        return qs.filter(enterprise__town_id=profile.town_id).exclude(state=ApplicationState.DRAFT)
    if profile.role in DEPARTMENT_ROLES:
        return qs.filter(case__isnull=False)
    return qs.none()


def application_list(*, actor: Any, state: str = "") -> QuerySet[ReturnApplication]:
    qs = applications_visible(actor=actor)
    if state:
        qs = qs.filter(state=state)
    return qs.annotate(worker_count=Count("workers", filter=Q(workers__active=True)))


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
    row = ApplicationWorker.objects.filter(
        pk=row_id,
        application_id=application_id,
        application__in=applications_visible(actor=actor),
    ).first()
    return person_reveal(actor=actor, record=row, object_type="application_worker", object_id=row_id)


def application_clock(app: ReturnApplication, now: datetime | None = None) -> DeadlineStatus:
    """The application's deadline clock (stopped once it is completed or cancelled)."""
    return deadline_status(
        app.deadline_at,
        now or timezone.now(),
        stopped=app.state in (ApplicationState.COMPLETED, ApplicationState.CANCELLED),
        at_risk=app.at_risk,
    )


def tasks_visible(*, actor: Any) -> QuerySet[DepartmentTask]:
    """Tasks the actor may read: its department's (departments, town reception), or all of the
    applications it may see (task force, enterprise, town officer for status pages)."""
    profile = profile_of(actor)
    qs = DepartmentTask.objects.select_related("case__application__enterprise", "assignee", "done_by")
    if profile is None:
        return qs.none()
    if profile.role in DEPARTMENT_ROLES:
        return qs.filter(department=ROLE_TASK_DEPARTMENT[profile.role])
    return qs.filter(case__application__in=applications_visible(actor=actor))


def task_queue(*, actor: Any, state: str = DepartmentTask.State.OPEN) -> QuerySet[DepartmentTask]:
    """The tasks the actor works: its department's; a town officer the reception tasks of its town;
    the task force every task."""
    profile = profile_of(actor)
    qs = tasks_visible(actor=actor)
    if profile is None:
        return qs.none()
    if profile.role == Role.TOWN:
        qs = qs.filter(department=TaskDepartment.RECEPTION)
    elif profile.role == Role.ENTERPRISE:
        return qs.none()
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("case__application__deadline_at", "pk")


def task_actable(*, actor: Any) -> QuerySet[DepartmentTask]:
    """Tasks the actor may complete (its own department's; task force: all)."""
    profile = profile_of(actor)
    if profile is None or profile.role == Role.ENTERPRISE:
        return DepartmentTask.objects.none()
    return task_queue(actor=actor, state="")


def permits_visible(*, actor: Any) -> QuerySet[Permit]:
    """Departments: the permits they sign. Others: the permits of the applications they see, and the
    road passes of plan buses on which workers of those applications ride (a pooled bus carries
    several enterprises: each sees the bus's pass, none sees another bus's)."""
    profile = profile_of(actor)
    qs = Permit.objects.select_related("application__enterprise", "plan_vehicle")
    if profile is None:
        return qs.none()
    if profile.role in DEPARTMENT_ROLES:
        return qs.filter(required_signers__contains=str(ROLE_SIGNER[profile.role]))
    if profile.role == Role.TASKFORCE:
        return qs
    apps = applications_visible(actor=actor)
    riding = PlanSeat.objects.filter(vehicle_id=OuterRef("plan_vehicle_id"), application__in=apps)
    return qs.filter(Q(application__in=apps) | Q(Exists(riding)))


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
    """Drafted permits that need the actor's department's signature and do not have it yet."""
    profile = profile_of(actor)
    if profile is None or profile.role not in DEPARTMENT_ROLES:
        return Permit.objects.none()
    dept = str(ROLE_SIGNER[profile.role])
    signed = PermitSignature.objects.filter(permit=OuterRef("pk"), department=dept)
    return (
        permits_visible(actor=actor)
        .filter(state=PermitState.DRAFTED)
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
