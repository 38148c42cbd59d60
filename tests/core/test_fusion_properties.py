"""Hypothesis: on small generated inputs, the Ibis pipeline on DuckDB and the pandas baseline give
identical results (every output table), and the level sums agree."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeward.core.fusion import LEVELS, FusionInputs, FusionParams, run_fusion

# counties (one under a municipality, one prefecture without counties), a province code, junk
CODES = ["520502", "520521", "511502", "500101", "441900", "410000", "999999"]
IDS = [f"ID{i:02d}" for i in range(12)]
START = date(2020, 1, 20)
days = st.integers(min_value=0, max_value=40).map(lambda d: START + timedelta(days=d))
maybe_code = st.none() | st.sampled_from(CODES)


@st.composite
def fusion_inputs(draw: st.DrawFn) -> FusionInputs:
    ids = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=10, unique=True))
    n = len(ids)
    roster = pa.table(
        {
            "worker_key": list(range(1, n + 1)),
            "id_number": ids,
            "origin_code": draw(st.lists(st.sampled_from(CODES), min_size=n, max_size=n)),
            "declared_code": draw(st.lists(maybe_code, min_size=n, max_size=n)),
            "enterprise_id": draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)),
            "town_code": draw(st.lists(st.sampled_from(["T1", "T2"]), min_size=n, max_size=n)),
            "is_key": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
            "insured_since": draw(st.lists(st.none() | days, min_size=n, max_size=n)),
        }
    )
    m = draw(st.integers(0, 12))
    police = pa.table(
        {
            "id_number": draw(st.lists(st.sampled_from(IDS), min_size=m, max_size=m)),
            "arrived_on": pa.array(draw(st.lists(days, min_size=m, max_size=m)), type=pa.date32()),
            "place": ["p"] * m,
        }
    )
    k = draw(st.integers(0, 8))
    intentions = pa.table(
        {
            "id_number": draw(st.lists(st.sampled_from(IDS), min_size=k, max_size=k)),
            "date": pa.array(draw(st.lists(days, min_size=k, max_size=k)), type=pa.date32()),
            "state": draw(
                st.lists(st.sampled_from(["returned", "away", "will_return"]), min_size=k, max_size=k)
            ),
            "county_code": pa.array(draw(st.lists(maybe_code, min_size=k, max_size=k)), type=pa.string()),
        }
    )
    cells = draw(st.lists(st.tuples(days, st.sampled_from(CODES)), max_size=8, unique=True))
    carrier = pa.table(
        {
            "date": pa.array([c[0] for c in cells], type=pa.date32()),
            "county_code": pa.array([c[1] for c in cells], type=pa.string()),
            "count": draw(st.lists(st.integers(0, 6), min_size=len(cells), max_size=len(cells))),
        }
    )
    rc = draw(st.lists(st.sampled_from(CODES[:4]), max_size=3, unique=True))
    risk = pa.table(
        {
            "county_code": pa.array(rc, type=pa.string()),
            "level": draw(
                st.lists(st.sampled_from(["low", "medium", "high"]), min_size=len(rc), max_size=len(rc))
            ),
        }
    )
    return FusionInputs.of(roster=roster, police=police, carrier=carrier, risk=risk, intentions=intentions)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    inputs=fusion_inputs(),
    as_of=st.integers(5, 40).map(lambda d: START + timedelta(days=d)),
    ratio=st.sampled_from([1.0, 1.5, 3.0]),
    min_away=st.integers(0, 3),
)
def test_duckdb_and_pandas_agree(inputs: FusionInputs, as_of: date, ratio: float, min_away: int) -> None:
    params = FusionParams(
        as_of=as_of,
        window_start=START + timedelta(days=4),
        disagreement_ratio=ratio,
        hotspot_min_away=min_away,
    )
    duck = run_fusion(inputs, params, "duckdb")
    pandas = run_fusion(inputs, params, "pandas")
    assert duck.differences(pandas) == []
    for col in ("away", "returned", "unknown", "carrier_estimate"):
        assert len({pc.sum(duck.origins[level][col]).as_py() for level in LEVELS}) == 1
