"""Regions of China and the city's towns: codes, names, points, history, boundaries, stations.

CONTRACT (implemented from generated data files in ``data/``; see scripts/build_regions.py):

- ``get(code) -> Region | None`` and ``require(code) -> Region`` (raises DomainError code
  ``unknown_region``) for every current province, prefecture and county (6-digit codes).
- ``area_code_spans(code) -> tuple[AreaCodeSpan, ...]``: every period a 6-digit county-level code
  was in use, with the county each period maps to today (codes were reused, so there may be several).
- ``towns() -> tuple[Town, ...]``: Cixi's 20 towns (街道 and 镇) with MCA codes.
- ``stations() -> tuple[Station, ...]``: the curated railway stations in use.
- ``boundaries(level) -> dict``: simplified GeoJSON FeatureCollection for "province" or "prefecture".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["province", "prefecture", "county"]

CITY_CODE = "330282"  # 慈溪市, the demo city


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    full_name: str
    level: Level
    parent: str | None
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class AreaCodeSpan:
    """A period during which ``code`` named one county; ``last_year`` None means still current."""

    code: str
    name: str
    first_year: int
    last_year: int | None
    current_code: str | None


@dataclass(frozen=True, slots=True)
class Town:
    code: str
    name: str
    kind: Literal["街道", "镇", "乡"]
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Station:
    name: str
    telecode: str
    city_code: str
    lat: float
    lon: float
