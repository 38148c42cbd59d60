"""homeward.core.regions: the shipped region data and its lookups (no Django)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from homeward.cli import main
from homeward.core import regions
from homeward.core.errors import DomainError

LAT_MIN, LAT_MAX, LON_MIN, LON_MAX = 3.0, 54.0, 73.0, 136.0


def test_counts_are_sane() -> None:
    provinces = regions.all_regions("province")
    prefectures = regions.all_regions("prefecture")
    counties = regions.all_regions("county")
    # 31 mainland provinces + Hong Kong, Macao and Taiwan (province level only)
    assert len(provinces) == 34
    assert {"710000", "810000", "820000"} <= {p.code for p in provinces}
    assert 325 <= len(prefectures) <= 340
    assert 2800 <= len(counties) <= 2900
    assert len(regions.all_regions()) == len(provinces) + len(prefectures) + len(counties)


def test_every_region_has_a_point_inside_china() -> None:
    for region in regions.all_regions():
        assert LAT_MIN < region.lat < LAT_MAX and LON_MIN < region.lon < LON_MAX, region


def test_every_county_parent_chain_reaches_a_province() -> None:
    for county in regions.all_regions("county"):
        parent = regions.get(county.parent or "")
        assert parent is not None and parent.level in ("prefecture", "province"), county
        province = regions.province_of(county.code)
        assert province is not None and province.level == "province"
        assert county.full_name.startswith(province.name)
        assert county.full_name.endswith(county.name)


def test_known_regions() -> None:
    cixi = regions.require("330282")
    assert (cixi.name, cixi.full_name, cixi.level, cixi.parent) == (
        "慈溪市",
        "浙江省宁波市慈溪市",
        "county",
        "330200",
    )
    assert abs(cixi.lat - 30.17) < 0.2 and abs(cixi.lon - 121.27) < 0.2
    qxg = regions.require("520502")
    assert qxg.full_name == "贵州省毕节市七星关区"
    assert regions.prefecture_of("520502") == regions.get("520500")
    assert regions.province_of("520502") == regions.get("520000")
    # municipalities: districts hang directly under the province, no prefecture level
    dongcheng = regions.require("110101")
    assert dongcheng.parent == "110000" and dongcheng.full_name == "北京市东城区"
    assert regions.prefecture_of("110101") is None
    assert regions.get("330282000000") == cixi  # 12-digit MCA codes are tolerated
    assert regions.get("999999") is None


def test_require_raises_unknown_region() -> None:
    with pytest.raises(DomainError) as info:
        regions.require("999999")
    assert info.value.code == "unknown_region"
    assert "999999" in info.value.message and "unknown region" in info.value.message


def test_children() -> None:
    ningbo = regions.children("330200")
    assert "330282" in {r.code for r in ningbo}
    assert all(r.parent == "330200" for r in ningbo)
    assert len(regions.children("110000")) == 16
    assert regions.children("330282") == ()


def test_is_county_means_a_leaf_of_todays_tree() -> None:
    assert regions.is_county("330282")  # 慈溪市, county-level
    assert regions.is_county("441900")  # 东莞市: a prefecture-level city without counties
    assert regions.is_county("110101")  # 东城区, directly under a municipality
    assert not regions.is_county("330200")  # 宁波市 has counties
    assert not regions.is_county("330000")
    assert not regions.is_county("999999")


def test_history_bijie_county_maps_to_qixingguan() -> None:
    spans = regions.area_code_spans("522421")
    assert spans, "522421 was in use"
    assert all(s.current_code == "520502" for s in spans)
    assert any("毕节" in s.name and s.last_year is not None and s.last_year < 2011 for s in spans)
    # its successor 522401 (毕节市, county level, 1993-2010) also maps to 七星关区
    (city,) = regions.area_code_spans("522401")
    assert (city.name, city.current_code) == ("毕节市", "520502")
    assert city.last_year is not None and 2009 <= city.last_year <= 2011


def test_history_cixi() -> None:
    spans = regions.area_code_spans("339009")
    assert spans and all(s.current_code == "330282" for s in spans)
    assert all(s.last_year is not None and s.last_year < 2000 for s in spans)
    current = [s for s in regions.area_code_spans("330282") if s.last_year is None]
    assert current and current[0].current_code == "330282"


def _current_of(code: str, name: str) -> str | None:
    (span,) = [s for s in regions.area_code_spans(code) if s.name == name]
    return span.current_code


def test_history_abolished_shijiazhuang_qiaodong_stays_in_shijiazhuang() -> None:
    # 石家庄桥东区 was abolished in 2014 and split between 长安区 and 桥西区 (not 邢台's 桥东区)
    (span,) = regions.area_code_spans("130103")
    assert (span.name, span.last_year) == ("桥东区", 2013)
    assert span.current_code in ("130102", "130104")
    assert regions.span_is_approximate(span)


def test_history_follows_places_across_code_swaps() -> None:
    assert _current_of("142424", "昔阳县") == "140724"  # Shanxi's 1982 晋中/吕梁 code swap
    assert _current_of("142325", "昔阳县") == "140724"
    assert _current_of("130226", "迁安县") == "130283"  # 迁安县 -> 迁安市 (1996), not 玉田县
    assert _current_of("130226", "玉田县") == "130229"
    assert _current_of("130123", "栾城县") == "130111"  # 栾城县 -> 栾城区 (2014), not 正定县
    assert _current_of("130123", "正定县") == "130123"
    assert _current_of("130124", "栾城县") == "130111"


def test_history_well_known_changes() -> None:
    assert _current_of("513001", "达县市") == "511702"  # 达县市 -> 达川市 -> 通川区 (1999)
    assert _current_of("511721", "达县") == "511703"  # 达县 -> 达川区 (2013)
    assert _current_of("342601", "巢湖市") == "340181"  # county-level 巢湖市 -> 居巢区 -> 巢湖市
    assert _current_of("330103", "下城区") == "330105"  # 2021, merged into 拱墅区
    assert _current_of("522401", "毕节市") == "520502"
    # 132902: 沧州新华区 until 1982, then (after 1983's reorganisation) 泊头市
    assert _current_of("132902", "新华区") == "130902"
    assert _current_of("132902", "泊头市") == "130981"
    # 重庆 (1997): a Sichuan code of a county now in Chongqing
    assert _current_of("512626", "璧山县") == "500120"


def test_history_stays_in_its_province() -> None:
    # today's county lies in the same province as the historical code, except for the provincial
    # changes since 1980: 海南 split from 广东 (1988), 重庆 from 四川 (1997)
    moves = {("44", "46"), ("51", "50")}
    bad = [
        span
        for spans in regions._spans().values()
        for span in spans
        if span.current_code
        and span.code[:2] != span.current_code[:2]
        and (span.code[:2], span.current_code[:2]) not in moves
    ]
    assert bad == []


def test_approximate_spans_are_few_and_retired() -> None:
    approx = [s for spans in regions._spans().values() for s in spans if regions.span_is_approximate(s)]
    assert 0 < len(approx) < 400
    assert all(s.last_year is not None and s.current_code for s in approx)
    assert not regions.span_is_approximate(regions.area_code_spans("339009")[0])


def test_every_current_code_has_an_open_span() -> None:
    for region in regions.all_regions():
        spans = regions.area_code_spans(region.code)
        assert any(s.last_year is None and s.current_code == region.code for s in spans), region


def test_spans_are_well_formed() -> None:
    for region in regions.all_regions("province"):
        assert regions.area_code_spans(region.code)
    for spans in regions._spans().values():
        for span in spans:
            assert span.first_year >= regions.FIRST_YEAR
            assert span.last_year is None or span.first_year <= span.last_year
            assert span.current_code is None or regions.get(span.current_code) is not None, span


def test_reused_codes_have_several_meanings() -> None:
    reused = [
        code
        for code, spans in regions._spans().items()
        if len({(s.name, s.current_code) for s in spans}) >= 2
    ]
    assert len(reused) > 500
    spans = regions.area_code_spans(reused[0])
    assert len(spans) >= 2


def test_prefecture_codes_have_history() -> None:
    assert regions.area_code_spans("520500")[-1].current_code == "520500"
    assert regions.area_code_spans("522400")[0].current_code == "520500"  # 毕节地区
    assert regions.area_code_spans("110100")[0].current_code == "110000"  # 北京市市辖区
    assert regions.area_code_spans("000000") == ()


def test_towns_of_the_demo_city() -> None:
    towns = regions.towns()
    assert towns == regions.towns_of(regions.DEMO_CITY_CODE)
    assert len(towns) == 20
    assert sum(t.kind == "街道" for t in towns) == 6 and sum(t.kind == "镇" for t in towns) == 14
    names = {t.name for t in towns}
    for short in ["浒山", "宗汉", "坎墩", "白沙路", "古塘", "陆中湾"]:
        assert f"{short}街道" in names
    for short in [
        "龙山",
        "掌起",
        "观海卫",
        "附海",
        "桥头",
        "匡堰",
        "逍林",
        "新浦",
        "胜山",
        "横河",
        "崇寿",
        "庵东",
        "长河",
        "周巷",
    ]:
        assert f"{short}镇" in names
    city = regions.require(regions.DEMO_CITY_CODE)
    for town in towns:
        assert town.code.startswith(city.code) and len(town.code) == 12 and town.county_code == city.code
        # hand-placed seats: their own points, within the city
        assert not town.approximate and (town.lat, town.lon) != (city.lat, city.lon)
        assert regions.great_circle_km(town.lat, town.lon, city.lat, city.lon) < 35
    assert regions.town("330282001000") == regions.town("330282001") == towns[0]
    assert towns[0].name == "浒山街道"
    assert regions.town("330282999000") is None


def test_the_national_township_list_covers_every_county_with_townships() -> None:
    counties = [c for c in regions.all_regions() if regions.is_county(c.code)]
    with_towns = {c.code for c in counties if regions.towns_of(c.code)}
    total = sum(len(regions.towns_of(c)) for c in with_towns)
    assert 38_000 <= total <= 39_500
    # the county-level units with no township level (and 金门, listed without any)
    assert {c.code for c in counties} - with_towns == {
        "330383", "350527", "460202", "460203", "460204", "460205", "460302", "460303",
    }  # fmt: skip
    assert regions.towns_of("330700") == ()  # a prefecture has no townships of its own
    assert regions.towns_of("999999") == ()


def test_townships_of_the_example_cities() -> None:
    yiwu = regions.towns_of("330782")
    assert len(yiwu) == 14 and yiwu[0] == regions.town("330782001000")
    assert {"稠城街道", "佛堂镇", "苏溪镇", "大陈镇"} <= {t.name for t in yiwu}
    assert len(regions.towns_of("320583")) == 10 and "周庄镇" in {t.name for t in regions.towns_of("320583")}
    # 东莞 has no counties; the MCA list has none of its towns, so they come from NBS codes
    dongguan = regions.towns_of("441900")
    assert len(dongguan) == 36 and {"虎门镇", "长安镇", "东城街道"} <= {t.name for t in dongguan}
    # 嘉峪关: NBS files its towns under 620201 市辖区; they belong to the county-level 620200
    jiayuguan = regions.towns_of("620200")
    assert jiayuguan and all(t.county_code == "620200" for t in jiayuguan)


def test_a_township_without_a_located_seat_has_its_countys_point_and_says_so() -> None:
    yiwu = regions.require("330782")
    for town in regions.towns_of("330782"):
        assert town.approximate and (town.lat, town.lon) == (yiwu.lat, yiwu.lon)


def test_abolished_townships_are_left_out() -> None:
    names = {t.name for c in ("140213", "320582") for t in regions.towns_of(c)}
    assert names and not any("撤销" in name for name in names)
    assert "金港镇（撤销）" not in names


@pytest.mark.parametrize(
    ("name", "kind"),
    [("浒山街道", "街道"), ("周巷镇", "镇"), ("下社乡", "乡"), ("幸福满族乡", "乡"), ("巴彦苏木", "乡"),
     ("兵团一二五团", "其他"), ("赵家蓬区公所", "其他")],
)  # fmt: skip
def test_town_kinds(name: str, kind: str) -> None:
    assert regions._town_kind(name) == kind


def test_townships_are_read_only_when_asked_for() -> None:
    code = (
        "from homeward.core import regions as r; r.get('330282'); r.area_code_spans('522421'); "
        "r.stations(); before = r._town_rows.cache_info().currsize; r.towns_of('330782'); "
        "print(before, r._town_rows.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "1"]


def test_stations_near_a_city_nearest_first() -> None:
    def near(code: str) -> list[str]:
        city = regions.require(code)
        return [s.name for s in regions.stations_near(city.lat, city.lon, within_km=60, limit=3)]

    assert near("330282") == ["余姚北", "宁波"]
    assert near("330782") == ["义乌", "金华"]
    assert near("320583")[2] == "苏州" and set(near("320583")[:2]) == {"昆山", "昆山南"}
    assert near("441900") == ["东莞", "虎门", "东莞东"]
    # nothing within reach: the nearest one alone
    kashgar = regions.require("653101")
    assert len(regions.stations_near(kashgar.lat, kashgar.lon, within_km=60, limit=3)) == 1


def test_short_name() -> None:
    assert regions.short_name("义乌市") == "义乌"
    assert regions.short_name("长阳土家族自治县") == "长阳土家族自治县"
    assert regions.short_name("沙市区") == "沙市"
    assert regions.short_name("东莞") == "东莞"


def test_stations() -> None:
    stations = regions.stations()
    names = {s.name for s in stations}
    assert {"余姚北", "宁波", "贵阳北", "郑州东", "宜宾西", "商丘", "毕节"} <= names
    assert len(stations) >= 20
    for s in stations:
        assert LAT_MIN < s.lat < LAT_MAX and LON_MIN < s.lon < LON_MAX
        assert len(s.telecode) == 3
        region = regions.get(s.city_code)
        assert region is not None and regions.great_circle_km(s.lat, s.lon, region.lat, region.lon) < 60, s
    cixi = regions.require("330282")
    assert regions.nearest_station(cixi.lat, cixi.lon).name == "余姚北"
    assert regions.station_by_name("宁波站") == regions.station_by_name("NGH")


def test_great_circle_km() -> None:
    assert regions.great_circle_km(30.0, 120.0, 30.0, 120.0) == 0.0
    # one degree of latitude ≈ 111.2 km
    assert regions.great_circle_km(30.0, 120.0, 31.0, 120.0) == pytest.approx(111.2, abs=0.2)
    # 宁波 to 贵阳 is roughly 1,500 km as the crow flies
    assert 1400 < regions.great_circle_km(29.87, 121.55, 26.65, 106.63) < 1600


@pytest.mark.parametrize("level", ["province", "prefecture"])
def test_boundaries_are_geojson_with_known_codes(level: regions.BoundaryLevel) -> None:
    fc = regions.boundaries(level)
    assert fc["type"] == "FeatureCollection"
    polygons = [f for f in fc["features"] if f["properties"]["code"] is not None]
    for feature in fc["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon", "LineString", "MultiLineString")
    for feature in polygons:
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        region = regions.get(feature["properties"]["code"])
        assert region is not None and region.name == feature["properties"]["name"]
    codes = {f["properties"]["code"] for f in polygons}
    if level == "province":
        assert codes == {r.code for r in regions.all_regions("province")}
    else:
        assert len(codes) == len(polygons)
        # nearly every prefecture has a polygon
        prefectures = {r.code for r in regions.all_regions("prefecture")}
        assert len(prefectures & codes) >= len(prefectures) - 5
    assert regions.boundaries(level) is not regions.boundaries(level)  # fresh copy each call
    with pytest.raises(ValueError):
        regions.boundaries("county")  # type: ignore[arg-type]


def test_loading_reads_only_the_files_a_lookup_needs() -> None:
    """A county lookup, a code's history and the station table open their own data files and
    nothing else (no boundaries, no national township list): start-up cost stays bounded by what is
    asked, without timing anything on a shared machine."""
    code = (
        "import sys, os; opened = [];"
        "sys.addaudithook(lambda ev, args: opened.append(os.path.basename(str(args[0]))) "
        "if ev == 'open' and 'regions/data' in str(args[0]) else None);"
        "from homeward.core import regions as r; "
        "r.get('330282'); r.area_code_spans('522421'); r.stations(); "
        "print(' '.join(sorted(set(opened))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["regions.json.gz", "spans.json.gz", "stations.csv"]


def test_core_does_not_import_django() -> None:
    code = "import sys; import homeward.core.regions as r; r.get('330282'); print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cli_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regions", "show", "330282"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["code"] == "330282" and data["name"] == "慈溪市" and data["full_name"] == "浙江省宁波市慈溪市"
    assert set(data) == {"code", "name", "full_name", "level", "parent", "lat", "lon"}


def test_cli_show_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regions", "show", "999999"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "999999" in captured.err and "未知" in captured.err and "unknown" in captured.err


def test_cli_history(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regions", "history", "339009"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["current_code"] == "330282" and data[0]["current_full_name"] == "浙江省宁波市慈溪市"
    assert main(["regions", "history", "000000"]) == 1


def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["regions", "--help"], ["regions", "show", "--help"], ["regions", "history", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0
        assert "usage" in capsys.readouterr().out


def test_it_names_a_region_for_display_or_falls_back_to_the_code():
    assert regions.full_name_or_code("330282") == "浙江省宁波市慈溪市"
    assert regions.full_name_or_code("999999") == "999999"
