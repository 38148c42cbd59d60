"""Heat-map pages without a browser (HTMX partials, exports, big screen) and the CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db


def test_the_page_renders_filters_and_the_map_container(small_city, api_as):
    client = api_as("taskforce")
    response = client.get("/heatmap/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="heatmap-chart"' in html and "vendor/echarts/echarts.min.js" in html
    assert 'data-testid="heatmap-rebuild"' in html  # the task force may rebuild
    assert 'name="risk"' in html and 'id="heatmap-day"' in html and "浒山街道" in html


def test_the_tables_partial_filters_to_a_clicked_region(small_city, api_as):
    client = api_as("taskforce")
    html = client.get(
        "/heatmap/tables/", {"origin": "520000", "level": "province"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-origin="520000"' in html and "贵州省 · 各区县" in html
    assert 'data-testid="enterprise-shortfall"' in html and 'data-testid="town-shortfall"' in html
    assert 'data-testid="crosscheck-table"' in html
    whole = client.get("/heatmap/tables/").content.decode()
    assert "来源地市" in whole


def test_an_enterprise_user_sees_only_its_enterprise_on_the_page(small_city, api_as):
    from tests.heatmap.conftest import user

    me = user("enterprise").profile.enterprise
    other = user("enterprise2").profile.enterprise
    client = api_as("enterprise")
    page = client.get("/heatmap/").content.decode()
    assert me.name in page and other.name not in page
    assert 'data-testid="heatmap-rebuild"' not in page
    tables = client.get("/heatmap/tables/").content.decode()
    assert me.name in tables and other.name not in tables
    assert 'data-testid="crosscheck-table"' not in tables
    assert client.get("/heatmap/tables/", {"enterprise": other.pk}).status_code == 403


def test_station_staff_are_refused_the_page(small_city, api_as):
    response = api_as("station").get("/heatmap/")
    assert response.status_code == 403 and "forbidden" in response.content.decode()


@pytest.mark.parametrize("table", ["origins", "hotspots", "enterprises", "towns"])
def test_it_exports_xlsx(small_city, api_as, table):
    response = api_as("taskforce").get("/heatmap/export/", {"table": table, "level": "province"})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) > 1 and all(isinstance(h, str) for h in rows[0])


def test_the_rebuild_button_queues_and_the_status_partial_polls(
    small_city, api_as, django_capture_on_commit_callbacks
):
    client = api_as("taskforce")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        html = client.post("/heatmap/rebuild/").content.decode()
    assert len(callbacks) == 1 and 'data-state="queued"' in html and 'hx-trigger="every 1s"' in html
    assert 'data-state="queued"' in client.get("/heatmap/status/").content.decode()
    denied = api_as("enterprise").post("/heatmap/rebuild/")
    assert denied.status_code == 403


def test_the_boundaries_are_served_gzipped(small_city, api_as):
    response = api_as("town").get("/heatmap/boundaries/prefecture.json")
    assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
    assert api_as("town").get("/heatmap/boundaries/county.json").status_code == 404


def test_the_big_screen_renders(small_city, api_as):
    html = api_as("taskforce").get("/heatmap/screen/").content.decode()
    assert 'id="screen-map"' in html and "HeatmapScreen.start" in html and "hm-screen" in html


def _cli(capsys, *argv):
    from homeward.cli import main

    code = main(["heatmap", *argv])
    out = capsys.readouterr().out
    return code, out


def test_the_cli_prints_rows_as_json_and_csv(small_city, capsys):
    city, _snap = small_city
    code, out = _cli(capsys, "--level", "province", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert rows and all(
        list(r) == ["code", "name", "away", "returned", "carrier_estimate", "risk", "hotspot"] for r in rows
    )
    assert sum(r["away"] for r in rows) == city.truth.away_total
    code, out = _cli(capsys, "--level", "county", "--format", "csv", "--date", "2020-02-15")
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    assert list(table[0]) == ["code", "name", "away", "returned", "carrier_estimate", "risk", "hotspot"]
    assert {r["hotspot"] for r in table} <= {"true", "false"}
    assert sum(int(r["away"]) + int(r["returned"]) + int(r.get("unknown", 0)) for r in table) == 6_700


def test_the_cli_reports_bad_dates(small_city, capsys):
    from homeward.cli import main

    assert main(["heatmap", "--date", "2020-02-31"]) == 1
    assert "heatmap_bad_date" in capsys.readouterr().err


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_two_filters_share_a_label_in_either_language(small_city, api_as, language):
    # found by a Chromium walk: 层级 and 风险等级 were both "Level" in English
    import re

    client = api_as("taskforce")
    client.cookies["django_language"] = language
    page = client.get("/heatmap/").content.decode()
    labels = [re.sub(r"\s+", " ", m).strip() for m in re.findall(r"<label>([^<]+)<", page)]
    assert len(labels) >= 4, labels
    assert len(labels) == len(set(labels)), labels
    if language == "en":
        assert "Risk level" in labels and "Enterprise" in labels
