"""Properties of the protected heat map, on random cubes run through the selectors' own SQL: every
figure a multiple of the base, every parent exactly the sum of its children (origin levels, town and
enterprises, roster and statuses, origin filters), so that for every parent no hidden child can be
derived from totals; and the figures equal an oracle built on ``core.fusion.disclosure`` in Python."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeward.core.fusion.schema import CARRIER_SCHEMA, RISK_SCHEMA
from tests.heatmap.protected import STATUSES, Cube, protected_by

COUNTIES = {  # county → (prefecture unit, province); 仙桃 is its own prefecture-level unit
    "520102": ("520100", "520000"),
    "520103": ("520100", "520000"),
    "520502": ("520500", "520000"),
    "341221": ("341200", "340000"),
    "341204": ("341200", "340000"),
    "429004": ("429004", "420000"),
}
TOWN_OF = {1: "330282001", 2: "330282001", 3: "330282106"}
AS_OF = date(2020, 2, 27)
_snapshot_ids = itertools.count(10_000)

cubes = st.dictionaries(
    st.tuples(st.sampled_from(sorted(COUNTIES)), st.sampled_from(sorted(TOWN_OF)), st.sampled_from(STATUSES)),
    st.integers(1, 14),
    min_size=1,
    max_size=30,
)


def _snapshot(cells: dict[tuple[str, int, str], int]) -> Any:
    from homeward.apps.heatmap import store
    from homeward.apps.heatmap.models import HeatmapSnapshot

    rows = [
        {
            "county_code": c, "prefecture_code": COUNTIES[c][0], "province_code": COUNTIES[c][1],
            "town_code": TOWN_OF[e], "enterprise_id": e, "is_key": e == 1, "status": s,
            "first_return": None, "insured_before": True, "n": n,
        }
        for (c, e, s), n in cells.items()
    ]  # fmt: skip
    timeline = pa.Table.from_pylist(rows).cast(
        pa.schema(
            [
                ("first_return", pa.date32()) if f.name == "first_return" else f
                for f in pa.Table.from_pylist(rows).schema
            ]
        )
    )
    sid = next(_snapshot_ids)
    path = store.write(
        sid,
        {"timeline": timeline, "carrier": CARRIER_SCHEMA.empty_table(), "risk": RISK_SCHEMA.empty_table()},
    )
    return HeatmapSnapshot(pk=sid, path=path, as_of=AS_OF, window_start=date(2020, 1, 24), params={})


def _num(row: dict[str, Any] | None, col: str) -> int:
    return 0 if row is None or row[col] is None else int(row[col])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=cubes, base=st.sampled_from([3, 5, 10]), secret=st.text(min_size=1, max_size=12))
def test_no_hidden_child_can_be_derived_from_totals(heatmap_settings, cells, base, secret):
    from homeward.apps.heatmap.selectors import Filters, Protection, origin_table, shortfall_table

    snap = _snapshot(cells)
    protection = Protection(base, secret)
    workplaces = [
        Filters(),
        *(Filters(town=t) for t in sorted(set(TOWN_OF.values()))),
        *(Filters(enterprise=e) for e in TOWN_OF),
    ]
    tables = {
        (f, lvl): {r["code"]: r for r in origin_table(snap, lvl, f, protection).to_pylist()}
        for f in workplaces
        for lvl in ("county", "prefecture", "province")
    }
    every_row = [r for t in tables.values() for r in t.values()]
    # a figure is a multiple of the base, or null exactly where the row says it is suppressed
    for r in every_row:
        for col in STATUSES:
            assert (r[col] is None) == (col in r["suppressed"])
            assert r[col] is None or r[col] % base == 0
    # parents are the sums of their children: origin levels ...
    for f in workplaces:
        for col in STATUSES:
            for child, parent, up in (("county", "prefecture", 0), ("prefecture", "province", 1)):
                sums: dict[str, int] = defaultdict(int)
                for code, r in tables[(f, child)].items():
                    sums[COUNTIES[code][up] if child == "county" else _province_of(code)] += _num(r, col)
                assert {p: _num(tables[(f, parent)].get(p), col) for p in sums} == dict(sums)
    # ... a town and its enterprises
    for town in set(TOWN_OF.values()):
        mine = [e for e, t in TOWN_OF.items() if t == town]
        for lvl, col in itertools.product(("county", "prefecture", "province"), STATUSES):
            for code, r in tables[(Filters(town=town), lvl)].items():
                assert _num(r, col) == sum(
                    _num(tables[(Filters(enterprise=e), lvl)].get(code), col) for e in mine
                )
    # ... shortfall: the town row and its enterprises, the roster and its statuses, origin filters
    ents = {
        r["enterprise_id"]: r for r in shortfall_table(snap, "enterprise", Filters(), protection).to_pylist()
    }
    towns = {r["town_code"]: r for r in shortfall_table(snap, "town", Filters(), protection).to_pylist()}
    for row in (*ents.values(), *towns.values()):
        assert _num(row, "roster") == sum(_num(row, c) for c in ("back", "away", "unknown"))
        assert all(row[c] is None or row[c] % base == 0 for c in ("roster", "back", "away", "unknown"))
    for town, row in towns.items():
        for col in ("roster", "back", "away", "unknown"):
            assert _num(row, col) == sum(_num(r, col) for e, r in ents.items() if TOWN_OF[e] == town)
    by_province: dict[int, int] = defaultdict(int)
    for province in {p for _pref, p in COUNTIES.values()}:
        for r in shortfall_table(snap, "enterprise", Filters(origin=province), protection).to_pylist():
            by_province[r["enterprise_id"]] += _num(r, "roster")
    assert dict(by_province) == {e: _num(r, "roster") for e, r in ents.items()}
    # and the figures are the oracle's, computed apart from the SQL
    cube = Cube()
    cube.cells.update(cells)
    expected = protected_by(cube, lambda county, _e: county, protection)
    assert {c: {s: r[s] for s in STATUSES} for c, r in tables[(Filters(), "county")].items()} == expected


def _province_of(prefecture: str) -> str:
    return next(p for pref, p in COUNTIES.values() if pref == prefecture)
