"""The worker's own pages (no account): sign in by the one-time link or the short code, then the
trip, the e-ticket QR code, confirm / decline and the health declaration. And the button on an
application's page that issues a worker's link. Views parse input, call one service, render.

The worker's session holds only ``{"w": worker row id, "until": ISO time}`` under ``SESSION_KEY``
(after ``cycle_key``); anything else in the session (a staff sign-in on the same phone) is not
consulted by these pages."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import segno
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from homeward.apps.accounts.policy import WorkerSession
from homeward.apps.applications.services import verify_url
from homeward.apps.ops.login import client_ip
from homeward.apps.teams.recognition import reason_labels as recognition_reasons
from homeward.apps.trips.services import scans
from homeward.apps.trips.services import self_service as svc
from homeward.apps.trips.words import leg_view
from homeward.core.errors import DomainError
from homeward.core.permits import verify_link
from homeward.i18n import beijing_time

SESSION_KEY = "homeward_worker"


def _start_session(request: HttpRequest, session: WorkerSession) -> None:
    request.session.cycle_key()
    until = timezone.now() + timedelta(hours=svc.SESSION_HOURS)
    request.session[SESSION_KEY] = {
        "w": session.application_worker_id, "p": session.person_id, "until": until.isoformat(),
    }  # fmt: skip


def worker_session(request: HttpRequest) -> WorkerSession | None:
    """The worker signed in on this browser (a link or a short code), or None."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        if datetime.fromisoformat(str(data["until"])) <= timezone.now():
            request.session.pop(SESSION_KEY, None)
            return None
        return WorkerSession(int(data["w"]), int(data.get("p") or 0))
    except (KeyError, TypeError, ValueError):
        return None


_session = worker_session


def _error(request: HttpRequest, exc: DomainError, template: str = "trips/error.html") -> HttpResponse:
    return render(request, template, {"message": exc.message, "reason": exc.code}, status=exc.status)


def _qr_svg(token: str) -> str:
    qr = segno.make(verify_link(verify_url(), token), error="m", micro=False)
    return mark_safe(qr.svg_inline(scale=3, border=2, omitsize=True, title=str(_("电子车票"))))  # noqa: S308 (segno's own SVG)


def _trip_context(session: WorkerSession) -> dict[str, Any]:
    trip = svc.worker_trip(actor=session)
    ticket = trip.ticket
    return {
        "trip": trip,
        "worker": trip.worker,
        "ticket": ticket,
        "legs": [leg_view(x) for x in ticket.legs] if ticket else [],
        "qr": _qr_svg(ticket.token) if ticket else "",
        "declare_by": beijing_time(trip.declare_by, zone_name=False) if trip.declare_by else "",
        "declare_open": trip.declare_open,
        "nonce": uuid.uuid4().hex,
        "temperature_min": svc.TEMPERATURE_MIN,
        "temperature_max": svc.TEMPERATURE_MAX,
    }


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def worker_home(request: HttpRequest) -> HttpResponse:
    """GET: the worker's trip, or the short-code form. POST: sign in with code + ID last four."""
    if request.method == "POST":
        try:
            session = svc.worker_code_signin(
                code=request.POST.get("code", ""),
                id_last4=request.POST.get("last4", ""),
                ip=client_ip(request),
            )
        except DomainError as exc:
            return render(request, "trips/signin.html", {"message": exc.message}, status=exc.status)
        _start_session(request, session)
        return redirect("trips:home")
    current = _session(request)
    if current is None:
        return render(request, "trips/signin.html", {})
    if not current.application_worker_id and current.person_id:  # reached by a letter: no trip yet
        return redirect("letters:reply")
    try:
        context = _trip_context(current)
    except DomainError as exc:
        return _error(request, exc)
    return render(request, "trips/trip.html", context)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def worker_start(request: HttpRequest) -> HttpResponse:
    """GET ``?k=``: a button that spends the one-time link (a link preview only GETs); POST: spend it."""
    if request.method == "GET":
        return render(request, "trips/start.html", {"k": request.GET.get("k", "")[:100]})
    try:
        session = svc.worker_link_redeem(token=request.POST.get("k", "")[:100])
    except DomainError as exc:
        return _error(request, exc)
    _start_session(request, session)
    return redirect("trips:home")


def _respond(request: HttpRequest, action: Any, **fields: Any) -> HttpResponse:
    session = _session(request)
    if session is None and not request.user.is_authenticated:
        return redirect("trips:home")  # the sign-in form
    try:
        action(actor=session or request.user, **fields)
    except DomainError as exc:
        return _error(request, exc)
    return redirect("trips:home")


