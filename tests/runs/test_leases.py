"""Run leases: a run whose worker stopped beating is failed as abandoned by whoever looks next, and a
new run can start (issue #9, "runs stick forever")."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from homeward.apps.accounts.policy import WORKER
from homeward.apps.audit.models import AuditEvent
from homeward.apps.audit.runs import (
    RunLease,
    run_claim,
    run_lease,
    runs_expire,
    runs_expire_all,
)
from homeward.apps.planning.models import PlanRun, PlanVehicle
from homeward.apps.planning.services import plan_run_execute_now, plan_run_request
from tests.conftest import system_actor

pytestmark = pytest.mark.django_db

LEASE = 120  # the default HOMEWARD_RUN_LEASE_SECONDS


def _running_run(actor):
    run = plan_run_request(actor=actor, enqueue=False)
    assert run_claim(PlanRun, run.pk, progress=13, stage="solve")
    return run


def test_runs_stick_forever_a_run_without_heartbeat_for_a_lease_is_abandoned_and_a_new_plan_completes(
    campaign, taskforce
):
    stuck = _running_run(taskforce)
    with time_machine.travel(timezone.now() + timedelta(seconds=LEASE + 1)):
        fresh = plan_run_request(actor=taskforce, enqueue=False)
        assert fresh.pk != stuck.pk
        stuck.refresh_from_db()
        assert (stuck.state, stuck.error_code) == ("failed", "abandoned")
        assert "abandoned" in stuck.error and stuck.finished_at is not None
        event = AuditEvent.objects.get(action="run.abandoned", object_id=str(stuck.pk))
        assert (event.object_type, event.actor_id, event.data["was"]) == ("plan_run", taskforce.pk, "running")
        assert plan_run_execute_now(fresh.pk) == "done"
    assert PlanVehicle.objects.filter(run=fresh).exists()


def test_a_run_that_beat_within_its_lease_is_kept(campaign, taskforce):
    running = _running_run(taskforce)
    with time_machine.travel(timezone.now() + timedelta(seconds=LEASE - 5)):
        assert plan_run_request(actor=taskforce, enqueue=False).pk == running.pk
    running.refresh_from_db()
    assert running.state == "running" and not AuditEvent.objects.filter(action="run.abandoned").exists()


def test_a_run_stuck_from_before_leases_is_abandoned_by_its_start(campaign, taskforce):
    """The finding's run: running at 13 % with no heartbeat field set (it predates leases)."""
    stuck = _running_run(taskforce)
    PlanRun.objects.filter(pk=stuck.pk).update(
        heartbeat_at=None, started_at=timezone.now() - timedelta(days=2)
    )
    assert runs_expire(PlanRun, actor=system_actor()) == [stuck.pk]
    stuck.refresh_from_db()
    assert (stuck.state, stuck.error_code) == ("failed", "abandoned")


def test_a_beat_that_lands_between_the_look_and_the_update_keeps_the_run(campaign, taskforce):
    running = _running_run(taskforce)
    later = timezone.now() + timedelta(seconds=LEASE + 1)
    PlanRun.objects.filter(pk=running.pk).update(heartbeat_at=later)  # beaten just now (at ``later``)
    with time_machine.travel(later + timedelta(seconds=1)):
        assert runs_expire(PlanRun, actor=system_actor()) == []


