"""The campaign planner: pools workers of many enterprises into special trains, station shuttles and
chartered buses that meet the deadline under the rules (DESIGN §5, §6).

Django-free. Frozen dataclasses in (``PlanRequest``) and out (``PlanResult``), integer units chosen
on purpose (see ``model``). PyVRP (pinned ``pyvrp==0.14.1``) is imported by ``_pyvrp_adapter`` only.

- ``plan_campaign(request, progress=None) -> PlanResult``
- ``replan(previous, request, dispatched_vehicle_ids) -> PlanResult``: new and changed applications
  into free seats or new vehicles, nobody on a dispatched vehicle moved
- ``synthetic_campaign(workers=15000, applications=1000, counties=300, train_slots=16, seed=0)``
- ``check_plan(request, result) -> list[str]``: the invariants (empty when the plan is sound)
- ``cvrplib``: read and solve CVRPLIB instances with the station-shuttle solver
"""

from __future__ import annotations

from homeward.core.planning.checks import check_plan
from homeward.core.planning.model import (
    REASONS,
    Application,
    Assignment,
    Coach,
    CostLedger,
    DriveSpan,
    HomeCity,
    Kit,
    Late,
    PermitDraft,
    PlanRequest,
    PlanResult,
    Point,
    Rules,
    Stop,
    StopCriterion,
    SubsidyRule,
    TrainRequest,
    TrainSlot,
    Unassigned,
    Vehicle,
    WorkerDemand,
)
from homeward.core.planning.planner import plan_campaign
from homeward.core.planning.replan import replan
from homeward.core.planning.synthetic import synthetic_campaign

__all__ = [
    "REASONS",
    "Application",
    "Assignment",
    "Coach",
    "CostLedger",
    "DriveSpan",
    "HomeCity",
    "Kit",
    "Late",
    "PermitDraft",
    "PlanRequest",
    "PlanResult",
    "Point",
    "Rules",
    "Stop",
    "StopCriterion",
    "SubsidyRule",
    "TrainRequest",
    "TrainSlot",
    "Unassigned",
    "Vehicle",
    "WorkerDemand",
    "check_plan",
    "plan_campaign",
    "replan",
    "synthetic_campaign",
]
