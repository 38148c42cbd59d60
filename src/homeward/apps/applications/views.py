"""Pages: the enterprise's applications (list, upload with row errors, submit, one status page with
the case and the clock), the departments' queue (complete tasks, sign permits), the permit PDF and
the public verification page. Views parse input, call one service, render."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from homeward.apps.accounts.policy import allows
from homeward.apps.accounts.roles import profile_of
from homeward.apps.applications import queues, selectors, services
from homeward.apps.applications.models import (
    CANCELLABLE_STATES,
    ApplicationState,
    DepartmentTask,
    Permit,
    ReturnApplication,
    TaskKind,
)
from homeward.apps.ops.middleware import camera_allowed
from homeward.apps.planning.selectors import PlannedBus, application_buses
from homeward.apps.registry.personal_data import may_reveal, person_out
from homeward.apps.registry.selectors import home_stations
from homeward.core import permits as core_permits
from homeward.core import regions, typed_dates
from homeward.core.errors import DomainError
from homeward.core.permits.token import TOKEN_PREFIX
from homeward.i18n import beijing_time, join_list

SHOWN_REJECTED = 200
LINKABLE_STATES = (ApplicationState.ACCEPTED, ApplicationState.PLANNED, ApplicationState.IN_TRANSIT)


def _fail(request: HttpRequest, exc: DomainError) -> HttpResponse:
    context = {"message": exc.message, "reason": exc.code}
    if getattr(request, "htmx", False):
        return render(request, "partials/error.html", context, status=exc.status)
    return render(request, "applications/error.html", context, status=exc.status)


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _act(
    request: HttpRequest, application_id: int, service: Callable[..., object], **fields: Any
) -> HttpResponse:
    """Run one application service as the user, then back to the application's page (or the error)."""
    try:
        service(actor=request.user, application_id=application_id, **fields)
    except DomainError as exc:
        return _fail(request, exc)
    return redirect("applications:detail", application_id=application_id)


def _query_without(request: HttpRequest, key: str) -> str:
    """The request's query string without ``key`` (for links that change only that parameter)."""
    params = request.GET.copy()
    params.pop(key, None)
    return params.urlencode()


@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    try:
        context = _list_context(request)
    except DomainError as exc:
        return _fail(request, exc)
    return render(request, "applications/list.html", context)


def _list_context(request: HttpRequest) -> dict[str, Any]:
    filters = queues.Filters.of(request.GET)
    page = queues.application_page(actor=request.user, filters=filters, number=request.GET.get("page"))
    rows = [{"app": a, "clock": selectors.application_clock(a)} for a in page.object_list]
    return {
        "rows": rows,
        "page": page,
        "total": page.paginator.count,
        "filters": filters,
        "states": ApplicationState.choices,
        "state": filters.state,
        "dues": _due_choices(),
        "page_query": _query_without(request, "page"),
        # the page's form applies for the user's own enterprise; the task force names one in the API
        "can_create": allows(request.user, "application.create")
        and getattr(profile_of(request.user), "enterprise_id", None) is not None,
        "form": {},
    }


def _due_choices() -> list[tuple[str, Any]]:
    return [("soon", _("6 小时内到期")), ("overdue", _("已超时")), ("at_risk", _("预计超时"))]


@require_POST
def application_new(request: HttpRequest) -> HttpResponse:
    """A draft for the user's own enterprise (the task force names one: ``enterprise_id``)."""
    raw = request.POST.get("enterprise_id", "")
    try:
        app = services.application_create_draft(
            actor=request.user,
            enterprise_id=int(raw) if raw.isdigit() and len(raw) < 19 else None,
            notes=request.POST.get("notes", ""),
            pickup_from=_local_datetime(request.POST.get("pickup_from", ""), "pickup_from"),
        )
    except DomainError as exc:
        # the form again, as typed, with what is wrong beside it (an error page lost the notes)
        try:
            context = _list_context(request)
        except DomainError:
            return _fail(request, exc)
        context["form"] = {k: request.POST.get(k, "")[:200] for k in ("notes", "pickup_from")}
        context["form_error"] = exc.message
        return render(request, "applications/list.html", context, status=exc.status)
    return redirect("applications:detail", application_id=app.pk)


