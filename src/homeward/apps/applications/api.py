"""Return applications, cases, department tasks and permits under /api/v1/.

Every endpoint is scoped to the caller (see ``selectors``): what is outside scope is a 404, what is
visible but not the caller's to do is a 403; both are audited. Errors are ``{status, reason, message}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Header, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from homeward.api_contract import Id, JsonBool, JsonDatetime, JsonId, JsonInt, answers, answers_file
from homeward.apps.applications import queues, selectors, services
from homeward.apps.applications.models import (
    ApplicationWorker,
    DepartmentTask,
    Permit,
    ReturnApplication,
)
from homeward.apps.registry.personal_data import PersonSchema, RevealedOut
from homeward.core.errors import NotFound

router = Router(tags=["applications 接返申请"])


# ------------------------------------------------------------------------------------------------
# Schemas
# ------------------------------------------------------------------------------------------------


class ClockOut(Schema):
    level: str
    deadline_at: datetime | None
    remaining_seconds: int | None
    at_risk: bool


def clock_of(app: ReturnApplication) -> dict[str, Any]:
    status = selectors.application_clock(app)
    return {
        "level": status.level,
        "deadline_at": status.deadline_at,
        "remaining_seconds": int(status.remaining.total_seconds()) if status.remaining is not None else None,
        "at_risk": status.at_risk,
    }


class ApplicationOut(Schema):
    id: int
    enterprise_id: int
    enterprise: str
    state: str  # as shown: a draft past ``expires_at`` is "expired"
    created_at: datetime
    expires_at: datetime | None
    submitted_at: datetime | None
    accepted_at: datetime | None
    deadline_hours: int
    deadline_at: datetime | None
    pickup_from: datetime | None
    at_risk: bool
    at_risk_reason: str
    notes: str
    worker_count: int
    clock: ClockOut

    @staticmethod
    def resolve_enterprise(obj: Any) -> str:
        return str(obj.enterprise.name)

    @staticmethod
    def resolve_state(obj: Any) -> str:
        return str(obj.shown_state)

    @staticmethod
    def resolve_worker_count(obj: Any) -> int:
        count = getattr(obj, "worker_count", None)
        return int(count) if count is not None else obj.workers.filter(active=True).count()

    @staticmethod
    def resolve_clock(obj: Any) -> dict[str, Any]:
        return clock_of(obj)


class WorkerRowOut(PersonSchema):
    id: int
    name: str
    pickup_county_code: str
    health_code: str
    new_hire: bool
    new_hire_reason: str
    active: bool
    added_at: datetime
    removed_at: datetime | None
    replaced_by_id: int | None
    worker_id: int | None


class ApplicationDetailOut(ApplicationOut):
    workers: list[WorkerRowOut]

    @staticmethod
    def resolve_workers(obj: Any, context: Any) -> list[ApplicationWorker]:
        return selectors.application_people(actor=context["request"].user, app=obj)


class ApplicationIn(Schema):
    notes: str = ""
    deadline_hours: JsonInt | None = Field(None, ge=1, le=services.MAX_DEADLINE_HOURS)
    pickup_from: JsonDatetime | None = None  # the workers are picked up no earlier (within 14 days)
    enterprise_id: JsonId | None = None  # task force only; an enterprise applies for itself


class RowErrorOut(Schema):
    row: int
    field: str
    reason: str
    message: str


class UploadOut(Schema):
    accepted: int
    # How the accepted rows merged into the list (by ID number); ``kept``: workers not in the file.
    added: int
    updated: int
    unchanged: int
    kept: int
    rejected: list[RowErrorOut]
    rejected_count: int


class WorkerIn(Schema):
    id_number: str
    name: str
    phone: str
    pickup_county: str
    health_code: str = "green"
    # someone recruited since the roster was filed (not on it): say so, and why
    new_hire: JsonBool = False
    new_hire_reason: str = ""


class RosterPickIn(Schema):
    worker_ids: list[JsonId]
    health_code: str = "green"


class RosterPickOut(Schema):
    accepted: int
    rejected: list[dict[str, Any]]
    rejected_count: int


class CancelIn(Schema):
    reason: str = ""


class TransitionIn(Schema):
    to: str


class TaskOut(Schema):
    id: int
    application_id: int
    enterprise: str
    department: str
    kind: str
    state: str
    assignee: str | None
    done_at: datetime | None
    data: dict[str, Any]

    @staticmethod
    def resolve_application_id(obj: Any) -> int:
        return int(obj.case.application_id)

    @staticmethod
    def resolve_enterprise(obj: Any) -> str:
        return str(obj.case.application.enterprise.name)

    @staticmethod
    def resolve_assignee(obj: Any) -> str | None:
        user = obj.done_by or obj.assignee
        return user.get_username() if user is not None else None


class CaseOut(Schema):
    application_id: int
    state: str
    opened_at: datetime
    tasks: list[TaskOut]
    done: int
    pending: int


class TaskCompleteIn(Schema):
    data: dict[str, Any] = {}


class SignatureOut(Schema):
    department: str
    kid: str
    signed_at: datetime


class PermitOut(Schema):
    id: int
    permit_id: str
    kind: str
    application_id: int | None  # an application's permit, or
    plan_vehicle_id: int | None  # the road pass of a plan's bus (pooled across applications)
    state: str
    required_signers: list[str]
    signatures: list[SignatureOut]
    payload: dict[str, Any]
    token: str
    issued_at: datetime | None
    revoked_at: datetime | None

    @staticmethod
    def resolve_required_signers(obj: Any) -> list[str]:
        return list(obj.signer_list)

    @staticmethod
    def resolve_signatures(obj: Any) -> list[Any]:
        return list(obj.signatures.all())


class RevokeIn(Schema):
    reason: str = ""


class VerificationOut(Schema):
    valid: bool
    reason: str
    detail: str
    permit: dict[str, Any] | None
    signatures: list[dict[str, Any]]
    revocation_list: dict[str, Any] | None


# ------------------------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------------------------


@router.get(
    "/applications",
    response=answers(list[ApplicationOut]),
    summary="Return applications visible to the caller",
)
@paginate
def applications(request: HttpRequest, state: str = "", q: str = "", due: str = "") -> Any:
    """``q``: an application number, part of an enterprise name or of a plate; ``due``: ``soon``
    (deadline within 6 hours, overdue included), ``overdue`` or ``at_risk``. In clock order:
    awaiting acceptance, then running clocks soonest deadline first, then drafts, then closed."""
    filters = queues.Filters.of({"q": q, "state": state, "due": due})
    return queues.application_search(actor=request.user, filters=filters).annotate(
        worker_count=Count("workers", filter=Q(workers__active=True))
    )


@router.post(
    "/applications",
    response=answers(ApplicationOut, status=201, errors=(404,)),
    summary="Start a draft application (enterprise)",
)
def application_create(request: HttpRequest, payload: ApplicationIn) -> Status[Any]:
    app = services.application_create_draft(
        actor=request.user, enterprise_id=payload.enterprise_id, notes=payload.notes,
        deadline_hours=payload.deadline_hours, pickup_from=payload.pickup_from,
    )  # fmt: skip
    return Status(201, app)


@router.get(
    "/applications/{int:application_id}",
    response=answers(ApplicationDetailOut, errors=(404,)),
    summary="One application with its workers (masked), including removed and replaced rows",
)
def application_detail(request: HttpRequest, application_id: Id) -> Any:
    return services.application_get(actor=request.user, application_id=application_id)


@router.post(
    "/applications/{int:application_id}/upload",
    response=answers(UploadOut, errors=(404, 409)),
    summary="Upload the worker list (.xlsx/.xls/.csv); valid rows merge into the draft's list by ID number, bad rows are reported",
)
def application_upload(
    request: HttpRequest,
    application_id: Id,
    file: Annotated[UploadedFile, File()],
) -> Any:
    """Columns: 身份证号/id_number, 姓名/name, 手机号/phone, 接送区县/pickup_county, 健康码/health_code."""
    return services.application_workers_upload(
        actor=request.user, application_id=application_id, source=file, file_name=file.name or ""
    )


@router.post(
    "/applications/{int:application_id}/workers",
    response=answers(WorkerRowOut, status=201, errors=(404, 409)),
    summary="Add one worker (tracked after submission)",
)
def application_worker_add(request: HttpRequest, application_id: Id, payload: WorkerIn) -> Status[Any]:
    row = services.application_worker_add(
        actor=request.user, application_id=application_id, values=payload.dict()
    )
    return Status(201, row)


@router.post(
    "/applications/{int:application_id}/workers/from-roster",
    response=answers(RosterPickOut, errors=(404, 409)),
    summary="Add workers picked from the enterprise's roster",
)
def application_workers_from_roster(request: HttpRequest, application_id: Id, payload: RosterPickIn) -> Any:
    return services.application_workers_add_from_roster(
        actor=request.user, application_id=application_id, worker_ids=payload.worker_ids,
        health_code=payload.health_code,
    )  # fmt: skip


@router.delete(
    "/applications/{int:application_id}/workers/{int:row_id}",
    response=answers(WorkerRowOut, errors=(404, 409)),
    summary="Remove a worker (deleted from a draft; kept and marked removed once submitted)",
)
def application_worker_remove(request: HttpRequest, application_id: Id, row_id: Id) -> Any:
    return services.application_worker_remove(
        actor=request.user, application_id=application_id, row_id=row_id
    )


@router.post(
    "/applications/{int:application_id}/workers/{int:row_id}/reveal",
    response=answers(RevealedOut, errors=(404,)),
    summary="Full ID number and phone of one worker row (roles with personal-data rights; audited)",
)
def application_worker_reveal(request: HttpRequest, application_id: Id, row_id: Id) -> Any:
    return selectors.application_worker_reveal(
        actor=request.user, application_id=application_id, row_id=row_id
    )


@router.post(
    "/applications/{int:application_id}/workers/{int:row_id}/replace",
    response=answers(WorkerRowOut, status=201, errors=(404, 409)),
    summary="Replace a worker by another (the old row is kept and points to the new one)",
)
def application_worker_replace(
    request: HttpRequest, application_id: Id, row_id: Id, payload: WorkerIn
) -> Status[Any]:
    row = services.application_worker_replace(
        actor=request.user, application_id=application_id, row_id=row_id, values=payload.dict()
    )
    return Status(201, row)


@router.post(
    "/applications/{int:application_id}/submit",
    response=answers(ApplicationOut, errors=(404, 409)),
    summary="Submit (once). Send an Idempotency-Key: repeating the request returns the same result",
)
def application_submit(
    request: HttpRequest,
    application_id: Id,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key")] = "",
) -> Any:
    return services.application_submit(
        actor=request.user, application_id=application_id, idempotency_key=idempotency_key
    )


@router.post(
    "/applications/{int:application_id}/accept",
    response=answers(ApplicationOut, errors=(404, 409)),
    summary="Accept (town officer of the enterprise's town, or task force): starts the clock, opens the case",
)
def application_accept(request: HttpRequest, application_id: Id) -> Any:
    return services.application_accept(actor=request.user, application_id=application_id)


@router.post(
    "/applications/{int:application_id}/cancel",
    response=answers(ApplicationOut, errors=(404, 409)),
    summary="Cancel",
)
def application_cancel(request: HttpRequest, application_id: Id, payload: CancelIn) -> Any:
    return services.application_cancel(
        actor=request.user, application_id=application_id, reason=payload.reason
    )


@router.post(
    "/applications/{int:application_id}/transition",
    response=answers(ApplicationOut, errors=(404, 409)),
    summary="Move to planned, in_transit or completed (task force)",
)
def application_transition(request: HttpRequest, application_id: Id, payload: TransitionIn) -> Any:
    return services.application_transition(actor=request.user, application_id=application_id, to=payload.to)


@router.get(
    "/applications/{int:application_id}/case",
    response=answers(CaseOut, errors=(404,)),
    summary="The case: each department's task, done or pending, and who holds it",
)
def application_case(request: HttpRequest, application_id: Id) -> Any:
    app = services.application_get(actor=request.user, application_id=application_id)
    case = getattr(app, "case", None)
    if case is None:
        raise NotFound("申请尚未受理，还没有案件 (not accepted yet: no case)", "no_case")
    tasks = list(case.tasks.select_related("case__application__enterprise", "assignee", "done_by"))
    done = sum(t.state == DepartmentTask.State.DONE for t in tasks)
    return {
        "application_id": app.pk,
        "state": case.state,
        "opened_at": case.opened_at,
        "tasks": tasks,
        "done": done,
        "pending": sum(t.state == DepartmentTask.State.OPEN for t in tasks),
    }


# ------------------------------------------------------------------------------------------------
# Department tasks
# ------------------------------------------------------------------------------------------------


@router.get(
    "/tasks", response=answers(list[TaskOut]), summary="The caller's task queue (its department's tasks)"
)
@paginate
def task_queue(
    request: HttpRequest, state: str = DepartmentTask.State.OPEN, q: str = "", due: str = "", sort: str = ""
) -> Any:
    """Open tasks soonest deadline first (``sort=new``: newest accepted first), done tasks latest
    first; ``q`` and ``due`` as for ``/applications``."""
    filters = queues.Filters.of({"state": state, "q": q, "due": due, "sort": sort})
    return queues.task_search(actor=request.user, filters=filters)


@router.post(
    "/tasks/{int:task_id}/complete",
    response=answers(TaskOut, errors=(404, 409)),
    summary="Complete a task of the caller's department with its data",
)
def task_complete(request: HttpRequest, task_id: Id, payload: TaskCompleteIn) -> Any:
    """Data by kind (one schema each: ``services.task_data``) — vehicle_route_pass: when the plan in
    force carries the application on its buses, buses [{vehicle, plate, carrier, entry_station,
    exit_station}] (blank keeps what the plan's pass says; completing signs those passes), otherwise
    vehicles [{plate, carrier, passengers}] (or plate, carrier),
    route, provinces, entry_station, exit_station, departure (ISO), window_hours; escort_kit_checks:
    medical_escort, kit [{name, quantity}], health_checks; list_check_subsidy: government_share,
    enterprise_share, worker_share (sum 100); landing_handover: reception_point, contact."""
    return services.department_task_complete(actor=request.user, task_id=task_id, data=payload.data)


# ------------------------------------------------------------------------------------------------
# Permits
# ------------------------------------------------------------------------------------------------


@router.get("/permits", response=answers(list[PermitOut]), summary="Permits visible to the caller")
@paginate
def permits(request: HttpRequest, to_sign: bool = False, state: str = "") -> Any:
    qs = (
        selectors.permits_to_sign(actor=request.user)
        if to_sign
        else selectors.permits_visible(actor=request.user)
    )
    if state:
        qs = qs.filter(state=state)
    return qs.prefetch_related("signatures")


@router.get(
    "/permits/verify",
    response=answers(VerificationOut, public=True),
    auth=None,
    summary="Verify a permit token (public)",
)
def permit_verify(request: HttpRequest, token: str) -> Any:
    """The same check as ``homeward permit verify TOKEN --keys FILE`` against the current keys."""
    return services.permit_verify(token).to_dict()


@router.get(
    "/permits/keys",
    response=answers(dict[str, Any], public=True),
    auth=None,
    summary="Public keys and the signed revocation list (keys file)",
)
def permit_keys(request: HttpRequest) -> HttpResponse:
    return HttpResponse(services.keys_file_text(), content_type="application/json; charset=utf-8")


@router.get("/permits/{int:permit_id}", response=answers(PermitOut, errors=(404,)), summary="One permit")
def permit_detail(request: HttpRequest, permit_id: Id) -> Permit:
    return services.permit_get(actor=request.user, permit_id=permit_id)


@router.post(
    "/permits/{int:permit_id}/sign",
    response=answers(PermitOut, errors=(404, 409)),
    summary="Sign as the caller's department; issued when the last required signature lands",
)
def permit_sign(request: HttpRequest, permit_id: Id) -> Any:
    return services.permit_sign(actor=request.user, permit_id=permit_id)


@router.post(
    "/permits/{int:permit_id}/revoke",
    response=answers(PermitOut, errors=(404, 409)),
    summary="Revoke an issued permit (task force)",
)
def permit_revoke(request: HttpRequest, permit_id: Id, payload: RevokeIn) -> Any:
    return services.permit_revoke(actor=request.user, permit_id=permit_id, reason=payload.reason)


@router.get(
    "/permits/{int:permit_id}/pdf",
    **answers_file("application/pdf", errors=(404, 409)),
    summary="The printable A5 PDF with its QR code",
)
def permit_pdf(request: HttpRequest, permit_id: Id) -> HttpResponse:
    permit, content = services.permit_pdf(actor=request.user, permit_id=permit_id)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{permit.permit_id}.pdf"'
    return response
