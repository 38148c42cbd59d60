"""Running the fusion on an engine, the result bundle and hotspots."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from homeward.core import regions as _regions

from .province import ParquetInputs
from .schema import (
    CELLS_SCHEMA,
    CROSS_CHECK_SCHEMA,
    ENTERPRISE_SHORTFALL_SCHEMA,
    HOTSPOTS_SCHEMA,
    LEVELS,
    NO_FILTERS,
    ORIGINS_SCHEMA,
    SORT_KEYS,
    TOWN_SHORTFALL_SCHEMA,
    UNKNOWN_CODE,
    WORKERS_SCHEMA,
    FusionInputs,
    FusionParams,
    Level,
    OriginFilters,
    conform,
)

if TYPE_CHECKING:
    from .pipeline import EngineOptions


class FusionEngine(Protocol):
    #: Outputs (``SORT_KEYS`` names) the engine returns already in their sort order.
    sorted_outputs: frozenset[str]

    def workers_table(self) -> pa.Table: ...
    def origins(self, level: Level, filters: OriginFilters = ...) -> pa.Table: ...
    def cells(self, level: Level) -> pa.Table: ...
    def cross_check(self) -> pa.Table: ...
    def enterprise_shortfall(self) -> pa.Table: ...
    def town_shortfall(self) -> pa.Table: ...


def open_engine(
    inputs: FusionInputs | ParquetInputs,
    params: FusionParams,
    engine: str = "duckdb",
    options: EngineOptions | None = None,
    *,
    per_worker: bool = True,
) -> FusionEngine:
    """Load the inputs into an engine and materialise the status counts (and with ``per_worker`` the
    per-worker table); then query them (the shell asks for one origin level at a time, with filters).
    Parquet inputs stay on disk for the Ibis engines (scanned by the engine); pandas reads them whole
    (it has no other way)."""
    if engine == "pandas":
        from .baseline import PandasFusion

        return PandasFusion(inputs.read() if isinstance(inputs, ParquetInputs) else inputs, params)
    from .pipeline import NO_OPTIONS, IbisFusion

    name = "pyspark" if engine in ("spark", "pyspark") else engine
    return IbisFusion(inputs, params, name, options or NO_OPTIONS, per_worker=per_worker)


def normalized(table: pa.Table, schema: pa.Schema, sort: str, *, presorted: bool = False) -> pa.Table:
    """``table`` with ``schema``, sorted by ``SORT_KEYS[sort]`` (unless ``presorted``: the engine
    sorted it by the same keys)."""
    out = conform(table, schema)
    return out if presorted else out.sort_by(SORT_KEYS[sort])


def origins(engine: FusionEngine, level: Level, filters: OriginFilters = NO_FILTERS) -> pa.Table:
    """The origin table at ``level`` (``ORIGINS_SCHEMA``, sorted by code)."""
    return normalized(engine.origins(level, filters), ORIGINS_SCHEMA, "origins")


def hotspots(origin_table: pa.Table, params: FusionParams) -> pa.Table:
    """Hotspot units ranked by volume away (ties by code), with the nearest railway station to the
    unit's seat of government (great-circle)."""
    rows = [r for r in origin_table.to_pylist() if r["hotspot"]]
    rows.sort(key=lambda r: (-int(r["away"]), r["code"]))
    out: dict[str, list[Any]] = {f.name: [] for f in HOTSPOTS_SCHEMA}
    for rank, r in enumerate(rows, start=1):
        region = _regions.get(r["code"])
        province = _regions.province_of(r["code"])
        station = _regions.nearest_station(region.lat, region.lon) if region else None
        out["rank"].append(rank)
        out["code"].append(r["code"])
        out["name"].append(r["name"])
        out["province_code"].append(province.code if province else None)
        out["away"].append(r["away"])
        out["risk"].append(r["risk"])
        out["station"].append(station.name if station else None)
        out["station_telecode"].append(station.telecode if station else None)
        out["station_km"].append(
            round(_regions.great_circle_km(region.lat, region.lon, station.lat, station.lon), 1)
            if region and station
            else None
        )
    return pa.table(out, schema=HOTSPOTS_SCHEMA)


