"""Step 3, buses: the groups no train takes, pooled across enterprises, one sub-problem per origin
area and load cap.

Full buses for whole loads of a group first, then the remainders as a CVRP whose nodes are
(county, factory) groups and whose pairwise cost is the pickup detour plus the drop detour.
Deadline-aware: each group has a drive slack (the extra driving its direct trip can absorb under
the driver-hour rules and still arrive in time) and the solver keeps every route's estimated extra
driving within the slack of each group on it. The schedule is the judge: a pooled bus still late
sheds its least-slack groups into free seats of buses that stay on time (split if need be), the
rest are pooled again; then the lightest buses are emptied into the others where every bus stays
on time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from homeward.core.planning import _pyvrp_adapter
from homeward.core.planning.geo import road_km, road_matrix_units, units
from homeward.core.planning.model import DIST_UNIT_M, REASON_NO_LEGAL_WAY, Unassigned
from homeward.core.planning.planner.context import Context
from homeward.core.planning.planner.demand import Group, GroupKey, Load, Pair, load_of
from homeward.core.planning.planner.direct import deadline_aware_bound, ref_seats
from homeward.core.planning.planner.schedule import minutes_matrix

Route = list[Load]
FIXED_BUS_COST = 20_000  # solver units (2,000 km): the number of buses comes first
# The solver's estimate of the minutes a shared bus adds, per step between two groups of its route:
# the pickup detour, plus half the drop detour (the drops are re-ordered as a short path afterwards,
# so the route order overstates them). Stops are not counted: they also rest the drivers. Measured
# on ``homeward bench plan`` seeds 0 and 1 against weights 0–1; the schedule check repairs the rest.
DROP_DETOUR_WEIGHT = 0.5
FILL_CANDIDATES = 20  # buses tried per piece when filling free seats


@dataclass(frozen=True, slots=True)
class Area:
    """One pooling sub-problem: the groups of an origin area under one load cap, ready to be picked
    up at one time (``Group.ready``)."""

    area: str
    cap_pct: int
    groups: tuple[Group, ...]
    ready: int = 0


def areas(groups: list[Group], ctx: Context) -> tuple[list[Area], list[Unassigned]]:
    """The bus sub-problems, by (area, load cap, ready); the groups that no legal direct trip brings in
    time are set aside as ``no_legal_way_in_time``."""
    parts: dict[tuple[str, int, int], list[Group]] = {}
    dropped: list[Unassigned] = []
    for g in groups:
        if not g.workers:
            continue
        d = ctx.direct[g.key]
        if not d.met:
            detail = f"direct arrival +{d.arrive} min > deadline +{g.deadline} min"
            dropped.extend(Unassigned(w, app, REASON_NO_LEGAL_WAY, detail) for w, app in g.workers)
            continue
        parts.setdefault((g.area, g.cap_pct, g.ready), []).append(g)
    return [Area(area, pct, tuple(gs), ready) for (area, pct, ready), gs in sorted(parts.items())], dropped


def plan_area(part: Area, ctx: Context, *, bound: bool = True) -> list[Route]:
    """The buses of one sub-problem, each a list of loads, every one on time where it can be;
    ``bound``: its deadline-aware bound counts toward the KPI."""
    cap = ctx.rules.seat_cap(ref_seats(ctx.request), part.cap_pct)
    gs = list(part.groups)
    if bound:
        ctx.tally.counts["buses_bound_deadline_aware"] += deadline_aware_bound(gs, ctx.direct, ctx.fleet, cap)
    routes: list[Route] = []
    nodes: list[tuple[Group, tuple[Pair, ...]]] = []
    for g in gs:
        items = g.workers
        while len(items) >= cap:
            chunk, items = items[:cap], items[cap:]
            routes.append([Load(g, chunk)])
        if items:
            nodes.append((g, items))
    if nodes:
        routes.extend(pool_routes(nodes, cap, ctx))
    return eliminate_routes(split_late(routes, cap, ctx), cap, ctx)


def pool_routes(nodes: list[tuple[Group, tuple[Pair, ...]]], cap: int, ctx: Context) -> list[Route]:
    """Pool the remainders of one origin area: a CVRP whose nodes are (county, factory) groups and
    whose distance is the pickup detour plus the drop detour. Deadline-aware: the driving minutes a
    shared bus adds (estimated: pickup detours plus ``DROP_DETOUR_WEIGHT`` × drop detours) must fit
    the drive slack of every group on it (``Direct.slack``), which the solver keeps as a route
    budget. The schedule under the driver-hour rules is checked afterwards (``split_late``)."""
    rules = ctx.rules
    pick = [g.pickup for g, _ in nodes]
    drop = [g.factory for g, _ in nodes]
    n = len(nodes)
    pick_u = road_matrix_units(pick, pick, rules)
    drop_u = road_matrix_units(drop, drop, rules)
    mat = np.zeros((n + 1, n + 1), dtype=np.int64)
    mat[1:, 1:] = pick_u + drop_u
    haul = np.array([units(road_km(p, d, rules)) for p, d in zip(pick, drop, strict=True)], dtype=np.int64)
    mat[0, 1:] = haul // 2
    mat[1:, 0] = haul - haul // 2
    dur = np.zeros((n + 1, n + 1), dtype=np.int64)
    dur[1:, 1:] = np.ceil(
        minutes_matrix(pick_u.astype(np.float64) * DIST_UNIT_M / 1000, rules)
        + DROP_DETOUR_WEIGHT * minutes_matrix(drop_u.astype(np.float64) * DIST_UNIT_M / 1000, rules)
    ).astype(np.int64)
    np.fill_diagonal(dur, 0)
    budgets = [0] + [ctx.direct[g.key].slack for g, _ in nodes]
    demands = [0] + [len(w) for _, w in nodes]
    sol = _pyvrp_adapter.solve_cvrp(
        mat,
        demands,
        cap,
        seed=ctx.request.seed,
        stop=ctx.request.stop,
        fixed_cost=FIXED_BUS_COST,
        coords=[(0.0, 0.0)] + [(p.lon, p.lat) for p in pick],
        durations=dur,
        budgets=budgets,
    )
    ctx.tally.solved(sol)
    return [[Load(nodes[i - 1][0], nodes[i - 1][1]) for i in r] for r in sol.routes]


def with_workers(route: Route, g: Group, workers: tuple[Pair, ...]) -> Route:
    """``route`` with ``workers`` of group ``g`` added (merged into ``g``'s load if it has one)."""
    out: Route = []
    merged = False
    for ld in route:
        if ld.group.key == g.key and not merged:
            out.append(Load(ld.group, (*ld.workers, *workers)))
            merged = True
        else:
            out.append(ld)
    if not merged:
        out.append(Load(g, workers))
    return out


def least_slack(loads: list[Load], ctx: Context) -> Load:
    """The load whose group's direct trip arrives closest to its deadline: the first to leave a
    late bus."""
    return min(loads, key=lambda ld: (ld.group.deadline - ctx.direct[ld.group.key].arrive, ld.group.key))


def fill_rank(route: Route, i: int, g: Group, ctx: Context) -> tuple[int, float, int]:
    """Buses carrying the same group first, then the same county, then by pickup distance."""
    if any(ld.group.key == g.key for ld in route):
        same = 0
    elif any(ld.group.county == g.county for ld in route):
        same = 1
    else:
        same = 2
    return same, min(road_km(g.pickup, ld.group.pickup, ctx.rules) for ld in route), i


def fill_free_seats(
    routes: list[Route],
    pieces: list[Load],
    cap: int,
    ctx: Context,
    *,
    count: bool = True,
    all_or_none: bool = False,
) -> tuple[list[Route], list[Load]]:
    """Put the workers of ``pieces`` into free seats of ``routes`` where every bus stays on time,
    splitting a piece over several buses if need be: buses already calling at the piece's county
    (and factory) first, then by distance. Returns the routes so filled and what found no seat.
    With ``all_or_none`` (the caller drops ``routes`` unless every piece fits), it stops at the
    first piece left over."""
    routes = list(routes)
    left: list[Load] = []
    for piece in sorted(pieces, key=lambda ld: (-len(ld.workers), ld.group.key)):
        g = piece.group
        remaining = piece.workers
        candidates = sorted(
            (i for i, r in enumerate(routes) if r and load_of(r) < cap),
            key=lambda i: fill_rank(routes[i], i, g, ctx),
        )
        for i in candidates[:FILL_CANDIDATES]:
            room = cap - load_of(routes[i])
            if room <= 0:
                continue
            take, rest = remaining[:room], remaining[room:]
            trial = with_workers(routes[i], g, take)
            if ctx.fleet.late(trial):
                continue
            routes[i] = trial
            remaining = rest
            if count:
                ctx.tally.counts["late_refilled"] += len(take)
            if not remaining:
                break
        if remaining:
            left.append(Load(g, remaining))
            if all_or_none:
                break
    return routes, left


def eliminate_routes(routes: list[Route], cap: int, ctx: Context) -> list[Route]:
    """Fewer buses: try to empty the lightest buses of an area into free seats of the others,
    every bus staying on time; keep a change only if the whole bus empties."""
    routes = [r for r in routes if r]
    tried: set[tuple[tuple[GroupKey, int], ...]] = set()
    while True:
        order = sorted(range(len(routes)), key=lambda i: (load_of(routes[i]), i))
        for i in order:
            sig = tuple(sorted((ld.group.key, len(ld.workers)) for ld in routes[i]))
            if load_of(routes[i]) > cap * 3 // 4 or sig in tried:
                continue
            tried.add(sig)
            others = [r for j, r in enumerate(routes) if j != i]
            if sum(cap - load_of(r) for r in others) < load_of(routes[i]):
                continue
            filled, left = fill_free_seats(others, list(routes[i]), cap, ctx, count=False, all_or_none=True)
            if not left:
                routes = filled
                ctx.tally.counts["buses_eliminated"] += 1
                break
        else:
            return routes


def split_late(routes: list[Route], cap: int, ctx: Context, depth: int = 0) -> list[Route]:
    """Repair pooled buses that miss a deadline (the solver's route budgets are an estimate; the
    schedule under the driver-hour rules is the judge): peel off the group with the least slack
    until the bus is on time; put the peeled workers into free seats of buses of the area that stay
    on time (``fill_free_seats``, splitting a group if need be); pool what is left again (the
    deadline-aware CVRP) and repair that once more; a group still left over gets its own bus."""
    out: list[Route] = []
    peeled: list[Load] = []
    for route in routes:
        route = list(route)
        while len(route) > 1 and ctx.fleet.late(route):
            worst = least_slack(route, ctx)
            route.remove(worst)
            peeled.append(worst)
            ctx.tally.counts["late_peeled"] += 1
        out.append(route)
    if not peeled:
        return out
    out, left = fill_free_seats(out, peeled, cap, ctx)
    if not left:
        return out
    if depth < 2 and len(left) > 1:
        by_group: dict[GroupKey, tuple[Group, list[Pair]]] = {}
        for ld in left:
            by_group.setdefault(ld.group.key, (ld.group, []))[1].extend(ld.workers)
        nodes: list[tuple[Group, tuple[Pair, ...]]] = []
        for key in sorted(by_group):
            g, ws = by_group[key]
            while ws:
                nodes.append((g, tuple(ws[:cap])))
                ws = ws[cap:]
        again = pool_routes(nodes, cap, ctx)
        ctx.tally.counts["late_extra_buses"] += len(again)
        return out + split_late(again, cap, ctx, depth + 1)
    ctx.tally.counts["late_extra_buses"] += len(left)
    return out + [[ld] for ld in left]
