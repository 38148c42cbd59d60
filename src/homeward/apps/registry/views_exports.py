"""Export pages: ask for an .xlsx of a list, watch its progress, download it when built."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from homeward.apps.audit.runs import ACTIVE_STATES
from homeward.apps.registry.models import ExportRun
from homeward.apps.registry.selectors import export_run_get
from homeward.apps.registry.services.exports import export_run_download, export_run_request
from homeward.core.errors import DomainError
from homeward.core.ingest.export import XLSX_CONTENT_TYPE


def _denied(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(
        request, "partials/error.html", {"message": exc.message, "reason": exc.code}, status=exc.status
    )


def _status(request: HttpRequest, run: ExportRun, status: int = 200) -> HttpResponse:
    return render(
        request,
        "registry/_export_status.html",
        {"run": run, "active": run.state in ACTIVE_STATES},
        status=status,
    )


@require_POST
def worker_export_start(request: HttpRequest) -> HttpResponse:
    """Queue an export of the workers list with the list's filters (form fields); answer its status."""
    try:
        run = export_run_request(actor=request.user, filters=request.POST)
    except DomainError as exc:
        return _denied(request, exc)
    return _status(request, run, status=202)


@require_GET
def export_status(request: HttpRequest, export_id: int) -> HttpResponse:
    try:
        run = export_run_get(actor=request.user, export_id=export_id)
    except DomainError as exc:
        return _denied(request, exc)
    return _status(request, run)


@require_GET
def export_download(request: HttpRequest, export_id: int) -> HttpResponse:
    try:
        run = export_run_download(actor=request.user, export_id=export_id)
    except DomainError as exc:
        return _denied(request, exc)
    name = str(run.file.name).rsplit("/", 1)[-1]
    # the file is small enough to read (a masked list); FileResponse would stream it
    response = HttpResponse(run.file.read(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
