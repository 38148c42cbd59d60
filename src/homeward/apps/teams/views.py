"""The service team's pages (``team/``): the workspace, recording and verifying an origin-side
health status, booking tests for a trip's passengers. Views parse input, call one service or
selector, render or redirect back to the workspace (forms are safe to resend: a nonce, a
conditional update, a unique booking)."""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from homeward.apps.applications.models import HealthCode
from homeward.apps.teams import selectors, services
from homeward.apps.teams.models import TestResult
from homeward.core.errors import DomainError
from homeward.i18n import BEIJING


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(
        request, "teams/error.html", {"message": exc.message, "reason": exc.code}, status=exc.status
    )


def _back(province: str) -> HttpResponse:
    return redirect(reverse("teams:workspace") + "?" + urlencode({"province": province}))


def _beijing(value: str) -> datetime | None:
    """A ``datetime-local`` field's value, read as Beijing time (None when empty)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise DomainError("时间格式不对 (bad date and time)", "bad_time") from None
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
