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


def route_duration(durations: NDArray[np.int64], route: Sequence[int]) -> int:
    """A route's duration in the duration matrix, depot to depot (0 for an empty route)."""
    return route_distance(durations, route)


def check_budgets(
    routes: Sequence[Sequence[int]], durations: NDArray[np.int64], budgets: Sequence[int]
) -> list[str]:
    """Problems with duration budgets: a route's duration must not exceed the budget of any of its
    clients (``budgets[c]``, the most that client tolerates on a shared route)."""
    problems: list[str] = []
    for r, route in enumerate(routes):
        if not route:
            continue
        dur = route_duration(durations, route)
        tightest = min(int(budgets[c]) for c in route)
        if dur > tightest:
            problems.append(f"route {r} lasts {dur} > budget {tightest}")
    return problems


def check_latest(
    routes: Sequence[Sequence[int]], durations: NDArray[np.int64], latest: Sequence[int], service: int
) -> list[str]:
    """Problems with time windows: client ``c`` reached after ``latest[c]`` (routes leave at 0)."""
    problems: list[str] = []
    for r, route in enumerate(routes):
        t, here = 0, 0
        for c in route:
            t += int(durations[here, c])
            if t > int(latest[c]):
                problems.append(f"route {r} reaches {c} at {t} > {int(latest[c])}")
            t += service
            here = c
    return problems


