"""The case and its department tasks: opened with one task per department when an application is
accepted (prefilled with what the enterprise gave), completed by the departments, and the task
force's task for a plan's late workers kept in step with the plan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from homeward.apps.accounts.policy import authorize, authorized, user_of
from homeward.apps.applications import selectors
from homeward.apps.applications.models import (
    TASKS_WORKABLE_IN,
    Case,
    DepartmentTask,
    ReturnApplication,
    TaskDepartment,
    TaskKind,
)
from homeward.apps.applications.services.permits import permit_draft
from homeward.apps.applications.services.states import _state_error
from homeward.apps.applications.services.task_data import clean_task_data
from homeward.apps.audit.services import audit_record
from homeward.apps.registry.selectors import require_home_city
from homeward.core import regions
from homeward.core.errors import Conflict

# Tasks opened with every case: (department, kind).
CASE_TASKS = (
    (TaskDepartment.TRANSPORT, TaskKind.VEHICLE_ROUTE_PASS),
    (TaskDepartment.HEALTH, TaskKind.ESCORT_KIT_CHECKS),
    (TaskDepartment.HR, TaskKind.LIST_CHECK_SUBSIDY),
    (TaskDepartment.RECEPTION, TaskKind.LANDING_HANDOVER),
)


def _open_case(actor: Any, app: ReturnApplication) -> Case:
    case = Case.objects.create(application=app)
    DepartmentTask.objects.bulk_create(case_tasks(case, app))
    audit_record(
        actor=actor, action="case.open", object_type="case", object_id=case.pk, data={"application": app.pk}
    )
    return case


def case_tasks(case: Case, app: ReturnApplication) -> list[DepartmentTask]:
    """The case's department tasks, unsaved: one per department (``CASE_TASKS``), each starting from
    what the enterprise already gave, so nobody asks twice (two queries for all four)."""
    workers = list(app.workers.filter(active=True).values_list("pickup_county_code", flat=True))
    counties = Counter(workers)
    origin = regions.get(counties.most_common(1)[0][0]) if counties else None
    base = {"passengers": len(workers), "destination": _destination(app)}
    extra: dict[str, dict[str, Any]] = {
        TaskKind.VEHICLE_ROUTE_PASS: {"origin": origin.full_name if origin else ""},
        TaskKind.LIST_CHECK_SUBSIDY: {"pickup_counties": dict(counties)},
    }
    return [
        DepartmentTask(case=case, department=d, kind=k, data={**base, **extra.get(k, {})})
        for d, k in CASE_TASKS
    ]


def _destination(app: ReturnApplication) -> str:
    town = app.enterprise.town.name if app.enterprise.town_id else ""
    return f"{require_home_city().full_name}{town} {app.enterprise.name}"[:200]


def case_late_task_sync(*, actor: Any, application_id: int, late: Mapping[str, Any] | None) -> str:
    """The planner (or the task force: ``application.flag``) keeps the case's task-force task for late workers in step with
    a plan: with ``late`` (what the plan says: late workers, hours over, run) an open task is made
    or its data refreshed; without, an open one is cancelled (the plan no longer makes anyone late).
    A task the task force has already done stays done. Returns what happened: created, updated,
    cancelled or unchanged."""
    authorize(actor, "application.flag")
    case = Case.objects.filter(application_id=application_id).first()
    if case is None:
        return "unchanged"
    kind = TaskKind.LATE_ARRIVAL
    with transaction.atomic():
        task = DepartmentTask.objects.select_for_update().filter(case=case, kind=kind).first()
        if late is None:
            if task is None or task.state != DepartmentTask.State.OPEN:
                return "unchanged"
            task.state = DepartmentTask.State.CANCELLED
            task.save(update_fields=["state"])
            outcome = "cancelled"
        elif task is None:
            task = DepartmentTask.objects.create(
                case=case, department=TaskDepartment.TASKFORCE, kind=kind, data=dict(late)
            )
            outcome = "created"
        elif task.state == DepartmentTask.State.DONE:
            return "unchanged"
        else:
            task.state = DepartmentTask.State.OPEN
            task.data = {**task.data, **late}
            task.save(update_fields=["state", "data"])
            outcome = "updated"
        audit_record(
            actor=actor, action=f"task.late_arrival.{outcome}", object_type="task", object_id=task.pk,
            data={"application": application_id, **(dict(late) if late else {})},
        )  # fmt: skip
    return outcome


def _transport_from_plan(actor: Any, task: DepartmentTask, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """Transport's task for an application the plan in force carries: the plan's road passes are
    confirmed and signed (``planning.permits.plan_route_passes_sign``), none typed in or drafted
    anew. None for any other task, or when no plan bus carries the application."""
    if task.kind != TaskKind.VEHICLE_ROUTE_PASS:
        return None
    # planning builds on applications (its passes are stored by permit_store): imported late
    from homeward.apps.planning.permits import plan_route_passes_sign

    planned = plan_route_passes_sign(actor=actor, application=task.case.application, data=data)
    return None if planned is None else {**task.data, **planned}


def department_task_complete(
    *, actor: Any, task_id: int, data: Mapping[str, Any] | None = None
) -> DepartmentTask:
    """Complete one of the actor's department's tasks (task force: any) with its data, checked by the
    kind's schema (``task_data``). Completing the transport task signs the road passes of the plan
    buses that carry the application, or drafts those of the enterprise's own vehicles; transport
    and health together draft the prevention permit. All or nothing: one transaction."""
    task = authorized(actor, "task.complete", selectors.TASKS, task_id)
    if task.state != DepartmentTask.State.OPEN:
        raise Conflict("该任务已办结或已取消 (task is not open)", "bad_state")
    app = task.case.application
    if app.state not in TASKS_WORKABLE_IN:
        raise _state_error(app, "办理任务")
    now = timezone.now()
    with transaction.atomic():
        clean = _transport_from_plan(actor, task, data or {}) or clean_task_data(task, data or {}, now)
        done = DepartmentTask.objects.filter(pk=task.pk, state=DepartmentTask.State.OPEN).update(
            state=DepartmentTask.State.DONE,
            done_at=now,
            done_by=user_of(actor),
            assignee=user_of(actor),
            data=clean,
        )
        if not done:
            raise Conflict("该任务已办结 (task already done)", "bad_state")
        task.refresh_from_db()
        audit_record(
            actor=actor, action="task.complete", object_type="task", object_id=task.pk,
            data={"kind": task.kind, "application": app.pk},
        )  # fmt: skip
        if task.kind in (TaskKind.VEHICLE_ROUTE_PASS, TaskKind.ESCORT_KIT_CHECKS):
            permit_draft(actor=actor, application=app)
        case = task.case
        if not case.tasks.exclude(state=DepartmentTask.State.DONE).exists():
            audit_record(actor=actor, action="case.ready", object_type="case", object_id=case.pk)
    return task
