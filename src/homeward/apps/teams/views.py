"""The service team's pages (``team/``): the workspace, recording and verifying an origin-side
health status, booking tests for a trip's passengers and entering their results. Views parse
input, call one service or selector, render or redirect back to the workspace (forms are safe to
resend: a nonce, a conditional update, a unique booking)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from homeward.apps.accounts.policy import allows
from homeward.apps.applications.models import HealthCode
from homeward.apps.registry.selectors import town_list
from homeward.apps.teams import matches, recruiting, selectors, services
from homeward.apps.teams.models import TestResult
from homeward.core import typed_dates
from homeward.core.errors import DomainError
from homeward.i18n import BEIJING


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    # back to the team workspace only for whoever may open it (an enterprise posts vacancies too)
    context = {"message": exc.message, "reason": exc.code, "workspace": allows(request.user, "team.read")}
    return render(request, "teams/error.html", context, status=exc.status)


def _back(province: str) -> HttpResponse:
    return redirect(reverse("teams:workspace") + "?" + urlencode({"province": province}))


def _beijing(value: str) -> datetime | None:
    """A ``datetime-local`` field's value, read as Beijing time (None when empty)."""
    value = (value or "").strip()
    if not value:
        return None
    parsed = typed_dates.read_datetime(value, not_a_date="时间格式不对 (bad date and time)", code="bad_time")
    return parsed.replace(tzinfo=BEIJING) if timezone.is_naive(parsed) else parsed


@require_http_methods(["GET"])
def workspace(request: HttpRequest) -> HttpResponse:
    try:
        ws = selectors.workspace(
            actor=request.user, province=request.GET.get("province", ""), now=timezone.now()
        )
    except DomainError as exc:
        return _error(request, exc)
    return render(
        request,
        "teams/workspace.html",
        {"ws": ws, "codes": HealthCode.choices, "results": TestResult.choices, "nonce": uuid.uuid4().hex},
    )


@require_POST
def health_record(request: HttpRequest) -> HttpResponse:
    p = request.POST
    try:
        status = services.health_status_record(
            actor=request.user, province=p.get("province", ""), id_number=p.get("id_number", ""),
            health_code=p.get("health_code", ""), code_province=p.get("code_province", ""),
            test_result=p.get("test_result", ""), tested_at=_beijing(p.get("tested_at", "")),
            nonce=p.get("nonce", ""), verified=p.get("verified") == "on",
        )  # fmt: skip
    except DomainError as exc:
        return _error(request, exc)
    return _back(status.province)


@require_POST
def health_verify(request: HttpRequest, status_id: int) -> HttpResponse:
    try:
        status = services.health_status_verify(actor=request.user, status_id=status_id)
    except DomainError as exc:
        return _error(request, exc)
    return _back(status.province)


@require_POST
def tests_schedule(request: HttpRequest) -> HttpResponse:
    p = request.POST
    try:
        at = _beijing(p.get("scheduled_at", ""))
        if at is None:
            raise DomainError("请填写采样时间 (give the testing time)", "bad_booking")
        booked = services.origin_tests_schedule(
            actor=request.user, province=p.get("province", ""), vehicle_key=p.get("vehicle_key", ""),
            place=p.get("place", ""), scheduled_at=at,
        )  # fmt: skip
    except DomainError as exc:
        return _error(request, exc)
    return _back(booked.province)


@require_POST
def booking_result(request: HttpRequest, booking_id: int) -> HttpResponse:
    p = request.POST
    try:
        booking = services.booking_result_record(
            actor=request.user, booking_id=booking_id, test_result=p.get("test_result", ""),
            tested_at=_beijing(p.get("tested_at", "")), nonce=p.get("nonce", ""),
        )  # fmt: skip
    except DomainError as exc:
        return _error(request, exc)
    return _back(booking.province)


def _words(value: str) -> list[str]:
    return [w for w in re.split(r"[,，、;；\s]+", value or "") if w]


def _int(value: str, what: str) -> int:
    try:
        return int((value or "0").strip() or "0")
    except ValueError:
        raise DomainError(f"{what}须为整数 (a whole number is needed)", "bad_number") from None


@require_http_methods(["GET", "POST"])
def recruits(request: HttpRequest) -> HttpResponse:
    """The province's recruits with their best vacancies and offers; POST registers one."""
    province = request.GET.get("province", "") or request.POST.get("province", "")
    try:
        if request.method == "POST":
            p = request.POST
            recruit = recruiting.recruit_register(
                actor=request.user, province=province, id_number=p.get("id_number", ""), name=p.get("name", ""),
                phone=p.get("phone", ""), county=p.get("county", ""), skills=_words(p.get("skills", "")),
                pay_wanted=_int(p.get("pay_wanted", ""), "期望月薪"), towns=p.getlist("towns"),
            )  # fmt: skip
            return redirect(reverse("teams:recruits") + "?" + urlencode({"province": recruit.province}))
        province, rows = matches.recruits_page(actor=request.user, province=province)
    except DomainError as exc:
        return _error(request, exc)
    return render(request, "teams/recruits.html", {"province": province, "rows": rows, "towns": town_list()})


@require_POST
def offer_accept(request: HttpRequest, offer_id: int) -> HttpResponse:
    try:
        offer = recruiting.offer_accept(actor=request.user, offer_id=offer_id)
    except DomainError as exc:
        return _error(request, exc)
    return redirect(reverse("teams:recruits") + "?" + urlencode({"province": offer.recruit.province}))


VACANCY_FIELDS = ("enterprise", "role", "count", "pay_min", "pay_max", "skills", "town", "start_date")


@require_http_methods(["GET", "POST"])
def vacancies(request: HttpRequest) -> HttpResponse:
    """Vacancies: an enterprise's own with their best recruits (POST posts one); a team's, every open one."""
    form: dict[str, str] = {}
    error: DomainError | None = None
    if request.method == "POST":
        p = request.POST
        try:
            start_date = typed_dates.read_date(
                p.get("start_date", ""), not_a_date="到岗日期格式不对 (bad start date)", code="bad_vacancy"
            )
            recruiting.vacancy_post(
                actor=request.user, role=p.get("role", ""), count=_int(p.get("count", ""), "人数"),
                pay_min=_int(p.get("pay_min", ""), "月薪"), pay_max=_int(p.get("pay_max", ""), "月薪"),
                skills=_words(p.get("skills", "")), town_id=_int(p.get("town", ""), "镇街"), start_date=start_date,
                nonce=p.get("nonce", ""), enterprise_id=_int(p.get("enterprise", ""), "企业") or None,
            )  # fmt: skip
            return redirect("teams:vacancies")
        except DomainError as exc:  # the form again, as typed, with what is wrong above it
            form = {k: p.get(k, "")[:200] for k in VACANCY_FIELDS}
            error = exc
    try:
        rows = matches.vacancies_page(actor=request.user)
    except DomainError as exc:
        return _error(request, exc)
    return render(
        request,
        "teams/vacancies.html",
        {
            "rows": rows,
            "towns": town_list(),
            "nonce": uuid.uuid4().hex,
            "can_post": allows(request.user, "vacancy.post"),
            "form": form,
            "form_error": error.message if error is not None else "",
        },
        status=error.status if error is not None else 200,
    )


@require_POST
def offer_make(request: HttpRequest, vacancy_id: int) -> HttpResponse:
    try:
        recruiting.offer_make(
            actor=request.user,
            vacancy_id=vacancy_id,
            recruit_id=_int(request.POST.get("recruit", ""), "人员"),
        )
    except DomainError as exc:
        return _error(request, exc)
    return redirect("teams:vacancies")
