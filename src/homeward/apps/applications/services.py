"""Writes for return applications, cases, department tasks and permits.

Every service is ``<entity>_<action>(*, actor, ...)`` and starts with the permission policy
(``accounts.policy.authorize``/``authorized``), outside the transaction, so that a denial's audit
event lands even though the service raises (404 when the object is outside the actor's scope, 403
when it is visible but the action is not the actor's). The change itself runs in
``transaction.atomic`` with its audit event; state transitions are conditional UPDATEs
(``filter(state=from).update(state=to)``) so a repeated submit or accept applies once; unique
constraints are the last guard (one live application per ID, one signature per department).

Who an application may hold (``_refusals``): workers on its enterprise's roster, or people flagged
as new hires with a reason who are on no other enterprise's roster; a worker is held by one live
application at a time, which the database enforces (``ApplicationWorker.live``). A refusal never
says which other application or enterprise holds someone: an ID that is not on the roster gets the
same answer whether it is unknown, on another roster or in another application. Drafts expire after
``HOMEWARD_DRAFT_TTL_HOURS`` and then hold nobody (``drafts_expire`` runs before every hold is taken).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from homeward.apps.accounts.policy import (
    DRAFT_SWEEPER,
    area_of,
    authorize,
    authorized,
    scoped,
    signer_of,
    user_of,
)
from homeward.apps.applications import keystore, selectors
from homeward.apps.applications.models import (
    CANCELLABLE_STATES,
    LIVE_STATES,
    TRACKED_STATES,
    ApplicationState,
    ApplicationWorker,
    Case,
    DepartmentTask,
    Permit,
    PermitSignature,
    PermitState,
    ReturnApplication,
    RevocationList,
    TaskDepartment,
    TaskKind,
)
from homeward.apps.applications.worker_rows import WorkerRow, check_rows, read_worker_table
from homeward.apps.audit.services import audit_record
from homeward.apps.planning.models import PlanVehicle
from homeward.apps.registry.models import CountyRisk, Enterprise, Worker
from homeward.apps.registry.selectors import require_home_city
from homeward.apps.registry.services.imports import upload_refused
from homeward.apps.registry.uploads import sync_limits
from homeward.core import permits as core_permits
from homeward.core import regions
from homeward.core.errors import Conflict, DomainError, NotFound
from homeward.core.identity import mask_ric
from homeward.core.ingest import RowError

DEFAULT_PERMIT_HOURS = 48
MAX_DEADLINE_HOURS = 240

# Tasks opened with every case: (department, kind).
CASE_TASKS = (
    (TaskDepartment.TRANSPORT, TaskKind.VEHICLE_ROUTE_PASS),
    (TaskDepartment.HEALTH, TaskKind.ESCORT_KIT_CHECKS),
    (TaskDepartment.HR, TaskKind.LIST_CHECK_SUBSIDY),
    (TaskDepartment.RECEPTION, TaskKind.LANDING_HANDOVER),
)

# What the task force says to a plan's late workers: it accepts the late arrival, or it has acted
# (a train requested, a deadline moved with the enterprise, ...) and says how in a note.
LATE_DECISIONS = ("accept", "act")

# Transitions the task force (and later the planner and journeys) make after acceptance.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    ApplicationState.PLANNED: (ApplicationState.ACCEPTED,),
    ApplicationState.IN_TRANSIT: (ApplicationState.ACCEPTED, ApplicationState.PLANNED),
    ApplicationState.COMPLETED: (ApplicationState.IN_TRANSIT,),
}

# The answers to "may this application hold this ID number?" (reason, message). Neither names
# another application or enterprise.
NOT_ON_ROSTER = (
    "not_on_roster",
    "不在本企业参保名册上；新招员工请标记为新员工并填写说明 "
    "(not on your enterprise's roster: mark someone recruited since as a new hire, with a reason)",
)
UNAVAILABLE = (
    "unavailable",
    "该人员不能加入本申请：已登记在其他企业或已在另一份有效申请中，如有疑问请联系专班 "
    "(cannot join this application: registered with another enterprise or held by another live "
    "application; ask the task force)",
)


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------

_APPLICATIONS = ReturnApplication.objects.select_related("enterprise", "enterprise__town")


def application_get(*, actor: Any, application_id: int) -> ReturnApplication:
    return authorized(actor, "application.read", _APPLICATIONS, application_id)


def _audit(actor: Any, action: str, app: ReturnApplication, **data: Any) -> None:
    audit_record(actor=actor, action=action, object_type="application", object_id=app.pk, data=data)


def _transition(app: ReturnApplication, frm: Iterable[str], to: str, **fields: Any) -> bool:
    """Conditional UPDATE; True when this call made the change. Leaving the live states releases
    the application's workers (``live`` off on its rows) in the same transaction."""
    query = ReturnApplication.objects.filter(pk=app.pk, state__in=list(frm))
    if to != ApplicationState.EXPIRED:  # a draft past its expiry is no longer one to act on
        query = query.exclude(state=ApplicationState.DRAFT, expires_at__lte=timezone.now())
    changed = query.update(state=to, **fields)
    if changed:
        if to not in LIVE_STATES:
            ApplicationWorker.objects.filter(application=app, live=True).update(live=False)
        app.refresh_from_db()
    return bool(changed)


