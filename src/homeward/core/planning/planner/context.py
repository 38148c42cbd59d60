"""What the steps of one plan share: the request, its clock, the fleet (coaches and the lateness
decision), the direct trips, and a tally of what the solver and the repairs did."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from homeward.core.planning._pyvrp_adapter import CvrpSolution
from homeward.core.planning.model import PlanRequest, Rules
from homeward.core.planning.planner.clock import Clock
from homeward.core.planning.planner.direct import Directs
from homeward.core.planning.planner.fleet import Fleet, Pool


@dataclass(slots=True)
class Tally:
    """Counts reported among the KPIs (repairs, eliminated buses, ...) and solver statistics."""

    counts: Counter[str] = field(default_factory=Counter)
    solver_seconds: float = 0.0
    fallbacks: int = 0
    time_limit_hits: int = 0

    def solved(self, sol: CvrpSolution) -> None:
        self.solver_seconds += sol.seconds
        self.fallbacks += int(sol.fallback)
        self.time_limit_hits += int(sol.time_limit_hit)

    def add(self, other: Tally) -> None:
        self.counts.update(other.counts)
        self.solver_seconds += other.solver_seconds
        self.fallbacks += other.fallbacks
        self.time_limit_hits += other.time_limit_hits


@dataclass(slots=True)
class Context:
    request: PlanRequest
    clock: Clock
    fleet: Fleet
    direct: Directs
    tally: Tally = field(default_factory=Tally)
    due: dict[str, int] = field(init=False)  # application id → its deadline, minutes after now

    def __post_init__(self) -> None:
        self.due = {a.id: self.clock.minutes(a.deadline) for a in self.request.applications}

    @property
    def rules(self) -> Rules:
        return self.request.rules

    @property
    def pool(self) -> Pool:
        return self.fleet.pool