@login_not_required
@never_cache
@require_POST
def worker_confirm(request: HttpRequest) -> HttpResponse:
    return _respond(request, svc.trip_confirm)


@login_not_required
@never_cache
@require_POST
def worker_decline(request: HttpRequest) -> HttpResponse:
    return _respond(request, svc.trip_decline)


@login_not_required
@never_cache
@require_POST
def worker_health(request: HttpRequest) -> HttpResponse:
    return _respond(
        request,
        svc.health_declare,
        health_code=request.POST.get("health_code", ""),
        temperature=request.POST.get("temperature", "")[:10],
        nonce=request.POST.get("nonce", ""),
    )


@login_not_required
@never_cache
@require_POST
def worker_signout(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("trips:home")


@never_cache
@require_POST
def worker_link_issue(request: HttpRequest, application_id: int, row_id: int) -> HttpResponse:
    """The enterprise or the task force: a worker's one-time link and short code, shown once."""
    try:
        issued = svc.worker_link_issue(actor=request.user, worker_id=row_id, application_id=application_id)
    except DomainError as exc:
        return _error(request, exc)
    return render(
        request,
        "trips/link_issued.html",
        {
            "issued": issued,
            "application_id": application_id,
            "expires": beijing_time(issued.expires_at, zone_name=False),
        },
    )


@never_cache
@require_http_methods(["GET"])
def scan_page(request: HttpRequest) -> HttpResponse:
    """The scanner (station and gate staff, the task force, an enterprise at its gate): the page
    reads a ticket's QR code or takes a typed ID number and posts to ``/api/v1/scans``; offline, the
    scan waits in the phone's IndexedDB until the network returns (``static/homeward/scan.js``)."""
    from homeward.apps.trips.selectors import scan_page_options

    try:
        options = scan_page_options(actor=request.user)
    except DomainError as exc:
        return _error(request, exc, "trips/scan_denied.html")
    from homeward.apps.accounts.policy import allows

    return render(
        request,
        "trips/scan.html",
        {
            **options, "messages_js": scan_messages(),
            "manifest": allows(request.user, "scan.manifest"),
            "handover": allows(request.user, "observation.handover"),
            "temperature_min": scans.TEMPERATURE_MIN, "temperature_max": scans.TEMPERATURE_MAX,
        },
    )  # fmt: skip


def scan_messages() -> dict[str, str]:
    """What the scanner page says, in the page's language (read by scan.js)."""
    return {
        "ok": _("通过"), "observation": _("留观：请安排到观察区，并交接健康点"), "refused": _("拒绝"),
        # a label and its text, e.g. "拒绝：车票已作废" / "Rejected: ticket revoked" (the colon is the language's)
        "labelled": _("{label}：{text}"),
        "conflict": _("冲突：已有另一次扫码记录"), "already_boarded": _("已上车，请勿重复扫码"),
        "duplicate": _("此次扫码已记录过"), "sending": _("正在提交…"),
        "queued": _("网络不通：已保存在本机，联网后自动上传"), "uploaded": _("离线扫码已上传"),
        "failed": _("提交失败"),
        "fever": _("体温 ≥ 37.3 °C"), "health_code": _("健康码非绿码"),
        "revoked": _("车票已作废"), "declined": _("本人已谢绝行程"), "removed": _("已从名单移除"),
        "no_leg": _("车票没有这一程"), "wrong_vehicle": _("不是本车的车票"), "over_capacity": _("本车已满员"),
        "wrong_place": _("不是本站点的扫码"), "out_of_scope": _("无权在此环节扫码"),
        "no_ticket": _("没有找到有效车票"), "expired": _("车票不在有效期内"), "not_yet_valid": _("车票不在有效期内"),
        "invalid": _("车票无法核验（可能被篡改）"), "bad_scan": _("扫码信息不完整"),
        "bad_temperature": _("体温应为 {min}–{max} °C 之间的数字").format(
            min=scans.TEMPERATURE_MIN, max=scans.TEMPERATURE_MAX
        ),
        "not_your_vehicle": _("不是您随车的车辆上的乘客"),
        **manifest_messages(),
        **recognition_reasons(),
    }  # fmt: skip


def manifest_messages() -> dict[str, str]:
    """The passenger list's words (states, health, hand-over), in the page's language."""
    return {
        "state_expected": _("待上车"), "state_boarded": _("已上车"), "state_arrived": _("已到达"),
        "state_observation": _("留观"), "state_handed_over": _("已交健康点"), "state_cleared": _("已排除"),
        "state_isolated": _("已隔离"), "state_no_show": _("未到"), "state_declined": _("已谢绝"),
        "code_green": _("绿码"), "code_yellow": _("黄码"), "code_red": _("红码"), "code_": _("未申报"),
        "fetched_at": _("名单更新于"), "offline_manifest": _("离线：显示上次下载的名单"),
        "no_vehicle": _("当前计划中没有您的车辆"), "handover": _("交接健康点"),
        "handed_over": _("已交接"), "handover_failed": _("交接失败"),
        "total": _("共"), "people": _("人"),
    }  # fmt: skip


@never_cache
@require_http_methods(["GET"])
def observations_page(request: HttpRequest) -> HttpResponse:
    """The health department's list of workers handed to health posts, with their outcome forms."""
    from homeward.apps.accounts.policy import allows
    from homeward.apps.trips.models import ObservationOutcome
    from homeward.apps.trips.selectors import observation_list
    from homeward.apps.trips.services.tickets import holder_name

    outcome = request.GET.get("outcome", "")
    outcome = outcome if outcome in ObservationOutcome.values else ""
    try:
        rows = observation_list(actor=request.user, outcome=outcome)
    except DomainError as exc:
        return _error(request, exc, "trips/observations_denied.html")
    items = [
        {
            "h": h,
            "holder": f"{holder_name(h.worker.name)} {h.worker.id_number[-4:]}",
            "handed_at": beijing_time(h.handed_at, zone_name=False),
            "outcome_at": beijing_time(h.outcome_at, zone_name=False) if h.outcome_at else "",
        }  # fmt: skip
        for h in rows
    ]
    return render(
        request,
        "trips/observations.html",
        {
            "items": items, "outcome": outcome, "outcomes": ObservationOutcome.choices,
            "can_decide": allows(request.user, "observation.outcome"),
        },
    )  # fmt: skip


@require_POST
def observation_outcome(request: HttpRequest, handover_id: int) -> HttpResponse:
    """Record the health department's outcome (cleared / isolated) for one hand-over; back to the list."""
    from django.contrib import messages

    from homeward.apps.trips.services.observations import observation_outcome as decide

    try:
        decide(
            actor=request.user, handover_id=handover_id, outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
        )  # fmt: skip
    except DomainError as exc:
        if exc.status in (403, 404):
            return _error(request, exc, "trips/observations_denied.html")
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已记录判定结果"))
    return redirect("trips:observations")


@never_cache
@require_http_methods(["GET"])
def tracing_page(request: HttpRequest) -> HttpResponse:
    """Contact tracing (health department, task force): ``?worker=`` a worker row id or an ID number;
    the close contacts of each leg the worker rode, masked, and the unmasked .xlsx to download."""
    from homeward.apps.accounts.policy import authorize
    from homeward.apps.trips import tracing

    term = request.GET.get("worker", "").strip()
    found = None
    try:
        if term:
            found = tracing.contacts_for(actor=request.user, worker=term)
        else:
            authorize(request.user, "tracing.read")
    except DomainError as exc:
        if exc.status == 404 and term:
            return render(request, "trips/tracing.html", {"term": term, "message": exc.message}, status=404)
        return _error(request, exc, "trips/tracing_denied.html")
    return render(
        request,
        "trips/tracing.html",
        {"term": term, "found": found, "source_labels": tracing.SOURCE_LABELS},
    )


@never_cache
@require_http_methods(["GET"])
def tracing_export(request: HttpRequest) -> HttpResponse:
    """The close contacts of ``?worker=`` as .xlsx, unmasked for the health authority (audited)."""
    from homeward.apps.trips import tracing
    from homeward.core.ingest.export import XLSX_CONTENT_TYPE, xlsx_bytes

    try:
        found = tracing.contacts_for(actor=request.user, worker=request.GET.get("worker", ""), export=True)
    except DomainError as exc:
        return _error(request, exc, "trips/tracing_denied.html")
    cells = [row.cells(n) for n, row in enumerate(found.contacts, start=1)]
    body = xlsx_bytes(tracing.EXPORT_HEADERS, cells, sheet="密切接触者")
    response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename=contacts-{found.case.pk}.xlsx"
    return response
