"""The one module that imports PyVRP (pinned: pyvrp==0.14.1). Everything else speaks our own types.

``solve_cvrp`` builds ``ProblemData`` from arrays (the ``Model`` builder is slow at thousands of
clients), stops on iteration / no-improvement limits so that the same seed gives the same routes,
and always checks the solver's answer: every client once, no route above capacity. If PyVRP's best
solution is infeasible, a plain sweep-and-fill construction is returned instead (``feasible`` then
says whether the *solver's* answer was feasible, ``fallback`` that ours was used).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np
import pyvrp
from numpy.typing import NDArray
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, NoImprovement, StoppingCriterion

from homeward.core.planning.model import StopCriterion

SOLVER_NAME = "pyvrp"


def solver_version() -> str:
    return f"{SOLVER_NAME} {version('pyvrp')}"


@dataclass(frozen=True, slots=True)
class CvrpSolution:
    routes: tuple[tuple[int, ...], ...]  # node indices (1..n-1), depot 0 excluded
    cost: int  # sum of route distances + fixed costs, in matrix units
    distance: int
    solver_feasible: bool
    fallback: bool
    seconds: float
    time_limit_hit: bool


def _stop(stop: StopCriterion) -> tuple[StoppingCriterion, MaxRuntime]:
    runtime = MaxRuntime(stop.max_seconds)
    criteria: list[StoppingCriterion] = [runtime]
    if stop.max_iterations > 0:
        criteria.append(MaxIterations(stop.max_iterations))
    if stop.no_improvement > 0:
        criteria.append(NoImprovement(stop.no_improvement))
    return MultipleCriteria(criteria), runtime


def route_distance(matrix: NDArray[np.int64], route: Sequence[int]) -> int:
    if not route:
        return 0
    nodes = [0, *route, 0]
    return int(sum(int(matrix[a, b]) for a, b in zip(nodes, nodes[1:], strict=False)))


def check_routes(routes: Sequence[Sequence[int]], demands: Sequence[int], capacity: int) -> list[str]:
    """Problems with a CVRP answer: every client 1..n-1 exactly once, no route above capacity."""
    problems: list[str] = []
    seen: dict[int, int] = {}
    for r, route in enumerate(routes):
        load = sum(demands[c] for c in route)
        if load > capacity:
            problems.append(f"route {r} carries {load} > {capacity}")
        for c in route:
            if c in seen or not 0 < c < len(demands):
                problems.append(f"client {c} visited twice or unknown")
            seen[c] = r
    missing = [c for c in range(1, len(demands)) if demands[c] > 0 and c not in seen]
    if missing:
        problems.append(f"clients not visited: {missing[:10]}")
    return problems


def _fallback(matrix: NDArray[np.int64], demands: Sequence[int], capacity: int) -> list[list[int]]:
    """Nearest-neighbour fill: always feasible (each demand ≤ capacity)."""
    left = set(range(1, len(demands)))
    routes: list[list[int]] = []
    while left:
        route: list[int] = []
        load = 0
        here = 0
        while True:
            options = [c for c in left if load + demands[c] <= capacity]
            if not options:
                break
            nxt = min(options, key=lambda c: (int(matrix[here, c]), c))
            route.append(nxt)
            load += demands[nxt]
            left.discard(nxt)
            here = nxt
        routes.append(route)
    return routes


def solve_cvrp(
    matrix: NDArray[np.int64],
    demands: Sequence[int],
    capacity: int,
    *,
    seed: int,
    stop: StopCriterion,
    fixed_cost: int = 0,
    coords: Sequence[tuple[float, float]] | None = None,
) -> CvrpSolution:
    """Capacitated VRP: node 0 is the depot, ``demands[0]`` is ignored, ``matrix`` is integer and
    square. Each demand must be ≤ capacity. Vehicles are unlimited (as many as clients)."""
    t0 = time.perf_counter()
    n = len(demands)
    if matrix.shape != (n, n):
        raise ValueError(f"matrix shape {matrix.shape} does not match {n} nodes")
    if any(d > capacity for d in demands[1:]):
        raise ValueError("a demand exceeds the vehicle capacity; split it first")
    if n <= 1:
        return CvrpSolution((), 0, 0, True, False, 0.0, False)
    if n == 2:
        d = route_distance(matrix, [1])
        return CvrpSolution(((1,),), d + fixed_cost, d, True, False, time.perf_counter() - t0, False)
    xy = coords if coords is not None else [(0.0, 0.0)] * n
    locations = [pyvrp.Location(float(x), float(y)) for x, y in xy]
    depots = [pyvrp.Depot(location=0)]
    clients = [pyvrp.Client(location=i, delivery=[int(demands[i])]) for i in range(1, n)]
    vehicle_types = [pyvrp.VehicleType(num_available=n - 1, capacity=[capacity], fixed_cost=fixed_cost)]
    mat = np.ascontiguousarray(matrix, dtype=np.int64)
    data = pyvrp.ProblemData(locations, clients, depots, vehicle_types, [mat], [mat])  # type: ignore[list-item]
    criterion, runtime = _stop(stop)
    result = pyvrp.solve(data, criterion, seed=seed, collect_stats=False, display=False)
    routes = [[act.idx + 1 for act in route if act.is_client()] for route in result.best.routes()]
    routes = [r for r in routes if r]
    solver_feasible = bool(result.is_feasible()) and not check_routes(routes, demands, capacity)
    fallback = False
    if not solver_feasible:
        routes = _fallback(mat, demands, capacity)
        fallback = True
    problems = check_routes(routes, demands, capacity)
    if problems:  # pragma: no cover - the fallback is feasible by construction
        raise RuntimeError("; ".join(problems))
    routes.sort(key=lambda r: r[0])
    dist = sum(route_distance(mat, r) for r in routes)
    elapsed = time.perf_counter() - t0
    return CvrpSolution(
        tuple(tuple(r) for r in routes),
        dist + fixed_cost * len(routes),
        dist,
        solver_feasible,
        fallback,
        elapsed,
        time_limit_hit=elapsed >= stop.max_seconds * 0.98,
    )