def _local_datetime(raw: str, field: str) -> datetime | None:
    """A ``datetime-local`` form value in the city's time zone; blank is None."""
    if not raw.strip():
        return None
    value = typed_dates.read_datetime(
        raw[:32],
        not_a_date="时间格式无效，如 2026-03-12 08:00 (not a date and time, e.g. 2026-03-12 08:00)",
        code=field,
    )
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _detail_context(
    request: HttpRequest, app: ReturnApplication, report: dict[str, Any] | None = None
) -> dict[str, Any]:
    user = request.user
    workers = selectors.application_people(actor=user, app=app)  # removed rows name their replacement
    revealable = may_reveal(user)
    active = [w for w in workers if w.active]
    removed = [w for w in workers if not w.active]
    case = getattr(app, "case", None)
    tasks = list(case.tasks.select_related("done_by", "assignee")) if case is not None else []
    task_forms = queues.tasks_to_complete(actor=user, app=app) if case is not None else []
    buses = _plan_buses(task_forms)
    permits = list(selectors.permits_of_application(app).prefetch_related("signatures"))
    to_sign = set(
        selectors.permits_to_sign(actor=request.user)
        .filter(pk__in=[p.pk for p in permits])
        .values_list("pk", flat=True)
    )
    return {
        "app": app,
        "clock": selectors.application_clock(app),
        "workers": [
            {
                "row": w,
                "contact": person_out(w),
                "pickup": regions.full_name_or_code(w.pickup_county_code),
                "reveal_href": reverse("applications:worker-reveal", args=[app.pk, w.pk])
                if revealable
                else "",
            }
            for w in active
        ],  # fmt: skip
        "removed": removed,
        "case": case,
        "tasks": tasks,
        "tasks_done": sum(t.state == DepartmentTask.State.DONE for t in tasks),
        # the open tasks this user completes, as forms on the case page (the queue's service)
        "task_forms": task_forms,
        "task_buses": [(t, buses.get(t.pk, [])) for t in task_forms],
        "can_open_vehicles": allows(user, "plan.manifest"),
        "kinds": TaskKind,
        "now_local": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "stations": home_stations() if task_forms else [],
        "permits": [
            {"permit": p, "can_sign": p.pk in to_sign, **selectors.fill_panel(user, p)} for p in permits
        ],
        "report": report,
        "rejected_shown": (report or {}).get("rejected", [])[:SHOWN_REJECTED],
        "can_edit": allows(user, "application.edit", app) and app.shown_state == ApplicationState.DRAFT,
        # the worker's own page (trips): a one-time link and short code, once the trip is being arranged
        "can_link": allows(user, "worker_link.issue", app) and app.shown_state in LINKABLE_STATES,
        "can_submit": allows(user, "application.submit", app)
        and app.shown_state == ApplicationState.DRAFT
        and bool(active),
        "can_accept": allows(user, "application.accept", app) and app.state == ApplicationState.SUBMITTED,
        "can_cancel": allows(user, "application.cancel", app) and app.shown_state in CANCELLABLE_STATES,
        "idempotency_key": uuid.uuid4().hex,
    }


@require_GET
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    try:
        app = services.application_get(actor=request.user, application_id=application_id)
    except DomainError as exc:
        return _fail(request, exc)
    return render(request, "applications/detail.html", _detail_context(request, app))


@require_GET
def application_clock(request: HttpRequest, application_id: int) -> HttpResponse:
    try:
        app = services.application_get(actor=request.user, application_id=application_id)
    except DomainError as exc:
        return _fail(request, exc)
    return render(
        request, "applications/_clock.html", {"app": app, "clock": selectors.application_clock(app)}
    )


@require_POST
def application_upload(request: HttpRequest, application_id: int) -> HttpResponse:
    upload = request.FILES.get("file")
    try:
        report = services.application_workers_upload(
            actor=request.user,
            application_id=application_id,
            source=upload,
            file_name=upload.name or "" if upload is not None else "",
        )
    except DomainError as exc:
        report = {"error": {"message": exc.message, "reason": exc.code}, "accepted": 0, "rejected": []}
        if exc.status in (403, 404):
            return _fail(request, exc)
    try:  # without a file the service never ran: the scope is checked here
        app = services.application_get(actor=request.user, application_id=application_id)
    except DomainError as exc:
        return _fail(request, exc)
    context = _detail_context(request, app, report)
    template = "applications/_workers.html" if getattr(request, "htmx", False) else "applications/detail.html"
    return render(request, template, context)


@require_POST
def application_submit(request: HttpRequest, application_id: int) -> HttpResponse:
    key = request.POST.get("idempotency_key", "")
    return _act(request, application_id, services.application_submit, idempotency_key=key)


@require_POST
def application_accept(request: HttpRequest, application_id: int) -> HttpResponse:
    return _act(request, application_id, services.application_accept)


@require_POST
def application_cancel(request: HttpRequest, application_id: int) -> HttpResponse:
    return _act(request, application_id, services.application_cancel, reason=request.POST.get("reason", ""))