def origin_totals(origin_table: pa.Table) -> dict[str, int]:
    """Grand totals of an origin table: away, returned, unknown and carrier estimate."""
    return {
        col: int(pc.sum(origin_table[col]).as_py() or 0)
        for col in ("away", "returned", "unknown", "carrier_estimate")
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class FusionAggregates:
    """The heat map's aggregates as Arrow tables with the fixed output schemas: what a province-scale
    run hands back, the per-worker rows never leaving the engine. ``worker_rows`` counts them."""

    engine: str
    params: FusionParams
    worker_rows: int
    origins: Mapping[str, pa.Table]  # level -> ORIGINS_SCHEMA table
    cells: pa.Table  # county level × town × enterprise
    cross_check: pa.Table
    hotspots: pa.Table
    enterprise_shortfall: pa.Table
    town_shortfall: pa.Table
    timings: Mapping[str, float] = field(default_factory=dict)

    def totals(self) -> dict[str, int]:
        """Grand totals (from the province level)."""
        return origin_totals(self.origins["province"])

    def tables(self) -> dict[str, pa.Table]:
        out = {f"origins_{k}": v for k, v in self.origins.items()}
        out.update(
            cells=self.cells,
            cross_check=self.cross_check,
            hotspots=self.hotspots,
            enterprise_shortfall=self.enterprise_shortfall,
            town_shortfall=self.town_shortfall,
        )
        return out

    def differences(self, other: FusionAggregates) -> list[str]:
        """Names of the tables (and ``worker_rows``) that differ from ``other``'s (empty when the
        results agree)."""
        mine, theirs = self.tables(), other.tables()
        names = [name for name in mine if not mine[name].equals(theirs[name])]
        return names + (["worker_rows"] if self.worker_rows != other.worker_rows else [])


@dataclass(frozen=True, slots=True, kw_only=True)
class FusionResult(FusionAggregates):
    """Everything the heat map shows: the aggregates and the per-worker table."""

    workers: pa.Table

    def tables(self) -> dict[str, pa.Table]:
        return {**FusionAggregates.tables(self), "workers": self.workers}

    def aggregates(self) -> FusionAggregates:
        """Everything but the per-worker table."""
        shared = {f.name: getattr(self, f.name) for f in fields(FusionAggregates)}
        return FusionAggregates(**shared)


def _aggregate_tables(e: FusionEngine, params: FusionParams) -> dict[str, Any]:
    """The aggregate fields both runs compute the same way."""
    by_level: dict[str, pa.Table] = {level: origins(e, level) for level in LEVELS}
    return {
        "origins": by_level,
        "cells": normalized(e.cells("county"), CELLS_SCHEMA, "cells", presorted="cells" in e.sorted_outputs),
        "cross_check": normalized(e.cross_check(), CROSS_CHECK_SCHEMA, "cross_check"),
        "hotspots": hotspots(by_level[params.hotspot_level], params),
        "enterprise_shortfall": normalized(
            e.enterprise_shortfall(), ENTERPRISE_SHORTFALL_SCHEMA, "enterprise_shortfall"
        ),
        "town_shortfall": normalized(e.town_shortfall(), TOWN_SHORTFALL_SCHEMA, "town_shortfall"),
    }


def run_fusion(inputs: FusionInputs, params: FusionParams, engine: str = "duckdb") -> FusionResult:
    """The whole heat map on one engine ("duckdb", "pyspark" or "pandas"): per-worker status, the
    origin table at every level, county × town × enterprise cells, the carrier cross-check, hotspots
    and the enterprise and town shortfall."""
    t0 = time.perf_counter()
    e = open_engine(inputs, params, engine)
    t1 = time.perf_counter()
    workers = normalized(e.workers_table(), WORKERS_SCHEMA, "workers")
    return FusionResult(
        engine=engine,
        params=params,
        workers=workers,
        worker_rows=int(workers.num_rows),
        **_aggregate_tables(e, params),
        timings={"load_and_status": t1 - t0, "total": time.perf_counter() - t0},
    )


def run_aggregates(
    inputs: FusionInputs | ParquetInputs,
    params: FusionParams,
    engine: str = "duckdb",
    options: EngineOptions | None = None,
) -> FusionAggregates:
    """The heat map's aggregates on one engine, the per-worker status grouped into counts inside the
    engine (never materialised, never collected into Python): :func:`run_fusion` for inputs too big
    to hold, e.g. a province's Parquet files with a DuckDB ``memory_limit`` and ``temp_directory``."""
    t0 = time.perf_counter()
    e = open_engine(inputs, params, engine, options, per_worker=False)
    t1 = time.perf_counter()
    tables = _aggregate_tables(e, params)
    return FusionAggregates(
        engine=engine,
        params=params,
        worker_rows=int(pc.sum(tables["town_shortfall"]["roster"]).as_py() or 0),  # one town each
        **tables,
        timings={"load_and_status": t1 - t0, "total": time.perf_counter() - t0},
    )


__all__ = [
    "UNKNOWN_CODE",
    "FusionAggregates",
    "FusionEngine",
    "FusionResult",
    "hotspots",
    "normalized",
    "open_engine",
    "origin_totals",
    "origins",
    "run_aggregates",
    "run_fusion",
]
