"""Reads of the heat map, always from the latest done snapshot and scoped by role.

Scope (DESIGN §2): the task force and the departments see the whole city; a town officer only the
workers of the town's enterprises; an enterprise user only its own enterprise's; a service team only
workers from its province; station staff and workers have no business here (``forbidden``). The roles
and areas are the permission policy's (``accounts.policy``). An explicit filter outside the scope is
refused (``forbidden``, audited), never silently widened. Roles without personal-data rights
(``personal_data.read``) get protected counts (``core.fusion.disclosure``): sums of randomly rounded
finest cells, so that no subtraction of figures reveals a small count; a cell with someone in it but a
protected value of 0 is null and named in the row's ``suppressed``.

Every figure is computed from the snapshot's ``timeline`` (status at ``as_of`` from the fusion, first
police arrival, insured-before flag) so filters and earlier days need no registry query. For a day
before ``as_of`` a worker counts as returned if their first police arrival in the window is on or
before that day, else by the roster rule (away if insured before the window, else unknown); return
intentions are not replayed. At ``as_of`` itself the figures equal the fusion's own output (tested).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
from django.utils.crypto import salted_hmac

from homeward.apps.accounts.policy import allows, area_of, authorize, refuse
from homeward.apps.accounts.roles import profile_of
from homeward.apps.audit.runs import ACTIVE_STATES
from homeward.apps.heatmap import store
from homeward.apps.heatmap.models import HeatmapSnapshot
from homeward.apps.registry.models import Enterprise, Town
from homeward.apps.registry.selectors import town_list
from homeward.core import regions
from homeward.core.errors import DomainError, NotFound
from homeward.core.fusion import LEVELS, FusionParams, hotspots, regions_table
from homeward.core.fusion.disclosure import protected_count_params, protected_count_sql
from homeward.core.fusion.schema import (
    LEVEL_KEY,
    REGION_UNIT_KEY,
    RISK_RANK,
    UNKNOWN_CODE,
    UNKNOWN_NAME,
    Level,
)
from homeward.core.fusion.timeline import (
    STATUS_AT_SQL,
    hotspot_sql,
    risk_name_sql,
    risk_rank_sql,
    suppressed_flags_sql,
)

RISK_LEVELS = tuple(RISK_RANK)


# ----------------------------------------------------------------------------------------------- scope


@dataclass(frozen=True, slots=True)
class Scope:
    """What an actor may see: None means unrestricted on that axis."""

    town: str | None = None
    enterprise: int | None = None
    province: str | None = None  # 6-digit province code of the workers' origin
    enterprise_town: str | None = None  # the town of ``enterprise``
    personal_data: bool = False
    role: str = ""
    actor: Any = field(default=None, compare=False, repr=False)  # whom a refused filter is audited for

    @property
    def whole_city(self) -> bool:
        return self.town is None and self.enterprise is None and self.province is None

    @property
    def by_workplace(self) -> bool:
        return self.town is not None or self.enterprise is not None


def scope_for(actor: Any) -> Scope:
    """The part of the heat map ``actor`` sees: its area in the permission policy (the city, a town,
    an enterprise or an origin province; ``heatmap.read``, audited when refused)."""
    authorize(actor, "heatmap.read")
    area = area_of(actor)
    personal = allows(actor, "personal_data.read")
    role = str(getattr(profile_of(actor), "role", "system"))
    if area is None:
        refuse(actor, "heatmap.read")  # a role bound to no area (an incomplete profile)
    if area.town_id is not None:
        town = Town.objects.get(pk=area.town_id)
        return Scope(town=town.code, personal_data=personal, role=role, actor=actor)
    if area.enterprise_id is not None:
        enterprise = Enterprise.objects.select_related("town").get(pk=area.enterprise_id)
        return Scope(
            enterprise=enterprise.pk,
            enterprise_town=enterprise.town.code,
            personal_data=personal,
            role=role,
            actor=actor,
        )
    if area.province is not None:
        return Scope(province=area.province.ljust(6, "0"), personal_data=personal, role=role, actor=actor)
    return Scope(personal_data=personal, role=role, actor=actor)


@dataclass(frozen=True, slots=True)
class Filters:
    """Filters asked for (query string). ``origin``: a province, prefecture or county code whose
    workers the shortfall tables are restricted to (a click on the map)."""

    town: str | None = None
    enterprise: int | None = None
    province: str | None = None
    origin: str | None = None
    risk: tuple[str, ...] = ()
    day: date | None = None

    @property
    def by_workplace(self) -> bool:
        return self.town is not None or self.enterprise is not None


def parse_filters(
    *,
    town: str | None = None,
    enterprise: int | str | None = None,
    province: str | None = None,
    origin: str | None = None,
    risk: str | list[str] | tuple[str, ...] | None = None,
    day: str | date | None = None,
) -> Filters:
    """From query-string values (empty strings mean no filter); bad values raise DomainError."""
    ent: int | None = None
    if enterprise not in (None, ""):
        try:
            ent = int(enterprise)
        except (TypeError, ValueError):
            raise DomainError("企业参数无效 (bad enterprise id)", "heatmap_bad_filter") from None
    prov = (province or "").strip() or None
    if prov is not None:
        if not prov.isdigit() or len(prov) not in (2, 6):
            raise DomainError("省份代码无效 (bad province code)", "heatmap_bad_filter")
        prov = prov[:2].ljust(6, "0")
    orig = (origin or "").strip() or None
    if orig is not None and (not orig.isdigit() or len(orig) != 6):
        raise DomainError("区划代码无效 (bad origin code)", "heatmap_bad_filter")
    risks: tuple[str, ...] = ()
    if risk:
        items = risk.split(",") if isinstance(risk, str) else list(risk)
        risks = tuple(sorted({r.strip() for r in items if r.strip()}))
        if any(r not in RISK_LEVELS for r in risks):
            raise DomainError("风险等级无效 (risk must be low, medium or high)", "heatmap_bad_filter")
    d: date | None = None
    if isinstance(day, date):
        d = day
    elif day:
        try:
            d = date.fromisoformat(str(day))
        except ValueError:
            raise DomainError(
                "不是有效日期，应为 YYYY-MM-DD (not a valid date: YYYY-MM-DD)", "heatmap_bad_date"
            ) from None
    return Filters(
        town=(town or "").strip() or None, enterprise=ent, province=prov, origin=orig, risk=risks, day=d
    )


def effective(filters: Filters, scope: Scope) -> Filters:
    """The filters narrowed to the scope; asking for something outside it is refused (audited)."""

    def outside(name: str, value: object) -> None:
        refuse(scope.actor, "heatmap.read", f"heatmap_filter.{name}", value)

    out = filters
    if scope.town is not None:
        if filters.town not in (None, scope.town):
            outside("town", filters.town)
        out = replace(out, town=scope.town)
        if (
            filters.enterprise is not None
            and not Enterprise.objects.filter(pk=filters.enterprise, town__code=scope.town).exists()
        ):
            outside("enterprise", filters.enterprise)
    if scope.enterprise is not None:
        if filters.enterprise not in (None, scope.enterprise):
            outside("enterprise", filters.enterprise)
        if filters.town not in (None, scope.enterprise_town):
            outside("town", filters.town)
        out = replace(out, enterprise=scope.enterprise)
    if scope.province is not None:
        if filters.province not in (None, scope.province):
            outside("province", filters.province)
        if filters.origin is not None and filters.origin[:2] != scope.province[:2]:
            outside("origin", filters.origin)
        out = replace(out, province=scope.province)
    return out


def filter_choices(scope: Scope) -> dict[str, Any]:
    """What the page's filters offer within ``scope``: towns, key enterprises, origin provinces."""
    towns = town_list()
    enterprises = Enterprise.objects.filter(is_key=True).order_by("name")
    if scope.town is not None:
        towns = towns.filter(code=scope.town)
        enterprises = enterprises.filter(town__code=scope.town)
    if scope.enterprise is not None:
        enterprises = Enterprise.objects.filter(pk=scope.enterprise)
    provinces = regions.all_regions("province")
    if scope.province is not None:
        provinces = tuple(r for r in provinces if r.code == scope.province)
    return {"towns": towns, "enterprises": enterprises, "provinces": provinces}


