"""Import pages (task force only): upload a file, follow its run, read the report, download rejects.

The run detail page polls a status partial every second with HTMX while the run is queued or
running; the partial it gets back once the run is done carries no trigger, so polling stops.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from homeward.apps.accounts.roles import is_taskforce
from homeward.apps.audit.runs import ACTIVE_STATES
from homeward.apps.audit.services import audit_record
from homeward.apps.registry.models import ImportRun
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


def _denied(request: HttpRequest, what: str) -> HttpResponse:
    audit_record(
        actor=request.user,
        action="denied",
        object_type="import_run",
        data={"view": what, "path": request.path},
    )
    return render(
        request,
        "registry/import_denied.html",
        {"message": _("只有专班可以导入数据 (task force only)"), "reason": "forbidden"},
        status=403,
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
    if not is_taskforce(request.user):
        return _denied(request, "import-list")
    runs = ImportRun.objects.select_related("created_by").defer("report")[:100]
    return render(request, "registry/import_list.html", {"runs": runs, "form": ImportUploadForm()})


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    if not is_taskforce(request.user):
        return _denied(request, "import-upload")
    error: DomainError | None = None
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                run = import_run_create(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    uploaded_file=form.cleaned_data["file"],
                )
            except DomainError as exc:
                error = exc
            else:
                return redirect("import-detail", run_id=run.pk)
    else:
        form = ImportUploadForm(initial={"kind": request.GET.get("kind", "roster")})
    status = 400 if request.method == "POST" else 200
    return render(request, "registry/import_upload.html", {"form": form, "error": error}, status=status)


@require_GET
def import_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    if not is_taskforce(request.user):
        return _denied(request, "import-detail")
    run = get_object_or_404(ImportRun.objects.select_related("created_by"), pk=run_id)
    return render(request, "registry/import_detail.html", _report_context(run))


@require_GET
def import_status(request: HttpRequest, run_id: int) -> HttpResponse:
    if not is_taskforce(request.user):
        return _denied(request, "import-status")
    run = get_object_or_404(ImportRun, pk=run_id)
    return render(request, "registry/import_status.html", _report_context(run))


@require_GET
def import_rejects(request: HttpRequest, run_id: int) -> HttpResponse:
    """The rejected rows as .xlsx (every cell neutralised against formula injection)."""
    if not is_taskforce(request.user):
        return _denied(request, "import-rejects")
    run = get_object_or_404(ImportRun, pk=run_id)
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
