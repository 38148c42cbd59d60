"""Fixed input and output schemas of the heat-map fusion, its parameters and its input bundle.

Inputs are Arrow tables (or pandas frames, cast on entry) with exactly these columns; extra columns
are dropped, missing nullable ones are filled with nulls. The shell (``apps/``) builds them from the
registry tables; the benchmark and the tests generate them.

Roster: ONE row per worker (``worker_key`` unique): the worker's current employer (``Worker.employer``)
with its town and key flag, the ID's resolved origin county (``origin_code``, already mapped to
today's county by ``core.identity``), an optional declared current location (``declared_code``, beats
the ID's area code) and the insurance start (``insured_since``, optional, used for the unknown rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any, Literal

import pyarrow as pa

from homeward.core import regions as _regions

Level = Literal["county", "prefecture", "province"]
LEVELS: tuple[Level, ...] = ("county", "prefecture", "province")
Engine = Literal["duckdb", "pyspark", "pandas"]
RiskLevel = Literal["low", "medium", "high"]

#: The unit code and name used for origins that are not a current region (unresolvable codes).
UNKNOWN_CODE = "000000"
UNKNOWN_NAME = "未知 unknown"

#: Worker statuses, sources and intention states.
STATUSES = ("returned", "away", "unknown")
SOURCES = ("police", "intention", "roster")
INTENTION_STATES = ("returned", "away", "will_return")
RISK_RANK: dict[str, int] = {"low": 1, "medium": 2, "high": 3}
RISK_NAME: dict[int, str] = {rank: name for name, rank in RISK_RANK.items()}
#: No travel from a unit at this risk level: it is never a hotspot and no trip picks up there.
TRAVEL_BLOCKING_RISK = "high"
#: Intention states, strongest first: a "returned" intention beats "will_return" beats "away".
INTENTION_RANK: dict[str, int] = {"returned": 3, "will_return": 2, "away": 1}
#: The per-worker column that holds a worker's origin at each level.
LEVEL_KEY: dict[str, str] = {
    "county": "county_code",
    "prefecture": "prefecture_code",
    "province": "province_code",
}
#: The regions-table column (``REGIONS_SCHEMA``) that holds a region's unit at each level.
REGION_UNIT_KEY: dict[str, str] = {
    "county": "code",
    "prefecture": "prefecture_code",
    "province": "province_code",
}

# ---------------------------------------------------------------------------------------------- inputs

ROSTER_SCHEMA = pa.schema(
    [
        pa.field("worker_key", pa.int64(), nullable=False),
        pa.field("id_number", pa.string(), nullable=False),
        pa.field("origin_code", pa.string(), nullable=False),
        pa.field("declared_code", pa.string()),
        pa.field("enterprise_id", pa.int64(), nullable=False),
        pa.field("town_code", pa.string(), nullable=False),
        pa.field("is_key", pa.bool_(), nullable=False),
        pa.field("insured_since", pa.date32()),
    ]
)
POLICE_SCHEMA = pa.schema(
    [
        pa.field("id_number", pa.string(), nullable=False),
        pa.field("arrived_on", pa.date32(), nullable=False),
        pa.field("place", pa.string()),
    ]
)
CARRIER_SCHEMA = pa.schema(
    [
        pa.field("date", pa.date32(), nullable=False),
        pa.field("county_code", pa.string(), nullable=False),
        pa.field("count", pa.int64(), nullable=False),
    ]
)
INTENTIONS_SCHEMA = pa.schema(
    [
        pa.field("id_number", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("state", pa.string(), nullable=False),  # returned / away / will_return
        pa.field("county_code", pa.string()),  # where the worker says they are now (optional)
    ]
)
RISK_SCHEMA = pa.schema(
    [
        pa.field("county_code", pa.string(), nullable=False),
        pa.field("level", pa.string(), nullable=False),  # low / medium / high
    ]
)
#: Every current region (province, prefecture, county) with the units it rolls up to.
#: ``prefecture_code`` is the prefecture-level unit: the prefecture of a county, or the region itself
#: when it has none (municipal districts of 北京/天津/上海/重庆, 省直辖县级, prefectures without
#: counties such as 东莞; provinces themselves). This matches the prefecture boundary file, which
#: draws those units as prefecture-level polygons.
REGIONS_SCHEMA = pa.schema(
    [
        pa.field("code", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("level", pa.string(), nullable=False),
        pa.field("parent", pa.string()),
        pa.field("province_code", pa.string(), nullable=False),
        pa.field("prefecture_code", pa.string(), nullable=False),
    ]
)

# --------------------------------------------------------------------------------------------- outputs

#: Per-worker status (item a). ``origin_code`` is the resolved origin (declared beats intention's
#: county beats the ID's area code); ``county_code``/``prefecture_code``/``province_code`` are the
#: units it rolls up to (``UNKNOWN_CODE`` when the origin is not a current region).
WORKERS_SCHEMA = pa.schema(
    [
        pa.field("worker_key", pa.int64()),
        pa.field("id_number", pa.string()),
        pa.field("origin_code", pa.string()),
        pa.field("county_code", pa.string()),
        pa.field("prefecture_code", pa.string()),
        pa.field("province_code", pa.string()),
        pa.field("enterprise_id", pa.int64()),
        pa.field("town_code", pa.string()),
        pa.field("is_key", pa.bool_()),
        pa.field("status", pa.string()),
        pa.field("source", pa.string()),
        pa.field("status_date", pa.date32()),
    ]
)
#: The origin table, one row per unit of a level (this is what ``homeward heatmap`` prints).
ORIGINS_SCHEMA = pa.schema(
    [
        pa.field("code", pa.string()),
        pa.field("name", pa.string()),
        pa.field("level", pa.string()),
        pa.field("away", pa.int64()),
        pa.field("returned", pa.int64()),
        pa.field("unknown", pa.int64()),
        pa.field("carrier_estimate", pa.int64()),
        pa.field("risk", pa.string()),
        pa.field("hotspot", pa.bool_()),
    ]
)
#: Origin unit (of one level) × town × enterprise cells.
CELLS_SCHEMA = pa.schema(
    [
        pa.field("code", pa.string()),
        pa.field("town_code", pa.string()),
        pa.field("enterprise_id", pa.int64()),
        pa.field("away", pa.int64()),
        pa.field("returned", pa.int64()),
        pa.field("unknown", pa.int64()),
    ]
)
CROSS_CHECK_SCHEMA = pa.schema(
    [
        pa.field("code", pa.string()),
        pa.field("name", pa.string()),
        pa.field("roster_away", pa.int64()),
        pa.field("carrier_count", pa.int64()),
        pa.field("carrier_date", pa.date32()),
        pa.field("ratio", pa.float64()),
        pa.field("flagged", pa.bool_()),
    ]
)
ENTERPRISE_SHORTFALL_SCHEMA = pa.schema(
    [
        pa.field("enterprise_id", pa.int64()),
        pa.field("town_code", pa.string()),
        pa.field("is_key", pa.bool_()),
        pa.field("roster", pa.int64()),
        pa.field("back", pa.int64()),
        pa.field("away", pa.int64()),
        pa.field("unknown", pa.int64()),
        pa.field("share_back", pa.float64()),
    ]
)
TOWN_SHORTFALL_SCHEMA = pa.schema(
    [
        pa.field("town_code", pa.string()),
        pa.field("enterprises", pa.int64()),
        pa.field("key_enterprises", pa.int64()),
        pa.field("roster", pa.int64()),
        pa.field("back", pa.int64()),
        pa.field("away", pa.int64()),
        pa.field("unknown", pa.int64()),
        pa.field("share_back", pa.float64()),
    ]
)
#: Stable sort orders of every output (so that engines can be compared row for row).
SORT_KEYS: dict[str, list[tuple[str, str]]] = {
    "workers": [("worker_key", "ascending")],
    "origins": [("code", "ascending")],
    "cells": [("code", "ascending"), ("town_code", "ascending"), ("enterprise_id", "ascending")],
    "cross_check": [("code", "ascending")],
    # key enterprises first, then the biggest shortfall
    "enterprise_shortfall": [
        ("is_key", "descending"),
        ("away", "descending"),
        ("enterprise_id", "ascending"),
        ("town_code", "ascending"),
    ],
    "town_shortfall": [("away", "descending"), ("town_code", "ascending")],
}
HOTSPOTS_SCHEMA = pa.schema(
    [
        pa.field("rank", pa.int64()),
        pa.field("code", pa.string()),
        pa.field("name", pa.string()),
        pa.field("province_code", pa.string()),
        pa.field("away", pa.int64()),
        pa.field("risk", pa.string()),
        pa.field("station", pa.string()),
        pa.field("station_telecode", pa.string()),
        pa.field("station_km", pa.float64()),
    ]
)


@dataclass(frozen=True, slots=True)
class FusionParams:
    """What to compute. ``as_of`` and ``window_start`` bound the evidence (both inclusive)."""

    as_of: date
    window_start: date
    disagreement_ratio: float = 1.5
    hotspot_min_away: int = 10_000
    hotspot_level: Level = "prefecture"
    min_cell: int = 5

    def __post_init__(self) -> None:
        if self.window_start > self.as_of:
            raise ValueError("window_start must not be after as_of")
        if self.disagreement_ratio < 1.0:
            raise ValueError("disagreement_ratio must be >= 1")
        if self.hotspot_level not in LEVELS:
            raise ValueError(f"hotspot_level must be one of {LEVELS}")


@dataclass(frozen=True, slots=True)
class OriginFilters:
    """Optional filters of the origin table: worker's town / enterprise, origin province, risk levels.

    Town and enterprise filters drop the carrier estimate (carrier data is not per town)."""

    town: str | None = None
    enterprise: int | None = None
    province: str | None = None
    risk: tuple[str, ...] = ()

    @property
    def by_workplace(self) -> bool:
        return self.town is not None or self.enterprise is not None


_INPUT_SCHEMAS: dict[str, pa.Schema] = {
    "roster": ROSTER_SCHEMA,
    "police": POLICE_SCHEMA,
    "carrier": CARRIER_SCHEMA,
    "risk": RISK_SCHEMA,
    "intentions": INTENTIONS_SCHEMA,
    "regions": REGIONS_SCHEMA,
}


def empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def conform(data: Any, schema: pa.Schema) -> pa.Table:
    """An Arrow table with exactly ``schema``'s columns and types (from Arrow or pandas)."""
    if not isinstance(data, pa.Table):
        data = pa.Table.from_pandas(data, preserve_index=False)
    columns = []
    for fld in schema:
        if fld.name in data.column_names:
            col = data.column(fld.name)
            if col.type != fld.type:
                col = col.cast(fld.type)
        elif fld.nullable:
            col = pa.nulls(data.num_rows, fld.type)
        else:
            raise ValueError(f"input is missing the required column {fld.name!r}")
        columns.append(col)
    # Non-null flags are declarative (engines do not enforce them); keep fields nullable in Arrow.
    plain = pa.schema([pa.field(f.name, f.type) for f in schema])
    return pa.Table.from_arrays(columns, schema=plain).combine_chunks()


