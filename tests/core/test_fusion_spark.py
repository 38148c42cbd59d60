"""The same Ibis pipeline on local PySpark gives exactly DuckDB's results (slow: starts a JVM)."""

from __future__ import annotations

import logging
import shutil

import pytest

from homeward.core.fusion import run_fusion
from homeward.core.fusion.synthetic import default_params, generate

# py4j logs at INFO from a finaliser after pytest has closed its streams.
logging.getLogger("py4j").setLevel(logging.WARNING)

pytest.importorskip("pyspark")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="PySpark needs a Java runtime"),
]


def test_it_gives_identical_results_on_pyspark_and_duckdb() -> None:
    inputs = generate("tiny", seed=11)
    params = default_params(hotspot_min_away=20)
    duck = run_fusion(inputs, params, "duckdb")
    spark = run_fusion(inputs, params, "pyspark")
    assert spark.differences(duck) == []
    assert duck.hotspots.num_rows > 0


def test_province_parquet_aggregates_agree_on_pyspark_and_duckdb(tmp_path) -> None:
    from homeward.core.fusion import run_aggregates
    from homeward.core.fusion.province import generate_parquet, scale_of_rows

    inputs = generate_parquet(tmp_path / "province", scale_of_rows(2_000), seed=11)
    params = default_params(hotspot_min_away=20)
    duck = run_aggregates(inputs, params, "duckdb")
    spark = run_aggregates(inputs, params, "pyspark")
    assert spark.differences(duck) == []
    assert spark.worker_rows == 2_000
