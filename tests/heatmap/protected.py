"""An oracle for the protected heat map, written apart from the SQL it checks: the snapshot's
timeline grouped in Python into finest cells (origin county × enterprise × status at ``as_of``), each
cell protected by ``core.fusion.disclosure.protected_count``, summed per unit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from homeward.core.fusion.disclosure import protected_count

STATUSES = ("away", "returned", "unknown")


@dataclass
class Cube:
    """True counts per (county, enterprise, status) at ``as_of``, with each county's units."""

    cells: dict[tuple[str, int, str], int] = field(default_factory=lambda: defaultdict(int))
    units: dict[str, dict[str, str]] = field(default_factory=dict)  # county → {level: code}
    towns: dict[int, str] = field(default_factory=dict)  # enterprise → town code


def cube_of(snap: Any, keep: Callable[[dict[str, Any]], bool] = lambda r: True) -> Cube:
    """The finest cells of the timeline rows ``keep`` accepts."""
    from homeward.apps.heatmap import store

    cube = Cube()
    for r in store.read(snap.path, "timeline").to_pylist():
        if keep(r):
            cube.cells[(r["county_code"], r["enterprise_id"], r["status"])] += r["n"]
            cube.units[r["county_code"]] = {
                "county": r["county_code"], "prefecture": r["prefecture_code"], "province": r["province_code"],
            }  # fmt: skip
            cube.towns[r["enterprise_id"]] = r["town_code"]
    return cube


def protected_by(
    cube: Cube, unit: Callable[[str, int], str], protection: Any
) -> dict[str, dict[str, int | None]]:
    """Per unit (``unit(county, enterprise)``): each status's protected sum, None where someone is
    there but the protected sum is 0."""
    shown: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    true: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (county, enterprise, status), n in cube.cells.items():
        key = (county, str(enterprise), status)
        u = unit(county, enterprise)
        shown[u][status] += protected_count(n, key, base=protection.base, secret=protection.secret)
        true[u][status] += n
    return {
        u: {
            st: (None if true[u][st] > 0 and shown[u][st] < protection.base else shown[u][st])
            for st in STATUSES
        }
        for u in shown
    }