def _state_error(app: ReturnApplication, doing: str) -> DomainError:
    if app.is_expired_draft:
        return Conflict(
            f"申请 #{app.pk} 的草稿已过期，请新建申请 (the draft expired: start a new application)",
            "draft_expired",
        )
    return Conflict(
        f"申请 #{app.pk} 当前状态为 {app.get_state_display()}，不能{doing} (not allowed in state {app.state})",
        "bad_state",
    )


# ------------------------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------------------------


def draft_ttl() -> timedelta:
    return timedelta(hours=int(getattr(settings, "HOMEWARD_DRAFT_TTL_HOURS", 72)))


def application_create_draft(
    *, actor: Any, enterprise_id: int | None = None, notes: str = "", deadline_hours: int | None = None
) -> ReturnApplication:
    """A draft for the actor's own enterprise (an enterprise user) or for ``enterprise_id`` (the
    task force). It expires after ``HOMEWARD_DRAFT_TTL_HOURS`` unless submitted."""
    authorize(actor, "application.create")
    area = area_of(actor)
    if area is not None and area.enterprise_id is not None:  # an enterprise applies for itself
        enterprise_id = area.enterprise_id
    if enterprise_id is None or not scoped(actor, Enterprise.objects.all()).filter(pk=enterprise_id).exists():
        raise DomainError("请选择企业 (enterprise_id is required)", "enterprise_required")
    fields: dict[str, Any] = {}
    if deadline_hours is not None:
        if not 1 <= deadline_hours <= MAX_DEADLINE_HOURS:
            raise DomainError(
                f"时限应为 1-{MAX_DEADLINE_HOURS} 小时 (deadline hours out of range)", "deadline_hours"
            )
        fields["deadline_hours"] = deadline_hours
    with transaction.atomic():
        app = ReturnApplication.objects.create(
            enterprise_id=enterprise_id,
            created_by=user_of(actor),
            notes=notes[:2000],
            expires_at=timezone.now() + draft_ttl(),
            **fields,
        )
        _audit(actor, "application.create", app, enterprise_id=enterprise_id)
    return app


def drafts_expire(*, actor: Any = DRAFT_SWEEPER, now: datetime | None = None) -> int:
    """draft → expired for every draft past ``expires_at``: it stops holding its workers (``live``
    off), one audit event each. Idempotent; runs before any hold is taken. Returns how many."""
    authorize(actor, "application.expire")
    now = now or timezone.now()
    due = ReturnApplication.objects.filter(state=ApplicationState.DRAFT, expires_at__lte=now)
    expired = 0
    for app in due.only("pk", "state"):
        with transaction.atomic():
            if _transition(app, [ApplicationState.DRAFT], ApplicationState.EXPIRED, closed_at=now):
                _audit(actor, "application.expire", app)
                expired += 1
    return expired


# ------------------------------------------------------------------------------------------------
# Who an application may hold
# ------------------------------------------------------------------------------------------------


def _high_risk() -> Callable[[str], bool]:
    high = set(CountyRisk.objects.filter(level=CountyRisk.Level.HIGH).values_list("county_code", flat=True))
    return high.__contains__


