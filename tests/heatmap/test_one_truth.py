"""One truth for every count (issue #12): for every town, the workbench, the heat-map page, the heat
map's API and its town table give the same away / returned / unknown — exactly for the task force,
and the same protected figures for that town's own officer. (The big screen draws from the same
API operation, checked by its page naming it.)"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD, system_actor

COUNTS = ("away", "returned", "unknown")


def _number(html: str, attr: str) -> int:
    match = re.search(rf'{attr}">([\d,]+)</b>', html)
    assert match, f"no {attr} on the page"
    return int(match.group(1).replace(",", ""))


def _workbench(client) -> dict[str, int]:
    html = client.get("/").content.decode()
    assert 'data-testid="headline-fused"' in html, "the workbench should read the heat map's figures"
    back, away, unknown = (_number(html, f'data-count="{k}') for k in ("back", "away", "unknown"))
    return {"away": away, "returned": back, "unknown": unknown}


def _page(client, town: str = "") -> dict[str, int]:
    html = client.get(reverse("heatmap-tables"), {"town": town} if town else {}).content.decode()
    return {k: _number(html, f'data-testid="total-{k}') for k in COUNTS}


def _api_origins(client, town: str = "") -> dict[str, int]:
    response = client.get("/api/v1/heatmap", {"level": "province", **({"town": town} if town else {})})
    assert response.status_code == 200, response.content
    rows = response.json()["rows"]
    return {k: sum(r[k] or 0 for r in rows) for k in COUNTS}


def _api_town(client, town: str) -> dict[str, int]:
    response = client.get("/api/v1/heatmap/shortfall/towns", {"town": town})
    assert response.status_code == 200, response.content
    (row,) = [r for r in response.json()["rows"] if r["town_code"] == town]
    return {"away": row["away"] or 0, "returned": row["back"] or 0, "unknown": row["unknown"] or 0}


@pytest.mark.django_db
def test_every_town_has_one_truth_on_the_workbench_page_and_api(small_city, client, api_as):
    from homeward.apps.accounts.services import user_create_with_role
    from homeward.apps.registry.models import Town

    towns = list(Town.objects.order_by("code"))
    assert len(towns) >= 20
    tf = api_as("taskforce")
    city = {k: 0 for k in COUNTS}
    for town in towns:
        exact = _api_town(tf, town.code)
        assert sum(exact.values()) > 0, f"{town.name}: no workers in the small city's town?"
        assert _page(tf, town.code) == exact, town.name
        assert _api_origins(tf, town.code) == exact, town.name
        city = {k: city[k] + exact[k] for k in COUNTS}
    assert _workbench(tf) == city == _page(tf) == _api_origins(tf)

    for town in towns:  # each town's own officer: protected figures, but the same everywhere
        officer = user_create_with_role(
            actor=system_actor(), username=f"officer-{town.code}", password=PASSWORD, role="town", town=town
        )
        client.force_login(officer)
        shown = _workbench(client)
        assert shown == _page(client) == _api_origins(client) == _api_town(client, town.code), town.name


@pytest.mark.django_db
def test_the_big_screen_draws_from_the_heat_map_api(small_city, api_as):
    html = api_as("taskforce").get(reverse("heatmap-screen")).content.decode()
    assert reverse("api:heatmap") in html and reverse("api:hotspot_list") in html


@pytest.mark.django_db
def test_without_a_heat_map_the_workbench_says_its_figures_are_the_rosters(small_city, api_as):
    from homeward.apps.heatmap.models import HeatmapSnapshot

    HeatmapSnapshot.objects.update(state="failed")  # (rolled back with the test)
    html = api_as("taskforce").get("/").content.decode()
    assert 'data-testid="headline-registry"' in html and "headline-fused" not in html
