"""The task force's audit-log viewer: filters, paging with true totals, and an audited .xlsx export."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from homeward.apps.accounts.policy import authorize
from homeward.apps.audit import selectors, services
from homeward.core.errors import DomainError
from homeward.core.ingest.export import XLSX_CONTENT_TYPE

PAGE_SIZE = 50
_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("操作者"), required=False, max_length=150)
    action = forms.CharField(
        label=_("动作"),
        required=False,
        max_length=65,
        widget=forms.TextInput(attrs={"list": "audit-actions"}),
    )
    object_type = forms.CharField(label=_("对象类型"), required=False, max_length=64)
    object_id = forms.CharField(label=_("对象"), required=False, max_length=64)
    since = forms.DateTimeField(label=_("起"), required=False, widget=_WHEN)
    until = forms.DateTimeField(label=_("止"), required=False, widget=_WHEN)

    def filters(self) -> selectors.AuditFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return selectors.AuditFilters(
            actor=data.get("actor", "").strip(),
            action=data.get("action", "").strip(),
            object_type=data.get("object_type", "").strip(),
            object_id=data.get("object_id", "").strip(),
            since=data.get("since"),
            until=data.get("until"),
        )


def _refused(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(
        request,
        "registry/import_denied.html",
        {"message": error.message, "reason": error.code},
        status=error.status,
    )


@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    try:
        authorize(request.user, "audit.read")
    except DomainError as exc:
        return _refused(request, exc)
    form = AuditFilterForm(request.GET)
    page = Paginator(selectors.audit_events(form.filters()), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "actions": selectors.audit_actions()}
    return render(request, "audit/log.html", context)


@require_GET
def audit_log_export(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    try:
        content = services.audit_log_export(actor=request.user, filters=form.filters())
    except DomainError as exc:
        return _refused(request, exc)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''audit-{stamp}.xlsx"
    return response