@cache
def regions_table() -> pa.Table:
    """Every current region with its province and prefecture-level unit (see ``REGIONS_SCHEMA``)."""
    rows: dict[str, list[Any]] = {f.name: [] for f in REGIONS_SCHEMA}
    for region in _regions.all_regions():
        province = _regions.province_of(region.code)
        prefecture = _regions.prefecture_of(region.code)
        rows["code"].append(region.code)
        rows["name"].append(region.name)
        rows["level"].append(region.level)
        rows["parent"].append(region.parent)
        rows["province_code"].append(province.code if province else region.code)
        rows["prefecture_code"].append(prefecture.code if prefecture else region.code)
    return conform(pa.table(rows), REGIONS_SCHEMA)


@dataclass(frozen=True, slots=True)
class FusionInputs:
    """The input tables, cast to the fixed schemas on construction. ``regions`` defaults to
    :func:`regions_table` (the shipped region data)."""

    roster: pa.Table
    police: pa.Table
    carrier: pa.Table
    risk: pa.Table = field(default_factory=lambda: empty(RISK_SCHEMA))
    intentions: pa.Table = field(default_factory=lambda: empty(INTENTIONS_SCHEMA))
    regions: pa.Table = field(default_factory=lambda: regions_table())

    def __post_init__(self) -> None:
        for name, schema in _INPUT_SCHEMAS.items():
            object.__setattr__(self, name, conform(getattr(self, name), schema))

    @classmethod
    def of(
        cls,
        *,
        roster: Any,
        police: Any,
        carrier: Any,
        risk: Any = None,
        intentions: Any = None,
        regions: Any = None,
    ) -> FusionInputs:
        """Build from Arrow tables or pandas frames; None means empty (regions: the shipped data)."""
        return cls(
            roster=roster,
            police=police,
            carrier=carrier,
            risk=empty(RISK_SCHEMA) if risk is None else risk,
            intentions=empty(INTENTIONS_SCHEMA) if intentions is None else intentions,
            regions=regions_table() if regions is None else regions,
        )

    @property
    def row_counts(self) -> dict[str, int]:
        return {name: int(getattr(self, name).num_rows) for name in _INPUT_SCHEMAS}


#: No filters (a module-level default for function arguments).
NO_FILTERS = OriginFilters()