class TestQueuedRuns:
    """A queued run is abandoned when no task can still start it."""

    def _queued_with_task(self, status, *, started_ago=0):
        from django_tasks_db.models import DBTaskResult

        run = plan_run_request(actor=system_actor(), enqueue=False)
        task = DBTaskResult.objects.create(
            args_kwargs={"args": [run.pk], "kwargs": {}},
            task_path="homeward.apps.planning.tasks.plan_run_execute",
            backend_name="default",
            status=status,
            started_at=timezone.now() - timedelta(seconds=started_ago) if started_ago else None,
        )
        PlanRun.objects.filter(pk=run.pk).update(task_id=str(task.pk))
        return run

    @pytest.mark.parametrize("status", ["FAILED", "SUCCESSFUL"])
    def test_its_task_ended_without_claiming_it(self, status):
        run = self._queued_with_task(status)
        assert runs_expire(PlanRun, actor=system_actor()) == [run.pk]
        assert PlanRun.objects.get(pk=run.pk).error_code == "abandoned"

    def test_its_task_started_a_lease_ago_and_never_claimed_it(self):
        run = self._queued_with_task("RUNNING", started_ago=LEASE + 1)
        assert runs_expire(PlanRun, actor=system_actor()) == [run.pk]

    def test_a_run_waiting_in_the_queue_is_kept_however_long(self):
        run = self._queued_with_task("READY")
        with time_machine.travel(timezone.now() + timedelta(days=1)):
            assert runs_expire(PlanRun, actor=system_actor()) == []
        assert PlanRun.objects.get(pk=run.pk).state == "queued"

    def test_a_run_never_enqueued_is_abandoned_after_a_lease(self):
        run = plan_run_request(actor=system_actor(), enqueue=False)
        assert runs_expire(PlanRun, actor=system_actor()) == []
        with time_machine.travel(timezone.now() + timedelta(seconds=LEASE + 1)):
            assert runs_expire(PlanRun, actor=system_actor()) == [run.pk]

    def test_its_task_row_is_gone(self):
        run = self._queued_with_task("READY")
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.all().delete()
        with time_machine.travel(timezone.now() + timedelta(seconds=LEASE + 1)):
            assert runs_expire(PlanRun, actor=system_actor()) == [run.pk]


