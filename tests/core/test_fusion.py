"""homeward.core.fusion: the heat-map fusion rules, level sums, filters, hotspots, suppression."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from homeward.core.fusion import (
    LEVELS,
    UNKNOWN_CODE,
    FusionInputs,
    FusionParams,
    OriginFilters,
    open_engine,
    origins,
    run_fusion,
)
from homeward.core.fusion.synthetic import default_params, generate

AS_OF = date(2020, 2, 20)
WS = date(2020, 1, 24)
D = date  # brevity


def _inputs() -> FusionInputs:
    roster = pa.table(
        {
            "worker_key": [1, 2, 3, 4, 5, 6, 7, 8],
            "id_number": ["A", "B", "C", "D", "E", "F", "G", "H"],
            "origin_code": ["520502", "520502", "500101", "520502", "520502", "999999", "520502", "520502"],
            "declared_code": [None, None, None, "511502", None, None, None, None],
            "enterprise_id": [10, 10, 10, 20, 20, 20, 30, 30],
            "town_code": ["T1", "T1", "T1", "T2", "T2", "T2", "T1", "T1"],
            "is_key": [True, True, True, False, False, False, False, False],
            "insured_since": [D(2019, 1, 1), None, D(2019, 1, 1), D(2019, 1, 1), D(2020, 2, 1), D(2019, 1, 1)]
            + [D(2019, 1, 1), D(2019, 1, 1)],
        }
    )
    police = pa.table(
        {
            "id_number": ["A", "A", "B", "H", "X"],
            "arrived_on": [D(2020, 2, 1), D(2020, 2, 10), D(2020, 1, 10), D(2020, 2, 21), D(2020, 2, 2)],
            "place": ["余姚北站"] * 5,
        }
    )
    intentions = pa.table(
        {
            "id_number": ["C", "G", "G", "A"],
            "date": [D(2020, 2, 5), D(2020, 2, 1), D(2020, 2, 8), D(2020, 2, 12)],
            "state": ["returned", "returned", "will_return", "away"],
            "county_code": [None, None, "411402", None],
        }
    )
    carrier = pa.table(
        {
            "date": [D(2020, 2, 19), D(2020, 2, 21), D(2020, 2, 20), D(2020, 2, 20)],
            "county_code": ["520502", "520502", "511502", "123456"],
            "count": [1, 100, 3, 7],
        }
    )
    risk = pa.table({"county_code": ["520502", "511502"], "level": ["high", "medium"]})
    return FusionInputs.of(roster=roster, police=police, carrier=carrier, risk=risk, intentions=intentions)


PARAMS = FusionParams(as_of=AS_OF, window_start=WS, hotspot_min_away=1, disagreement_ratio=1.5)


@pytest.fixture(scope="module")
def result():
    return run_fusion(_inputs(), PARAMS, "duckdb")


def test_it_gives_each_worker_a_status_with_its_source_and_date(result) -> None:
    rows = {r["id_number"]: r for r in result.workers.to_pylist()}
    got = {k: (r["status"], r["source"], r["status_date"], r["origin_code"]) for k, r in rows.items()}
    assert got == {
        # police beats a later intention; the latest arrival in the window is the date
        "A": ("returned", "police", D(2020, 2, 10), "520502"),
        # arrival before the window does not count; no insurance date → away by the roster
        "B": ("away", "roster", None, "520502"),
        "C": ("returned", "intention", D(2020, 2, 5), "500101"),
        # declared location beats the ID's area code
        "D": ("away", "roster", D(2019, 1, 1), "511502"),
        # insured only after the window opened, no evidence → unknown
        "E": ("unknown", "roster", D(2020, 2, 1), "520502"),
        "F": ("away", "roster", D(2019, 1, 1), "999999"),
        # the latest intention wins and its county becomes the origin
        "G": ("away", "intention", D(2020, 2, 8), "411402"),
        # an arrival after as_of does not count
        "H": ("away", "roster", D(2019, 1, 1), "520502"),
    }
    assert rows["F"]["county_code"] == rows["F"]["province_code"] == UNKNOWN_CODE
    # a municipal district is its own prefecture-level unit
    assert (rows["C"]["prefecture_code"], rows["C"]["province_code"]) == ("500101", "500000")


def test_it_rolls_origins_up_with_carrier_and_worst_risk(result) -> None:
    pref = {r["code"]: r for r in result.origins["prefecture"].to_pylist()}
    bijie = pref["520500"]
    assert (bijie["away"], bijie["returned"], bijie["unknown"]) == (2, 1, 1)
    assert bijie["carrier_estimate"] == 1  # latest date <= as_of, not the later 100
    assert bijie["risk"] == "high" and bijie["hotspot"] is False
    assert pref["511500"]["risk"] == "medium" and pref["511500"]["hotspot"] is True
    assert pref["411400"]["risk"] == "low" and pref["411400"]["away"] == 1
    assert pref[UNKNOWN_CODE]["carrier_estimate"] == 7 and pref[UNKNOWN_CODE]["hotspot"] is False
    assert [r["code"] for r in result.hotspots.to_pylist()] == ["411400", "511500"]
    assert result.hotspots.column("station").to_pylist() == ["商丘", "宜宾西"]


def test_sums_agree_across_levels(result) -> None:
    _assert_level_sums(result)


def test_sums_agree_across_levels_on_a_synthetic_town() -> None:
    _assert_level_sums(run_fusion(generate("tiny", seed=7), default_params(), "duckdb"))


def _assert_level_sums(result) -> None:
    workers = result.workers
    for col in ("away", "returned", "unknown"):
        n = pc.sum(pc.equal(workers["status"], col)).as_py()
        sums = {level: pc.sum(result.origins[level][col]).as_py() for level in LEVELS}
        assert set(sums.values()) == {n}, (col, sums)
        assert pc.sum(result.cells[col]).as_py() == n
    est = {level: pc.sum(result.origins[level]["carrier_estimate"]).as_py() for level in LEVELS}
    assert len(set(est.values())) == 1
    assert result.totals()["away"] == pc.sum(result.enterprise_shortfall["away"]).as_py()
    assert pc.sum(result.town_shortfall["roster"]).as_py() == workers.num_rows


def test_cross_check_flags_disagreement(result) -> None:
    cc = {r["code"]: r for r in result.cross_check.to_pylist()}
    assert cc["520502"]["roster_away"] == 2 and cc["520502"]["carrier_count"] == 1
    assert cc["520502"]["ratio"] == 2.0 and cc["520502"]["flagged"] is True
    assert cc["511502"]["ratio"] == 3.0 and cc["511502"]["flagged"] is True
    # no carrier figure → no ratio, not flagged
    assert cc["411402"]["carrier_count"] is None and cc["411402"]["flagged"] is False
    # carrier sees people where the roster has nobody away
    assert cc[UNKNOWN_CODE]["roster_away"] == 1 and cc[UNKNOWN_CODE]["carrier_count"] == 7


def test_shortfall_puts_key_enterprises_first(result) -> None:
    ent = result.enterprise_shortfall.to_pylist()
    assert ent[0]["enterprise_id"] == 10 and ent[0]["is_key"] is True
    assert (ent[0]["roster"], ent[0]["back"], ent[0]["away"]) == (3, 2, 1)
    assert ent[0]["share_back"] == pytest.approx(2 / 3)
    towns = {r["town_code"]: r for r in result.town_shortfall.to_pylist()}
    assert towns["T1"]["enterprises"] == 2 and towns["T1"]["key_enterprises"] == 1


@pytest.mark.parametrize(
    "filters",
    [
        OriginFilters(town="T1"),
        OriginFilters(enterprise=20),
        OriginFilters(province="520000"),
        OriginFilters(risk=("high",)),
        OriginFilters(town="T2", risk=("medium", "low")),
    ],
)
def test_filters_give_the_same_rows_on_duckdb_and_pandas(filters: OriginFilters) -> None:
    inputs = _inputs()
    duck, pandas = open_engine(inputs, PARAMS, "duckdb"), open_engine(inputs, PARAMS, "pandas")
    for level in LEVELS:
        a, b = origins(duck, level, filters), origins(pandas, level, filters)
        assert a.equals(b), (level, a.to_pylist(), b.to_pylist())
        if filters.by_workplace:
            assert a["carrier_estimate"].null_count == a.num_rows


def test_town_filter_counts_only_that_towns_workers() -> None:
    engine = open_engine(_inputs(), PARAMS, "duckdb")
    t = origins(engine, "province", OriginFilters(town="T1"))
    assert pc.sum(t["away"]).as_py() + pc.sum(t["returned"]).as_py() == 5


def test_same_seed_same_city() -> None:
    assert generate("tiny", seed=3).roster.equals(generate("tiny", seed=3).roster)


def test_params_are_checked() -> None:
    with pytest.raises(ValueError):
        FusionParams(as_of=WS, window_start=AS_OF)
