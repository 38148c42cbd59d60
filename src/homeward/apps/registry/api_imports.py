"""Import endpoints (task force only): POST /imports/{kind} uploads a file, GET /imports/{id} reads
the run and its report. The upload runs as a task; poll the GET until ``state`` is done or failed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import File, Header, Router, Schema, Status
from ninja.files import UploadedFile

from homeward.apps.accounts.roles import is_taskforce
from homeward.apps.audit.services import audit_record
from homeward.apps.registry.models import ImportRun
from homeward.apps.registry.services import import_run_create
from homeward.core.errors import NotFound, PermissionDenied

router = Router(tags=["imports 数据导入"])


class ImportRunOut(Schema):
    id: int
    kind: str
    state: str
    original_name: str
    sha256: str
    created_at: datetime
    finished_at: datetime | None
    rows_total: int
    rows_done: int
    error: str
    error_code: str
    report: dict[str, Any]


def _require_taskforce(request: HttpRequest, what: str) -> None:
    if not is_taskforce(request.user):
        audit_record(actor=request.user, action="denied", object_type="import_run", data={"api": what})
        raise PermissionDenied("只有专班可以导入数据 (task force only)", "forbidden")


@router.get("/imports/{int:run_id}", response=ImportRunOut, summary="An import run and its report")
def import_run_get(request: HttpRequest, run_id: int) -> ImportRun:
    _require_taskforce(request, "import-get")
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"导入 {run_id} 不存在 (no such import run)", "not_found")
    return run


@router.post(
    "/imports/{kind}",
    response={202: ImportRunOut},
    summary="Upload a roster, police or carrier file (.xlsx/.csv) to import",
)
def import_run_post(
    request: HttpRequest,
    kind: str,
    file: Annotated[UploadedFile, File()],
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key")] = "",
) -> Status[ImportRun]:
    """Returns the run at once (202); the same content while a run of it is queued or running, or
    a repeated Idempotency-Key, returns that run instead of starting another."""
    _require_taskforce(request, "import-post")
    run = import_run_create(
        actor=request.user, kind=kind, uploaded_file=file, idempotency_key=idempotency_key[:100]
    )
    run.refresh_from_db()
    return Status(202, run)
