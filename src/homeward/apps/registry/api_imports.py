"""Import endpoints (task force only): POST /imports/{kind} uploads a file, GET /imports/{id} reads
the run and its report. The upload runs as a task; poll the GET until ``state`` is done or failed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.urls import register_converter
from ninja import File, Header, Router, Schema, Status
from ninja.files import UploadedFile

from homeward.api_contract import Id, answers
from homeward.apps.registry.models import ImportRun
from homeward.apps.registry.selectors import import_run_get as import_run_of
from homeward.apps.registry.services import import_run_create
from homeward.core.ingest.headers import KINDS, Kind

router = Router(tags=["imports 数据导入"])


class ImportKindConverter:
    """``/imports/{import_kind:kind}`` matches only the kinds, so that ``GET /imports/abc`` is a 404
    rather than a 405 from the upload's POST-only route."""

    regex = "|".join(KINDS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ImportKindConverter, "import_kind")


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


# /imports/<number> and /imports/<kind> are two routes: a method the other one takes is a 405.
@router.get(
    "/imports/{int:run_id}",
    response=answers(ImportRunOut, errors=(404, 405)),
    summary="An import run and its report",
)
def import_run_get(request: HttpRequest, run_id: Id) -> ImportRun:
    return import_run_of(actor=request.user, run_id=run_id)


@router.post(
    "/imports/{import_kind:kind}",
    response=answers(ImportRunOut, status=202, errors=(404, 405, 409)),
    summary="Upload a roster, police or carrier file (.xlsx/.csv) to import",
)
def import_run_post(
    request: HttpRequest,
    kind: Kind,
    file: Annotated[UploadedFile, File()],
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key")] = "",
) -> Status[ImportRun]:
    """Returns the run at once (202); the same content while a run of it is queued or running, or
    a repeated Idempotency-Key, returns that run instead of starting another."""
    run = import_run_create(
        actor=request.user, kind=kind, uploaded_file=file, idempotency_key=idempotency_key[:100]
    )
    run.refresh_from_db()
    return Status(202, run)