@require_POST
def application_worker_remove(request: HttpRequest, application_id: int, row_id: int) -> HttpResponse:
    return _act(request, application_id, services.application_worker_remove, row_id=row_id)


@require_POST
def application_worker_reveal(request: HttpRequest, application_id: int, row_id: int) -> HttpResponse:
    try:
        contact = selectors.application_worker_reveal(
            actor=request.user, application_id=application_id, row_id=row_id
        )
    except DomainError as exc:
        return render(
            request, "partials/error.html", {"message": exc.message, "reason": exc.code}, status=exc.status
        )
    return render(request, "registry/_worker_contact.html", {"contact": contact})


def _plan_buses(tasks: list[DepartmentTask]) -> dict[int, list[PlannedBus]]:
    """The plan buses each open transport task of ``tasks`` confirms and signs (by task id)."""
    route_tasks = [
        t for t in tasks if t.kind == TaskKind.VEHICLE_ROUTE_PASS and t.state == DepartmentTask.State.OPEN
    ]
    by_app = application_buses({t.case.application_id for t in route_tasks})
    return {t.pk: by_app[t.case.application_id] for t in route_tasks if t.case.application_id in by_app}


@require_GET
def task_queue(request: HttpRequest) -> HttpResponse:
    filters = queues.Filters.of(request.GET, state=DepartmentTask.State.OPEN)
    if filters.state != DepartmentTask.State.DONE:  # the page lists open or done tasks
        filters = dataclasses.replace(filters, state=DepartmentTask.State.OPEN)
    try:
        page = queues.page_of(
            queues.task_search(actor=request.user, filters=filters), request.GET.get("page")
        )
    except DomainError as exc:
        return _fail(request, exc)
    to_sign_qs = queues.permits_to_sign_search(actor=request.user, q=filters.q)
    to_sign = list(to_sign_qs.prefetch_related("signatures")[: queues.PAGE_SIZE])
    for permit in to_sign:  # a pass still 待定 somewhere cannot be signed: say so, offer no button
        permit.unready = selectors.permit_unready(permit)  # type: ignore[attr-defined]
    tasks = list(page.object_list)
    buses = _plan_buses(tasks)
    context = {
        "tasks": [
            {
                "task": t,
                "clock": selectors.application_clock(t.case.application),
                "buses": buses.get(t.pk, []),
            }
            for t in tasks
        ],
        "page": page,
        "total": page.paginator.count,
        "filters": filters,
        "open": filters.state != DepartmentTask.State.DONE,
        "task_states": [(s.value, s.label) for s in (DepartmentTask.State.OPEN, DepartmentTask.State.DONE)],
        "dues": _due_choices(),
        "page_query": _query_without(request, "page"),
        "to_sign": to_sign,
        "to_sign_total": len(to_sign) if len(to_sign) < queues.PAGE_SIZE else to_sign_qs.count(),
        "can_open_vehicles": allows(request.user, "plan.manifest"),
        "kinds": TaskKind,
        "now_local": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "stations": home_stations(),
    }
    return render(request, "applications/tasks.html", context)


def _form_data(request: HttpRequest) -> dict[str, Any]:
    skip = {"csrfmiddlewaretoken", "next"}
    return {k: v for k, v in request.POST.items() if k not in skip}


@require_POST
def task_complete(request: HttpRequest, task_id: int) -> HttpResponse:
    try:
        services.department_task_complete(actor=request.user, task_id=task_id, data=_form_data(request))
    except DomainError as exc:
        return _fail(request, exc)
    return _back(request, reverse("applications:tasks"))


@require_POST
def permit_sign(request: HttpRequest, permit_id: int) -> HttpResponse:
    try:
        services.permit_sign(actor=request.user, permit_id=permit_id)
    except DomainError as exc:
        return _fail(request, exc)
    return _back(request, reverse("applications:tasks"))


@require_POST
def permit_fill(request: HttpRequest, permit_id: int) -> HttpResponse:
    """Transport fills in what a road pass left 待定 (plate, carrier, toll stations) before signing."""
    values = {f: request.POST[f].strip() for f in services.FILLABLE_FIELDS if request.POST.get(f, "").strip()}
    try:
        services.permit_fill(actor=request.user, permit_id=permit_id, values=values)
    except DomainError as exc:
        return _fail(request, exc)
    return _back(request, reverse("applications:tasks"))


@require_GET
def permit_pdf(request: HttpRequest, permit_id: int) -> HttpResponse:
    try:
        permit, content = services.permit_pdf(actor=request.user, permit_id=permit_id)
    except DomainError as exc:
        return _fail(request, exc)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{permit.permit_id}.pdf"'
    return response


