"""Registry exports as background runs: asked for on a page, built by the task worker with progress,
downloaded by the one who asked. The rows are the ones the list shows its reader (its scope, its
filters, personal data masked by ``person_out``); the export is audited once with its row count."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from homeward.apps.accounts.policy import authorize
from homeward.apps.audit.runs import (
    ACTIVE_STATES,
    run_claim,
    run_enqueue,
    run_fail,
    run_finish_or_abandon,
    run_lease,
    runs_expire,
)
from homeward.apps.audit.services import audit_record
from homeward.apps.registry import selectors
from homeward.apps.registry.models import ExportRun
from homeward.apps.registry.personal_data import audit_list_read, person_out
from homeward.core.errors import Conflict, DomainError
from homeward.core.ingest.export import xlsx_bytes

log = logging.getLogger(__name__)

WORKER_HEADERS = ["姓名", "身份证号(脱敏)", "手机号(脱敏)", "籍贯", "企业", "状态"]
# rows between progress writes (each is one UPDATE on the lease's own connection, at most 2 a second)
PROGRESS_ROWS = 5_000


def _filters(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The list's filters that are set: ``enterprise`` (an id), ``status``, ``q`` (a search)."""
    enterprise = str(raw.get("enterprise") or "")
    out: dict[str, Any] = {
        "enterprise": int(enterprise) if enterprise.isdigit() and len(enterprise) < 19 else None,
        "status": str(raw.get("status") or "")[:20],
        "q": str(raw.get("q") or "").strip()[:100],
    }
    return {k: v for k, v in out.items() if v}


def _workers(actor: Any, filters: Mapping[str, Any]) -> Any:
    return selectors.worker_list(
        actor=actor,
        enterprise_id=filters.get("enterprise"),
        status=filters.get("status", ""),
        search=filters.get("q", ""),
    ).select_related("employer")


def export_run_request(*, actor: Any, filters: Mapping[str, Any]) -> ExportRun:
    """Queue an export of the workers list as ``actor`` sees it with ``filters``. The same request
    while one is queued or running returns that one (a double click starts nothing twice); a filter
    the actor may not use (an ID-number search without personal-data rights) is refused now."""
    authorize(actor, "registry.export")
    clean = _filters(filters)
    _workers(actor, clean)  # refuses (and audits) a search the role may not make, before queueing
    runs_expire(ExportRun, actor=actor)
    with transaction.atomic():
        active = (
            ExportRun.objects.select_for_update()
            .filter(created_by=actor, kind=ExportRun.Kind.WORKERS, filters=clean, state__in=ACTIVE_STATES)
            .first()
        )
        if active is not None:
            return active
        run = ExportRun.objects.create(created_by=actor, kind=ExportRun.Kind.WORKERS, filters=clean)
        audit_record(
            actor=actor, action="export.request", object_type="export_run", object_id=run.pk,
            data={"kind": run.kind, "filters": clean},
        )  # fmt: skip
        run_id = run.pk
        transaction.on_commit(lambda: _enqueue(run_id))
    return run


def _enqueue(run_id: int) -> None:
    from homeward.apps.registry.tasks import export_run_execute

    run_enqueue(ExportRun, run_id, export_run_execute)


def _rows(qs: Any, progress: Any) -> Iterator[list[Any]]:
    done = 0
    for w in qs.iterator(chunk_size=2000):
        person = person_out(w)
        yield [
            w.name, person.id_number, person.phone, person.origin_name,
            w.employer.name if w.employer else "", w.get_status_display(),
        ]  # fmt: skip
        done += 1
        if done % PROGRESS_ROWS == 0:
            progress(done)
    progress(done)


def export_run_execute_now(run_id: int) -> str:
    """Build a queued export (queued → running under a lease → done/failed); returns the final
    state, or ``"skipped"`` when it was not queued. Runs as its creator: the rows are exactly those
    the creator's list shows now."""
    if not run_claim(ExportRun, run_id):
        return "skipped"
    run = ExportRun.objects.select_related("created_by__profile").get(pk=run_id)
    actor = run.created_by
    with run_lease(ExportRun, run_id) as lease:
        try:
            qs = _workers(actor, run.filters)
            total = qs.count()
            lease.progress(rows_total=total)
            written = [0]

            def progress(done: int) -> None:
                written[0] = done
                lease.progress(rows_done=done)

            content = xlsx_bytes(WORKER_HEADERS, _rows(qs, progress), sheet="务工人员")
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            with transaction.atomic():
                run.file.save(f"workers-{stamp}-{run_id}.xlsx", ContentFile(content), save=False)
                ExportRun.objects.filter(pk=run_id).update(file=run.file.name)
                audit_list_read(actor=actor, what="worker", rows=written[0], filters=run.filters, export=True)
                run_finish_or_abandon(
                    ExportRun, run_id, state=ExportRun.State.DONE, rows_total=total, rows_done=written[0]
                )
        except Exception as exc:
            if not isinstance(exc, DomainError):
                log.exception("export run %s failed", run_id)
            run_fail(ExportRun, run_id, exc)
            return ExportRun.State.FAILED.value
    return ExportRun.State.DONE.value


def export_run_download(*, actor: Any, export_id: int) -> ExportRun:
    """The actor's finished export, its download audited."""
    run = selectors.export_run_get(actor=actor, export_id=export_id)
    if run.state != ExportRun.State.DONE or not run.file:
        raise Conflict("导出尚未完成 (the export is not finished)", "export_not_ready")
    audit_record(actor=actor, action="export.download", object_type="export_run", object_id=run.pk)
    return run