# -------------------------------------------------------------------------------------------- snapshot


def latest_snapshot() -> HeatmapSnapshot | None:
    return (
        HeatmapSnapshot.objects.filter(state=HeatmapSnapshot.State.DONE).order_by("-built_at", "-pk").first()
    )


def active_snapshot() -> HeatmapSnapshot | None:
    return HeatmapSnapshot.objects.filter(state__in=ACTIVE_STATES).order_by("pk").first()


def status_snapshot() -> HeatmapSnapshot | None:
    """The rebuild a status display shows: the one queued or running, else the newest."""
    return active_snapshot() or HeatmapSnapshot.objects.order_by("-pk").first()


def require_snapshot(snapshot: HeatmapSnapshot | None = None) -> HeatmapSnapshot:
    snap = snapshot or latest_snapshot()
    if snap is None:
        raise NotFound(
            "热图尚未生成，请专班先重建 (no heat map yet: the task force must rebuild it)", "heatmap_missing"
        )
    return snap


def params_of(snapshot: HeatmapSnapshot) -> FusionParams:
    return FusionParams(as_of=snapshot.as_of, window_start=snapshot.window_start, **snapshot.params)


def day_of(snapshot: HeatmapSnapshot, filters: Filters) -> date:
    """The day asked for, within ``[window_start, as_of]`` (later days are the snapshot's as_of)."""
    day = filters.day or snapshot.as_of
    if day < snapshot.window_start:
        raise DomainError(
            f"日期早于统计起始日 {snapshot.window_start} (date before the window start)", "heatmap_bad_date"
        )
    return min(day, snapshot.as_of)


