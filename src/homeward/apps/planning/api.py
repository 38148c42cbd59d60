"""``/api/v1/plans``: the latest plan's KPIs and a run request (task force only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from homeward.api_contract import MAX_INT, Id, JsonInt, answers
from homeward.apps.planning import selectors
from homeward.apps.planning.permits import plan_permits_draft
from homeward.apps.planning.services import plan_run_request
from homeward.core.errors import NotFound

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
    seed: JsonInt = Field(0, ge=-MAX_INT - 1, le=MAX_INT)


@router.get("/plans/latest", response=answers(PlanRunOut, errors=(404,)), url_name="plan_latest")
def plan_latest(request: HttpRequest) -> Any:
    run = selectors.status_run(actor=request.user)
    if run is None:
        raise NotFound("还没有计划 (no plan yet)", "not_found")
    return run


class RoadPassesOut(Schema):
    created: list[str]  # permit ids drafted by this call; an empty list when every bus had one


@router.post(
    "/plans/{int:run_id}/permits",
    response=answers(RoadPassesOut, errors=(404, 409)),
    url_name="plan_permits_draft",
    summary="Draft the road pass of every bus of the plan in force (task force, transport)",
)
def plan_permits(request: HttpRequest, run_id: Id) -> Any:
    return {"created": [p.permit_id for p in plan_permits_draft(actor=request.user, run_id=run_id)]}


@router.post("/plans", response=answers(PlanRunOut, status=202), url_name="plan_request")
def plan_request(request: HttpRequest, body: PlanRunIn) -> Any:
    return Status(202, plan_run_request(actor=request.user, seed=body.seed, reason="api"))
