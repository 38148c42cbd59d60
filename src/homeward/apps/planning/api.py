"""``/api/v1/plans``: the latest plan's KPIs and a run request (task force only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from homeward.apps.planning import selectors
from homeward.apps.planning.permits import plan_permits_draft
from homeward.apps.planning.services import plan_run_request

router = Router(tags=["planning"])


class PlanRunOut(Schema):
    id: int
    state: str
    progress: int
    stage: str
    seed: int
    solver: str
    stop: dict[str, Any]
    kpis: dict[str, Any]
    baseline: dict[str, Any]
    error: str
    error_code: str  # why it failed: "abandoned", "stale", "interrupted", "db_unavailable", ...


class PlanRunIn(Schema):
    seed: int = 0


@router.get("/plans/latest", response={200: PlanRunOut, 404: dict}, url_name="plan_latest")
def plan_latest(request: HttpRequest) -> Any:
    selectors.require_board(request.user)
    run = selectors.status_run()
    if run is None:
        return 404, {"status": 404, "reason": "not_found", "message": "no plan yet"}
    return 200, run


class RoadPassesOut(Schema):
    created: list[str]  # permit ids drafted by this call; an empty list when every bus had one


@router.post(
    "/plans/{int:run_id}/permits",
    response={200: RoadPassesOut},
    url_name="plan_permits_draft",
    summary="Draft the road pass of every bus of the plan in force (task force, transport)",
)
def plan_permits(request: HttpRequest, run_id: int) -> Any:
    return 200, {"created": [p.permit_id for p in plan_permits_draft(actor=request.user, run_id=run_id)]}


@router.post("/plans", response={202: PlanRunOut}, url_name="plan_request")
def plan_request(request: HttpRequest, body: PlanRunIn) -> Any:
    run = plan_run_request(actor=request.user, seed=body.seed, reason="api")
    return 202, run
