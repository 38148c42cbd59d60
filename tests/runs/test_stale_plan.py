"""A plan run that read the dispatch register before solving fails as stale when a vehicle was
dispatched while it solved (issue #9: "a vehicle dispatched while a run is in progress is lost from
the new plan"). Rule: the run records what it read (``PlanRun.basis``) and re-checks it in the
transaction that stores its result, under the lock ``vehicle_dispatch`` takes too."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from homeward.apps.planning.models import Dispatch, PlanRun, PlanSeat, PlanVehicle
from homeward.apps.planning.services import (
    latest_done_run,
    plan_run_execute_now,
    plan_run_request,
    vehicle_dispatch,
)
from homeward.core.errors import Conflict
from tests.planning.conftest import run_plan


def _in_another_connection(fn):
    """Call ``fn`` on a thread of its own (its own database connection) and wait for it."""
    out: dict[str, object] = {}

    def target():
        try:
            out["value"] = fn()
        except Exception as exc:  # handed back to the test
            out["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    return out


@pytest.mark.django_db(transaction=True)
def test_a_vehicle_dispatched_while_a_plan_solves_is_not_lost_the_run_fails_as_stale(
    campaign, taskforce, monkeypatch, planning_settings
):
    from homeward.apps.planning import services

    first = run_plan()
    bus = PlanVehicle.objects.filter(run=first, kind="bus").order_by("key").first()
    on_bus = set(PlanSeat.objects.filter(vehicle=bus).values_list("worker_id", "seat"))
    solve = services.core.plan_campaign

    def dispatch_during_the_solve(request, **kw):
        out = _in_another_connection(lambda: vehicle_dispatch(actor=taskforce, vehicle_id=bus.pk))
        assert "error" not in out, out
        return solve(request, **kw)

    monkeypatch.setattr(services.core, "plan_campaign", dispatch_during_the_solve)
    second = plan_run_request(actor=taskforce, enqueue=False)
    assert plan_run_execute_now(second.pk) == "failed"
    second.refresh_from_db()
    assert second.error_code == "stale" and "dispatched" in second.error
    assert second.basis == {"run": first.pk, "dispatches": []}  # what it read before solving
    assert not PlanVehicle.objects.filter(run=second).exists()
    assert not PlanSeat.objects.filter(run=second).exists()
    assert not (planning_settings / "plans" / f"run-{second.pk}.json.gz").exists()
    assert latest_done_run() == first

    monkeypatch.setattr(services.core, "plan_campaign", solve)
    third = run_plan(actor=taskforce)
    kept = PlanVehicle.objects.get(run=third, key=bus.key)
    assert Dispatch.objects.filter(vehicle=kept).exists()
    assert set(PlanSeat.objects.filter(vehicle=kept).values_list("worker_id", "seat")) == on_bus


@pytest.mark.django_db(transaction=True)
def test_a_dispatch_racing_the_store_waits_for_it_and_is_refused_as_of_an_old_plan(
    campaign, taskforce, monkeypatch
):
    """The store holds its transaction open; a dispatch of the old plan's bus from another connection
    waits on the plan's row lock, then finds a newer plan in force. (PostgreSQL: SQLite's in-memory
    test database cannot wait on a lock across connections.)"""
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections need PostgreSQL")
    from homeward.apps.planning import services

    first = run_plan()
    bus = PlanVehicle.objects.filter(run=first, kind="bus").order_by("key").first()
    mark = services._mark_applications
    results: dict[str, object] = {}

    def dispatch_while_storing(run, data, result):
        thread = threading.Thread(
            target=lambda: results.update(_in_another_connection(
                lambda: vehicle_dispatch(actor=taskforce, vehicle_id=bus.pk)
            ))
        )  # fmt: skip
        thread.start()
        thread.join(timeout=1.5)
        results["waited"] = thread.is_alive()  # blocked on the lock the store holds
        results["thread"] = thread
        return mark(run, data, result)

    monkeypatch.setattr(services, "_mark_applications", dispatch_while_storing)
    second = plan_run_request(actor=taskforce, enqueue=False)
    assert plan_run_execute_now(second.pk) == "done"
    results["thread"].join(timeout=30)  # type: ignore[attr-defined]
    assert results["waited"] is True
    assert isinstance(results.get("error"), Conflict) and results["error"].code == "stale_plan"
    assert not Dispatch.objects.exists()
    assert PlanRun.objects.get(pk=second.pk).state == "done"
