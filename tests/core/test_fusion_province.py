"""The province generator (DuckDB → Parquet) and the out-of-core engine path give the same aggregates
as the existing path (Arrow inputs in memory, DuckDB and the pandas baseline), on a small scale."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.compute as pc
import pytest

from homeward.core.fusion import ParquetInputs, run_aggregates, run_fusion
from homeward.core.fusion.pipeline import EngineOptions
from homeward.core.fusion.province import generate_parquet, scale_of_rows
from homeward.core.fusion.synthetic import default_params

ROWS = 3_000


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> ParquetInputs:
    return generate_parquet(tmp_path_factory.mktemp("province"), scale_of_rows(ROWS), seed=13)


def test_it_writes_a_province_shaped_parquet_set(province: ParquetInputs) -> None:
    counts = province.row_counts
    assert counts["roster"] == ROWS
    assert abs(counts["police"] - ROWS * 3 // 2) < ROWS * 0.1
    inputs = province.read()
    roster = inputs.roster
    assert pc.count_distinct(roster["worker_key"]).as_py() == ROWS
    assert set(pc.utf8_slice_codeunits(roster["town_code"], 0, 2).to_pylist()) == {"33"}
    assert pc.count_distinct(pc.utf8_slice_codeunits(roster["town_code"], 0, 4)).as_py() > 5  # many cities
    assert 0.35 < pc.mean(pc.is_in(roster["id_number"], value_set=inputs.police["id_number"])).as_py() < 0.75


def test_same_seed_same_province(province: ParquetInputs, tmp_path: Path) -> None:
    again = generate_parquet(tmp_path / "again", scale_of_rows(ROWS), seed=13).read()
    other = generate_parquet(tmp_path / "other", scale_of_rows(ROWS), seed=14).read()
    mine = province.read()
    assert again.roster.equals(mine.roster) and again.police.equals(mine.police)
    assert not other.roster.equals(mine.roster)


def test_out_of_core_duckdb_gives_the_aggregates_of_the_in_memory_path(
    province: ParquetInputs, tmp_path: Path
) -> None:
    params = default_params(hotspot_min_away=40)
    options = EngineOptions(memory_limit="256MB", temp_directory=str(tmp_path / "spill"), threads=1)
    out_of_core = run_aggregates(province, params, "duckdb", options)
    in_memory = run_fusion(province.read(), params, "duckdb").aggregates()
    baseline = run_fusion(province.read(), params, "pandas").aggregates()
    assert out_of_core.differences(in_memory) == []
    assert out_of_core.differences(baseline) == []
    assert out_of_core.worker_rows == ROWS
    assert out_of_core.hotspots.num_rows > 0
    assert sum(out_of_core.totals()[k] for k in ("away", "returned", "unknown")) == ROWS


def test_the_baseline_reads_the_parquet_set_whole(province: ParquetInputs) -> None:
    params = default_params(hotspot_min_away=40)
    assert run_aggregates(province, params, "pandas").differences(run_aggregates(province, params)) == []


def test_a_changed_input_changes_the_aggregates(province: ParquetInputs, tmp_path: Path) -> None:
    """The comparison above can fail: drop the police file's rows and the totals move."""
    import pyarrow.parquet as pq

    changed = tmp_path / "changed"
    changed.mkdir()
    for name in ("roster", "police", "intentions", "carrier", "risk"):
        table = pq.read_table(province.path(name))
        pq.write_table(table.slice(0, 0) if name == "police" else table, changed / f"{name}.parquet")
    params = default_params(hotspot_min_away=40)
    assert "origins_province" in run_aggregates(ParquetInputs(changed), params).differences(
        run_aggregates(province, params)
    )


@pytest.mark.slow
def test_bench_province_prints_both_figures_and_agreement(tmp_path: Path, capsys) -> None:
    from homeward.cli import main

    code = main(["bench", "heatmap", "--rows", "2000", "--data", str(tmp_path), "--memory-gb", "4"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["rows"]["roster"] == 2000
    assert summary["duckdb"]["finished"] and summary["duckdb"]["peak_rss_mb"] > 0
    assert summary["pandas"]["finished"]
    assert summary["agree"] is True and isinstance(summary["ratio"], float)
    assert code == 0
