"""An application's worker list: an uploaded file merged row by row, workers added by hand or
picked from the roster, removed or replaced. Each hold is checked first (``holds``); once the
application is submitted the changes are tracked (new rows plus ``removed_at``), not edited in place.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from homeward.apps.accounts.policy import authorized
from homeward.apps.applications.models import (
    TRACKED_STATES,
    ApplicationState,
    ApplicationWorker,
    ReturnApplication,
)
from homeward.apps.applications.services.holds import (
    NOT_ON_ROSTER,
    _held_meanwhile,
    _high_risk,
    _refusals,
    _roster_ids,
)
from homeward.apps.applications.services.lifecycle import drafts_expire
from homeward.apps.applications.services.states import _APPLICATIONS, _audit, _state_error
from homeward.apps.applications.worker_rows import WorkerRow, check_rows, read_worker_table
from homeward.apps.registry.models import Worker
from homeward.apps.registry.services.imports import upload_refused
from homeward.apps.registry.uploads import sync_limits
from homeward.core.errors import Conflict, DomainError, NotFound
from homeward.core.identity import mask_ric
from homeward.core.ingest import RowError


def _new_row(app: ReturnApplication, rec: WorkerRow, roster: Mapping[str, int]) -> ApplicationWorker:
    worker_id = roster.get(rec.id_number)
    return ApplicationWorker(
        application=app,
        worker_id=worker_id,
        id_number=rec.id_number,
        name=rec.name,
        phone=rec.phone,
        origin_code=rec.origin_code,
        pickup_county_code=rec.pickup_county_code,
        health_code=rec.health_code,
        new_hire=worker_id is None,
        new_hire_reason=rec.new_hire_reason if worker_id is None else "",
        source_row=rec.row or None,
    )


def _editable(actor: Any, application_id: int) -> ReturnApplication:
    app = authorized(actor, "application.edit", _APPLICATIONS, application_id)
    if app.state not in (ApplicationState.DRAFT, *TRACKED_STATES) or app.is_expired_draft:
        raise _state_error(app, "修改名单")
    return app


def application_workers_upload(
    *,
    actor: Any,
    application_id: int,
    source: str | os.PathLike[str] | IO[bytes] | None,
    file_name: str = "",
) -> dict[str, Any]:
    """Check an uploaded list row by row and merge the valid rows into the draft's worker list: a
    row whose ID number is on the list updates that worker, any other row adds one, and workers
    the file does not name stay (re-uploading two corrected rows keeps the other eight).

    Returns ``{accepted, added, updated, unchanged, kept, rejected: [{row, field, reason,
    message}], rejected_count}``. A file-level problem (none, a limit, missing columns, unreadable)
    raises DomainError before anything changes."""
    app = authorized(actor, "application.edit", _APPLICATIONS, application_id)
    if app.state != ApplicationState.DRAFT or app.is_expired_draft:
        raise _state_error(app, "上传名单")
    if source is None:
        raise DomainError("请选择文件 (choose a .xlsx or .csv file)", "required")
    try:
        raw = list(read_worker_table(source, sync_limits()))  # type: ignore[arg-type]
    except DomainError as exc:
        upload_refused(actor, exc, what="application.upload", name=file_name)
        raise
    results = list(check_rows(raw, today=timezone.localdate(), high_risk=_high_risk()))
    drafts_expire()
    refused = _refusals(app, (r for r in results if isinstance(r, WorkerRow)))
    good = [r for r in results if isinstance(r, WorkerRow) and r.id_number not in refused]
    errors = [r for r in results if isinstance(r, RowError)]
    errors += [
        RowError(r.row, "id_number", *refused[r.id_number])
        for r in results
        if isinstance(r, WorkerRow) and r.id_number in refused
    ]
    rejected = [e.as_dict() for e in sorted(errors, key=lambda e: e.row)]
    try:
        with transaction.atomic():
            locked = ReturnApplication.objects.select_for_update().get(pk=app.pk)
            if locked.state != ApplicationState.DRAFT or locked.is_expired_draft:
                raise _state_error(locked, "上传名单")
            merged = _merge_rows(app, good)
            _audit(
                actor, "application.upload", app, file=file_name[:200], rejected=len(rejected),
                holds_refused=dict(Counter(reason for reason, _message in refused.values())), **merged,
            )  # fmt: skip
    except IntegrityError as exc:
        raise _held_meanwhile(exc) from exc
    return {"accepted": len(good), **merged, "rejected": rejected, "rejected_count": len(rejected)}


_MERGED_FIELDS = (
    "name",
    "phone",
    "origin_code",
    "pickup_county_code",
    "health_code",
    "new_hire",
    "new_hire_reason",
    "source_row",
    "worker_id",
)


def _merge_rows(app: ReturnApplication, good: list[WorkerRow]) -> dict[str, int]:
    """Add or update the draft's rows by ID number; counts of added, updated, unchanged and kept
    (the new hires among the added and updated)."""
    current = {row.id_number: row for row in ApplicationWorker.objects.filter(application=app, active=True)}
    roster = _roster_ids(app, (r.id_number for r in good))
    new_rows, changed = [], []
    for rec in good:
        fresh = _new_row(app, rec, roster)
        row = current.pop(rec.id_number, None)
        if row is None:
            new_rows.append(fresh)
        elif any(getattr(row, f) != getattr(fresh, f) for f in _MERGED_FIELDS):
            for f in _MERGED_FIELDS:
                setattr(row, f, getattr(fresh, f))
            changed.append(row)
    ApplicationWorker.objects.bulk_create(new_rows)
    ApplicationWorker.objects.bulk_update(changed, list(_MERGED_FIELDS))
    unchanged = len(good) - len(new_rows) - len(changed)
    return {
        "added": len(new_rows),
        "updated": len(changed),
        "unchanged": unchanged,
        "kept": len(current),
        "new_hires": sum(r.new_hire for r in (*new_rows, *changed)),
    }


def _check_one(
    actor: Any, app: ReturnApplication, values: Mapping[str, object], high_risk: Callable[[str], bool]
) -> WorkerRow:
    """The row, checked as an uploaded one; a refused hold is audited (masked ID), so that probing
    shows in the audit log."""
    (result,) = list(check_rows([(0, values)], today=timezone.localdate(), high_risk=high_risk))
    if isinstance(result, RowError):
        raise DomainError(f"{result.field}: {result.message}", result.reason)
    if ApplicationWorker.objects.filter(application=app, active=True, id_number=result.id_number).exists():
        raise Conflict("该人员已在本申请中 (already on this application)", "already_applied")
    refused = _refusals(app, [result]).get(result.id_number)
    if refused is not None:
        reason, message = refused
        _audit(
            actor, "application.hold_refused", app, reason=reason, id_number=mask_ric(result.id_number),
            new_hire=result.new_hire,
        )  # fmt: skip
        raise (DomainError if reason == NOT_ON_ROSTER[0] else Conflict)(message, reason)
    return result


def _save_new_row(app: ReturnApplication, rec: WorkerRow) -> ApplicationWorker:
    """Store one worker added by hand (not from a file row)."""
    row = _new_row(app, rec, _roster_ids(app, [rec.id_number]))
    row.source_row = None
    row.save()
    return row


def _locked_active_row(app: ReturnApplication, row_id: int) -> ApplicationWorker:
    row = (
        ApplicationWorker.objects.select_for_update().filter(application=app, pk=row_id, active=True).first()
    )
    if row is None:
        raise NotFound("该人员不在本申请中 (no such active worker row)", "not_found")
    return row


def _worker_add(
    actor: Any, app: ReturnApplication, values: Mapping[str, object], high_risk: Callable[[str], bool]
) -> ApplicationWorker:
    rec = _check_one(actor, app, values, high_risk)
    try:
        with transaction.atomic():
            row = _save_new_row(app, rec)
            _audit(
                actor, "application.worker_add", app, row=row.pk, state=app.state,
                new_hire=row.new_hire, reason=row.new_hire_reason,
            )  # fmt: skip
    except IntegrityError as exc:
        raise _held_meanwhile(exc) from exc
    return row


def application_worker_add(
    *, actor: Any, application_id: int, values: Mapping[str, object]
) -> ApplicationWorker:
    """Add one worker (same checks as an uploaded row). After submission the addition is tracked."""
    app = _editable(actor, application_id)
    drafts_expire()
    return _worker_add(actor, app, values, _high_risk())


def application_workers_add_from_roster(
    *, actor: Any, application_id: int, worker_ids: Iterable[int], health_code: str = "green"
) -> dict[str, Any]:
    """Pick workers from the enterprise's roster: pickup county defaults to their origin county. Each
    is checked and added as ``application_worker_add`` does (scope and risk levels read once); an id
    that is not on the roster is refused as ``not_on_roster``, whatever it is."""
    app = _editable(actor, application_id)
    drafts_expire()
    high_risk = _high_risk()
    wanted = list(dict.fromkeys(worker_ids))
    workers = {w.pk: w for w in Worker.objects.filter(employer_id=app.enterprise_id, pk__in=wanted)}
    added, rejected = 0, []
    for pk in wanted:
        w = workers.get(pk)
        if w is None:
            rejected.append({"worker_id": pk, "reason": NOT_ON_ROSTER[0], "message": NOT_ON_ROSTER[1]})
            continue
        try:
            _worker_add(
                actor, app,
                {"id_number": w.id_number, "name": w.name, "phone": w.phone,
                 "pickup_county": w.origin_code, "health_code": health_code},
                high_risk,
            )  # fmt: skip
            added += 1
        except DomainError as exc:
            rejected.append({"worker_id": w.pk, "reason": exc.code, "message": exc.message})
    return {"accepted": added, "rejected": rejected, "rejected_count": len(rejected)}


def application_worker_remove(*, actor: Any, application_id: int, row_id: int) -> ApplicationWorker:
    """Remove a worker: deleted from a draft, marked removed (kept) once submitted."""
    app = _editable(actor, application_id)
    with transaction.atomic():
        row = _locked_active_row(app, row_id)
        if app.state == ApplicationState.DRAFT:
            row.delete()
            row.pk = row_id  # report what was removed
        else:
            row.active = False
            row.removed_at = timezone.now()
            row.save(update_fields=["active", "removed_at"])
        _audit(actor, "application.worker_remove", app, row=row_id, state=app.state)
    return row


def application_worker_replace(
    *, actor: Any, application_id: int, row_id: int, values: Mapping[str, object]
) -> ApplicationWorker:
    """Replace one worker by another: the old row is kept, removed, and points to the new one."""
    app = _editable(actor, application_id)
    drafts_expire()
    rec = _check_one(actor, app, values, _high_risk())
    try:
        with transaction.atomic():
            old = _locked_active_row(app, row_id)
            old.active = False
            old.removed_at = timezone.now()
            old.save(update_fields=["active", "removed_at"])
            new = _save_new_row(app, rec)
            old.replaced_by = new
            old.save(update_fields=["replaced_by"])
            if app.state == ApplicationState.DRAFT:
                old.delete()
            _audit(actor, "application.worker_replace", app, old=row_id, new=new.pk, state=app.state)
    except IntegrityError as exc:
        raise _held_meanwhile(exc) from exc
    return new
