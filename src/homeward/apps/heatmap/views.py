"""Heat-map pages: the map with filters and tables (HTMX partials), the big screen, exports, rebuilds.

The map itself is drawn in the browser (``static/heatmap/heatmap.js``, ECharts) from the JSON API
(``/api/v1/heatmap``) and our own boundary files (``/heatmap/boundaries/<level>.json``, gzipped).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from homeward.apps.accounts.middleware import public_data
from homeward.apps.accounts.policy import allows
from homeward.apps.heatmap import selectors
from homeward.apps.heatmap.models import HeatmapSnapshot
from homeward.apps.heatmap.services import heatmap_rebuild_request
from homeward.apps.letters.selectors import intention_layer
from homeward.apps.registry.models import CountyRisk
from homeward.apps.registry.selectors import home_city
from homeward.core import regions
from homeward.core.errors import DomainError
from homeward.core.fusion import Level
from homeward.core.ingest.export import XLSX_CONTENT_TYPE, xlsx_bytes

ENTERPRISE_ROWS_SHOWN = 100
RISK_NAMES = {str(level): name for level, name in CountyRisk.Level.choices}  # 低风险, Low risk …


def _error(request: HttpRequest, exc: DomainError, template: str = "partials/error.html") -> HttpResponse:
    return render(request, template, {"message": exc.message, "reason": exc.code}, status=exc.status)


def _query(request: HttpRequest) -> dict[str, str]:
    keys = ("level", "town", "enterprise", "province", "risk", "date", "origin", "key")
    return {k: request.GET.get(k, "").strip() for k in keys}


def _filters(q: dict[str, str], *, origin: bool = True) -> selectors.Filters:
    return selectors.parse_filters(
        town=q["town"],
        enterprise=q["enterprise"],
        province=q["province"],
        risk=q["risk"],
        day=q["date"],
        origin=q["origin"] if origin else "",
    )


def _status_context(request: HttpRequest) -> dict[str, Any]:
    snap = selectors.status_snapshot()
    return {
        "run": snap,
        "active": bool(snap and snap.active),
        "can_rebuild": allows(request.user, "heatmap.rebuild"),
    }


@require_GET
def heatmap_page(request: HttpRequest) -> HttpResponse:
    try:
        scope = selectors.scope_for(request.user)
    except DomainError as exc:
        return _error(request, exc, "heatmap/denied.html")
    q = _query(request)
    snap = selectors.latest_snapshot()
    days = []
    if snap is not None:
        n = (snap.as_of - snap.window_start).days
        days = [(snap.window_start + timedelta(days=i)).isoformat() for i in range(n + 1)]
    context = {
        "snapshot": snap,
        "scope": scope,
        "q": q,
        **selectors.filter_choices(scope),
        "days": days,
        "day_index": days.index(q["date"]) if q["date"] in days else len(days) - 1,
        "city": home_city(),
        **_status_context(request),
        # letters home: replies saying the worker is coming back, by origin county and by town
        "intentions_by_origin": intention_layer(actor=request.user, by="origin"),
        "intentions_by_town": intention_layer(actor=request.user, by="town"),
    }
    return render(request, "heatmap/page.html", context)


def _table_context(request: HttpRequest) -> dict[str, Any]:
    q = _query(request)
    f = _filters(q)
    actor = request.user
    origin = f.origin
    origin_region = regions.get(origin) if origin else None
    level: Level = "province" if q["level"] == "province" else "prefecture"
    if origin_region is not None:  # a click on the map: the counties within that region
        level = "county"
    snap, origin_rows = selectors.origin_rows(actor=actor, level=level, filters=f)
    if origin_region is not None:
        origin_rows = selectors.within(origin_rows, origin_region.code)
    origin_rows = [r for r in origin_rows if _has_workers(r)]
    for r in origin_rows:
        r["risk_name"] = RISK_NAMES.get(r["risk"], r["risk"])
    _snap, hot = selectors.hotspot_rows(actor=actor, filters=_no_origin(f), snapshot=snap)
    if origin:
        hot = [h for h in hot if h["code"] == origin or (h["province_code"] == origin)]
    _s, ents = selectors.enterprise_shortfall_rows(
        actor=actor, filters=f, sort=request.GET.get("esort", ""), key_only=q["key"] == "1", snapshot=snap
    )
    _s, towns = selectors.town_shortfall_rows(
        actor=actor, filters=f, sort=request.GET.get("tsort", ""), snapshot=snap
    )
    totals = {k: sum((r[k] or 0) for r in origin_rows) for k in ("away", "returned", "unknown")}
    return {
        "snapshot": snap,
        "day": selectors.day_of(snap, f),
        "q": q,
        "level": level,
        "origin_region": origin_region,
        "origin_rows": origin_rows,
        "totals": totals,
        "hotspots": hot,
        "enterprises": ents[:ENTERPRISE_ROWS_SHOWN],
        "enterprise_count": len(ents),
        "towns": towns,
        "risk_names": RISK_NAMES,
        "crosscheck": _crosscheck_or_none(actor, snap),
        "min_cell": selectors.params_of(snap).min_cell,
        "rounded_to": selectors.protection_for(selectors.scope_for(actor), snap).base,
    }


def _has_workers(r: dict[str, Any]) -> bool:
    counts = (r["away"], r["returned"], r["unknown"])
    return any(c is None or c > 0 for c in counts)


def _no_origin(f: selectors.Filters) -> selectors.Filters:
    return replace(f, origin=None)


def _crosscheck_or_none(actor: Any, snap: HeatmapSnapshot) -> list[dict[str, Any]] | None:
    """The flagged counties for those who may see carrier data (asked, not refused: no audit noise)."""
    if not allows(actor, "heatmap.crosscheck"):
        return None
    _snap, rows = selectors.crosscheck_rows(actor=actor, flagged_only=True, snapshot=snap)
    return rows[:50]


@require_GET
def heatmap_tables(request: HttpRequest) -> HttpResponse:
    try:
        context = _table_context(request)
    except DomainError as exc:
        return _error(request, exc)
    return render(request, "heatmap/_tables.html", context)


@require_GET
def heatmap_status(request: HttpRequest) -> HttpResponse:
    try:
        selectors.scope_for(request.user)
    except DomainError as exc:
        return _error(request, exc)
    return render(request, "heatmap/_status.html", _status_context(request))


@require_POST
def heatmap_rebuild(request: HttpRequest) -> HttpResponse:
    try:
        heatmap_rebuild_request(actor=request.user, reason="page")
    except DomainError as exc:
        return _error(request, exc)
    return render(request, "heatmap/_status.html", _status_context(request))


@require_GET
@public_data
def heatmap_boundaries(request: HttpRequest, level: str) -> HttpResponse:
    if level not in ("province", "prefecture"):
        return HttpResponse(status=404)
    data = regions.boundaries_bytes("province" if level == "province" else "prefecture", gzipped=True)
    response = HttpResponse(data, content_type="application/geo+json")
    response["Content-Encoding"] = "gzip"
    response["Cache-Control"] = "private, max-age=86400"
    return response


EXPORTS = {
    "origins": (
        ["区划代码", "名称", "未返", "已返", "未知", "运营商估计", "风险等级", "重点地区"],
        ["code", "name", "away", "returned", "unknown", "carrier_estimate", "risk", "hotspot"],
    ),
    "hotspots": (
        ["排名", "区划代码", "名称", "未返", "风险等级", "最近车站", "车站电报码", "距离(公里)"],
        ["rank", "code", "name", "away", "risk", "station", "station_telecode", "station_km"],
    ),
    "enterprises": (
        ["企业", "镇街", "重点企业", "参保人数", "已返", "未返", "未知", "返岗率"],
        ["name", "town", "is_key", "roster", "back", "away", "unknown", "share_back"],
    ),
    "towns": (
        ["镇街", "企业数", "重点企业数", "参保人数", "已返", "未返", "未知", "返岗率"],
        ["name", "enterprises", "key_enterprises", "roster", "back", "away", "unknown", "share_back"],
    ),
}


def _cell(key: str, row: dict[str, Any], min_cell: int) -> Any:
    value = row.get(key)
    if key in (row.get("suppressed") or ()):
        return f"<{min_cell}"
    if isinstance(value, bool):
        return "是" if value else "否"
    if key == "risk":
        return str(RISK_NAMES.get(str(value), value))
    if key == "share_back" and value is not None:
        return round(value, 4)
    return value


@require_GET
def heatmap_export(request: HttpRequest) -> HttpResponse:
    """One table as .xlsx (formulas neutralised by ``xlsx_bytes``), within the caller's scope."""
    table = request.GET.get("table", "origins")
    if table not in EXPORTS:
        return HttpResponse(status=404)
    q = _query(request)
    try:
        f = _filters(q)
        actor = request.user
        if table == "origins":
            level = q["level"] if q["level"] in ("province", "prefecture", "county") else "prefecture"
            snap, rows = selectors.origin_rows(actor=actor, level=level, filters=f)  # type: ignore[arg-type]
            if f.origin:
                rows = selectors.within(rows, f.origin)
        elif table == "hotspots":
            snap, rows = selectors.hotspot_rows(actor=actor, filters=_no_origin(f))
        elif table == "enterprises":
            snap, rows = selectors.enterprise_shortfall_rows(actor=actor, filters=f, key_only=q["key"] == "1")
        else:
            snap, rows = selectors.town_shortfall_rows(actor=actor, filters=f)
    except DomainError as exc:
        return _error(request, exc)
    headers, keys = EXPORTS[table]
    min_cell = selectors.params_of(snap).min_cell
    body = xlsx_bytes(headers, ([_cell(k, r, min_cell) for k in keys] for r in rows), sheet=table)
    day = selectors.day_of(snap, f).isoformat()
    response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename=heatmap-{table}-{day}.xlsx"
    return response


@require_GET
def heatmap_screen(request: HttpRequest) -> HttpResponse:
    try:
        scope = selectors.scope_for(request.user)
    except DomainError as exc:
        return _error(request, exc, "heatmap/denied.html")
    return render(
        request,
        "heatmap/screen.html",
        {
            "snapshot": selectors.latest_snapshot(),
            "scope": scope,
            "city": home_city(),
            "now": timezone.localtime(),
        },
    )
