"""``plan_campaign(request) -> PlanResult``: one campaign day — trains, station shuttles, pooled
buses — as the steps of DESIGN §6, each a module that returns what it made:

1. ``demand``: the workers grouped by (origin county, enterprise, factory); what cannot legally
   move (health, closed origin, unknown county) set aside with a reason.
2. ``direct``: one bus for each group alone — whether, when and at what vehicle-km it arrives, and
   the drive slack it leaves for sharing; the per-enterprise baseline and the bus lower bounds.
3. ``trains``: granted slots take the largest county clusters near their origin stations; the
   arrival station's shuttles are a CVRP. ``buses``: the rest pooled per origin area and load cap,
   deadline-aware, repaired against the schedule.
4. ``schedule`` and ``fleet``: every bus driven under the driver-hour rules from the home city
   when it meets the deadlines, else from an origin-side base (one lateness decision);
   ``emit``: seats, escorts, kits, cost ledgers and road passes.
5. ``kpis``: what the plan uses and achieves against the baseline and the bounds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from homeward.core.planning import _pyvrp_adapter
from homeward.core.planning.model import Late, PlanRequest, PlanResult, TrainRequest
from homeward.core.planning.planner import buses, direct, trains
from homeward.core.planning.planner.clock import Clock
from homeward.core.planning.planner.context import Context, Tally
from homeward.core.planning.planner.demand import Group, demand
from homeward.core.planning.planner.emit import Plan, emit_bus, emit_train
from homeward.core.planning.planner.fleet import Fleet, Pool
from homeward.core.planning.planner.kpis import References, kpis
from homeward.core.planning.planner.parallel import chunks, default_processes, run_all
from homeward.core.planning.planner.proposals import train_requests

Progress = Callable[[int, str], None]

__all__ = ["Progress", "add_buses", "plan_campaign", "result_of"]


def result_of(
    plan: Plan, request: PlanRequest, kpis_: dict[str, float], late: list[Late], asks: list[TrainRequest]
) -> PlanResult:
    """The plan in its canonical order (by worker), stamped with the seed, stop and solver version."""
    return PlanResult(
        assignments=tuple(sorted(plan.assignments, key=lambda a: (a.worker_id, a.leg))),
        vehicles=tuple(plan.vehicles),
        unassigned=tuple(sorted(plan.unassigned, key=lambda u: u.worker_id)),
        kpis=kpis_,
        seed=request.seed,
        stop=request.stop,
        solver=_pyvrp_adapter.solver_version(),
        late=tuple(late),
        train_requests=tuple(asks),
    )


def directed(
    groups: list[Group], pool: Pool, request: PlanRequest, clock: Clock, processes: int
) -> direct.Directed:
    """The direct trips of ``groups`` (late ones carried under soft deadlines), in pieces on
    ``processes``."""
    pieces = chunks(len(groups), 4 * processes)
    done = run_all(
        lambda i: direct.directed([groups[k] for k in pieces[i]], pool, request, clock),
        len(pieces),
        processes,
    )
    return direct.Directed(
        tuple(g for d in done for g in d.groups),
        {k: v for d in done for k, v in d.direct.items()},
        tuple(u for d in done for u in d.beyond),
    )


def add_buses(
    groups: list[Group],
    ctx: Context,
    plan: Plan,
    progress: Callable[[float], None] | None = None,
    processes: int = 1,
) -> None:
    """Pool ``groups`` into buses, origin area by origin area (on ``processes``, each area against
    the coaches left when pooling starts), then give each area's buses their coaches in area order
    and add them to ``plan``."""
    parts, no_legal = buses.areas(groups, ctx)
    plan.unassigned.extend(no_legal)

    def pooled(i: int) -> tuple[list[buses.Route], Tally]:
        own = replace(ctx, tally=Tally())
        return buses.plan_area(parts[i], own), own.tally

    if progress is not None:
        progress(0.0)
    largest = sorted(range(len(parts)), key=lambda i: -sum(len(g.workers) for g in parts[i].groups))
    for part, (routes, tally) in zip(
        parts, run_all(pooled, len(parts), processes, order=largest), strict=True
    ):
        ctx.tally.add(tally)
        for k, route in enumerate(routes):
            later = f"-r{part.ready}" if part.ready else ""  # picked up later: minutes after ``now``
            vid = f"B-{part.area}-{part.cap_pct}{later}-{k + 1:03d}"
            plan.add(emit_bus(vid, route, part.area, part.cap_pct, ctx, plan))


def plan_campaign(
    request: PlanRequest, progress: Progress | None = None, processes: int | None = None
) -> PlanResult:
    """Plan one campaign day. ``progress(percent, stage)`` is called as the stages go by (for a
    background task's progress bar); percent rises from 0 to 100. Independent sub-problems run on
    ``processes`` (default: the machine's cores, up to 4); the plan does not depend on how many."""
    t0 = time.perf_counter()
    processes = default_processes() if processes is None else processes

    def report(pct: int, stage: str) -> None:
        if progress is not None:
            progress(pct, stage)

    report(0, "demand")
    clock = Clock.of(request.now)
    pool = Pool.of(request.coaches, request.rules, request.home)
    wanted = demand(request, clock)
    plan = Plan(unassigned=list(wanted.unassigned))
    report(5, "direct trips")
    found = directed(list(wanted.groups), pool, request, clock, processes)
    plan.unassigned.extend(found.beyond)
    groups, directs = list(found.groups), found.direct
    ctx = Context(request, clock, Fleet(pool, clock), directs)
    ctx.tally.counts["duplicate_workers"] += wanted.duplicates
    base = direct.baseline(groups, directs, request)
    report(25, "trains")
    planned_trains, groups = trains.plan_trains(groups, ctx)
    for train in trains.with_shuttles(planned_trains, ctx, processes):
        plan.add(emit_train(train, ctx, plan))
    bus_groups = [g for g in groups if g.workers]
    lb, bus_workers = direct.bus_lower_bound(bus_groups, directs, request)
    same_split = direct.baseline(bus_groups, directs, request)
    report(40, "buses")
    add_buses(
        bus_groups, ctx, plan, progress=lambda f: report(40 + int(55 * f), "buses"), processes=processes
    )
    report(95, "kpis")
    refs = References(sum(len(a.workers) for a in request.applications), lb, bus_workers, base, same_split)
    late = plan.late(ctx)
    asks = train_requests(list(wanted.groups), late, plan.vehicles, ctx)
    out = kpis(plan, request, refs, ctx.tally, late)
    out["train_requests"] = len(asks)
    out["seconds"] = round(time.perf_counter() - t0, 3)
    report(100, "done")
    return result_of(plan, request, out, late, asks)
