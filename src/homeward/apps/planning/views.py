"""Plan board (task force): KPIs against the baseline and the lower bound, the routes on a map, a
timeline per vehicle, manifests (PDF, .xlsx), the unassigned list, a run button with progress
polling; resource imports; an enterprise's own seats."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from homeward.apps.accounts.policy import allows
from homeward.apps.planning import selectors
from homeward.apps.planning.imports import RESOURCE_KINDS, resource_import
from homeward.apps.planning.manifest_pdf import render_manifest_pdf
from homeward.apps.planning.models import PlanRun
from homeward.apps.planning.permits import plan_permits_draft
from homeward.apps.planning.services import KIND_LABELS, UNSTAFFED, plan_run_request, vehicle_dispatch
from homeward.apps.planning.services import train_request_accept as train_request_accept_service
from homeward.apps.registry.personal_data import may_reveal
from homeward.core.errors import DomainError
from homeward.core.ingest.export import XLSX_CONTENT_TYPE, xlsx_bytes

VEHICLES_PER_PAGE = 50


def _error(request: HttpRequest, exc: DomainError, template: str = "partials/error.html") -> HttpResponse:
    return render(request, template, {"message": exc.message, "reason": exc.code}, status=exc.status)


def _requested_run(request: HttpRequest) -> PlanRun | None:
    """The done run named by ``?run=``, or the plan in force (``plan.read``: raises when refused)."""
    return selectors.board_run(actor=request.user, run_id=_int(request.GET.get("run")))


def _status_context(request: HttpRequest) -> dict[str, Any]:
    run = selectors.status_run(actor=request.user)
    return {
        "run": run,
        "active": bool(run and run.active),
        "can_run": allows(request.user, "plan.request"),
    }


@require_GET
def board(request: HttpRequest) -> HttpResponse:
    try:
        run = selectors.board_run(actor=request.user)
    except DomainError as exc:
        return _error(request, exc, "planning/denied.html")
    context: dict[str, Any] = {"plan": run, "kinds": KIND_LABELS, **_status_context(request)}
    if run is not None:
        context["kpis"] = selectors.kpi_rows(run)
        context["road_passes"] = _road_passes_context(request, run)
        context["legend"] = selectors.legend(run)
        context["asks"] = selectors.train_requests(run)
    return render(request, "planning/board.html", context)


@require_GET
def status(request: HttpRequest) -> HttpResponse:
    try:
        context = _status_context(request)
    except DomainError as exc:
        return _error(request, exc)
    response = render(request, "planning/_status.html", context)
    run = context["run"]
    if run is not None and run.state == PlanRun.State.DONE and request.GET.get("was") == "active":
        response["HX-Refresh"] = "true"  # the run just finished: reload the board with its results
    return response


@require_POST
def run_plan(request: HttpRequest) -> HttpResponse:
    try:
        seed = int(request.POST.get("seed") or 0)
        plan_run_request(actor=request.user, seed=seed, reason="board")
    except ValueError:
        return _error(request, DomainError("种子应为整数 (seed must be a whole number)", "plan_bad_seed"))
    except DomainError as exc:
        return _error(request, exc)
    return render(request, "planning/_status.html", _status_context(request))


def _road_passes_context(request: HttpRequest, run: PlanRun, created: int | None = None) -> dict[str, Any]:
    counts = selectors.road_pass_counts(run)
    return {
        **counts,
        "created": created,
        "existing": counts["passes"] - (created or 0),
        "can_draft": allows(request.user, "plan.permits", run),
    }


@require_POST
def permits_draft(request: HttpRequest, run_id: int) -> HttpResponse:
    """Draft the road passes of the plan's buses; the board shows how many, a bus's page reloads."""
    try:
        created = plan_permits_draft(actor=request.user, run_id=run_id)
    except DomainError as exc:
        return _error(request, exc)
    run = PlanRun.objects.get(pk=run_id)
    response = render(
        request,
        "planning/_road_passes.html",
        {"plan": run, "road_passes": _road_passes_context(request, run, len(created))},
    )
    if request.POST.get("reload"):
        response["HX-Refresh"] = "true"
    return response


@require_GET
def vehicle_rows(request: HttpRequest) -> HttpResponse:
    try:
        run = _requested_run(request)
    except DomainError as exc:
        return _error(request, exc)
    if run is None:
        return HttpResponse("")
    kind = request.GET.get("kind", "")
    page = Paginator(selectors.vehicles(run, kind), VEHICLES_PER_PAGE).get_page(request.GET.get("page"))
    span = selectors.window(run)
    rows = [(v, selectors.timeline_bar(v, span)) for v in page.object_list]
    return render(
        request,
        "planning/_vehicles.html",
        {"plan": run, "page": page, "rows": rows, "kind": kind, "kinds": KIND_LABELS, "span": span},
    )


@require_GET
def unassigned_rows(request: HttpRequest) -> HttpResponse:
    try:
        run = _requested_run(request)
    except DomainError as exc:
        return _error(request, exc)
    if run is None:
        return HttpResponse("")
    rows, total = selectors.unassigned(request.user, run)
    return render(request, "planning/_unassigned.html", {"plan": run, "rows": rows, "total": total})


@require_GET
def late_rows(request: HttpRequest) -> HttpResponse:
    try:
        run = _requested_run(request)
    except DomainError as exc:
        return _error(request, exc)
    if run is None:
        return HttpResponse("")
    rows, total = selectors.late_workers(request.user, run)
    return render(request, "planning/_late.html", {"plan": run, "rows": rows, "total": total})


@require_POST
def train_request_accept(request: HttpRequest, run_id: int, index: int) -> HttpResponse:
    """Enter a proposed special train as a train slot (requested, or granted when ticked)."""
    try:
        train_request_accept_service(
            actor=request.user, run_id=run_id, index=index, granted=request.POST.get("granted") == "1"
        )
    except DomainError as exc:
        return _error(request, exc)
    run = PlanRun.objects.get(pk=run_id)
    return render(
        request, "planning/_train_requests.html", {"plan": run, "asks": selectors.train_requests(run)}
    )


@require_GET
def unassigned_export(request: HttpRequest) -> HttpResponse:
    try:
        run = _requested_run(request)
    except DomainError as exc:
        return _error(request, exc)
    if run is None:
        return HttpResponse(status=404)
    rows, _ = selectors.unassigned(request.user, run, limit=1_000_000, export=True)
    body = xlsx_bytes(
        ["姓名", "申请", "企业", "接送区县", "原因代码", "原因", "说明"],
        (
            [
                r["name"],
                r["application"],
                r["enterprise"],
                r["county"],
                r["reason"],
                r["reason_label"],
                r["detail"],
            ]
            for r in rows
        ),  # fmt: skip
        sheet="未安排",
    )
    response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename=plan-{run.pk}-unassigned.xlsx"
    return response


@require_GET
def map_json(request: HttpRequest, run_id: int) -> HttpResponse:
    try:
        run = selectors.board_run(actor=request.user, run_id=run_id)
    except DomainError as exc:
        return JsonResponse(
            {"status": exc.status, "reason": exc.code, "message": exc.message}, status=exc.status
        )
    if run is None:
        return JsonResponse({"status": 404, "reason": "not_found", "message": "no such plan"}, status=404)
    return JsonResponse(selectors.map_data(run), json_dumps_params={"ensure_ascii": False})


@require_GET
def vehicle_detail(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    """One vehicle's plan and its passenger list, masked like ``/workers/``: a role with personal-data
    rights reveals one passenger at a time, or downloads the full list; each read is audited."""
    try:
        vehicle = selectors.vehicle_for(request.user, vehicle_id)
        rows = selectors.manifest(request.user, vehicle)
    except DomainError as exc:
        return _error(request, exc, "planning/denied.html")
    revealable = may_reveal(request.user)
    return render(
        request,
        "planning/vehicle.html",
        {
            "v": vehicle,
            "stops": selectors.timetable(vehicle),
            "road_pass": selectors.road_pass_panel(request.user, vehicle),
            "crew": {
                role: [_("待派") if name == UNSTAFFED else name for name in names]
                for role, names in vehicle.detail.get("crew", {}).items()
            },
            "kit": vehicle.detail.get("kit", {}),
            "cost": {k: (v or 0) / 100 for k, v in vehicle.detail.get("cost", {}).items()},
            "rows": [
                {
                    "row": r,
                    "reveal_href": (
                        reverse("applications:worker-reveal", args=[r.application_id, r.person.id])
                        if revealable
                        else ""
                    ),
                }
                for r in rows
            ],
            "can_reveal": revealable,
            "can_dispatch": allows(request.user, "plan.dispatch", vehicle),
            "dispatch": getattr(vehicle, "dispatch", None),
        },
    )


@require_GET
def manifest_file(request: HttpRequest, vehicle_id: int, fmt: str) -> HttpResponse:
    """The passenger list as .xlsx or PDF: masked, or with ``?full=1`` the full copy for the health
    authority (roles with personal-data rights; audited as a reveal)."""
    full = request.GET.get("full") == "1"
    try:
        vehicle = selectors.vehicle_for(request.user, vehicle_id)
        rows = selectors.manifest(request.user, vehicle, full=full, export=True)
    except DomainError as exc:
        return _error(request, exc)
    cells = [r.cells() for r in rows]
    name = f"manifest-{vehicle.run_id}-{vehicle.key}{'-full' if full else ''}"
    if fmt == "xlsx":
        body = xlsx_bytes(selectors.MANIFEST_HEADERS, cells, sheet="乘客信息登记表")
        response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f"attachment; filename={name}.xlsx"
        return response
    pdf = render_manifest_pdf(vehicle, selectors.MANIFEST_HEADERS, cells, masked=not full)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename={name}.pdf"
    return response


@require_POST
def dispatch(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    try:
        d = vehicle_dispatch(actor=request.user, vehicle_id=vehicle_id, note=request.POST.get("note", ""))
    except DomainError as exc:
        return _error(request, exc)
    return render(request, "planning/_dispatch.html", {"dispatch": d, "can_dispatch": True, "v": d.vehicle})


@require_GET
def my_seats(request: HttpRequest) -> HttpResponse:
    try:
        run, rows = selectors.enterprise_seats(request.user)
    except DomainError as exc:
        return _error(request, exc, "planning/denied.html")
    return render(request, "planning/my_seats.html", {"plan": run, "rows": rows})


def resources(request: HttpRequest) -> HttpResponse:
    """Upload train slots, coaches, drivers, escorts or kits (.xlsx/.csv); task force only."""
    report = None
    error = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            report = resource_import(
                actor=request.user,
                kind=request.POST.get("kind", ""),
                source=upload,
                file_name=upload.name or "" if upload is not None else "",
            )
        except DomainError as exc:
            error = exc
    try:
        if error is not None and error.status in (403, 404):
            raise error
        counts = selectors.resource_counts(actor=request.user)
    except DomainError as exc:
        return _error(request, exc, "planning/denied.html")
    return render(
        request,
        "planning/resources.html",
        {"kinds": RESOURCE_KINDS, "report": report, "error": error, "counts": counts},
        status=error.status if error else 200,
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
