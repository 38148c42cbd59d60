"""Labour heat map fusion (用工热图): roster + police arrivals + carrier aggregates (+ return intentions)
→ per-worker status, origin aggregates, carrier cross-check, hotspots, enterprise and town shortfall.

Django-free. The pipeline is written once as Ibis expressions (``pipeline.py``) and runs on DuckDB
(embedded, the default) or PySpark (a province or the country); ``baseline.py`` is the same result in
plain pandas, the benchmark baseline. Rules are documented in ``pipeline.py``; schemas in ``schema.py``.

Usage::

    inputs = FusionInputs.of(roster=..., police=..., carrier=..., risk=..., intentions=...)
    params = FusionParams(as_of=date(2020, 2, 20), window_start=date(2020, 1, 25))
    result = run_fusion(inputs, params)                    # everything, on DuckDB
    engine = open_engine(inputs, params)                   # or: query one level at a time
    table = origins(engine, "prefecture", OriginFilters(town="330282001000"))

Roles without personal-data rights see protected counts (``disclosure``: sums of randomly rounded
finest cells, so that no subtraction reveals a small count); the shell applies them in its queries.
"""

from __future__ import annotations

from .province import ParquetInputs
from .result import (
    FusionAggregates,
    FusionEngine,
    FusionResult,
    hotspots,
    normalized,
    open_engine,
    origin_totals,
    origins,
    run_aggregates,
    run_fusion,
)
from .schema import (
    LEVELS,
    UNKNOWN_CODE,
    FusionInputs,
    FusionParams,
    Level,
    OriginFilters,
    regions_table,
)

__all__ = [
    "LEVELS",
    "UNKNOWN_CODE",
    "FusionAggregates",
    "FusionEngine",
    "FusionInputs",
    "FusionParams",
    "FusionResult",
    "Level",
    "OriginFilters",
    "ParquetInputs",
    "hotspots",
    "normalized",
    "open_engine",
    "origin_totals",
    "origins",
    "regions_table",
    "run_aggregates",
    "run_fusion",
]