def _refusals(app: ReturnApplication, rows: Iterable[WorkerRow]) -> dict[str, tuple[str, str]]:
    """Why each of ``rows`` may not join ``app`` (reason, message) by ID number; absent: it may.

    Not flagged as a new hire: the ID must be on the enterprise's roster, else ``NOT_ON_ROSTER``,
    whatever else is true of it. Flagged: it must be on no other enterprise's roster. Either way it
    must not be held by another live application: the enterprise's own says which; anyone else's,
    or another roster, gets ``UNAVAILABLE``, one answer for both."""
    wanted = {r.id_number: r for r in rows}
    if not wanted:
        return {}
    employers = dict(
        Worker.objects.filter(id_number__in=list(wanted)).values_list("id_number", "employer_id")
    )
    holders = dict(
        ApplicationWorker.objects.filter(active=True, live=True, id_number__in=list(wanted))
        .exclude(application=app)
        .values_list("id_number", "application_id")
    )
    own_holders = set(
        ReturnApplication.objects.filter(
            pk__in=set(holders.values()), enterprise_id=app.enterprise_id
        ).values_list("pk", flat=True)
    )
    refusals: dict[str, tuple[str, str]] = {}
    for number, row in wanted.items():
        employer = employers.get(number)
        on_roster = employer is not None and employer == app.enterprise_id
        if not on_roster and not row.new_hire:
            refusals[number] = NOT_ON_ROSTER
        elif not on_roster and employer is not None:
            refusals[number] = UNAVAILABLE
        elif number in holders and holders[number] in own_holders:
            refusals[number] = (
                "already_applied",
                f"该人员已在本企业的接返申请 #{holders[number]} 中 (already in your application #{holders[number]})",
            )
        elif number in holders:
            refusals[number] = UNAVAILABLE
    return refusals


def _roster_ids(app: ReturnApplication, id_numbers: Iterable[str]) -> dict[str, int]:
    return dict(
        Worker.objects.filter(employer_id=app.enterprise_id, id_number__in=list(id_numbers)).values_list(
            "id_number", "pk"
        )
    )


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


def _held_meanwhile(exc: IntegrityError) -> Conflict:
    """The database refused a second live hold on an ID (``one_live_application_per_id``): another
    application took it between our check and our write."""
    return Conflict(f"{UNAVAILABLE[1]}", UNAVAILABLE[0])


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


def application_submit(*, actor: Any, application_id: int, idempotency_key: str = "") -> ReturnApplication:
    """draft → submitted, once. Repeating with the same Idempotency-Key returns the same result."""
    app = authorized(actor, "application.submit", _APPLICATIONS, application_id)
    key = idempotency_key.strip()[:100]
    if app.state != ApplicationState.DRAFT or app.is_expired_draft:
        if key and app.idempotency_key == key:
            return app
        raise _state_error(app, "再次提交")
    if not app.workers.filter(active=True).exists():
        raise DomainError("名单为空，请先上传或添加人员 (no workers on the list)", "no_workers")
    try:
        with transaction.atomic():
            if not _transition(
                app, [ApplicationState.DRAFT], ApplicationState.SUBMITTED,
                submitted_at=timezone.now(), idempotency_key=key,
            ):  # fmt: skip
                app.refresh_from_db()
                if key and app.idempotency_key == key:
                    return app
                raise _state_error(app, "再次提交")
            _audit(actor, "application.submit", app, workers=app.workers.filter(active=True).count())
    except IntegrityError as exc:
        raise Conflict(
            "该 Idempotency-Key 已用于本企业的另一个申请 (key already used for another application)",
            "idempotency_key_reused",
        ) from exc
    return app


def _open_case(actor: Any, app: ReturnApplication) -> Case:
    case = Case.objects.create(application=app)
    DepartmentTask.objects.bulk_create(
        [DepartmentTask(case=case, department=d, kind=k, data=_task_defaults(app, k)) for d, k in CASE_TASKS]
    )
    audit_record(
        actor=actor, action="case.open", object_type="case", object_id=case.pk, data={"application": app.pk}
    )
    return case


def _task_defaults(app: ReturnApplication, kind: str) -> dict[str, Any]:
    """What the department starts from: what the enterprise already gave, so nobody asks twice."""
    workers = list(app.workers.filter(active=True).values_list("pickup_county_code", flat=True))
    counties = Counter(workers)
    origin = regions.get(counties.most_common(1)[0][0]) if counties else None
    base = {"passengers": len(workers), "destination": _destination(app)}
    if kind == TaskKind.VEHICLE_ROUTE_PASS:
        return {**base, "origin": origin.full_name if origin else ""}
    if kind == TaskKind.LIST_CHECK_SUBSIDY:
        return {**base, "pickup_counties": dict(counties)}
    return base


def _destination(app: ReturnApplication) -> str:
    town = app.enterprise.town.name if app.enterprise.town_id else ""
    return f"{require_home_city().full_name}{town} {app.enterprise.name}"[:200]


