"""The daily report page 日报 (task force; a town officer sees their town's row): pick a day, see the
table, download it as .xlsx or PDF (each download audited by ``report.daily_report_export``)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from homeward.apps.trips import report
from homeward.apps.trips.report_files import table
from homeward.core.daily_report import BEIJING
from homeward.core.errors import DomainError


def _day(request: HttpRequest) -> date:
    """``?date=`` or, without one, today in Beijing."""
    text = request.GET.get("date", "").strip()
    return report.parse_day(text) if text else timezone.now().astimezone(BEIJING).date()


@never_cache
@require_GET
def report_page(request: HttpRequest) -> HttpResponse:
    try:
        day = _day(request)
        found = report.daily_report_for(actor=request.user, day=day)
    except DomainError as exc:
        template = "trips/report.html" if exc.code == "bad_date" else "trips/report_denied.html"
        return render(request, template, {"message": exc.message, "reason": exc.code}, status=exc.status)
    return render(request, "trips/report.html", {"day": day, "report": found, "rows": table(found)})


@never_cache
@require_GET
def report_file(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        [made] = report.daily_report_export(actor=request.user, day=_day(request), formats=[fmt])
    except DomainError as exc:
        context = {"message": exc.message, "reason": exc.code}
        return render(request, "trips/report_denied.html", context, status=exc.status)
    response = HttpResponse(made.body, content_type=made.content_type)
    response["Content-Disposition"] = f"attachment; filename={made.name}"
    return response
