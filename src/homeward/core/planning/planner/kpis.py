"""Step 5, KPIs: what the plan uses and achieves, beside the per-enterprise baseline and the
lower bounds computed on the same input."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from homeward.core.planning.model import REASONS, Late, PlanRequest
from homeward.core.planning.planner.context import Tally
from homeward.core.planning.planner.emit import Plan


@dataclass(frozen=True, slots=True)
class References:
    """What the plan is measured against, computed on its own input."""

    workers: int  # every worker of the request
    buses_lower_bound: int
    bus_workers_for_bound: int
    baseline: tuple[int, float]  # per-enterprise chartering: buses, vehicle-km
    baseline_same_split: tuple[int, float]  # the same, for the workers the buses carry


def _quantile(sorted_values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ascending values; 0 for none."""
    if not sorted_values:
        return 0.0
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def kpis(
    plan: Plan, request: PlanRequest, refs: References, tally: Tally, late: list[Late]
) -> dict[str, float]:
    vs = plan.vehicles
    trains = [v for v in vs if v.kind == "train"]
    buses = [v for v in vs if v.kind == "bus" and not v.feeds]
    feeders = [v for v in vs if v.kind == "bus" and v.feeds]
    shuttles = [v for v in vs if v.kind == "shuttle"]
    main_assigned = {a.worker_id for a in plan.assignments if a.leg == 0}
    reasons = Counter(u.reason for u in plan.unassigned)
    late_ids = {x.worker_id for x in late}
    met = sum(1 for w in main_assigned if w in plan.arrivals and w not in late_ids)
    hours_over = sorted(x.minutes_over / 60 for x in late)
    rules = request.rules
    cap_sh = rules.seat_cap(request.shuttle_seats, rules.shuttle_load_cap_pct)
    shuttle_lb = sum(math.ceil(len(t.manifest) / cap_sh) for t in trains)
    counts = tally.counts
    return {
        "workers": refs.workers,
        "assigned": len(main_assigned),
        "unassigned": len(plan.unassigned),
        **{f"unassigned_{r}": reasons.get(r, 0) for r in REASONS},
        "trains": len(trains),
        "train_passengers": sum(len(v.manifest) for v in trains),
        "buses": len(buses),
        "bus_passengers": sum(len(v.manifest) for v in buses),
        "buses_lower_bound": refs.buses_lower_bound,
        "buses_bound_deadline_aware": counts["buses_bound_deadline_aware"],
        "bus_workers_for_bound": refs.bus_workers_for_bound,
        "feeder_buses": len(feeders),
        "feeder_passengers": sum(len(v.manifest) for v in feeders),
        "shuttles": len(shuttles),
        "shuttles_lower_bound": shuttle_lb,
        "baseline_buses": refs.baseline[0],
        "baseline_vehicle_km": round(refs.baseline[1], 1),
        "baseline_buses_same_split": refs.baseline_same_split[0],
        "baseline_vehicle_km_same_split": round(refs.baseline_same_split[1], 1),
        "vehicle_km": round(sum(v.km for v in (*buses, *feeders, *shuttles)), 1),
        "bus_vehicle_km": round(sum(v.km for v in buses), 1),
        "shuttle_vehicle_km": round(sum(v.km for v in shuttles), 1),
        "feeder_vehicle_km": round(sum(v.km for v in feeders), 1),
        "seats_filled_share": round(
            sum(len(v.manifest) for v in buses) / max(1, sum(v.seat_cap for v in buses)), 4
        ),
        "cost_fen": sum(v.cost.total_fen for v in vs),
        "deadline_met_share": round(met / max(1, len(main_assigned)), 4),
        "late_workers": len(late),
        "late_hours_p50": round(_quantile(hours_over, 0.5), 2),
        "late_hours_p95": round(_quantile(hours_over, 0.95), 2),
        "late_hours_max": round(hours_over[-1], 2) if hours_over else 0.0,
        "solver_seconds": round(tally.solver_seconds, 3),
        "solver_fallbacks": tally.fallbacks,
        "time_limit_hits": tally.time_limit_hits,
        "late_peeled": counts["late_peeled"],
        "late_extra_buses": counts["late_extra_buses"],
        "late_refilled": counts["late_refilled"],
        "buses_eliminated": counts["buses_eliminated"],
        "duplicate_workers": counts["duplicate_workers"],
        "shuttles_without_coach": counts["shuttles_without_coach"],
    }
