"""The heat-map API: row shape, filters, scoping by role, protected counts, rebuild and status."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ROW_KEYS = {"code", "name", "away", "returned", "carrier_estimate", "risk", "hotspot"}


def _rows(response):
    assert response.status_code == 200, response.content
    return response.json()["rows"]


def _total(rows, col):
    return sum(r[col] or 0 for r in rows)


def test_it_returns_rows_at_each_level(small_city, api_as):
    city, snap = small_city
    client = api_as("taskforce")
    totals = {}
    for level in ("province", "prefecture", "county"):
        body = client.get("/api/v1/heatmap", {"level": level}).json()
        assert body["level"] == level and body["date"] == "2020-02-27" and body["snapshot"]["id"] == snap.pk
        assert body["suppressed"] is False
        rows = body["rows"]
        assert rows and all(set(r) >= ROW_KEYS for r in rows)
        assert [r["away"] for r in rows] == sorted((r["away"] for r in rows), reverse=True)
        assert all(r["risk"] in ("low", "medium", "high") and isinstance(r["hotspot"], bool) for r in rows)
        totals[level] = (_total(rows, "away"), _total(rows, "returned"), _total(rows, "carrier_estimate"))
    assert totals["province"] == totals["prefecture"] == totals["county"]
    assert totals["province"][:2] == (city.truth.away_total, city.truth.returned_total)
    assert client.get("/api/v1/heatmap").json()["level"] == "prefecture"


def test_it_filters_by_town_enterprise_province_risk_and_date(small_city, api_as):
    from homeward.apps.registry.models import Enterprise, Worker

    client = api_as("taskforce")
    ent = Enterprise.objects.filter(is_key=True).order_by("pk").first()
    town = ent.town.code

    rows = _rows(client.get("/api/v1/heatmap", {"level": "province", "town": town}))
    assert _total(rows, "away") == Worker.objects.filter(employer__town__code=town, status="away").count()
    assert all(r["carrier_estimate"] is None for r in rows)  # carrier data is not per town

    rows = _rows(client.get("/api/v1/heatmap", {"level": "county", "enterprise": ent.pk}))
    assert _total(rows, "away") == Worker.objects.filter(employer=ent, status="away").count()
    assert _total(rows, "returned") == Worker.objects.filter(employer=ent, status="returned").count()

    rows = _rows(client.get("/api/v1/heatmap", {"level": "county", "province": "52"}))
    assert rows and all(r["code"].startswith("52") for r in rows)
    assert _total(rows, "away") == Worker.objects.filter(origin_code__startswith="52", status="away").count()

    rows = _rows(client.get("/api/v1/heatmap", {"level": "prefecture", "risk": "low,medium"}))
    assert rows and all(r["risk"] in ("low", "medium") for r in rows)
    high = _rows(client.get("/api/v1/heatmap", {"level": "prefecture", "risk": "high"}))
    assert high and all(r["risk"] == "high" and not r["hotspot"] for r in high)

    body = client.get("/api/v1/heatmap", {"level": "province", "date": "2020-02-10"}).json()
    assert body["date"] == "2020-02-10"
    late = _rows(client.get("/api/v1/heatmap", {"level": "province"}))
    assert _total(body["rows"], "returned") < _total(late, "returned")
    # days after the snapshot are the snapshot
    assert client.get("/api/v1/heatmap", {"date": "2020-03-30"}).json()["date"] == "2020-02-27"


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"date": "2020-13-01"}, "heatmap_bad_date"),
        ({"date": "2019-12-01"}, "heatmap_bad_date"),
        ({"risk": "extreme"}, "heatmap_bad_filter"),
        ({"province": "5x"}, "heatmap_bad_filter"),
        ({"enterprise": "abc"}, "heatmap_bad_filter"),
    ],
)
def test_it_rejects_bad_filters(small_city, api_as, params, reason):
    response = api_as("taskforce").get("/api/v1/heatmap", params)
    assert response.status_code == 400
    assert response.json()["reason"] == reason


def test_an_unknown_level_is_a_validation_error(small_city, api_as):
    assert api_as("taskforce").get("/api/v1/heatmap", {"level": "town"}).status_code == 422


def test_an_enterprise_user_sees_only_its_own_enterprise(small_city, api_as):
    from homeward.apps.heatmap import selectors
    from homeward.apps.registry.models import Enterprise, Worker
    from tests.heatmap.conftest import user
    from tests.heatmap.protected import cube_of, protected_by

    _city, snap = small_city
    me = user("enterprise").profile.enterprise
    other = user("enterprise2").profile.enterprise
    client = api_as("enterprise")
    body = client.get("/api/v1/heatmap", {"level": "province"}).json()
    assert body["suppressed"] is True and body["rounded_to"] == 5
    rows = body["rows"]
    mine = Worker.objects.filter(employer=me)
    # the task force sees this enterprise's figures exactly
    full = _rows(api_as("taskforce").get("/api/v1/heatmap", {"level": "province", "enterprise": me.pk}))
    assert _total(full, "away") == mine.filter(status="away").count()
    assert _total(full, "returned") == mine.filter(status="returned").count()
    # the enterprise sees the sums of its protected cells, as the oracle computes them apart
    protection = selectors.protection_for(selectors.scope_for(user("enterprise")), snap)
    cube = cube_of(snap, lambda r: r["enterprise_id"] == me.pk)
    expected = protected_by(cube, lambda county, _e: cube.units[county]["province"], protection)
    client = api_as("enterprise")  # the same test client, signed in again as the enterprise
    shown = {(r["code"], k): r[k] for r in rows for k in ("away", "returned")}
    assert shown == {(code, k): v[k] for code, v in expected.items() for k in ("away", "returned")}
    assert all(r["carrier_estimate"] is None and "carrier_estimate" not in r["suppressed"] for r in rows)
    # at county level too: never a number under 5, a null only where flagged
    county = _rows(client.get("/api/v1/heatmap", {"level": "county"}))
    expected = protected_by(cube, lambda county, _e: county, protection)
    assert {r["code"]: r["away"] for r in county} == {code: v["away"] for code, v in expected.items()}
    assert all((r["away"] is None) == ("away" in r["suppressed"]) for r in county)
    assert all(r["away"] is None or r["away"] % 5 == 0 for r in county)

    roster = protected_by(cube, lambda _c, _e: "all", protection)["all"]
    ents = _rows(client.get("/api/v1/heatmap/shortfall/enterprises"))
    assert [e["enterprise_id"] for e in ents] == [me.pk]
    assert (ents[0]["away"], ents[0]["back"]) == (roster["away"], roster["returned"])
    towns = _rows(client.get("/api/v1/heatmap/shortfall/towns"))
    assert [(t["town_code"], t["enterprises"], t["roster"]) for t in towns] == [
        (me.town.code, 1, ents[0]["roster"])
    ]
    # asking for someone else's figures is refused, not widened
    for params in ({"enterprise": other.pk}, {"town": other.town.code}):
        response = client.get("/api/v1/heatmap", params)
        assert response.status_code == 403 and response.json()["reason"] == "forbidden"
    assert client.get("/api/v1/heatmap/shortfall/enterprises", {"enterprise": other.pk}).status_code == 403
    assert client.get("/api/v1/heatmap/crosscheck").status_code == 403
    assert client.get("/api/v1/heatmap", {"enterprise": me.pk}).status_code == 200
    assert Enterprise.objects.count() > 2


def test_a_town_officer_sees_the_towns_enterprises(small_city, api_as):
    from homeward.apps.heatmap import selectors
    from homeward.apps.registry.models import Worker
    from tests.heatmap.conftest import user
    from tests.heatmap.protected import cube_of, protected_by

    _city, snap = small_city
    town = user("town").profile.town
    client = api_as("town")
    rows = _rows(client.get("/api/v1/heatmap", {"level": "province"}))
    full = _rows(api_as("taskforce").get("/api/v1/heatmap", {"level": "province", "town": town.code}))
    assert _total(full, "away") == Worker.objects.filter(employer__town=town, status="away").count()
    protection = selectors.protection_for(selectors.scope_for(user("town")), snap)
    cube = cube_of(snap, lambda r: r["town_code"] == town.code)
    expected = protected_by(cube, lambda county, _e: cube.units[county]["province"], protection)
    assert {r["code"]: r["away"] for r in rows} == {code: v["away"] for code, v in expected.items()}
    client = api_as("town")
    ents = _rows(client.get("/api/v1/heatmap/shortfall/enterprises", {"limit": 500}))
    assert ents and {e["town_code"] for e in ents} == {town.code}
    assert ents[0]["is_key"] or not any(e["is_key"] for e in ents)  # key enterprises first


def test_a_service_team_sees_its_provinces_workers(small_city, api_as):
    from homeward.apps.registry.models import Worker

    client = api_as("team52")
    rows = _rows(client.get("/api/v1/heatmap", {"level": "county"}))
    assert rows and all(r["code"].startswith("52") for r in rows)
    assert _total(_rows(client.get("/api/v1/heatmap", {"level": "province"})), "carrier_estimate") > 0
    cross = _rows(client.get("/api/v1/heatmap/crosscheck"))
    assert all(r["code"].startswith("52") for r in cross)
    towns = _rows(client.get("/api/v1/heatmap/shortfall/towns"))
    # Its counts are protected (each finest cell rounded to a multiple of ``rounded_to``): at most
    # one rounding step per (origin county, enterprise, status) cell above its province's workers.
    own = Worker.objects.filter(origin_code__startswith="52")
    cells = own.values("origin_code", "employer_id", "status").distinct().count()
    slack = client.get("/api/v1/heatmap", {"level": "province"}).json()["rounded_to"] * cells
    assert sum(t["roster"] or 0 for t in towns) <= own.count() + slack
    assert client.get("/api/v1/heatmap", {"province": "51"}).status_code == 403


@pytest.mark.parametrize("name", ["station", "worker"])
def test_roles_without_business_here_are_refused(small_city, api_as, name):
    response = api_as(name).get("/api/v1/heatmap")
    assert response.status_code == 403 and response.json()["reason"] == "forbidden"


def test_anonymous_callers_get_401(small_city, client):
    assert client.get("/api/v1/heatmap").status_code == 401


def test_hotspots_are_ranked_with_the_nearest_station(small_city, api_as):
    rows = _rows(api_as("taskforce").get("/api/v1/heatmap/hotspots"))
    assert rows, "the small city has hotspots at its scaled threshold"
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["away"] for r in rows] == sorted((r["away"] for r in rows), reverse=True)
    assert all(
        r["away"] >= 100 and r["risk"] != "high" and r["station"] and r["station_km"] >= 0 for r in rows
    )
    top = {r["province_code"][:2] for r in rows[:5]}
    assert top <= {"52", "34", "41", "51", "36", "43", "42", "53", "50", "45"}


def test_shortfall_tables_put_key_enterprises_first_and_sort(small_city, api_as):
    client = api_as("taskforce")
    rows = _rows(client.get("/api/v1/heatmap/shortfall/enterprises", {"limit": 500}))
    assert len(rows) == 120
    keys = [r["is_key"] for r in rows]
    assert keys == sorted(keys, reverse=True)
    key_rows = [r for r in rows if r["is_key"]]
    assert [r["away"] for r in key_rows] == sorted((r["away"] for r in key_rows), reverse=True)
    by_share = _rows(
        client.get("/api/v1/heatmap/shortfall/enterprises", {"sort": "share_back", "limit": 500})
    )
    plain = [r["share_back"] for r in by_share if not r["is_key"]]
    assert plain == sorted(plain)
    towns = _rows(client.get("/api/v1/heatmap/shortfall/towns"))
    assert len(towns) == 20 and sum(t["roster"] for t in towns) == 6_700
    origin = _rows(client.get("/api/v1/heatmap/shortfall/towns", {"origin": "520000"}))
    assert 0 < sum(t["roster"] for t in origin) < 6_700


def test_crosscheck_flags_disagreeing_counties(small_city, api_as):
    rows = _rows(api_as("taskforce").get("/api/v1/heatmap/crosscheck", {"flagged": "true"}))
    assert rows and all(r["flagged"] for r in rows)


def test_geojson_carries_the_figures(small_city, api_as):
    client = api_as("taskforce")
    data = client.get("/api/v1/heatmap/geojson/prefecture").json()
    assert data["type"] == "FeatureCollection" and data["properties"]["as_of"] == "2020-02-27"
    props = [f["properties"] for f in data["features"]]
    assert props and all(set(p) >= ROW_KEYS for p in props)
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in data["features"])
    counties = client.get("/api/v1/heatmap/geojson/county", {"download": "true"})
    assert "attachment" in counties["Content-Disposition"]
    assert {f["geometry"]["type"] for f in counties.json()["features"]} == {"Point"}


def test_the_task_force_queues_a_rebuild_and_sees_its_status(
    small_city, api_as, django_capture_on_commit_callbacks
):
    client = api_as("taskforce")
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            "/api/v1/heatmap/rebuild", {"as_of": "2020-02-20"}, content_type="application/json"
        )
    assert response.status_code == 202
    body = response.json()
    assert body["state"] == "queued" and body["as_of"] == "2020-02-20"
    status = client.get("/api/v1/heatmap/status").json()
    assert status["id"] == body["id"]
    # until it is built, the figures still come from the latest done snapshot
    assert client.get("/api/v1/heatmap").json()["snapshot"]["as_of"] == "2020-02-27"
    denied = api_as("enterprise").post("/api/v1/heatmap/rebuild", {}, content_type="application/json")
    assert denied.status_code == 403


def test_no_snapshot_yet_is_a_clear_404(small_city, api_as):
    from homeward.apps.heatmap.models import HeatmapSnapshot

    HeatmapSnapshot.objects.all().delete()
    response = api_as("taskforce").get("/api/v1/heatmap")
    assert response.status_code == 404 and response.json()["reason"] == "heatmap_missing"


def test_the_origin_table_takes_few_queries(small_city, api_as, django_assert_max_num_queries):
    """A hot endpoint's query count, measured on a real answer (it passed on a 403 before)."""
    client = api_as("taskforce")
    client.get("/api/v1/heatmap")
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/heatmap", {"level": "county"})
    assert response.status_code == 200 and len(response.json()["rows"]) > 100
