"""Registry pages: enterprise and worker lists (masked), a reveal action, and .xlsx exports."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from homeward.apps.registry import selectors
from homeward.apps.registry.exports import enterprises_xlsx_response
from homeward.apps.registry.models import Worker
from homeward.apps.registry.personal_data import audit_list_read, may_reveal, person_out
from homeward.core.errors import DomainError

PAGE_SIZE = 50


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The refusal as a partial for HTMX, else as a page."""
    template = "partials/error.html" if getattr(request, "htmx", False) else "registry/import_denied.html"
    return render(request, template, {"message": exc.message, "reason": exc.code}, status=exc.status)


@require_GET
def enterprise_list(request: HtmxRequest) -> HttpResponse:
    town = request.GET.get("town", "")
    search = request.GET.get("q", "")
    key_only = request.GET.get("key") == "1"
    try:
        qs = selectors.enterprise_list(actor=request.user, town=town, search=search, key_only=key_only)
    except DomainError as exc:
        return _error(request, exc)
    if request.GET.get("format") == "xlsx":
        return enterprises_xlsx_response(qs)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "towns": selectors.town_list(),
        "filters": {"town": town, "q": search, "key": key_only},
    }
    template = "registry/_enterprise_rows.html" if request.htmx else "registry/enterprise_list.html"
    return render(request, template, context)


@require_GET
def worker_list(request: HtmxRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    search = request.GET.get("q", "")
    enterprise_raw = request.GET.get("enterprise", "")
    enterprise_id = int(enterprise_raw) if enterprise_raw.isdigit() else None
    filters = {"enterprise": enterprise_id, "status": status, "q": search}
    error: DomainError | None = None
    try:
        qs = selectors.worker_list(
            actor=request.user, enterprise_id=enterprise_id, status=status, search=search
        )
    except DomainError as exc:  # a search the role may not make: the page says so, lists nobody
        error, qs = exc, Worker.objects.none()
    if error is not None and request.htmx:
        return _error(request, error)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    revealable = may_reveal(request.user)
    rows = [
        {
            "worker": w,
            "contact": person_out(w),
            "reveal_href": reverse("worker-reveal", args=[w.pk]) if revealable else "",
        }
        for w in page.object_list
    ]
    if error is None:
        audit_list_read(
            actor=request.user,
            what="worker",
            rows=len(rows),
            total=page.paginator.count,
            filters={**filters, "page": page.number},
        )
    context = {
        "page": page,
        "rows": rows,
        "statuses": Worker.Status.choices,
        "filters": {"status": status, "q": search, "enterprise": enterprise_raw},
        "error": error,
    }
    template = "registry/_worker_rows.html" if request.htmx else "registry/worker_list.html"
    return render(request, template, context, status=error.status if error else 200)


@require_POST
def worker_reveal_view(request: HttpRequest, worker_id: int) -> HttpResponse:
    try:
        contact = selectors.worker_reveal(actor=request.user, worker_id=worker_id)
    except DomainError as exc:
        return _error(request, exc)
    return render(request, "registry/_worker_contact.html", {"contact": contact, "revealed": _("已显示")})
