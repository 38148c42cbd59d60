"""Import pages (task force only): upload a file, follow its run, read the report, download rejects.

The run detail page polls a status partial every second with HTMX while the run is queued or
running; the partial it gets back once the run is done carries no trigger, so polling stops.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from homeward.apps.accounts.policy import authorize
from homeward.apps.audit.runs import ACTIVE_STATES
from homeward.apps.audit.services import audit_record
from homeward.apps.registry.models import ImportRun
from homeward.apps.registry.selectors import import_run_get, import_runs
from homeward.apps.registry.services import import_run_create
from homeward.core.errors import DomainError
from homeward.core.ingest.export import XLSX_CONTENT_TYPE, xlsx_bytes

SHOWN_REJECTED = 200
ALLOWED_SUFFIXES = (".csv", ".xlsx", ".xls", ".txt")


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=ImportRun.Kind.choices)
    file = forms.FileField(label=_("文件 (.xlsx、.xls 或 .csv)"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith(ALLOWED_SUFFIXES):
            raise forms.ValidationError(_("只接受 .xlsx、.xls 或 .csv 文件"), code="format")
        return upload


def _denied(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(
        request,
        "registry/import_denied.html",
        {"message": exc.message, "reason": exc.code},
        status=exc.status,
    )


def _report_context(run: ImportRun) -> dict[str, Any]:
    report = run.report if isinstance(run.report, dict) else {}
    rejected = report.get("rejected") or []
    rows_total = run.rows_total or 0
    percent = min(100, round(100 * run.rows_done / rows_total)) if rows_total else 0
    return {
        "run": run,
        "report": report,
        "rejected_shown": rejected[:SHOWN_REJECTED],
        "rejected_count": report.get("rejected_count", len(rejected)),
        "rejected_stored": len(rejected),
        "active": run.state in ACTIVE_STATES,
        "percent": percent,
    }


@require_GET
def import_list(request: HttpRequest) -> HttpResponse:
    try:
        runs = import_runs(actor=request.user)
    except DomainError as exc:
        return _denied(request, exc)
    return render(request, "registry/import_list.html", {"runs": runs, "form": ImportUploadForm()})


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """GET: the form (for those the policy lets import); POST: the upload service decides."""
    error: DomainError | None = None
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        try:
            if not form.is_valid():
                authorize(request.user, "import.run")  # a refusal beats a form error
            else:
                run = import_run_create(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    uploaded_file=form.cleaned_data["file"],
                )
                return redirect("import-detail", run_id=run.pk)
        except DomainError as exc:
            if exc.status in (403, 404):
                return _denied(request, exc)
            error = exc
    else:
        try:
            authorize(request.user, "import.run")
        except DomainError as exc:
            return _denied(request, exc)
        form = ImportUploadForm(initial={"kind": request.GET.get("kind", "roster")})
    status = 400 if request.method == "POST" else 200
    return render(request, "registry/import_upload.html", {"form": form, "error": error}, status=status)


@require_GET
def import_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    try:
        run = import_run_get(actor=request.user, run_id=run_id)
    except DomainError as exc:
        return _denied(request, exc)
    return render(request, "registry/import_detail.html", _report_context(run))


@require_GET
def import_status(request: HttpRequest, run_id: int) -> HttpResponse:
    try:
        run = import_run_get(actor=request.user, run_id=run_id)
    except DomainError as exc:
        return _denied(request, exc)
    return render(request, "registry/import_status.html", _report_context(run))


@require_GET
def import_rejects(request: HttpRequest, run_id: int) -> HttpResponse:
    """The rejected rows as .xlsx (every cell neutralised against formula injection)."""
    try:
        run = import_run_get(actor=request.user, run_id=run_id)
    except DomainError as exc:
        return _denied(request, exc)
    report = run.report if isinstance(run.report, dict) else {}
    rows = (
        [r.get("row"), r.get("field"), r.get("reason"), r.get("message")]
        for r in report.get("rejected") or []
    )
    content = xlsx_bytes(["行号 row", "字段 field", "原因 reason", "说明 message"], rows, sheet="rejected")
    audit_record(
        actor=request.user, action="import.rejects_download", object_type="import_run", object_id=run.pk
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename=import-{run.pk}-rejected-{stamp}.xlsx"
    return response