# What a checkpoint reads after scanning: the verdict in words (``core.permits.verify`` reasons).
VERDICTS = {
    "ok": _("有效：全部会签核验通过"),
    "format": _("无法识别：这不是本系统签发的许可证二维码"),
    "unknown_key": _("无效：签名所用密钥不被认可"),
    "tampered": _("无效：内容与签名不符，可能被改动"),
    "missing_signature": _("无效：尚未完成会签"),
    "revoked": _("无效：该许可证已被撤销"),
    "not_yet_valid": _("尚未生效"),
    "expired": _("已过期"),
}
DEPARTMENTS = {
    "hr": _("人社局"),
    "transport": _("交通运输局"),
    "health": _("卫生健康局"),
    "task_force": _("复工返岗专班"),
}


def _permit_rows(permit: core_permits.Permit) -> list[tuple[Any, str]]:
    """The permit's fields as (label, plain words) rows: lists joined, times in Beijing time."""
    valid = f"{beijing_time(permit.valid_from)} — {beijing_time(permit.valid_to)}"
    if isinstance(permit, core_permits.Ticket):
        from homeward.apps.trips.words import leg_words

        return [
            (_("类型"), str(_("电子车票"))),
            (_("编号"), permit.permit_id),
            (_("乘客"), permit.holder),
            (_("身份证后四位"), permit.id_tail),
            *((_("行程"), leg_words(leg)) for leg in permit.legs),
            (_("有效时间"), valid),
        ]
    kind = Permit.Kind(str(permit.kind)).label
    if isinstance(permit, core_permits.RoadPass):
        return [
            (_("类型"), str(kind)),
            (_("编号"), permit.permit_id),
            (_("车牌号"), permit.plate),
            (_("承运单位"), permit.carrier),
            (_("起点"), permit.origin),
            (_("终点"), permit.destination),
            (_("行驶路线"), " → ".join(permit.route)),
            (_("途经省份"), join_list(permit.provinces)),
            (_("入口收费站"), permit.entry_station),
            (_("出口收费站"), permit.exit_station),
            (_("乘客人数"), str(permit.passengers)),
            (_("有效时间"), valid),
            (_("行程"), permit.trip_id),
            (_("组织单位"), permit.organiser),
        ]
    return [
        (_("类型"), str(kind)),
        (_("编号"), permit.permit_id),
        (_("行程"), permit.trip_id),
        (_("车辆"), join_list(permit.vehicles)),
        (_("乘客人数"), str(permit.passengers)),
        (_("随车医护"), join_list(permit.medical_escort)),
        (_("防疫物资"), join_list(f"{k.name} × {k.quantity}" for k in permit.kit) or "—"),
        (_("健康检查"), "；".join(permit.health_checks)),
        (_("有效时间"), valid),
        (_("组织单位"), permit.organiser),
        *([(_("备注"), "；".join(permit.notes))] if permit.notes else []),
    ]


def _verification(result: core_permits.Verification) -> dict[str, Any]:
    signed = {s.department: s for s in result.signatures}
    signers = result.permit.signers if result.permit is not None else ()
    return {
        "valid": result.valid,
        "reason": result.reason,
        "verdict": VERDICTS.get(result.reason, result.reason),
        "rows": _permit_rows(result.permit) if result.permit is not None else [],
        "signatures": [
            {
                "department": DEPARTMENTS[str(d)],
                "signed_at": beijing_time(signed[d].signed_at) if d in signed else None,
                "kid": signed[d].kid if d in signed else "",
            }
            for d in signers
        ],
        "revocations": (
            {"sequence": result.revocations.sequence, "issued_at": beijing_time(result.revocations.issued_at)}
            if result.revocations is not None
            else None
        ),
    }


@login_not_required
@require_GET
@camera_allowed
def permit_verify(request: HttpRequest) -> HttpResponse:
    """Public: what a checkpoint sees after scanning the QR code (a link with the token in ``t``; a
    pasted link or token works too), in words and Beijing time, in the visitor's language. The page
    can also read the QR code itself, from the camera or a photo (static/homeward/permit-scan.js)."""
    token = core_permits.token_from_scan(request.GET.get("t", ""))
    result = _verification(services.permit_verify(token)) if token else None
    context = {
        "token": token,
        "result": result,
        # what the scanner accepts: a token, or a link to this page here or at the public address
        "token_prefix": TOKEN_PREFIX,
        "public_url": services.verify_url(),
    }
    return render(request, "applications/verify.html", context)
