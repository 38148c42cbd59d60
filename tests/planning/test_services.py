"""Plan runs: the request (task force only, idempotent, enqueued on commit), the run (claimed once,
stored as rows and a file, applications planned, at-risk flags), re-planning around dispatched
vehicles, and resource imports."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import system_actor
from tests.planning.conftest import make_application, run_plan

pytestmark = pytest.mark.django_db


def test_it_requests_once_while_queued_and_enqueues_on_commit(taskforce, django_capture_on_commit_callbacks):
    from homeward.apps.audit.models import AuditEvent
    from homeward.apps.planning.services import plan_run_execute_now, plan_run_request

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = plan_run_request(actor=taskforce, seed=7)
        again = plan_run_request(actor=taskforce, seed=8)
    assert again.pk == first.pk and first.state == "queued" and len(callbacks) == 1
    assert first.seed == 7 and first.stop["max_iterations"] > 0
    assert AuditEvent.objects.filter(action="plan.request", object_id=str(first.pk)).count() == 1
    first.__class__.objects.filter(pk=first.pk).update(state="running")
    assert plan_run_execute_now(first.pk) == "skipped"  # claimed once only


@pytest.mark.parametrize("persona", ["enterprise_user", "town_officer", "health_officer", "station_staff"])
def test_only_the_task_force_runs_plans(request, persona):
    from homeward.apps.audit.models import AuditEvent
    from homeward.apps.planning.models import PlanRun
    from homeward.apps.planning.services import plan_run_request
    from homeward.core.errors import PermissionDenied

    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        plan_run_request(actor=actor)
    assert not PlanRun.objects.exists()
    assert AuditEvent.objects.filter(action="denied.plan.request", actor=actor).exists()


def test_a_run_seats_every_worker_or_says_why(campaign, planning_settings):
    from homeward.apps.applications.models import ApplicationWorker, DepartmentTask, ReturnApplication
    from homeward.apps.planning.models import PlanSeat, PlanVehicle

    run = run_plan(seed=3)
    k = run.kpis
    assert k["workers"] == 32 and k["assigned"] + k["unassigned"] == 32
    assert run.solver.startswith("pyvrp") and run.stop["max_iterations"] > 0 and run.seed == 3
    assert run.baseline["buses"] == k["baseline_buses"]
    assert (Path(planning_settings) / run.result_path).exists()
    workers = set(ApplicationWorker.objects.values_list("pk", flat=True))
    main = PlanSeat.objects.filter(run=run, leg=0)
    assert set(main.values_list("worker_id", flat=True)) == workers  # seated or explained, each once
    assert main.filter(vehicle__isnull=True).exclude(reason="").count() == k["unassigned"]
    for v in PlanVehicle.objects.filter(run=run):
        assert v.seat_rows.count() == v.passengers <= v.seat_cap
    # the late application (due in 3 h, from Anhui): carried late, flagged at risk with the hours
    # over, a task for the task force on its case; the others planned and not at risk
    late = ReturnApplication.objects.get(pk=campaign["late"].pk)
    assert late.state == "planned" and late.at_risk and "late, up to" in late.at_risk_reason
    rows = PlanSeat.objects.filter(run=run, application=late, leg=0)
    assert rows.count() == 2 and all(r.vehicle_id and r.minutes_late > 60 and r.arrives for r in rows)
    assert k["late_workers"] == 2 and k["late_hours_max"] == round(max(r.minutes_late for r in rows) / 60, 2)
    task = DepartmentTask.objects.get(case__application=late, kind="late_arrival")
    assert task.department == "taskforce" and task.state == "open"
    assert task.data["late_workers"] == 2 and task.data["plan_run"] == run.pk
    for key in ("a", "b"):
        app = ReturnApplication.objects.get(pk=campaign[key].pk)
        assert app.state == "planned" and not app.at_risk
        assert not DepartmentTask.objects.filter(case__application=app, kind="late_arrival").exists()


def test_the_task_force_accepts_or_acts_on_late_workers_and_a_replan_in_time_cancels_the_task(
    campaign, taskforce
):
    from homeward.apps.applications.models import DepartmentTask, ReturnApplication
    from homeward.apps.applications.services import department_task_complete
    from homeward.apps.audit.models import AuditEvent
    from homeward.core.errors import DomainError

    run_plan()
    late = campaign["late"]
    task = DepartmentTask.objects.get(case__application=late, kind="late_arrival")
    boss = taskforce
    with pytest.raises(DomainError):  # acting needs a note saying how
        department_task_complete(actor=boss, task_id=task.pk, data={"decision": "act"})
    done = department_task_complete(actor=boss, task_id=task.pk, data={"decision": "accept", "note": ""})
    assert done.state == "done" and done.data["decision"] == "accept"
    # a re-plan keeps a done task as the task force left it
    run_plan()
    assert DepartmentTask.objects.get(pk=task.pk).state == "done"
    # another late application: its open task is cancelled once a re-plan brings everyone in time
    other = make_application(campaign["a"].enterprise, ["341221"] * 2, hours=2, accepted_ago_min=0)
    run_plan()
    task2 = DepartmentTask.objects.get(case__application=other, kind="late_arrival")
    assert task2.state == "open"
    ReturnApplication.objects.filter(pk=other.pk).update(deadline_at=other.accepted_at + timedelta(hours=40))
    run_plan()
    task2.refresh_from_db()
    assert task2.state == "cancelled" and not ReturnApplication.objects.get(pk=other.pk).at_risk
    assert AuditEvent.objects.filter(action="task.late_arrival.cancelled", object_id=str(task2.pk)).exists()


def test_the_same_seed_gives_the_same_plan(campaign):
    from homeward.apps.planning.models import PlanSeat

    def seats(run):
        return sorted(
            PlanSeat.objects.filter(run=run).values_list("worker_id", "leg", "vehicle__key", "seat", "reason")
        )

    assert seats(run_plan(seed=5)) == seats(run_plan(seed=5))


def test_the_task_runs_the_run(campaign):
    from homeward.apps.planning.models import PlanRun
    from homeward.apps.planning.services import plan_run_request
    from homeward.apps.planning.tasks import plan_run_execute

    run = plan_run_request(actor=system_actor(), enqueue=False)
    assert plan_run_execute.call(run.pk) == "done"
    assert PlanRun.objects.get(pk=run.pk).state == "done"
    assert plan_run_execute.call(run.pk) == "skipped"


def test_the_solver_stages_show_as_the_run_progress(taskforce):
    from homeward.apps.audit.runs import RunLease, run_claim
    from homeward.apps.planning import services
    from homeward.apps.planning.models import PlanRun

    run = services.plan_run_request(actor=taskforce, enqueue=False)
    assert run_claim(PlanRun, run.pk)
    lease = RunLease(PlanRun, run.pk)
    services._progress(lease, 10, 85)(40, "buses")  # the core's progress(percent, stage)
    lease.beat()  # what the lease's thread does next
    run.refresh_from_db()
    assert (run.progress, run.stage) == (40, "solve: buses")


def test_a_failed_run_says_why(campaign, monkeypatch):
    from homeward.apps.planning import services

    def boom(request, **kw):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(services.core, "plan_campaign", boom)
    run = services.plan_run_request(actor=system_actor(), enqueue=False)
    assert services.plan_run_execute_now(run.pk) == "failed"
    run.refresh_from_db()
    assert run.state == "failed" and "solver exploded" in run.error


def test_a_replan_keeps_dispatched_vehicles_and_seats_newcomers(campaign, taskforce, enterprise_b):
    from homeward.apps.planning.models import PlanSeat, PlanVehicle
    from homeward.apps.planning.services import vehicle_dispatch
    from tests.planning.conftest import make_application

    first = run_plan()
    bus = PlanVehicle.objects.filter(run=first, kind="bus").order_by("key").first()
    assert bus is not None
    on_bus = set(PlanSeat.objects.filter(vehicle=bus).values_list("worker_id", "seat"))
    vehicle_dispatch(actor=taskforce, vehicle_id=bus.pk)
    newcomer = make_application(enterprise_b, ["411402"] * 4)
    second = run_plan()
    assert second.previous_id == first.pk
    kept = PlanVehicle.objects.get(run=second, key=bus.key)
    assert set(PlanSeat.objects.filter(vehicle=kept).values_list("worker_id", "seat")) == on_bus
    assert hasattr(kept, "dispatch")
    new_seats = PlanSeat.objects.filter(run=second, application=newcomer, leg=0, vehicle__isnull=False)
    assert new_seats.count() == 4
    assert not new_seats.filter(vehicle=kept).exists()  # a dispatched bus has left: nobody boards it
    assert kept.passengers == len(on_bus) <= kept.seat_cap


def test_dispatch_is_task_force_only_and_once(campaign, taskforce, enterprise_user):
    from homeward.apps.planning.models import Dispatch, PlanVehicle
    from homeward.apps.planning.services import vehicle_dispatch
    from homeward.core.errors import NotFound

    run = run_plan()
    v = PlanVehicle.objects.filter(run=run).first()
    with pytest.raises(NotFound):  # an enterprise sees no plan vehicles
        vehicle_dispatch(actor=enterprise_user, vehicle_id=v.pk)
    d1 = vehicle_dispatch(actor=taskforce, vehicle_id=v.pk)
    d2 = vehicle_dispatch(actor=taskforce, vehicle_id=v.pk)
    assert d1.pk == d2.pk and Dispatch.objects.count() == 1


COACHES_CSV = (
    "车牌号,核定座位,承运单位,驻地,每公里费用\n"
    "浙B12345,55,慈溪客运,慈溪,8\n"
    "贵F00001,49,毕节客运,520500,7.5\n"
    ",55,无牌客运,慈溪,8\n"
    "浙B12346,abc,慈溪客运,慈溪,8\n"
    "浙B12347,55,慈溪客运,火星,8\n"
)
SLOTS_CSV = (
    "name,level,origin_station,destination_station,departs,arrives,seats,state\n"
    "慈溪号,city,贵阳北,余姚北,2020-02-20 14:00,2020-02-21 04:00,1060,granted\n"
    "周巷号,镇级,毕节,余姚北,2020-02-20 16:00,2020-02-20 15:00,1060,已批准\n"
    "观海卫号,town,火星站,余姚北,2020-02-20 16:00,2020-02-21 06:00,1060,granted\n"
    "远方号,town,贵阳北,余姚北,9999-12-31 22:00,9999-12-31 23:00,1060,granted\n"
)


def test_resource_imports_report_bad_rows_and_are_idempotent(taskforce, home_city):
    from homeward.apps.planning.imports import resource_import
    from homeward.apps.planning.models import HOME_BASE, Coach, TrainSlot

    r1 = resource_import(actor=taskforce, kind="coaches", source=io.BytesIO(COACHES_CSV.encode()))
    assert (r1["created"], r1["rejected_count"]) == (2, 3)
    assert Coach.objects.get(plate="浙B12345").base == HOME_BASE  # the home city, by its short name
    assert {(e["row"], e["field"], e["reason"]) for e in r1["rejected"]} == {
        (4, "plate", "required"), (5, "seats", "number"), (6, "base", "unknown_county"),
    }  # fmt: skip
    assert Coach.objects.get(plate="贵F00001").cost_per_km_fen == 750
    r2 = resource_import(actor=taskforce, kind="coaches", source=io.BytesIO(COACHES_CSV.encode()))
    assert (r2["created"], r2["updated"], r2["unchanged"]) == (0, 0, 2)
    s = resource_import(actor=taskforce, kind="train_slots", source=io.BytesIO(SLOTS_CSV.encode()))
    assert s["created"] == 1 and {e["reason"] for e in s["rejected"]} == {"date", "unknown_station"}
    far = next(e for e in s["rejected"] if e["row"] == 5)  # the calendar's edge: a range, not a 500
    assert far["field"] == "departs" and "2099-12-31" in far["message"], far
    slot = TrainSlot.objects.get()
    assert (slot.state, slot.origin_telecode, slot.destination_telecode) == ("granted", "KQW", "CTH")


def test_resource_imports_are_task_force_only_and_check_columns(enterprise_user, taskforce):
    from homeward.apps.planning.imports import resource_import
    from homeward.core.errors import DomainError, PermissionDenied

    with pytest.raises(PermissionDenied):
        resource_import(actor=enterprise_user, kind="coaches", source=io.BytesIO(COACHES_CSV.encode()))
    with pytest.raises(DomainError) as exc:
        resource_import(actor=taskforce, kind="drivers", source=io.BytesIO("姓名\n张三\n".encode()))
    assert exc.value.code == "missing_column"


def test_the_day_as_planned_keeps_the_applications_completed_since(campaign):
    """A plan now leaves out an application whose workers have all arrived; the day as it was planned
    (``as_planned``, the city bench's figure) keeps it, so it does not shrink with the hour."""
    from django.utils import timezone

    from homeward.apps.planning.services import DEFAULT_STOP, build_request

    done = campaign["a"]
    done.state = "completed"
    done.save(update_fields=["state"])
    now = timezone.now()
    now_ids = {a.id for a in build_request(now=now, seed=1, stop=DEFAULT_STOP).request.applications}
    planned = build_request(now=now, seed=1, stop=DEFAULT_STOP, as_planned=True)
    assert str(done.pk) not in now_ids
    assert {a.id for a in planned.request.applications} == now_ids | {str(done.pk)}
    assert planned.workers == sum(len(a.workers) for a in planned.request.applications) > 18
