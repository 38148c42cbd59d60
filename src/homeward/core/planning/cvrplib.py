"""CVRPLIB instances (the ``.vrp`` TSPLIB-style format of the X, A, B, P sets): parse and solve.

Supported: ``EDGE_WEIGHT_TYPE: EUC_2D`` (distances rounded to the nearest integer, the CVRPLIB
convention) and ``EXPLICIT`` with ``FULL_MATRIX``, ``LOWER_ROW`` or ``LOWER_DIAG_ROW``; one depot.
Used by ``homeward cvrp`` to check the station-shuttle solver against published best-known costs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from homeward.core.errors import DomainError
from homeward.core.planning import _pyvrp_adapter
from homeward.core.planning.model import StopCriterion
from homeward.core.planning.planner.parallel import run_all


@dataclass(frozen=True, slots=True)
class CvrpInstance:
    name: str
    capacity: int
    demands: tuple[int, ...]  # depot first (0)
    coords: tuple[tuple[float, float], ...]  # depot first; empty for explicit matrices
    matrix: NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class CvrpAnswer:
    cost: int
    routes: tuple[tuple[int, ...], ...]  # CVRPLIB client numbering: 1..n-1 (depot is 0)
    seconds: float
    feasible: bool


def _bad(msg: str) -> DomainError:
    return DomainError(f"CVRPLIB 文件格式错误: {msg} (bad CVRPLIB file: {msg})", "bad_cvrplib")


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def parse(text: str) -> CvrpInstance:
    spec: dict[str, str] = {}
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line == "EOF":
            continue
        head = line.split()[0].rstrip(":").upper()
        if head.endswith("_SECTION"):
            current = head
            sections[current] = []
            continue
        if ":" in line and not _is_number(line.split()[0]):
            key, _, value = line.partition(":")
            spec[key.strip().upper()] = value.strip()
            current = None
            continue
        if current is None:
            raise _bad(f"unexpected line {line!r}")
        sections[current].append(line)
    try:
        n = int(spec["DIMENSION"])
        capacity = int(spec["CAPACITY"])
    except (KeyError, ValueError) as exc:
        raise _bad("DIMENSION and CAPACITY are required") from exc
    demands = [0] * n
    for row in sections.get("DEMAND_SECTION", []):
        idx, dem = row.split()[:2]
        demands[int(idx) - 1] = int(dem)
    depots = [int(x) for row in sections.get("DEPOT_SECTION", []) for x in row.split() if int(x) > 0]
    depot = (depots[0] - 1) if depots else 0
    order = [depot, *[i for i in range(n) if i != depot]]
    kind = spec.get("EDGE_WEIGHT_TYPE", "EUC_2D").upper()
    coords: list[tuple[float, float]] = []
    if "NODE_COORD_SECTION" in sections:
        pts = [(0.0, 0.0)] * n
        for row in sections["NODE_COORD_SECTION"]:
            parts = row.split()
            pts[int(parts[0]) - 1] = (float(parts[1]), float(parts[2]))
        coords = [pts[i] for i in order]
    if kind == "EUC_2D":
        if not coords:
            raise _bad("EUC_2D needs NODE_COORD_SECTION")
        xy = np.array(coords, dtype=np.float64)
        diff = xy[:, None, :] - xy[None, :, :]
        matrix = np.floor(np.sqrt((diff**2).sum(axis=2)) + 0.5).astype(np.int64)
    elif kind == "EXPLICIT":
        fmt = spec.get("EDGE_WEIGHT_FORMAT", "FULL_MATRIX").upper()
        values = [int(float(v)) for row in sections.get("EDGE_WEIGHT_SECTION", []) for v in row.split()]
        full = np.zeros((n, n), dtype=np.int64)
        it = iter(values)
        try:
            for i in range(n):
                if fmt == "FULL_MATRIX":
                    cols = range(n)
                elif fmt == "LOWER_ROW":
                    cols = range(i)
                elif fmt == "LOWER_DIAG_ROW":
                    cols = range(i + 1)
                else:
                    raise _bad(f"EDGE_WEIGHT_FORMAT {fmt} not supported")
                for j in cols:
                    full[i, j] = next(it)
                    if fmt != "FULL_MATRIX":
                        full[j, i] = full[i, j]
        except StopIteration as exc:
            raise _bad("EDGE_WEIGHT_SECTION too short") from exc
        matrix = full[np.ix_(order, order)]
    else:
        raise _bad(f"EDGE_WEIGHT_TYPE {kind} not supported")
    return CvrpInstance(
        name=spec.get("NAME", ""),
        capacity=capacity,
        demands=tuple(demands[i] for i in order),
        coords=tuple(coords),
        matrix=matrix,
    )


def read(path: str | Path) -> CvrpInstance:
    return parse(Path(path).read_text(encoding="utf-8"))


def solve(
    instance: CvrpInstance, *, seconds: float, seed: int, max_iterations: int = 0, processes: int = 1
) -> CvrpAnswer:
    """Solve with the station-shuttle solver for ``seconds`` (or an iteration limit if given, which
    makes the answer repeatable), on ``processes`` cores at once from seeds ``seed``, ``seed + 1``,
    ...: the cheapest answer (the lowest seed among equals)."""
    t0 = time.perf_counter()
    stop = StopCriterion(max_iterations=max_iterations, no_improvement=0, max_seconds=seconds)

    def one(i: int) -> _pyvrp_adapter.CvrpSolution:
        return _pyvrp_adapter.solve_cvrp(
            instance.matrix,
            instance.demands,
            instance.capacity,
            seed=seed + i,
            stop=stop,
            coords=instance.coords or None,
        )

    answers = run_all(one, max(1, processes), processes)
    sol = min(answers, key=lambda a: (not (a.solver_feasible or a.fallback), a.distance))
    return CvrpAnswer(
        cost=sol.distance,
        routes=sol.routes,
        seconds=round(time.perf_counter() - t0, 3),
        feasible=sol.solver_feasible or sol.fallback,
    )


def lower_bound_vehicles(instance: CvrpInstance) -> int:
    return math.ceil(sum(instance.demands) / instance.capacity)
