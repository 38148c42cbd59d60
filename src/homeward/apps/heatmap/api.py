"""Heat-map endpoints under /api/v1/heatmap, each scoped to the caller (see ``selectors``).

Every GET answers from the latest done snapshot: ``{snapshot: {id, as_of, built_at}, date, ..., rows}``.
Filters: ``town`` (town code), ``enterprise`` (id), ``province`` (2- or 6-digit code), ``risk``
(comma-separated low/medium/high), ``date`` (YYYY-MM-DD, between the window start and the snapshot's
as_of), ``origin`` (a region code: restricts the shortfall tables to workers from it).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from homeward.api_contract import JSON_OBJECT, JsonDate, answers, answers_file
from homeward.apps.heatmap import selectors
from homeward.apps.heatmap.models import HeatmapSnapshot
from homeward.apps.heatmap.services import heatmap_rebuild_request
from homeward.apps.registry.selectors import home_city
from homeward.core import regions
from homeward.pagination import MAX_LIMIT

router = Router(tags=["heatmap 用工热图"])

LevelParam = Literal["province", "prefecture", "county"]


class SnapshotOut(Schema):
    id: int
    state: str
    as_of: dt.date
    window_start: dt.date
    progress: int
    stage: str
    built_at: dt.datetime | None
    summary: dict[str, Any]
    error: str
    error_code: str


class SnapshotRef(Schema):
    id: int
    as_of: dt.date
    window_start: dt.date
    built_at: dt.datetime | None


class OriginRow(Schema):
    code: str
    name: str
    away: int | None
    returned: int | None
    unknown: int | None
    carrier_estimate: int | None
    risk: str
    hotspot: bool
    suppressed: list[str]  # columns with someone in them whose protected count is 0 (shown as <min_cell)
    lat: float | None = None
    lon: float | None = None


class HomeOut(Schema):
    """Where the flow lines end: the home city from the setup."""

    code: str
    name: str
    lat: float
    lon: float


class OriginsOut(Schema):
    snapshot: SnapshotRef
    level: str
    date: dt.date
    suppressed: bool  # whether the counts are protected (roles without personal-data rights)
    rounded_to: int  # every count is a multiple of this (1: exact)
    home: HomeOut | None = None
    rows: list[OriginRow]


class HotspotRow(Schema):
    rank: int
    code: str
    name: str
    province_code: str | None
    away: int | None
    risk: str
    station: str | None
    station_telecode: str | None
    station_km: float | None


class HotspotsOut(Schema):
    snapshot: SnapshotRef
    date: dt.date
    rounded_to: int
    rows: list[HotspotRow]


class EnterpriseRow(Schema):
    enterprise_id: int
    name: str
    town_code: str
    town: str
    is_key: bool
    roster: int | None
    back: int | None
    away: int | None
    unknown: int | None
    share_back: float | None
    suppressed: list[str]


class TownRow(Schema):
    town_code: str
    name: str
    enterprises: int
    key_enterprises: int
    roster: int | None
    back: int | None
    away: int | None
    unknown: int | None
    share_back: float | None
    suppressed: list[str]


class EnterprisesOut(Schema):
    snapshot: SnapshotRef
    date: dt.date
    rounded_to: int
    rows: list[EnterpriseRow]


class TownsOut(Schema):
    snapshot: SnapshotRef
    date: dt.date
    rounded_to: int
    rows: list[TownRow]


class CrossRow(Schema):
    code: str
    name: str
    roster_away: int | None
    carrier_count: int | None
    carrier_date: dt.date | None
    ratio: float | None
    flagged: bool
    suppressed: list[str] = []


class CrossOut(Schema):
    snapshot: SnapshotRef
    rounded_to: int
    rows: list[CrossRow]


class RebuildIn(Schema):
    as_of: JsonDate | None = None


def _filters(
    town: str = "", enterprise: str = "", province: str = "", risk: str = "", date: str = "", origin: str = ""
) -> selectors.Filters:
    return selectors.parse_filters(
        town=town, enterprise=enterprise, province=province, risk=risk, day=date, origin=origin
    )


def _ref(snap: HeatmapSnapshot) -> dict[str, Any]:
    return {"id": snap.pk, "as_of": snap.as_of, "window_start": snap.window_start, "built_at": snap.built_at}


def _rounded_to(request: HttpRequest, snap: HeatmapSnapshot) -> int:
    return selectors.protection_for(selectors.scope_for(request.user), snap).base


def with_points(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in rows:
        region = regions.get(r["code"])
        r["lat"], r["lon"] = (region.lat, region.lon) if region else (None, None)
    return rows


@router.get(
    "/heatmap",
    response=answers(OriginsOut, errors=(404,)),
    summary="Where the workers are: origin table at one level",
)
def heatmap(
    request: HttpRequest,
    level: LevelParam = "prefecture",
    town: str = "",
    enterprise: str = "",
    province: str = "",
    risk: str = "",
    date: str = "",
    origin: str = "",
) -> dict[str, Any]:
    f = _filters(town, enterprise, province, risk, date, origin)
    snap, rows = selectors.origin_rows(actor=request.user, level=level, filters=f)
    if f.origin:
        rows = selectors.within(rows, f.origin)
    return {
        "snapshot": _ref(snap),
        "level": level,
        "date": selectors.day_of(snap, f),
        "suppressed": not selectors.scope_for(request.user).personal_data,
        "home": _home(),
        "rounded_to": _rounded_to(request, snap),
        "rows": with_points(rows),
    }


def _home() -> dict[str, Any] | None:
    city = home_city()
    return (
        None
        if city is None
        else {"code": city.code, "name": city.display_name, "lat": city.lat, "lon": city.lon}
    )


@router.get(
    "/heatmap/hotspots",
    response=answers(HotspotsOut, errors=(404,)),
    summary="Hotspots ranked by volume, nearest station",
)
def hotspot_list(
    request: HttpRequest,
    town: str = "",
    enterprise: str = "",
    province: str = "",
    risk: str = "",
    date: str = "",
) -> dict[str, Any]:
    f = _filters(town, enterprise, province, risk, date)
    snap, rows = selectors.hotspot_rows(actor=request.user, filters=f)
    return {
        "snapshot": _ref(snap), "date": selectors.day_of(snap, f), "rounded_to": _rounded_to(request, snap), "rows": rows,
    }  # fmt: skip


@router.get(
    "/heatmap/shortfall/enterprises",
    response=answers(EnterprisesOut, errors=(404,)),
    summary="Per enterprise: roster, back, away",
)
def enterprise_shortfall(
    request: HttpRequest,
    town: str = "",
    enterprise: str = "",
    province: str = "",
    origin: str = "",
    date: str = "",
    sort: str = "",
    key_only: bool = False,
    limit: Annotated[int, Field(ge=0, le=MAX_LIMIT)] = MAX_LIMIT,
) -> dict[str, Any]:
    f = _filters(town, enterprise, province, "", date, origin)
    snap, rows = selectors.enterprise_shortfall_rows(
        actor=request.user, filters=f, sort=sort, key_only=key_only
    )
    return {
        "snapshot": _ref(snap), "date": selectors.day_of(snap, f), "rounded_to": _rounded_to(request, snap),
        "rows": rows[:limit],
    }  # fmt: skip


@router.get(
    "/heatmap/shortfall/towns",
    response=answers(TownsOut, errors=(404,)),
    summary="Per town: roster, back, away",
)
def town_shortfall(
    request: HttpRequest,
    town: str = "",
    enterprise: str = "",
    province: str = "",
    origin: str = "",
    date: str = "",
    sort: str = "",
) -> dict[str, Any]:
    f = _filters(town, enterprise, province, "", date, origin)
    snap, rows = selectors.town_shortfall_rows(actor=request.user, filters=f, sort=sort)
    return {
        "snapshot": _ref(snap), "date": selectors.day_of(snap, f), "rounded_to": _rounded_to(request, snap), "rows": rows,
    }  # fmt: skip


@router.get(
    "/heatmap/crosscheck",
    response=answers(CrossOut, errors=(404,)),
    summary="Roster away vs carrier count per county",
)
def crosscheck(request: HttpRequest, flagged: bool = False) -> dict[str, Any]:
    snap, rows = selectors.crosscheck_rows(actor=request.user, flagged_only=flagged)
    return {"snapshot": _ref(snap), "rounded_to": _rounded_to(request, snap), "rows": rows}


@router.get(
    "/heatmap/geojson/{level}",
    **answers_file("application/geo+json", body=JSON_OBJECT, errors=(404,)),
    summary="The origin table as GeoJSON (polygons for province/prefecture, points for counties)",
)
def heatmap_geojson(
    request: HttpRequest,
    level: LevelParam,
    town: str = "",
    enterprise: str = "",
    province: str = "",
    risk: str = "",
    date: str = "",
    download: bool = False,
) -> HttpResponse:
    import json

    f = _filters(town, enterprise, province, risk, date)
    data = selectors.geojson(actor=request.user, level=level, filters=f)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")), content_type="application/geo+json"
    )
    if download:
        name = f"heatmap-{level}-{data['properties']['as_of']}.geojson"
        response["Content-Disposition"] = f"attachment; filename={name}"
    return response


@router.get("/heatmap/status", response=answers({200: SnapshotOut, 204: None}), summary="The latest rebuild")
def status(request: HttpRequest) -> Any:
    selectors.scope_for(request.user)
    snap = selectors.status_snapshot()
    return snap if snap is not None else Status(204, None)


@router.post(
    "/heatmap/rebuild",
    response=answers(SnapshotOut, status=202),
    summary="Queue a rebuild (task force)",
)
def rebuild(request: HttpRequest, payload: RebuildIn | None = None) -> Any:
    as_of = payload.as_of if payload is not None else None
    return Status(202, heatmap_rebuild_request(actor=request.user, as_of=as_of))