def _fallback(
    matrix: NDArray[np.int64],
    demands: Sequence[int],
    capacity: int,
    durations: NDArray[np.int64] | None = None,
    budgets: Sequence[int] | None = None,
    latest: Sequence[int] | None = None,
    service: int = 0,
) -> list[list[int]]:
    """Nearest-neighbour fill: always feasible (each demand ≤ capacity, and a route of one client
    keeps its budget when budgets are given — the caller guarantees that)."""
    left = set(range(1, len(demands)))
    routes: list[list[int]] = []
    while left:
        route: list[int] = []
        load = 0
        here = 0
        spent = 0  # duration from the depot to ``here``
        tightest = 2**62
        while True:
            options = [c for c in left if load + demands[c] <= capacity]
            if durations is not None and budgets is not None and route:
                options = [
                    c
                    for c in options
                    if spent + int(durations[here, c]) + int(durations[c, 0])
                    <= min(tightest, int(budgets[c]))
                ]
            if durations is not None and latest is not None and route:
                clock = spent + service * len(route)
                options = [c for c in options if clock + int(durations[here, c]) <= int(latest[c])]
            if not options:
                break
            nxt = min(options, key=lambda c: (int(matrix[here, c]), c))
            if durations is not None:
                spent += int(durations[here, nxt])
            if budgets is not None:
                tightest = min(tightest, int(budgets[nxt]))
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
    durations: NDArray[np.int64] | None = None,
    budgets: Sequence[int] | None = None,
    latest: Sequence[int] | None = None,
    service: int = 0,
) -> CvrpSolution:
    """Capacitated VRP: node 0 is the depot, ``demands[0]`` is ignored, ``matrix`` is integer and
    square. Each demand must be ≤ capacity. Vehicles are unlimited (as many as clients).

    With ``durations`` (a square integer matrix, e.g. minutes) and ``budgets`` (per node, ``[0]``
    ignored), every route's duration, depot to depot, must stay within the smallest budget of its
    clients. PyVRP has no per-client route-duration limit, so it is encoded with release times: with
    ``H = max(budgets)``, client ``c`` is released at ``H - budgets[c]`` and every vehicle must be
    back by ``H``; a route cannot leave before its latest release, so it lasts at most
    ``min(budgets)`` over its clients. A one-client route must fit its own budget.

    With ``durations`` and ``latest`` (per node, ``[0]`` ignored) instead, each client is a time
    window: a route leaves the depot at 0, and reaches client ``c`` by ``latest[c]`` (after
    ``service`` at each client before it). Every client must be reachable directly in time."""
    t0 = time.perf_counter()
    n = len(demands)
    if matrix.shape != (n, n):
        raise ValueError(f"matrix shape {matrix.shape} does not match {n} nodes")
    if any(d > capacity for d in demands[1:]):
        raise ValueError("a demand exceeds the vehicle capacity; split it first")
    if n <= 1:
        return CvrpSolution((), 0, 0, True, False, 0.0, False)
    if budgets is not None and latest is not None:
        raise ValueError("budgets or latest, not both")
    if (durations is None) != (budgets is None and latest is None):
        raise ValueError("durations go with budgets or latest")
    mat = np.ascontiguousarray(matrix, dtype=np.int64)
    dur = mat if durations is None else np.ascontiguousarray(durations, dtype=np.int64)
    if dur.shape != (n, n):
        raise ValueError(f"duration matrix shape {dur.shape} does not match {n} nodes")
    if budgets is not None:
        if len(budgets) != n:
            raise ValueError("one budget per node")
        lonely = [c for c in range(1, n) if route_duration(dur, [c]) > int(budgets[c])]
        if lonely:
            raise ValueError(f"clients {lonely[:5]} do not fit their budget even alone")
    if latest is not None:
        if len(latest) != n:
            raise ValueError("one latest time per node")
        lonely = [c for c in range(1, n) if int(dur[0, c]) > int(latest[c])]
        if lonely:
            raise ValueError(f"clients {lonely[:5]} cannot be reached in time even alone")
    if n == 2:
        d = route_distance(mat, [1])
        return CvrpSolution(((1,),), d + fixed_cost, d, True, False, time.perf_counter() - t0, False)
    xy = coords if coords is not None else [(0.0, 0.0)] * n
    locations = [pyvrp.Location(float(x), float(y)) for x, y in xy]
    depots = [pyvrp.Depot(location=0)]
    if latest is not None:
        clients = [
            pyvrp.Client(
                location=i, delivery=[int(demands[i])], service_duration=service, tw_late=int(latest[i])
            )
            for i in range(1, n)
        ]
        vehicle_types = [
            pyvrp.VehicleType(num_available=n - 1, capacity=[capacity], fixed_cost=fixed_cost, start_late=0)
        ]
    elif budgets is None:
        clients = [pyvrp.Client(location=i, delivery=[int(demands[i])]) for i in range(1, n)]
        vehicle_types = [pyvrp.VehicleType(num_available=n - 1, capacity=[capacity], fixed_cost=fixed_cost)]
    else:
        horizon = max(int(b) for b in budgets[1:])
        clients = [
            pyvrp.Client(location=i, delivery=[int(demands[i])], release_time=horizon - int(budgets[i]))
            for i in range(1, n)
        ]
        vehicle_types = [
            pyvrp.VehicleType(
                num_available=n - 1, capacity=[capacity], fixed_cost=fixed_cost, tw_late=horizon
            )
        ]
    data = pyvrp.ProblemData(locations, clients, depots, vehicle_types, [mat], [dur])  # type: ignore[list-item]
    criterion, runtime = _stop(stop)
    result = pyvrp.solve(data, criterion, seed=seed, collect_stats=False, display=False)
    routes = [[act.idx + 1 for act in route if act.is_client()] for route in result.best.routes()]
    routes = [r for r in routes if r]

    def problems_of(rs: list[list[int]]) -> list[str]:
        out = check_routes(rs, demands, capacity)
        if budgets is not None:
            out += check_budgets(rs, dur, budgets)
        if latest is not None:
            out += check_latest(rs, dur, latest, service)
        return out

    solver_feasible = bool(result.is_feasible()) and not problems_of(routes)
    fallback = False
    if not solver_feasible:
        routes = _fallback(
            mat, demands, capacity, dur if durations is not None else None, budgets, latest, service
        )
        fallback = True
    problems = problems_of(routes)
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
