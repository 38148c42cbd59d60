"""The life of a background run (an import run, a heat-map snapshot, a plan run): queued → running →
done/failed, in a ``state`` field holding those values, under a lease.

- **Claim.** A task claims its run once with a conditional UPDATE (DESIGN §3), so a task delivered
  twice, or two workers handed the same id, run it once. The claim sets ``started_at`` and
  ``heartbeat_at``.
- **Lease.** While a run works, a thread of its process (``run_lease``) beats ``heartbeat_at`` every
  ``lease / 6`` seconds and writes the run's progress on its own connection, so a solver or an import
  inside a long transaction never waits on a progress write, and progress shows while it works.
- **Abandoned.** A running run whose heartbeat is older than ``HOMEWARD_RUN_LEASE_SECONDS`` has lost
  its process (killed, out of memory, machine gone); a queued run whose task ended, vanished or was
  never enqueued will never start. Whoever looks next — the next request for a run, a task worker
  starting, the worker's periodic sweep — marks it ``failed`` with ``error_code="abandoned"``
  (``runs_expire``), and a new run can start.
- **Finish.** The last write of a run (done, or failed) is conditional on it still being ``running``:
  a run that was declared abandoned while it was, say, frozen stores nothing when it wakes up.

Abandoned runs are failed, not retried. django-tasks-db has no redelivery (a task row whose worker
died stays ``RUNNING`` for ever), so a retry would be ours to build; the usual reason a worker dies in
a run is the run itself (memory, the solver), which a retry would repeat; and the inputs are live —
a plan or a heat map asked for again reads today's data, which an old retry would not. Every run
writes its result in one transaction, so a failed run leaves nothing half-written, and the request
services are idempotent: asking again starts a fresh run.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connections, models
from django.db.models.functions import Coalesce
from django.utils import timezone

from homeward.core.errors import Conflict, DomainError
from homeward.core.forking import mark_fork_safe
from homeward.dbfaults import DB_UNAVAILABLE, db_retry

log = logging.getLogger(__name__)

ACTIVE_STATES = ("queued", "running")
ABANDONED = "abandoned"
# Progress is written at most this often (seconds); the heartbeat at least every lease / 6.
PROGRESS_EVERY = 0.5


class LeasedRun(models.Model):
    """The fields every background run carries beside its own ``state``, ``error`` and finish time
    (named by ``finished_field``); ``audit_type`` names it in audit events."""

    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The django.tasks result id of the task that runs it (empty until enqueued).
    task_id = models.CharField(max_length=64, blank=True)
    # Why it failed, stable for machines: "abandoned", "stale", "interrupted", "db_unavailable",
    # "internal", or a DomainError code; ``error`` keeps the message for people.
    error_code = models.CharField(max_length=32, blank=True)

    audit_type: ClassVar[str] = ""
    finished_field: ClassVar[str] = "finished_at"

    class Meta:
        abstract = True


# Read-only in the admin: only the run's own process and the sweep write them.
LEASE_FIELDS = ["started_at", "heartbeat_at", "task_id", "error_code"]


def lease_seconds() -> float:
    return float(settings.HOMEWARD_RUN_LEASE_SECONDS)


def beat_seconds() -> float:
    """How often a running run (and a task worker) shows it is alive."""
    return lease_seconds() / 6


def run_models() -> list[type[LeasedRun]]:
    return [m for m in apps.get_models() if issubclass(m, LeasedRun)]


def _rows(model: type[LeasedRun]) -> Any:
    """The run rows of ``model`` (each run model declares its own ``state``, ``error`` and times)."""
    return model._default_manager


# ----------------------------------------------------------------------------------- enqueue, claim


def run_enqueue(model: type[LeasedRun], pk: Any, task: Any) -> None:
    """Enqueue ``task(pk)`` and record the task's id on the run (called on commit)."""
    result = task.enqueue(pk)
    _rows(model).filter(pk=pk).update(task_id=str(result.id)[:64])


def run_claim(model: type[LeasedRun], pk: Any, **fields: Any) -> bool:
    """queued → running for the run ``pk`` of ``model``, setting ``fields`` in the same UPDATE.
    True for the one caller that claimed it; False when it was not queued (claimed, done, gone)."""
    now = timezone.now()
    return bool(
        _rows(model)
        .filter(pk=pk, state="queued")
        .update(state="running", started_at=now, heartbeat_at=now, **fields)
    )


# ------------------------------------------------------------------------------------------- lease