def test_an_enqueued_run_records_its_task(taskforce, settings, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        run = plan_run_request(actor=taskforce)
    run.refresh_from_db()
    assert DBTaskResult.objects.get(pk=run.task_id).args_kwargs["args"] == [run.pk]


def test_stuck_imports_and_heat_map_rebuilds_are_abandoned_too(taskforce, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from homeward.apps.heatmap.models import HeatmapSnapshot
    from homeward.apps.heatmap.services import heatmap_rebuild_request
    from homeward.apps.registry.models import ImportRun
    from homeward.apps.registry.services import import_run_create

    settings.MEDIA_ROOT = tmp_path
    upload = b"\xe8\xba\xab\xe4\xbb\xbd\xe8\xaf\x81\xe5\x8f\xb7\n"  # "身份证号" header only

    def upload_it():
        return import_run_create(
            actor=taskforce, kind="police", uploaded_file=SimpleUploadedFile("p.csv", upload)
        )

    stuck_import = upload_it()
    stuck_snapshot = heatmap_rebuild_request(actor=taskforce)
    assert run_claim(ImportRun, stuck_import.pk) and run_claim(HeatmapSnapshot, stuck_snapshot.pk)
    assert upload_it().pk == stuck_import.pk  # idempotent while it holds its lease
    with time_machine.travel(timezone.now() + timedelta(seconds=LEASE + 1)):
        assert upload_it().pk != stuck_import.pk
        assert heatmap_rebuild_request(actor=taskforce).pk != stuck_snapshot.pk
    for run in (stuck_import, stuck_snapshot):
        run.refresh_from_db()
        assert (run.state, run.error_code) == ("failed", "abandoned")
    assert stuck_snapshot.built_at is not None and stuck_import.finished_at is not None


def test_the_sweep_covers_every_run_model(taskforce):
    from homeward.apps.audit.runs import run_models

    assert {m.audit_type for m in run_models()} == {
        "plan_run",
        "import_run",
        "heatmap_snapshot",
        "export_run",
        "campaign",  # letters home: sending runs as a leased run, resumed after a crash
    }
    stuck = _running_run(taskforce)
    with time_machine.travel(timezone.now() + timedelta(seconds=LEASE + 1)):
        assert runs_expire_all(actor=WORKER) == {"plan_run": [stuck.pk]}


def test_a_run_declared_abandoned_while_it_solved_stores_nothing(campaign, monkeypatch, planning_settings):
    """Frozen past its lease (declared abandoned meanwhile), the run wakes and finishes its solve:
    nothing of it is stored, not even its result file."""
    from homeward.apps.planning import services

    solve = services.core.plan_campaign

    def frozen_past_the_lease(request, **kw):
        PlanRun.objects.filter(state="running").update(heartbeat_at=timezone.now() - timedelta(hours=1))
        assert runs_expire(PlanRun, actor=WORKER)
        return solve(request, **kw)

    monkeypatch.setattr(services.core, "plan_campaign", frozen_past_the_lease)
    run = plan_run_request(actor=system_actor(), enqueue=False)
    assert plan_run_execute_now(run.pk) == "failed"
    run.refresh_from_db()
    assert (run.state, run.error_code) == ("failed", "abandoned")
    assert not PlanVehicle.objects.filter(run=run).exists()
    assert not (planning_settings / "plans" / f"run-{run.pk}.json.gz").exists()


def test_a_worker_told_to_stop_mid_run_fails_it_as_interrupted_at_once(taskforce):
    run = _running_run(taskforce)
    with pytest.raises(SystemExit), run_lease(PlanRun, run.pk):
        raise SystemExit(1)
    run.refresh_from_db()
    assert (run.state, run.error_code) == ("failed", "interrupted")


@pytest.mark.django_db(transaction=True)
def test_the_lease_thread_beats_and_writes_progress_on_its_own_connection(settings):
    """With a 0.6 s lease the thread beats every 0.1 s: the heartbeat moves forward and the progress
    handed to it lands in the row while the caller does not touch the database."""
    settings.HOMEWARD_RUN_LEASE_SECONDS = 0.6
    run = plan_run_request(actor=system_actor(), enqueue=False)
    assert run_claim(PlanRun, run.pk)
    claimed = PlanRun.objects.get(pk=run.pk).heartbeat_at
    with run_lease(PlanRun, run.pk) as lease:
        lease.progress(progress=42, stage="solve: buses")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            row = PlanRun.objects.get(pk=run.pk)
            if row.progress == 42 and row.heartbeat_at > claimed:
                break
            time.sleep(0.05)
    assert (row.progress, row.stage) == (42, "solve: buses") and row.heartbeat_at > claimed
    assert not [t for t in threading.enumerate() if t.name.startswith("lease-")]


def test_a_lease_notices_its_run_was_abandoned(taskforce):
    run = _running_run(taskforce)
    lease = RunLease(PlanRun, run.pk)
    lease.beat()
    assert not lease.lost
    PlanRun.objects.filter(pk=run.pk).update(state="failed", error_code="abandoned")
    lease.beat()
    assert lease.lost


def test_a_lease_whose_run_it_cannot_see_is_not_lost(taskforce):
    """Only a run declared abandoned is taken away: a row the beat's connection cannot see (deleted,
    or still inside the caller's open transaction) leaves the work going."""
    run = _running_run(taskforce)
    lease = RunLease(PlanRun, run.pk)
    PlanRun.objects.filter(pk=run.pk).delete()
    lease.beat()
    assert not lease.lost


@pytest.mark.parametrize("finished", [{"state": "done"}, {"state": "failed", "error_code": "interrupted"}])
def test_a_beat_after_its_own_run_finished_is_not_a_lost_lease(taskforce, caplog, finished):
    """A beat blocked behind the transaction that finishes the run lands after it: the run was not
    taken away, so no warning says so (every city demo's heat map logged one)."""
    run = _running_run(taskforce)
    lease = RunLease(PlanRun, run.pk)
    PlanRun.objects.filter(pk=run.pk).update(**finished)
    with caplog.at_level("WARNING", logger="homeward.apps.audit.runs"):
        lease.beat()
    assert not lease.lost and not caplog.records


def test_the_admin_shows_the_lease_fields_read_only(admin_client, taskforce):
    from django.urls import reverse

    from homeward.apps.heatmap.services import heatmap_rebuild_request
    from homeward.apps.registry.models import ImportRun

    runs = [
        _running_run(taskforce),
        heatmap_rebuild_request(actor=taskforce),
        ImportRun.objects.create(kind="roster", state="failed", error_code="abandoned"),
    ]
    for run in runs:
        opts = run._meta
        change = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[run.pk]))
        listing = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert change.status_code == listing.status_code == 200
        form = change.context["adminform"].form
        assert not {"heartbeat_at", "error_code", "task_id", "started_at"} & set(form.fields)
