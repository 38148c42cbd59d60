"""Small-cell protection that survives subtraction, tried as the attacker did: a town officer reads
every table the API gives it and subtracts visible children from their parents."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

COUNTS = ("away", "returned", "unknown")
SHORTFALL = ("roster", "back", "away", "unknown")


def _get(client: Any, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    return response.json()


def _hidden(row: dict[str, Any], col: str) -> bool:
    return row[col] is None


def _families(
    tables: dict[str, Any], units: dict[str, dict[str, str]], towns: list[int]
) -> list[tuple[Any, list[Any]]]:
    """(parent, children) pairs of (value, hidden) cells: origin levels, the town and its
    enterprises, and a shortfall row's roster and its statuses."""
    families: list[tuple[Any, list[Any]]] = []
    for where in ("town", *towns):
        by = {
            lvl: {r["code"]: r for r in tables[(where, lvl)]} for lvl in ("province", "prefecture", "county")
        }
        for child_level, parent_level in (("county", "prefecture"), ("prefecture", "province")):
            kids: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for code, row in by[child_level].items():
                parent = (
                    units.get(code, {}).get(parent_level)
                    if child_level == "county"
                    else _province(units, code)
                )
                if parent in by[parent_level]:
                    kids[parent].append(row)
            for parent, rows in kids.items():
                for col in COUNTS:
                    families.append((_cell(by[parent_level][parent], col), [_cell(r, col) for r in rows]))
    for lvl in ("province", "prefecture", "county"):
        town = {r["code"]: r for r in tables[("town", lvl)]}
        per_ent: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e in towns:
            for r in tables[(e, lvl)]:
                per_ent[r["code"]].append(r)
        for code, rows in per_ent.items():
            for col in COUNTS:
                families.append((_cell(town[code], col), [_cell(r, col) for r in rows]))
    town_row = tables["town_shortfall"][0]
    for col in SHORTFALL:
        families.append((_cell(town_row, col), [_cell(r, col) for r in tables["enterprise_shortfall"]]))
    for row in (town_row, *tables["enterprise_shortfall"]):
        families.append((_cell(row, "roster"), [_cell(row, c) for c in ("back", "away", "unknown")]))
    return families


def _province(units: dict[str, dict[str, str]], prefecture: str) -> str | None:
    return next((u["province"] for u in units.values() if u["prefecture"] == prefecture), None)


def _cell(row: dict[str, Any], col: str) -> tuple[int, bool]:
    return (row[col] or 0, _hidden(row, col))


def _revealed(families: list[tuple[Any, list[Any]]], base: int) -> int:
    """How many hidden cells subtraction pins down: one hidden child whose parent minus the visible
    siblings lies in 1..base−1, or k hidden children summing to exactly k (all ones)."""
    revealed = 0
    for (parent, _), children in families:
        hidden = [c for c in children if c[1]]
        if not hidden:
            continue
        rest = parent - sum(v for v, h in children if not h)
        if (len(hidden) == 1 and 1 <= rest < base) or rest == len(hidden):
            revealed += len(hidden)
    return revealed


def _tables_as(client: Any, enterprises: list[int]) -> dict[Any, Any]:
    tables: dict[Any, Any] = {}
    for lvl in ("province", "prefecture", "county"):
        tables[("town", lvl)] = _get(client, "/api/v1/heatmap", level=lvl)["rows"]
        for e in enterprises:
            tables[(e, lvl)] = _get(client, "/api/v1/heatmap", level=lvl, enterprise=e)["rows"]
    tables["town_shortfall"] = _get(client, "/api/v1/heatmap/shortfall/towns")["rows"]
    tables["enterprise_shortfall"] = _get(client, "/api/v1/heatmap/shortfall/enterprises")["rows"]
    return tables


def _old_rule(exact: dict[Any, Any], base: int) -> dict[Any, Any]:
    """The tables as the old rule showed them: exact counts, those in 1..base−1 blanked."""

    def blank(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                k: (None if isinstance(v, int) and not isinstance(v, bool) and 0 < v < base else v)
                for k, v in r.items()
            }
            for r in rows
        ]

    return {key: blank(rows) for key, rows in exact.items()}


def test_heatmap_suppression_is_not_undone_by_subtraction_as_a_town_officer(small_city, api_as):
    """Finding: as a town officer, parent total − visible children revealed hidden cells (46 in the
    city demo). Every table the officer can ask for is read and every parent/children family
    subtracted: the protected figures pin down no hidden cell, while the old rule (exact counts,
    small ones blanked) on the same tables pins down some."""
    from homeward.apps.registry.models import Enterprise
    from tests.heatmap.conftest import user
    from tests.heatmap.protected import cube_of

    _city, snap = small_city
    town = user("town").profile.town
    enterprises = list(Enterprise.objects.filter(town=town).order_by("pk").values_list("pk", flat=True))
    units = cube_of(snap).units
    base = 5

    protected = _tables_as(api_as("town"), enterprises)
    families = _families(protected, units, enterprises)
    hidden = sum(1 for _parent, kids in families for _v, h in kids if h)
    assert hidden > 0, "the town has small cells to protect"
    assert _revealed(families, base) == 0
    figures = [v for (p, kids) in families for v, _h in (p, *kids)]
    assert all(v % base == 0 for v in figures)

    exact = _tables_as(_as_taskforce_of(api_as, town.code), enterprises)
    old = _revealed(_families(_old_rule(exact, base), units, enterprises), base)
    print(f"hidden cells {hidden}; revealed by subtraction: protected 0, old rule {old}")
    assert old > 0


def _as_taskforce_of(api_as: Any, town: str) -> Any:
    """The task force's client, its heat-map requests narrowed to ``town`` (what the officer sees,
    exactly)."""
    client = api_as("taskforce")

    class Narrowed:
        def get(self, path: str, params: dict[str, Any]) -> Any:
            return client.get(path, {"town": town, **params})

    return Narrowed()


def test_heatmap_pages_and_exports_show_the_threshold_from_settings_and_a_dash_without_carrier(
    small_city, api_as
):
    """The page and the .xlsx show a suppressed cell as ``<min_cell`` (the snapshot's
    ``HEATMAP_MIN_CELL``, not a hard-coded "<5") and a county without a carrier figure as "—" (the
    page) or an empty cell (the export), never as suppressed."""
    import io
    import re

    from openpyxl import load_workbook

    from homeward.apps.heatmap.models import HeatmapSnapshot

    _city, shared = small_city
    snap = HeatmapSnapshot.objects.get(pk=shared.pk)  # a copy: the package's object stays as it is
    snap.params = {**snap.params, "min_cell": 7}
    snap.save(update_fields=["params"])  # rolled back with the test
    client = api_as("town")
    body = client.get("/api/v1/heatmap", {"level": "county"}).json()
    assert body["rounded_to"] == 7
    suppressed = [r for r in body["rows"] if r["suppressed"]]
    assert suppressed and all(r["carrier_estimate"] is None for r in body["rows"])  # by workplace: none
    html = client.get("/heatmap/tables/", {"origin": suppressed[0]["code"][:2] + "0000"}).content.decode()
    cells = re.findall(r'<td class="num" data-value="[^"]*">([^<]*|&lt;\d+)</td>', html)
    assert "&lt;7" in cells and "&lt;5" not in html and "—" in cells
    sheet = client.get("/heatmap/export/", {"table": "origins", "level": "county"}).content
    values = [
        c
        for row in load_workbook(io.BytesIO(sheet)).active.iter_rows(min_row=2, values_only=True)
        for c in row[2:6]
    ]
    assert "<7" in values and all(v in (None, "<7") or v % 7 == 0 for v in values)
