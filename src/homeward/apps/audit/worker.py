"""The task worker: django-tasks-db's worker, made to outlive the database and to show it is alive.

- It survives a database that is locked past its timeout or away: django-tasks-db's loop lets such an
  error escape (taking a lock at the claim, recording a result), which ended the process; here the
  loop is entered again after a backoff, and a task result that could not be recorded is recorded as
  failed once the database is back.
- A thread beats the worker's ``WorkerHeartbeat`` row every lease / 6 seconds (``/healthz`` reads it)
  and sweeps: runs that lost their lease are failed as abandoned (``runs_expire_all``), task rows left
  ``RUNNING`` by a worker that stopped beating are failed, old heartbeat rows are dropped. It sweeps
  once at start-up, then with every beat.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from homeward.apps.accounts.policy import WORKER
from homeward.apps.audit.models import WorkerHeartbeat
from homeward.apps.audit.runs import Beater, beat_seconds, lease_seconds, runs_expire_all
from homeward.dbfaults import DB_UNAVAILABLE, backoff

log = logging.getLogger(__name__)

WORKER_LOST = "homeward.apps.audit.worker.WorkerLost"
# Seconds without a database error after which an outage counts as over (the backoff starts again),
# and the longest wait between two tries while it lasts (the queue is polled again soon after).
RESET_BACKOFF_AFTER = 60.0
WAIT_CAP = 10.0


def live_worker_ids(now: Any = None) -> set[str]:
    cutoff = (now or timezone.now()) - timedelta(seconds=lease_seconds())
    return set(WorkerHeartbeat.objects.filter(beat_at__gte=cutoff).values_list("worker_id", flat=True))


def orphaned_tasks_fail() -> int:
    """Fail the task rows left running by a worker that stopped beating (they are never picked up
    again); returns how many."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=lease_seconds())
    live = live_worker_ids(now)
    failed = 0
    for task in DBTaskResult.objects.filter(status="RUNNING", started_at__lt=cutoff).only("pk", "worker_ids"):
        worker = task.worker_ids[-1] if task.worker_ids else ""
        if worker in live:
            continue
        failed += DBTaskResult.objects.filter(pk=task.pk, status="RUNNING").update(
            status="FAILED",
            finished_at=now,
            exception_class_path=WORKER_LOST,
            traceback=f"worker {worker or '?'} stopped beating; the task was abandoned",
        )
    return failed


def sweep() -> None:
    """Abandon runs and task rows whose worker is gone; drop heartbeat rows a day old."""
    runs_expire_all(actor=WORKER)
    if n := orphaned_tasks_fail():
        log.warning("failed %d task(s) left running by a worker that stopped", n)
    WorkerHeartbeat.objects.filter(beat_at__lt=timezone.now() - timedelta(days=1)).delete()


class WorkerBeat:
    """The thread that keeps a worker's heartbeat row fresh and sweeps (see the module docstring)."""

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id[:64]
        self.started_at = timezone.now()
        self._beater = Beater("worker-beat", self._beat_or_log, beat_seconds(), immediately=True)

    def beat_once(self) -> None:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"pid": os.getpid(), "started_at": self.started_at, "beat_at": timezone.now()},
        )
        sweep()

    def _beat_or_log(self) -> None:
        try:
            self.beat_once()
        except DatabaseError as exc:
            log.warning("worker heartbeat or sweep failed (%s); again in %.0f s", exc, beat_seconds())
            close_old_connections()

    def start(self) -> None:
        self._beater.start()

    def stop(self) -> None:
        """Stop beating and remove the row, so that /healthz does not count a worker that left."""
        self._beater.stop(timeout=5)
        with contextlib.suppress(DatabaseError):  # else the row ages out of the lease
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()


class ResilientWorker(Worker):
    """django-tasks-db's ``Worker`` that waits out an unavailable database instead of exiting."""

    def run(self) -> None:
        beat = WorkerBeat(self.worker_id)
        beat.start()
        delays, last_error = backoff(cap=WAIT_CAP), 0.0
        try:
            while self.running:
                try:
                    super().run()
                    return
                except DB_UNAVAILABLE as exc:
                    if time.monotonic() - last_error > RESET_BACKOFF_AFTER:
                        delays = backoff(cap=WAIT_CAP)  # a new outage starts from the shortest wait
                    last_error = time.monotonic()
                    self._wait_for_database(exc, next(delays))
        finally:
            beat.stop()

    def run_task(self, db_task_result: DBTaskResult[Any, Any]) -> None:
        try:
            super().run_task(db_task_result)
        except DB_UNAVAILABLE as exc:
            # the task ran (its run recorded itself or will be abandoned) but its result row could not
            # be written: write it as failed once the database answers, so it does not stay RUNNING
            for delay in backoff(cap=WAIT_CAP):
                self._wait_for_database(exc, delay)
                try:
                    db_task_result.set_failed(exc)
                    return
                except DB_UNAVAILABLE as again:
                    exc = again

    def _wait_for_database(self, exc: BaseException, delay: float) -> None:
        log.warning("task worker: database unavailable (%s); retrying in %.1f s", exc, delay)
        for conn in connections.all(initialized_only=True):
            conn.close()
        time.sleep(delay)