class Beater:
    """A daemon thread calling ``beat()`` every ``every`` seconds, or sooner when woken (but at most
    once per ``gap`` seconds), on a database connection of its own, until stopped; the first call at
    once when ``immediately``."""

    def __init__(
        self,
        name: str,
        beat: Callable[[], None],
        every: float,
        *,
        gap: float = 0.0,
        immediately: bool = False,
    ) -> None:
        self._beat = beat
        self.every = every
        self.gap = gap
        self.immediately = immediately
        self._wake = threading.Event()
        self._stop = threading.Event()
        # the planner may fork beside it (``homeward.core.forking``): it holds nothing a child uses
        self._thread = mark_fork_safe(threading.Thread(target=self._loop, name=name, daemon=True))

    def _loop(self) -> None:
        try:
            if self.immediately:
                self._beat()
            while not self._stop.is_set():
                self._wake.wait(self.every)
                self._wake.clear()
                if self._stop.is_set():
                    return
                self._beat()
                self._stop.wait(self.gap)
        finally:
            connections.close_all()  # this thread's connections only

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float) -> None:
        """Stop; a beat blocked on a locked database is left to finish on its own (after ``timeout``)."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)


class RunLease:
    """The heartbeat of one running run, beaten by a thread of the process that runs it.

    ``progress(**fields)`` hands fields (progress, stage, rows done) to the thread, which writes them
    with the next beat, at most every ``PROGRESS_EVERY`` seconds; the caller never waits on the
    database. A beat that fails (database locked or away) is logged and tried again on the next one.
    """

    def __init__(self, model: type[LeasedRun], pk: Any, *, every: float | None = None) -> None:
        self.model = model
        self.pk = pk
        self.lost = False  # a beat found the run no longer running (declared abandoned)
        self._pending: dict[str, Any] = {}
        self._lock = threading.Lock()
        every = beat_seconds() if every is None else every
        self._beater = Beater(f"lease-{model.__name__}-{pk}", self.beat, every, gap=PROGRESS_EVERY)

    def progress(self, **fields: Any) -> None:
        with self._lock:
            self._pending.update(fields)
        self._beater.wake()

    def beat(self) -> None:
        """Write the heartbeat and the pending progress now (on the calling thread's connection)."""
        with self._lock:
            fields, self._pending = self._pending, {}
        try:
            updated = (
                _rows(self.model)
                .filter(pk=self.pk, state="running")
                .update(heartbeat_at=timezone.now(), **fields)
            )
        except DatabaseError as exc:
            with self._lock:  # keep the progress for the next beat unless newer arrived
                self._pending = {**fields, **self._pending}
            log.warning("%s #%s: heartbeat not written (%s)", self.model.__name__, self.pk, exc)
            return
        if updated or self.lost:
            return
        # Not running: finished by its own process (a beat blocked behind the finishing transaction
        # lands after it, as the city demo's heat map did on SQLite), or declared abandoned. A row
        # this connection cannot see at all is not taken away either: deleted (its work finds nothing
        # left to do), or not committed yet by a caller whose transaction is still open (every
        # campaign sent inside a test's transaction on PostgreSQL was 'abandoned' after its first beat)
        error_code = _rows(self.model).filter(pk=self.pk).values_list("error_code", flat=True).first()
        if error_code == ABANDONED:
            self.lost = True
            log.warning("%s #%s: no longer running; its lease is lost", self.model.__name__, self.pk)

    def start(self) -> None:
        self._beater.start()

    def stop(self) -> None:
        # a beat still blocked on a locked database only ever touches a running run
        self._beater.stop(timeout=2)


@contextmanager
def run_lease(model: type[LeasedRun], pk: Any) -> Iterator[RunLease]:
    """Beat the lease of the claimed run ``pk`` while the block runs. When the worker is told to stop
    in the middle (SystemExit, KeyboardInterrupt), the run is failed as ``interrupted`` at once rather
    than waiting out its lease. (The block records its own failures; an error that escapes it, such as
    a database still away, leaves the run to its lease.)"""
    lease = RunLease(model, pk)
    lease.start()
    try:
        yield lease
    except (KeyboardInterrupt, SystemExit) as exc:
        lease.stop()  # before the last write, so that no beat follows it
        message = "任务进程被停止 (the worker was stopped during the run)"
        try:
            run_finish(
                model, pk, state="failed", error_code="interrupted", error=f"{message}: {exc!r}"[:2000]
            )
        except DatabaseError:
            log.warning("%s #%s: could not be marked interrupted; its lease will expire", model.__name__, pk)
        raise
    finally:
        lease.stop()


# ------------------------------------------------------------------------------------------ finish


def run_finish(model: type[LeasedRun], pk: Any, **fields: Any) -> bool:
    """running → ``fields`` (their ``state``), stamping the finish time; True when this caller still
    held the run, False when it had been finished or declared abandoned meanwhile."""
    fields.setdefault(model.finished_field, timezone.now())
    return bool(_rows(model).filter(pk=pk, state="running").update(**fields))


def run_finish_or_abandon(model: type[LeasedRun], pk: Any, **fields: Any) -> None:
    """``run_finish`` inside the transaction that stores the run's result: when the run is no longer
    held the transaction is rolled back (nothing of the result stays)."""
    if not run_finish(model, pk, **fields):
        raise Conflict(
            "运行已被判定为中断，结果未保存 (the run was declared abandoned; its result was not stored)",
            ABANDONED,
        )


def run_error(exc: BaseException) -> str:
    """The error a failed run keeps: the exception's type and message, at most 2,000 characters."""
    return f"{type(exc).__name__}: {exc}"[:2000]


def failure_of(exc: BaseException) -> tuple[str, str]:
    """(error_code, error) for a run that failed with ``exc``."""
    if isinstance(exc, DomainError):
        return exc.code[:32], exc.message[:2000]
    if isinstance(exc, DB_UNAVAILABLE):
        return "db_unavailable", run_error(exc)
    return "internal", run_error(exc)


def run_fail(model: type[LeasedRun], pk: Any, exc: BaseException, **fields: Any) -> bool:
    """Record that the run failed with ``exc`` (waiting out a locked or absent database up to the
    lease; after that the lease expires and the run is abandoned by whoever looks)."""
    code, message = failure_of(exc)
    return db_retry(
        lambda: run_finish(model, pk, state="failed", error_code=code, error=message, **fields),
        budget=lease_seconds(),
        what=f"{model.__name__} #{pk} failed",
    )


# ------------------------------------------------------------------------------------------ expiry


def _abandon(model: type[LeasedRun], pk: Any, state: str, message: str, *, actor: Any, **match: Any) -> bool:
    from homeward.apps.audit.services import audit_record

    now = timezone.now()
    updated = (
        _rows(model)
        .filter(pk=pk, state=state, **match)
        .update(state="failed", error_code=ABANDONED, error=message, **{model.finished_field: now})
    )
    if updated:
        audit_record(
            actor=actor, action="run.abandoned", object_type=model.audit_type, object_id=pk,
            data={"was": state, "message": message},
        )  # fmt: skip
    return bool(updated)


def runs_expire(model: type[LeasedRun], *, actor: Any, now: datetime | None = None) -> list[Any]:
    """Fail as ``abandoned`` every run of ``model`` that can no longer finish; returns their ids.

    Running: no heartbeat (or, for runs from before leases, start or creation) within the lease.
    Queued: its task failed, finished or is gone; its task has been running past the lease without
    claiming it (the worker died in between); or it was never enqueued within the lease. A queued run
    whose task waits in the queue is left alone, however long the queue.
    """
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=lease_seconds())
    manager = _rows(model)
    expired: list[Any] = []
    running = (
        manager.filter(state="running")
        .annotate(seen=Coalesce("heartbeat_at", "started_at", "created_at"))
        .filter(seen__lt=cutoff)
        .values_list("pk", "heartbeat_at", "seen")
    )
    for pk, heartbeat_at, seen in running:
        message = (
            f"任务进程已停止，最后心跳 {timezone.localtime(seen):%Y-%m-%d %H:%M:%S}，本次运行作废，可重新发起 "
            "(the worker stopped; the run was abandoned and a new one can start)"
        )
        # unchanged since read: a beat that landed meanwhile keeps the run
        same = {"heartbeat_at": heartbeat_at} if heartbeat_at else {"heartbeat_at__isnull": True}
        if _abandon(model, pk, "running", message, actor=actor, **same):
            expired.append(pk)
    queued = list(manager.filter(state="queued").values_list("pk", "task_id", "created_at"))
    tasks = {
        str(t.pk): t
        for t in DBTaskResult.objects.filter(pk__in=[tid for _, tid, _ in queued if _is_uuid(tid)]).only(
            "pk", "status", "started_at"
        )
    }
    for pk, task_id, created_at in queued:
        task = tasks.get(task_id)
        if task is not None:
            dead = task.status in ("FAILED", "SUCCESSFUL") or (
                task.status == "RUNNING" and task.started_at is not None and task.started_at < cutoff
            )
        else:  # never enqueued, or its task row is gone
            dead = created_at < cutoff
        message = "任务未能启动，本次运行作废，可重新发起 (the task never started the run; it was abandoned and a new one can start)"
        if dead and _abandon(model, pk, "queued", message, actor=actor, task_id=task_id):
            expired.append(pk)
    if expired:
        log.warning("%s: abandoned %s", model.__name__, expired)
    return expired


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def runs_expire_all(*, actor: Any) -> dict[str, list[Any]]:
    """``runs_expire`` over every run model."""
    return {m.audit_type: ids for m in run_models() if (ids := runs_expire(m, actor=actor))}