def application_accept(*, actor: Any, application_id: int) -> ReturnApplication:
    """submitted → accepted by the town officer of the enterprise's town or the task force; starts the
    deadline clock and opens the case with one task per department."""
    app = authorized(actor, "application.accept", _APPLICATIONS, application_id)
    if app.state != ApplicationState.SUBMITTED:
        raise _state_error(app, "受理")
    now = timezone.now()
    with transaction.atomic():
        if not _transition(
            app, [ApplicationState.SUBMITTED], ApplicationState.ACCEPTED,
            accepted_at=now, accepted_by=user_of(actor), deadline_at=now + timedelta(hours=app.deadline_hours),
        ):  # fmt: skip
            raise _state_error(app, "受理")
        _open_case(actor, app)
        _audit(
            actor,
            "application.accept",
            app,
            deadline_at=app.deadline_at.isoformat() if app.deadline_at else None,
        )
    return app


def application_cancel(*, actor: Any, application_id: int, reason: str = "") -> ReturnApplication:
    """Cancel before the trip: by the enterprise, its town officer or the task force. The workers are
    released (``live`` off) with the state change."""
    app = authorized(actor, "application.cancel", _APPLICATIONS, application_id)
    now = timezone.now()
    with transaction.atomic():
        if not _transition(app, CANCELLABLE_STATES, ApplicationState.CANCELLED, closed_at=now):
            raise _state_error(app, "取消")
        Case.objects.filter(application=app).update(state=Case.State.CLOSED, closed_at=now)
        DepartmentTask.objects.filter(case__application=app, state=DepartmentTask.State.OPEN).update(
            state=DepartmentTask.State.CANCELLED
        )
        _audit(actor, "application.cancel", app, reason=reason[:200])
    return app


def application_transition(*, actor: Any, application_id: int, to: str) -> ReturnApplication:
    """accepted → planned → in_transit → completed (task force; later the planner and journeys)."""
    app = authorized(actor, "application.transition", _APPLICATIONS, application_id)
    if to not in TRANSITIONS:
        raise DomainError(f"不能转到状态 {to} (unknown target state)", "bad_state")
    fields: dict[str, Any] = {"closed_at": timezone.now()} if to == ApplicationState.COMPLETED else {}
    with transaction.atomic():
        frm = app.state
        if not _transition(app, TRANSITIONS[to], to, **fields):
            raise _state_error(app, f"转为 {to}")
        if to == ApplicationState.COMPLETED:
            Case.objects.filter(application=app).update(state=Case.State.DONE, closed_at=timezone.now())
        _audit(actor, f"application.{to}", app, **{"from": frm})
    return app


def application_flag_at_risk(
    *, actor: Any, application_id: int, at_risk: bool, reason: str = ""
) -> ReturnApplication:
    """The planner (or task force) says whether the deadline can be met."""
    app = authorized(actor, "application.flag", _APPLICATIONS, application_id)
    with transaction.atomic():
        ReturnApplication.objects.filter(pk=app.pk).update(at_risk=at_risk, at_risk_reason=reason[:200])
        _audit(actor, "application.at_risk", app, at_risk=at_risk, reason=reason[:200])
    app.refresh_from_db()
    return app


def case_late_task_sync(*, actor: Any, application_id: int, late: Mapping[str, Any] | None) -> str:
    """The planner (or the task force: ``application.flag``) keeps the case's task-force task for late workers in step with
    a plan: with ``late`` (what the plan says: late workers, hours over, run) an open task is made
    or its data refreshed; without, an open one is cancelled (the plan no longer makes anyone late).
    A task the task force has already done stays done. Returns what happened: created, updated,
    cancelled or unchanged."""
    authorize(actor, "application.flag")
    case = Case.objects.filter(application_id=application_id).first()
    if case is None:
        return "unchanged"
    kind = TaskKind.LATE_ARRIVAL
    with transaction.atomic():
        task = DepartmentTask.objects.select_for_update().filter(case=case, kind=kind).first()
        if late is None:
            if task is None or task.state != DepartmentTask.State.OPEN:
                return "unchanged"
            task.state = DepartmentTask.State.CANCELLED
            task.save(update_fields=["state"])
            outcome = "cancelled"
        elif task is None:
            task = DepartmentTask.objects.create(
                case=case, department=TaskDepartment.TASKFORCE, kind=kind, data=dict(late)
            )
            outcome = "created"
        elif task.state == DepartmentTask.State.DONE:
            return "unchanged"
        else:
            task.state = DepartmentTask.State.OPEN
            task.data = {**task.data, **late}
            task.save(update_fields=["state", "data"])
            outcome = "updated"
        audit_record(
            actor=actor, action=f"task.late_arrival.{outcome}", object_type="task", object_id=task.pk,
            data={"application": application_id, **(dict(late) if late else {})},
        )  # fmt: skip
    return outcome