def _con(snapshot: HeatmapSnapshot, *names: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name in names:
        table = regions_table() if name == "regions" else store.read(snapshot.path, name)
        con.register(name, table)
    return con


def _where(filters: Filters, *, origin: bool = True) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = ["TRUE"]
    params: dict[str, Any] = {}
    if filters.town is not None:
        clauses.append("town_code = $town")
        params["town"] = filters.town
    if filters.enterprise is not None:
        clauses.append("enterprise_id = $enterprise")
        params["enterprise"] = filters.enterprise
    if filters.province is not None:
        clauses.append("province_code = $province")
        params["province"] = filters.province
    if origin and filters.origin is not None:
        clauses.append("(county_code = $origin OR prefecture_code = $origin OR province_code = $origin)")
        params["origin"] = filters.origin
    return " AND ".join(clauses), params


@dataclass(frozen=True, slots=True)
class Protection:
    """How counts are protected for one reader (``core.fusion.disclosure``): ``base`` 1 is exact."""

    base: int
    secret: str = ""

    @property
    def args(self) -> dict[str, Any]:
        return protected_count_params(base=self.base, secret=self.secret)


EXACT = Protection(1)


def protection_for(scope: Scope, snapshot: HeatmapSnapshot) -> Protection:
    """Exact for roles with personal-data rights; otherwise every count a sum of cells randomly
    rounded to multiples of the snapshot's ``min_cell`` (``HEATMAP_MIN_CELL`` when it was built: one
    snapshot's figures never change), under a key derived from the secret key (stable, so that
    asking again averages nothing out)."""
    if scope.personal_data:
        return EXACT
    secret = salted_hmac("homeward.heatmap.cells", "protected-count", algorithm="sha256").hexdigest()
    return Protection(max(1, params_of(snapshot).min_cell), secret)


# The finest cell any filter selects: an origin county × an enterprise × a status (on one day).
_CELL_KEY = ("county_code", "enterprise_id", "st")


# --------------------------------------------------------------------------------------------- origins


def origin_table(
    snapshot: HeatmapSnapshot, level: Level, filters: Filters, protection: Protection = EXACT
) -> pa.Table:
    """The origin table (``ORIGINS_SCHEMA`` columns and ``suppressed``, sorted by code) for
    already-scoped filters, its counts protected by ``protection`` (exact by default). Same rules as
    ``core.fusion.pipeline.origins_expr``."""
    if level not in LEVELS:
        raise DomainError(
            "level 应为 province、prefecture 或 county (level: province, prefecture or county)",
            "heatmap_bad_level",
        )
    params = params_of(snapshot)
    day = day_of(snapshot, filters)
    key, unit = LEVEL_KEY[level], REGION_UNIT_KEY[level]
    where, args = _where(replace(filters, province=None), origin=False)
    args.update(
        day=day, asof=snapshot.as_of, level=level, min_away=params.hotspot_min_away, unknown=UNKNOWN_CODE,
        **protection.args,
    )  # fmt: skip
    if filters.by_workplace:
        carrier_sql = (
            "SELECT NULL::VARCHAR AS c_unit, NULL::BIGINT AS carrier_estimate, "
            "NULL::BIGINT AS carrier_estimate_true WHERE FALSE"
        )
    else:
        carrier_sql = f"""
            SELECT coalesce(g.{unit}, $unknown) AS c_unit, sum(c.c_count)::BIGINT AS carrier_estimate,
                   sum(c.c_true)::BIGINT AS carrier_estimate_true
            FROM (
                SELECT c_code, c_true, {protected_count_sql("c_true", ("'carrier'", "c_code"))} AS c_count
                FROM (
                    SELECT CASE WHEN r.code IS NULL THEN $unknown ELSE l.county_code END AS c_code,
                           sum(l."count")::BIGINT AS c_true
                    FROM (SELECT *, row_number() OVER (PARTITION BY county_code ORDER BY date DESC) AS rn
                          FROM carrier WHERE date <= $day) l
                    LEFT JOIN regions r ON r.code = l.county_code
                    WHERE l.rn = 1 GROUP BY 1
                )
            ) c LEFT JOIN regions g ON g.code = c.c_code
            GROUP BY 1
        """
    counts = ("away", "returned", "unknown")
    sums = ", ".join(
        f"coalesce(sum(n) FILTER (WHERE st = '{c}'), 0)::BIGINT AS {c}, "
        f"coalesce(sum(n_true) FILTER (WHERE st = '{c}'), 0)::BIGINT AS {c}_true"
        for c in counts
    )
    sql = f"""
        WITH cells AS (
            SELECT {key} AS code, county_code, enterprise_id, {STATUS_AT_SQL} AS st, sum(n)::BIGINT AS n_true
            FROM timeline WHERE {where} GROUP BY ALL
        ),
        t AS (SELECT code, st, n_true, {protected_count_sql("n_true", _CELL_KEY)} AS n FROM cells),
        agg AS (SELECT code, {sums} FROM t GROUP BY code),
        car AS ({carrier_sql}),
        o AS (
            SELECT coalesce(agg.code, car.c_unit) AS code,
                   {", ".join(f"coalesce(agg.{c}, 0) AS {c}, coalesce(agg.{c}_true, 0) AS {c}_true" for c in counts)},
                   car.carrier_estimate, car.carrier_estimate_true
            FROM agg FULL OUTER JOIN car ON agg.code = car.c_unit
        ),
        rk AS (
            SELECT g.{unit} AS k_code,
                   max({risk_rank_sql("k.level")}) AS k_rank
            FROM risk k JOIN regions g ON g.code = k.county_code GROUP BY 1
        ),
        j AS (
            SELECT o.*, nm.name AS n_name, nm.province_code AS n_prov,
                   {risk_name_sql("rk.k_rank")} AS risk
            FROM o LEFT JOIN rk ON rk.k_code = o.code LEFT JOIN regions nm ON nm.code = o.code
        )
        SELECT code, coalesce(n_name, '{UNKNOWN_NAME}') AS name, $level AS level,
               {suppressed_flags_sql((*counts, "carrier_estimate"))}, risk,
               {hotspot_sql("code", "risk", "away")} AS hotspot
        FROM j
        WHERE {"n_prov = $province" if filters.province is not None else "TRUE"}
          {"AND risk IN (SELECT unnest($risks))" if filters.risk else ""}
        ORDER BY code
    """
    if filters.province is not None:
        args["province"] = filters.province
    if filters.risk:
        args["risks"] = list(filters.risk)
    con = _con(snapshot, "timeline", "carrier", "risk", "regions")
    try:
        return con.execute(sql, args).fetch_arrow_table()
    finally:
        con.close()


ORIGIN_COLUMNS = [
    "code", "name", "away", "returned", "unknown", "carrier_estimate", "risk", "hotspot", "suppressed",
]  # fmt: skip


def origin_rows(
    *, actor: Any, level: Level, filters: Filters, snapshot: HeatmapSnapshot | None = None
) -> tuple[HeatmapSnapshot, list[dict[str, Any]]]:
    """Rows ``{code, name, away, returned, unknown, carrier_estimate, risk, hotspot, suppressed}``
    within the actor's scope, protected for its role, largest away first."""
    scope = scope_for(actor)
    snap = require_snapshot(snapshot)
    f = effective(filters, scope)
    out = origin_table(snap, level, f, protection_for(scope, snap)).select(ORIGIN_COLUMNS).to_pylist()
    out.sort(key=lambda r: (-(r["away"] or 0), r["code"]))
    return snap, out


def hotspot_rows(
    *, actor: Any, filters: Filters, snapshot: HeatmapSnapshot | None = None
) -> tuple[HeatmapSnapshot, list[dict[str, Any]]]:
    """Hotspots (prefecture level by default) ranked by volume, with the nearest railway station;
    from the same protected figures as the origin table."""
    scope = scope_for(actor)
    snap = require_snapshot(snapshot)
    params = params_of(snap)
    f = effective(filters, scope)
    table = origin_table(snap, params.hotspot_level, f, protection_for(scope, snap))
    return snap, hotspots(table, params).to_pylist()


# ------------------------------------------------------------------------------------------- shortfall


def _shortfall_sql(group: str) -> str:
    if group == "enterprise":
        cols, keys = "enterprise_id, town_code, bool_or(is_key) AS is_key", "enterprise_id, town_code"
        passed = "enterprise_id, town_code, is_key"
    else:
        cols = (
            "town_code, count(DISTINCT enterprise_id)::BIGINT AS enterprises, "
            "count(DISTINCT enterprise_id) FILTER (WHERE is_key)::BIGINT AS key_enterprises"
        )
        keys = "town_code"
        passed = "town_code, enterprises, key_enterprises"
    sums = ", ".join(
        f"coalesce(sum(n) FILTER (WHERE st = '{st}'), 0)::BIGINT AS {c}, "
        f"coalesce(sum(n_true) FILTER (WHERE st = '{st}'), 0)::BIGINT AS {c}_true"
        for c, st in (("back", "returned"), ("away", "away"), ("unknown", "unknown"))
    )
    counts = ("roster", "back", "away", "unknown")
    shown = " AND ".join(f"NOT (coalesce({c}_true, 0) > 0 AND {c} < $pc_base)" for c in ("roster", "back"))
    return f"""
        WITH cells AS (
            SELECT enterprise_id, town_code, is_key, county_code, {STATUS_AT_SQL} AS st, sum(n)::BIGINT AS n_true
            FROM timeline WHERE {{where}} GROUP BY ALL
        ),
        t AS (SELECT *, {protected_count_sql("n_true", _CELL_KEY)} AS n FROM cells),
        g AS (
            SELECT {cols}, sum(n)::BIGINT AS roster, sum(n_true)::BIGINT AS roster_true, {sums}
            FROM t GROUP BY {keys}
        )
        SELECT {passed}, {suppressed_flags_sql(counts)},
               (CASE WHEN roster > 0 AND {shown} THEN back / roster END)::DOUBLE AS share_back
        FROM g
    """


def shortfall_table(
    snapshot: HeatmapSnapshot, group: str, filters: Filters, protection: Protection = EXACT
) -> pa.Table:
    """Enterprise or town shortfall (and ``suppressed``) for already-scoped filters, its counts
    protected by ``protection`` (exact by default), unsorted."""
    where, args = _where(filters)
    args.update(day=day_of(snapshot, filters), asof=snapshot.as_of, **protection.args)
    con = _con(snapshot, "timeline")
    try:
        return con.execute(_shortfall_sql(group).format(where=where), args).fetch_arrow_table()
    finally:
        con.close()


SHORTFALL_SORTS = ("away", "roster", "back", "share_back", "name")


def _sorted(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """Key enterprises first (for enterprise rows), then ``sort`` (prefix ``-`` for descending;
    default: most away first)."""
    desc = sort.startswith("-") if sort else True
    field = (sort.lstrip("-") if sort else "away") or "away"
    if field not in SHORTFALL_SORTS:
        field = "away"

    def value(r: dict[str, Any]) -> Any:
        v = r.get(field)
        if field == "name":
            return v or ""
        return v if v is not None else -1

    rows.sort(key=lambda r: r.get("code") or r.get("enterprise_id") or 0)
    rows.sort(key=value, reverse=desc)
    rows.sort(key=lambda r: not r.get("is_key", False))
    return rows


def enterprise_shortfall_rows(
    *,
    actor: Any,
    filters: Filters,
    sort: str = "",
    key_only: bool = False,
    snapshot: HeatmapSnapshot | None = None,
) -> tuple[HeatmapSnapshot, list[dict[str, Any]]]:
    scope = scope_for(actor)
    snap = require_snapshot(snapshot)
    f = effective(filters, scope)
    table = shortfall_table(snap, "enterprise", f, protection_for(scope, snap))
    rows = table.to_pylist()
    if key_only:
        rows = [r for r in rows if r["is_key"]]
    names = dict(
        Enterprise.objects.filter(pk__in=[r["enterprise_id"] for r in rows]).values_list("pk", "name")
    )
    towns = dict(Town.objects.values_list("code", "name"))
    for r in rows:
        r["name"] = names.get(r["enterprise_id"], str(r["enterprise_id"]))
        r["town"] = towns.get(r["town_code"], r["town_code"])
    return snap, _sorted(rows, sort)


def town_shortfall_rows(
    *, actor: Any, filters: Filters, sort: str = "", snapshot: HeatmapSnapshot | None = None
) -> tuple[HeatmapSnapshot, list[dict[str, Any]]]:
    scope = scope_for(actor)
    snap = require_snapshot(snapshot)
    f = effective(filters, scope)
    table = shortfall_table(snap, "town", f, protection_for(scope, snap))
    towns = dict(Town.objects.values_list("code", "name"))
    rows = table.to_pylist()
    for r in rows:
        r["name"] = towns.get(r["town_code"], r["town_code"])
    return snap, _sorted(rows, sort)


HEADLINE_COUNTS = ("roster", "back", "away", "unknown")


def headline_totals(*, actor: Any) -> dict[str, Any] | None:
    """The actor's headline counts (roster, back, away, unknown) from the latest heat-map snapshot:
    the sum of the heat map's own town rows (the same cells, day and protection as every heat-map
    table and the API), so that the workbench never shows a second truth. None when the actor has no
    heat-map area or there is no snapshot yet (the caller then says where its figures come from)."""
    snapshot = latest_snapshot() if allows(actor, "heatmap.read") else None
    if snapshot is None:
        return None
    snap, rows = town_shortfall_rows(actor=actor, filters=Filters(), snapshot=snapshot)
    totals: dict[str, Any] = {k: sum(r[k] or 0 for r in rows) for k in HEADLINE_COUNTS}
    totals["snapshot"] = snap
    return totals


# ------------------------------------------------------------------------------------------ cross-check


def crosscheck_rows(
    *, actor: Any, flagged_only: bool = False, snapshot: HeatmapSnapshot | None = None
) -> tuple[HeatmapSnapshot, list[dict[str, Any]]]:
    """Roster away vs carrier count per county (as of the snapshot). Carrier data is not per town or
    enterprise: town officers and enterprise users are refused; a service team sees its province."""
    authorize(actor, "heatmap.crosscheck")
    scope = scope_for(actor)
    snap = require_snapshot(snapshot)
    rows = store.read(snap.path, "cross_check").to_pylist()
    protection = protection_for(scope, snap)
    if protection != EXACT:
        rows = _protected_crosscheck(snap, rows, protection)
    if scope.province is not None:
        rows = [r for r in rows if r["code"][:2] == scope.province[:2]]
    if flagged_only:
        rows = [r for r in rows if r["flagged"]]
    rows.sort(key=lambda r: (not r["flagged"], -(r["ratio"] or 0), r["code"]))
    return snap, rows


def _protected_crosscheck(
    snap: HeatmapSnapshot, rows: list[dict[str, Any]], protection: Protection
) -> list[dict[str, Any]]:
    """The cross-check with the county figures of the protected origin table (so that they add up
    with every other table); the ``flagged`` verdict is the exact one (it names no count)."""
    counties = {
        r["code"]: r for r in origin_table(snap, "county", Filters(day=snap.as_of), protection).to_pylist()
    }
    out = []
    for r in rows:
        c = counties.get(r["code"])
        if c is None:  # a carrier county outside today's region list: pooled under "unknown" there
            continue
        away, carrier = c["away"], c["carrier_estimate"]
        known = away is not None and carrier is not None and min(away, carrier) > 0
        out.append(
            {
                **r,
                "roster_away": away,
                "carrier_count": carrier,
                "ratio": max(away, carrier) / min(away, carrier) if known else None,
                "suppressed": [
                    name
                    for k, name in (("away", "roster_away"), ("carrier_estimate", "carrier_count"))
                    if k in c["suppressed"]
                ],  # fmt: skip
            }
        )
    return out


# -------------------------------------------------------------------------------------------- geojson


def geojson(
    *, actor: Any, level: Level, filters: Filters, snapshot: HeatmapSnapshot | None = None
) -> dict[str, Any]:
    """The origin rows as GeoJSON: province/prefecture polygons (our boundary files) with the figures
    as properties; counties (no boundary file) as points at their seat of government."""
    snap, rows = origin_rows(actor=actor, level=level, filters=filters, snapshot=snapshot)
    by_code = {r["code"]: r for r in rows}
    meta = {"as_of": day_of(snap, filters).isoformat(), "snapshot": snap.pk, "level": level}
    if level == "county":
        features = []
        for r in rows:
            region = regions.get(r["code"])
            if region is None:
                continue
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [region.lon, region.lat]},
                    "properties": {**r, "level": "county"},
                }
            )
        return {"type": "FeatureCollection", "properties": meta, "features": features}
    data = regions.boundaries(level)
    kept = []
    for feature in data["features"]:
        props = feature.get("properties") or {}
        row = by_code.get(props.get("code") or "")
        if row is None:
            continue
        feature["properties"] = {**props, **row}
        kept.append(feature)
    return {"type": "FeatureCollection", "properties": meta, "features": kept}


def within(rows: list[dict[str, Any]], origin: str) -> list[dict[str, Any]]:
    """The rows whose unit lies in ``origin`` (a province or prefecture code; itself included)."""
    out = []
    for r in rows:
        code = r["code"]
        if code == origin:
            out.append(r)
            continue
        pref = regions.prefecture_of(code)
        prov = regions.province_of(code)
        if (pref is not None and pref.code == origin) or (prov is not None and prov.code == origin):
            out.append(r)
    return out
