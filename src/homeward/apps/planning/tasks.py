"""Background work of the planner (ids-only arguments)."""

from __future__ import annotations

from django.tasks import task

from homeward.apps.planning.services import plan_run_execute_now


@task()
def plan_run_execute(run_id: int) -> str:
    """Run PlanRun ``run_id`` (queued → running → done/failed); enqueued on commit by
    ``plan_run_request``. Returns the final state."""
    return plan_run_execute_now(run_id)