# ------------------------------------------------------------------------------------------------
# Department tasks
# ------------------------------------------------------------------------------------------------


def _texts(value: object, name: str, *, required: bool = True) -> list[str]:
    if isinstance(value, str):
        items = [
            p.strip() for p in value.replace("、", "\n").replace("→", "\n").replace(";", "\n").splitlines()
        ]
    elif isinstance(value, list):
        items = [str(v).strip() for v in value]
    elif value is None:
        items = []
    else:
        raise DomainError(f"{name} 应为文本列表 (must be a list of text)", "invalid_task_data")
    items = [i for i in items if i]
    if required and not items:
        raise DomainError(f"{name} 必填 (required)", "invalid_task_data")
    return items


def _text(data: Mapping[str, Any], name: str, default: str = "") -> str:
    value = str(data.get(name) or default).strip()
    if not value:
        raise DomainError(f"{name} 必填 (required)", "invalid_task_data")
    return value[:200]


def _time(value: object, name: str, default: datetime) -> datetime:
    if value in (None, ""):
        return default
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is None:
        raise DomainError(f"{name} 不是有效时间 (not a date-time)", "invalid_task_data")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _clean_task_data(task: DepartmentTask, data: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    stored = dict(task.data or {})
    if task.kind == TaskKind.VEHICLE_ROUTE_PASS:
        passengers = int(stored.get("passengers") or 0)
        raw_vehicles = data.get("vehicles")
        if not raw_vehicles:
            raw_vehicles = [
                {"plate": data.get("plate"), "carrier": data.get("carrier"), "passengers": passengers}
            ]
        if not isinstance(raw_vehicles, list):
            raise DomainError("vehicles 应为列表 (must be a list)", "invalid_task_data")
        vehicles = []
        for v in raw_vehicles:
            if not isinstance(v, Mapping):
                raise DomainError("vehicles 应为对象列表 (list of objects)", "invalid_task_data")
            try:
                count = int(v.get("passengers") or (passengers if len(raw_vehicles) == 1 else 0))
            except (TypeError, ValueError) as exc:
                raise DomainError("passengers 应为整数 (whole number)", "invalid_task_data") from exc
            if count < 1:
                raise DomainError("每辆车乘客人数至少 1 人 (at least one passenger)", "invalid_task_data")
            vehicles.append({"plate": _text(v, "plate"), "carrier": _text(v, "carrier"), "passengers": count})
        departure = _time(data.get("departure"), "departure", now)
        hours = int(data.get("window_hours") or DEFAULT_PERMIT_HOURS)
        if not 1 <= hours <= 240:
            raise DomainError("有效时长应为 1-240 小时 (window_hours)", "invalid_task_data")
        return {
            **stored,
            "vehicles": vehicles,
            "origin": _text(data, "origin", stored.get("origin", "")),
            "destination": _text(data, "destination", stored.get("destination", "")),
            "route": _texts(data.get("route"), "route"),
            "provinces": _texts(data.get("provinces"), "provinces"),
            "entry_station": _text(data, "entry_station"),
            "exit_station": _text(data, "exit_station"),
            "departure": departure.isoformat(),
            "window_hours": hours,
        }
    if task.kind == TaskKind.ESCORT_KIT_CHECKS:
        kit_raw = data.get("kit") or []
        kit: list[dict[str, Any]] = []
        if isinstance(kit_raw, str):
            for line in kit_raw.replace("、", "\n").splitlines():
                if not line.strip():
                    continue
                name, _, qty = line.replace("×", "*").replace("x", "*").partition("*")
                kit.append(
                    {"name": name.strip(), "quantity": int(qty.strip() or 0) if qty.strip().isdigit() else 0}
                )
        elif isinstance(kit_raw, list):
            for item in kit_raw:
                if not isinstance(item, Mapping):
                    raise DomainError("kit 应为 [{name, quantity}] (kit items)", "invalid_task_data")
                kit.append({"name": _text(item, "name"), "quantity": int(item.get("quantity") or 0)})
        if not kit:
            raise DomainError("kit 必填 (prevention kit required)", "invalid_task_data")
        return {
            **stored,
            "medical_escort": _texts(data.get("medical_escort"), "medical_escort"),
            "kit": kit,
            "health_checks": _texts(data.get("health_checks"), "health_checks"),
        }
    if task.kind == TaskKind.LIST_CHECK_SUBSIDY:
        shares = {}
        for part in ("government", "enterprise", "worker"):
            try:
                shares[part] = int(data.get(f"{part}_share", 0) or 0)
            except (TypeError, ValueError) as exc:
                raise DomainError(
                    "补贴比例应为整数 (shares are whole percents)", "invalid_task_data"
                ) from exc
        if sum(shares.values()) != 100 or min(shares.values()) < 0:
            raise DomainError("补贴分担比例之和应为 100 (shares must add up to 100)", "invalid_task_data")
        return {
            **stored,
            "subsidy_shares": shares,
            "list_checked": True,
            "note": str(data.get("note") or "")[:200],
        }
    if task.kind == TaskKind.LATE_ARRIVAL:
        decision = str(data.get("decision") or "").strip()
        if decision not in LATE_DECISIONS:
            raise DomainError(
                "decision 应为 accept（接受超时）或 act（已处理）(decision: accept or act)",
                "invalid_task_data",
            )
        note = str(data.get("note") or "").strip()[:200]
        if decision == "act" and not note:
            raise DomainError("已处理时请说明措施 (note: what was done)", "invalid_task_data")
        return {**stored, "decision": decision, "note": note}
    # landing handover
    return {
        **stored,
        "reception_point": _text(data, "reception_point"),
        "contact": _text(data, "contact"),
        "note": str(data.get("note") or "")[:200],
    }


def department_task_complete(
    *, actor: Any, task_id: int, data: Mapping[str, Any] | None = None
) -> DepartmentTask:
    """Complete one of the actor's department's tasks (task force: any) with its data. Completing the
    transport task drafts the road passes; transport and health together draft the prevention permit."""
    task = authorized(actor, "task.complete", selectors.TASKS, task_id)
    if task.state != DepartmentTask.State.OPEN:
        raise Conflict("该任务已办结或已取消 (task is not open)", "bad_state")
    app = task.case.application
    if app.state not in (ApplicationState.ACCEPTED, ApplicationState.PLANNED):
        raise _state_error(app, "办理任务")
    now = timezone.now()
    clean = _clean_task_data(task, data or {}, now)
    with transaction.atomic():
        done = DepartmentTask.objects.filter(pk=task.pk, state=DepartmentTask.State.OPEN).update(
            state=DepartmentTask.State.DONE,
            done_at=now,
            done_by=user_of(actor),
            assignee=user_of(actor),
            data=clean,
        )
        if not done:
            raise Conflict("该任务已办结 (task already done)", "bad_state")
        task.refresh_from_db()
        audit_record(
            actor=actor, action="task.complete", object_type="task", object_id=task.pk,
            data={"kind": task.kind, "application": app.pk},
        )  # fmt: skip
        if task.kind in (TaskKind.VEHICLE_ROUTE_PASS, TaskKind.ESCORT_KIT_CHECKS):
            permit_draft(actor=actor, application=app)
        case = task.case
        if not case.tasks.exclude(state=DepartmentTask.State.DONE).exists():
            audit_record(actor=actor, action="case.ready", object_type="case", object_id=case.pk)
    return task


# ------------------------------------------------------------------------------------------------
# Permits
# ------------------------------------------------------------------------------------------------


def _task_data(app: ReturnApplication, kind: str) -> dict[str, Any] | None:
    task = DepartmentTask.objects.filter(
        case__application=app, kind=kind, state=DepartmentTask.State.DONE
    ).first()
    return dict(task.data) if task is not None else None


def permit_draft(*, actor: Any, application: ReturnApplication) -> list[Permit]:
    """Draft the permits the tasks' data allows and that do not exist yet: one road pass per vehicle
    (transport done), one prevention permit per trip (transport and health done). Call inside a
    transaction (``department_task_complete`` does)."""
    authorize(actor, "permit.draft", application)
    app = application
    transport = _task_data(app, TaskKind.VEHICLE_ROUTE_PASS)
    health = _task_data(app, TaskKind.ESCORT_KIT_CHECKS)
    if transport is None:
        return []
    start = _time(transport["departure"], "departure", timezone.now())
    end = start + timedelta(hours=int(transport.get("window_hours") or DEFAULT_PERMIT_HOURS))
    trip = f"A{app.pk}"
    organiser = require_home_city().organiser
    created: list[Permit] = []
    existing = set(Permit.objects.filter(application=app).values_list("permit_id", flat=True))
    for i, v in enumerate(transport["vehicles"], start=1):
        pid = f"RP-{app.pk}-{i}"
        if pid in existing:
            continue
        core = core_permits.RoadPass(
            permit_id=pid, valid_from=start, valid_to=end, trip_id=trip, plate=v["plate"], carrier=v["carrier"],
            origin=transport["origin"], destination=transport["destination"], route=tuple(transport["route"]),
            provinces=tuple(transport["provinces"]), entry_station=transport["entry_station"],
            exit_station=transport["exit_station"], passengers=int(v["passengers"]), organiser=organiser,
        )  # fmt: skip
        created.append(permit_store(actor=actor, drafted=core, application=app))
    pid = f"PP-{app.pk}"
    if health is not None and pid not in existing:
        core_pp = core_permits.PreventionPermit(
            permit_id=pid, valid_from=start, valid_to=end, trip_id=trip,
            vehicles=tuple(v["plate"] for v in transport["vehicles"]),
            passengers=sum(int(v["passengers"]) for v in transport["vehicles"]),
            medical_escort=tuple(health["medical_escort"]),
            kit=tuple(core_permits.KitItem(k["name"], int(k["quantity"])) for k in health["kit"]),
            health_checks=tuple(health["health_checks"]), organiser=organiser,
        )  # fmt: skip
        created.append(permit_store(actor=actor, drafted=core_pp, application=app))
    return created


def permit_store(
    *,
    actor: Any,
    drafted: core_permits.Permit,
    application: ReturnApplication | None = None,
    plan_vehicle: PlanVehicle | None = None,
) -> Permit:
    """Store a drafted permit, awaiting its signers, with its ``permit.draft`` audit event. It belongs
    to an application (``permit_draft``) or to a plan's bus (``planning.permits.plan_permits_draft``).
    Called inside the caller's transaction."""
    authorize(actor, "permit.draft", application or plan_vehicle)
    permit = Permit.objects.create(
        permit_id=drafted.permit_id,
        kind=str(drafted.kind),
        application=application,
        plan_vehicle=plan_vehicle,
        body=drafted.body().decode("utf-8"),
        payload=drafted.to_dict(),
        required_signers=",".join(str(d) for d in drafted.signers),
    )
    holder = {"application": application.pk} if application is not None else {}
    if plan_vehicle is not None:
        holder = {"plan_run": plan_vehicle.run_id, "plan_vehicle": plan_vehicle.pk}
    audit_record(
        actor=actor, action="permit.draft", object_type="permit", object_id=permit.pk,
        data={"permit_id": permit.permit_id, "kind": permit.kind, **holder},
    )  # fmt: skip
    return permit


def core_permit(permit: Permit) -> core_permits.Permit:
    return core_permits.permit_from_body(permit.body.encode("utf-8"))


def signed_permit(permit: Permit) -> core_permits.SignedPermit:
    sigs = tuple(
        core_permits.Signature(core_permits.Department(s.department), s.kid, s.signed_at, bytes(s.signature))
        for s in sorted(permit.signatures.all(), key=lambda s: core_permits.Department(s.department).code)
    )
    return core_permits.SignedPermit(core_permit(permit), sigs)


_PERMITS = Permit.objects.select_related("application__enterprise", "plan_vehicle")


def permit_get(*, actor: Any, permit_id: int) -> Permit:
    return authorized(actor, "permit.read", _PERMITS, permit_id)


def permit_sign(*, actor: Any, permit_id: int) -> Permit:
    """Sign as the actor's department with its current key; the permit is issued (token set) when
    the last required signature lands."""
    permit = authorized(actor, "permit.sign", _PERMITS, permit_id)
    dept = signer_of(actor)
    assert dept is not None  # permit.sign is the departments' and they all sign
    if permit.state != PermitState.DRAFTED:
        raise Conflict("该许可证已签发或已撤销 (permit is not awaiting signatures)", "bad_state")
    if permit.application is not None and permit.application.state == ApplicationState.CANCELLED:
        raise _state_error(permit.application, "签发")
    superseded = selectors.superseded_plan_vehicles()
    if permit.plan_vehicle_id is not None and superseded.filter(pk=permit.plan_vehicle_id).exists():
        raise Conflict("该车辆所属计划已被新计划取代 (the plan of this bus was superseded)", "stale_plan")
    now = timezone.now().replace(microsecond=0)
    try:
        with transaction.atomic():
            locked = Permit.objects.select_for_update().get(pk=permit.pk)
            if locked.state != PermitState.DRAFTED:
                raise Conflict("该许可证已签发或已撤销 (permit is not awaiting signatures)", "bad_state")
            key = keystore.current_key(dept, now)
            signed = core_permits.cosign(signed_permit(locked), key, now)
            sig = next(s for s in signed.signatures if s.department == dept)
            PermitSignature.objects.create(
                permit=locked, department=str(dept), kid=sig.kid, signed_at=sig.signed_at,
                signature=sig.signature, signed_by=user_of(actor),
            )  # fmt: skip
            audit_record(
                actor=actor, action="permit.sign", object_type="permit", object_id=locked.pk,
                data={"permit_id": locked.permit_id, "department": str(dept), "kid": sig.kid},
            )  # fmt: skip
            if signed.is_issued:
                Permit.objects.filter(pk=locked.pk, state=PermitState.DRAFTED).update(
                    state=PermitState.ISSUED, token=signed.token(), issued_at=signed.issued_at
                )
                audit_record(
                    actor=actor, action="permit.issue", object_type="permit", object_id=locked.pk,
                    data={"permit_id": locked.permit_id},
                )  # fmt: skip
    except IntegrityError as exc:
        raise Conflict("本部门已签 (already signed by your department)", "already_signed") from exc
    permit.refresh_from_db()
    return permit


def permit_revoke(*, actor: Any, permit_id: int, reason: str = "") -> Permit:
    """Withdraw an issued permit (task force): publishes the next signed revocation list."""
    permit = authorized(actor, "permit.revoke", _PERMITS, permit_id)
    now = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        if not Permit.objects.filter(pk=permit.pk, state=PermitState.ISSUED).update(
            state=PermitState.REVOKED, revoked_at=now, revoked_reason=reason[:200]
        ):
            raise Conflict("只能撤销已签发的许可证 (only issued permits can be revoked)", "bad_state")
        revocation_list_publish(actor=actor, at=now)
        audit_record(
            actor=actor, action="permit.revoke", object_type="permit", object_id=permit.pk,
            data={"permit_id": permit.permit_id, "reason": reason[:200]},
        )  # fmt: skip
    permit.refresh_from_db()
    return permit


def revocation_list_publish(*, actor: Any, at: datetime | None = None) -> RevocationList:
    """Sign and store the next revocation list: every revoked permit id, sequence + 1."""
    authorize(actor, "revocations.publish")
    at = (at or timezone.now()).replace(microsecond=0)
    with transaction.atomic():
        last = RevocationList.objects.select_for_update().order_by("-sequence").first()
        sequence = (last.sequence + 1) if last else 1
        ids = sorted(Permit.objects.filter(state=PermitState.REVOKED).values_list("permit_id", flat=True))
        core_list = core_permits.RevocationList(sequence, at, frozenset(ids))
        key = keystore.current_key(core_permits.Department.TASK_FORCE, at)
        signed = core_permits.sign_revocation_list(core_list, key)
        row = RevocationList.objects.create(
            sequence=sequence, issued_at=at, permit_ids=ids, encoded=signed.encode(), kid=signed.kid
        )
        audit_record(
            actor=actor, action="revocations.publish", object_type="revocation_list", object_id=sequence,
            data={"count": len(ids)},
        )  # fmt: skip
    return row


def permit_verify(token: str, now: datetime | None = None) -> core_permits.Verification:
    """Verify a token against the stored public keys and the latest revocation list (what an offline
    verifier does with an exported keys file)."""
    ring = keystore.keyring()
    signed_list = keystore.latest_revocations()
    revocations = core_permits.verify_revocation_list(signed_list, ring) if signed_list else None
    return core_permits.verify_token(token or "", ring, revocations, now or timezone.now())


def permit_pdf(*, actor: Any, permit_id: int) -> tuple[Permit, bytes]:
    permit = permit_get(actor=actor, permit_id=permit_id)
    if permit.state != PermitState.ISSUED:
        raise Conflict("许可证尚未签发 (permit not issued yet)", "not_issued")
    content = core_permits.render_permit_pdf(core_permit(permit), permit.token)
    audit_record(actor=actor, action="permit.pdf", object_type="permit", object_id=permit.pk)
    return permit, content


def keys_file_text(at: datetime | None = None) -> str:
    """The public keys and the current revocation list, as ``export-keys`` writes them."""
    return core_permits.dump_keys_file(
        keystore.keyring(), keystore.latest_revocations(), at or timezone.now()
    )
