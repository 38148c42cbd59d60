"""Letters home pages: campaigns (task force), the worker's reply form (``w/reply/``, by their link),
and the employer's list of its workers' return intentions. Views parse input, call one service,
render."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from homeward.apps.accounts.policy import allows
from homeward.apps.audit.runs import ACTIVE_STATES
from homeward.apps.letters import selectors
from homeward.apps.letters.models import Campaign, Channel, IntentionKind
from homeward.apps.letters.services import (
    campaign_create,
    campaign_preview,
    campaign_resume,
    campaign_send,
    intentions_to_application,
    letter_reply,
)
from homeward.apps.registry.personal_data import audit_list_read, person_out
from homeward.apps.registry.selectors import town_list
from homeward.apps.trips.views import worker_session
from homeward.core import regions
from homeward.core.errors import DomainError
from homeward.core.outreach.audience import Audience
from homeward.core.outreach.letter import DEFAULT_TEMPLATE
from homeward.i18n import beijing_time


def _error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(
        request, "letters/error.html", {"message": exc.message, "reason": exc.code}, status=exc.status
    )


def _provinces() -> list[Any]:
    return [r for r in regions.all_regions("province")]


@require_http_methods(["GET", "POST"])
def campaign_list(request: HttpRequest) -> HttpResponse:
    """GET: the campaigns and the form for a new one; POST: create a draft, then its page."""
    form: dict[str, Any] = {"template": DEFAULT_TEMPLATE, "channel": Channel.FILE}
    error = None
    if request.method == "POST":
        form = request.POST.dict()
        try:
            c = campaign_create(
                actor=request.user,
                name=request.POST.get("name", ""),
                template=request.POST.get("template", ""),
                hotline=request.POST.get("hotline", ""),
                channel=request.POST.get("channel", ""),
                audience={
                    "origin": request.POST.get("origin", ""),
                    "town": request.POST.get("town", ""),
                    "enterprise": request.POST.get("enterprise", ""),
                    "risk": request.POST.getlist("risk"),
                    "status": request.POST.getlist("status") or ["away"],
                },
            )
            return redirect("letters:detail", c.pk)
        except DomainError as exc:
            if exc.status != 400:
                return _error_page(request, exc)
            error = exc
    try:
        campaigns = list(selectors.campaign_list(actor=request.user)[:50])
    except DomainError as exc:
        return _error_page(request, exc)
    return render(
        request,
        "letters/campaigns.html",
        {
            "campaigns": campaigns,
            "form": form,
            "error": error,
            "channels": Channel.choices,
            "towns": town_list(),
            "provinces": _provinces(),
        },  # fmt: skip
        status=400 if error else 200,
    )


def _campaign_context(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    return {
        "campaign": campaign,
        "active": campaign.state in ACTIVE_STATES,
        "counts": selectors.campaign_counts(campaign),
        "can_send": allows(request.user, "campaign.send", campaign),
    }


@require_GET
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    try:
        campaign = selectors.campaign_get(actor=request.user, campaign_id=campaign_id)
        preview = campaign_preview(actor=request.user, campaign_id=campaign.pk)
        size = selectors.audience_size(actor=request.user, audience=Audience.from_json(campaign.audience))
    except DomainError as exc:
        return _error_page(request, exc)
    aud = Audience.from_json(campaign.audience)
    context = _campaign_context(request, campaign) | {
        "preview": preview,
        "size": size,
        "origin_name": regions.full_name_or_code(aud.origin) if aud.origin else "",
        "created": beijing_time(campaign.created_at),
    }
    return render(request, "letters/detail.html", context)


@require_GET
def campaign_status(request: HttpRequest, campaign_id: int) -> HttpResponse:
    try:
        campaign = selectors.campaign_get(actor=request.user, campaign_id=campaign_id)
    except DomainError as exc:
        return render(
            request, "partials/error.html", {"message": exc.message, "reason": exc.code}, status=exc.status
        )
    return render(request, "letters/_status.html", _campaign_context(request, campaign))


def _queue(request: HttpRequest, campaign_id: int, service: Any) -> HttpResponse:
    try:
        service(actor=request.user, campaign_id=campaign_id)
    except DomainError as exc:
        return _error_page(request, exc)
    return redirect("letters:detail", campaign_id)


@require_POST
def campaign_send_view(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _queue(request, campaign_id, campaign_send)


@require_POST
def campaign_resume_view(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _queue(request, campaign_id, campaign_resume)


# ------------------------------------------------------------------------------ the worker's reply


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def worker_reply(request: HttpRequest) -> HttpResponse:
    """The short phone form: returning (date, county now, transport) or not (why), health code."""
    session = worker_session(request)
    actor = session or (request.user if request.user.is_authenticated else None)
    if actor is None:
        return redirect("trips:home")  # the sign-in form
    try:
        selectors.replying_worker(actor=actor)
    except DomainError as exc:
        return _error_page(request, exc)
    context: dict[str, Any] = {"nonce": uuid.uuid4().hex, "kinds": IntentionKind.choices, "form": {}}
    if request.method == "POST":
        try:
            letter_reply(
                actor=actor,
                kind=request.POST.get("kind", ""),
                return_date=request.POST.get("return_date", ""),
                county=request.POST.get("county", ""),
                needs_transport=request.POST.get("needs_transport") == "1",
                health_code=request.POST.get("health_code", ""),
                reason=request.POST.get("reason", ""),
                opt_out=request.POST.get("opt_out") == "1",
                nonce=request.POST.get("nonce", ""),
            )
        except DomainError as exc:
            context |= {"message": exc.message, "reason": exc.code, "form": request.POST.dict()}
            return render(request, "letters/reply.html", context, status=exc.status)
        context["thanks"] = True
    context["has_trip"] = bool(session is not None and session.application_worker_id)
    return render(request, "letters/reply.html", context)


# ----------------------------------------------------------------------- the employer's intentions


@require_GET
def intention_page(request: HttpRequest) -> HttpResponse:
    try:
        rows = list(selectors.intention_list(actor=request.user)[:500])
    except DomainError as exc:
        return _error_page(request, exc)
    audit_list_read(actor=request.user, what="intention", rows=len(rows), filters={})
    items = [
        {
            "intention": i,
            "person": person_out(i.person),
            "county_name": regions.full_name_or_code(i.county_code) if i.county_code else "",
        }
        for i in rows
    ]
    return render(
        request,
        "letters/intentions.html",
        {"items": items, "layer": selectors.intention_layer(actor=request.user, by="origin")},
    )


@require_POST
def intention_apply(request: HttpRequest) -> HttpResponse:
    """One action: the picked intentions become a draft return application."""
    picked = [p for p in request.POST.getlist("person") if p.isdigit() and len(p) < 19]
    try:
        app = intentions_to_application(actor=request.user, person_ids=[int(p) for p in picked])
    except DomainError as exc:
        return _error_page(request, exc)
    return redirect("applications:detail", app.pk)
