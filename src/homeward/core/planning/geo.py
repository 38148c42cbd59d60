"""Road distances and times from points: great-circle × detour factor, in integer 100 m units."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from homeward.core.planning.model import DIST_UNIT_M, Point, Rules

_EARTH_RADIUS_KM = 6371.0088


@lru_cache(maxsize=1 << 20)
def great_circle_km(a: Point, b: Point) -> float:
    """Remembered: the schedule asks for the same few thousand points' distances millions of
    times (every trial route of a bus re-reads its legs)."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp = p2 - p1
    dl = math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def road_km(a: Point, b: Point, rules: Rules) -> float:
    return great_circle_km(a, b) * rules.detour_factor


def rail_min(a: Point, b: Point, rules: Rules) -> int:
    """A special train's journey between two stations, as the planner estimates one it proposes
    (great-circle × ``rail_detour_factor`` at ``rail_kmh``, plus ``rail_extra_min``)."""
    return int(great_circle_km(a, b) * rules.rail_detour_factor / rules.rail_kmh * 60) + rules.rail_extra_min


def units(km: float) -> int:
    """km → integer solver units (100 m)."""
    return int(round(km * 1000 / DIST_UNIT_M))


def km_of(units_: int) -> float:
    return units_ * DIST_UNIT_M / 1000


def drive_min(km: float, rules: Rules) -> int:
    speed = rules.local_kmh if km < rules.local_leg_km else rules.highway_kmh
    return int(math.ceil(km / speed * 60))


def road_matrix_units(a: list[Point], b: list[Point], rules: Rules) -> NDArray[np.int64]:
    """Road distance in 100 m units between every point of ``a`` and every point of ``b``."""
    la = np.radians(np.array([p.lat for p in a], dtype=np.float64))[:, None]
    oa = np.radians(np.array([p.lon for p in a], dtype=np.float64))[:, None]
    lb = np.radians(np.array([p.lat for p in b], dtype=np.float64))[None, :]
    ob = np.radians(np.array([p.lon for p in b], dtype=np.float64))[None, :]
    h = np.sin((lb - la) / 2) ** 2 + np.cos(la) * np.cos(lb) * np.sin((ob - oa) / 2) ** 2
    km = 2 * _EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h))) * rules.detour_factor
    out: NDArray[np.int64] = np.rint(km * 1000 / DIST_UNIT_M).astype(np.int64)
    return out
