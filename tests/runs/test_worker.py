"""The task worker: outlives a locked or absent database, records results it could not write, beats
a heartbeat and sweeps what dead workers left behind (issue #9: "a database lock held > 30 s crashes
the worker")."""

from __future__ import annotations

import signal
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from homeward.apps.audit import worker as worker_module
from homeward.apps.audit.models import WorkerHeartbeat
from homeward.apps.audit.worker import ResilientWorker, WorkerBeat, orphaned_tasks_fail
from homeward.apps.planning.models import PlanRun
from homeward.apps.planning.services import plan_run_request
from tests.conftest import system_actor

pytestmark = pytest.mark.django_db(transaction=True)

LEASE = 120


@pytest.fixture
def db_backend(settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def no_sleep(monkeypatch):
    """The worker's waits, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(worker_module.time, "sleep", slept.append)
    return slept


def _worker(**kw):
    options = {
        "queue_names": ["default"], "interval": 0, "batch": True, "backend_name": "default",
        "startup_delay": False, "max_tasks": None, "worker_id": "test-worker", "excluded_queue_names": [],
    }  # fmt: skip
    return ResilientWorker(**{**options, **kw})


def test_a_database_locked_at_the_claim_is_waited_out_and_the_task_then_runs(
    campaign, db_backend, monkeypatch, no_sleep
):
    from django_tasks_db.management.commands import db_worker

    run = plan_run_request(actor=system_actor())
    real = db_worker.exclusive_transaction
    calls = {"n": 0}

    def locked_twice(using=None):
        calls["n"] += 1
        if calls["n"] <= 2:  # BEGIN EXCLUSIVE fails before django-tasks-db's own guard
            raise OperationalError("database is locked")
        return real(using)

    monkeypatch.setattr(db_worker, "exclusive_transaction", locked_twice)
    _worker().run()
    assert no_sleep[:2] == [0.5, 1.0]
    assert PlanRun.objects.get(pk=run.pk).state == "done"
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_result_that_could_not_be_written_is_written_as_failed_once_the_database_answers(
    campaign, db_backend, monkeypatch, no_sleep
):
    plan_run_request(actor=system_actor())
    failed_writes = {"n": 0}
    real_set_failed = DBTaskResult.set_failed

    def lost_connection(self, value):
        raise OperationalError("server closed the connection unexpectedly")

    def set_failed_when_back(self, exc):
        failed_writes["n"] += 1
        if failed_writes["n"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_set_failed(self, exc)

    monkeypatch.setattr(DBTaskResult, "set_successful", lost_connection)
    monkeypatch.setattr(DBTaskResult, "set_failed", set_failed_when_back)
    _worker().run()  # returns: the worker was not taken down
    task = DBTaskResult.objects.get()
    assert task.status == "FAILED" and task.exception_class_path.endswith("OperationalError")
    assert failed_writes["n"] == 2 and no_sleep


def test_task_rows_left_running_by_a_worker_that_stopped_beating_are_failed():
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="alive", pid=1, started_at=now, beat_at=now)

    def running_task(worker_id):
        return DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}}, task_path="x.y", backend_name="default",
            status="RUNNING", started_at=now - timedelta(seconds=LEASE + 1), worker_ids=[worker_id],
        )  # fmt: skip

    dead, alive = running_task("killed"), running_task("alive")
    assert orphaned_tasks_fail() == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.status, alive.status) == ("FAILED", "RUNNING")
    assert dead.exception_class_path == worker_module.WORKER_LOST and "killed" in dead.traceback


def test_a_worker_beats_and_sweeps_a_dead_workers_run_at_start(campaign):
    stuck = plan_run_request(actor=system_actor(), enqueue=False)
    PlanRun.objects.filter(pk=stuck.pk).update(
        state="running", started_at=timezone.now() - timedelta(days=1), heartbeat_at=None
    )
    beat = WorkerBeat("w-start")
    beat.beat_once()
    assert WorkerHeartbeat.objects.get(worker_id="w-start").beat_at > timezone.now() - timedelta(seconds=5)
    assert PlanRun.objects.get(pk=stuck.pk).error_code == "abandoned"
    beat.stop()
    assert not WorkerHeartbeat.objects.filter(worker_id="w-start").exists()  # gone when it leaves


def test_homeward_worker_runs_the_queue(campaign, db_backend):
    run = plan_run_request(actor=system_actor())
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("task_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)
    run.refresh_from_db()
    assert run.state == "done" and run.task_id == str(DBTaskResult.objects.get().pk)
