"""An application's life: a draft for an enterprise, submitted, accepted (the case opens), moved
along ``TRANSITIONS`` by the task force or the planner, cancelled, or expired as a draft.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from homeward.apps.accounts.policy import (
    DRAFT_SWEEPER,
    area_of,
    authorize,
    authorized,
    conceal,
    scoped,
    user_of,
)
from homeward.apps.applications.models import (
    CANCELLABLE_STATES,
    TRANSITIONS,
    ApplicationState,
    Case,
    DepartmentTask,
    ReturnApplication,
)
from homeward.apps.applications.services.states import _APPLICATIONS, _audit, _state_error, _transition
from homeward.apps.applications.services.tasks import _open_case
from homeward.apps.registry.models import Enterprise
from homeward.core.errors import Conflict, DomainError

MAX_DEADLINE_HOURS = 240
MAX_PICKUP_AHEAD = timedelta(days=14)  # how far ahead an application may ask for its pickup


def draft_ttl() -> timedelta:
    return timedelta(hours=int(getattr(settings, "HOMEWARD_DRAFT_TTL_HOURS", 72)))


def application_create_draft(
    *,
    actor: Any,
    enterprise_id: int | None = None,
    notes: str = "",
    deadline_hours: int | None = None,
    pickup_from: datetime | None = None,
) -> ReturnApplication:
    """A draft for the actor's own enterprise (an enterprise user) or for ``enterprise_id`` (the
    task force). It expires after ``HOMEWARD_DRAFT_TTL_HOURS`` unless submitted. ``pickup_from``:
    its workers are picked up no earlier (within ``MAX_PICKUP_AHEAD``; None: as soon as possible)."""
    authorize(actor, "application.create")
    area = area_of(actor)
    if enterprise_id is None and area is not None:  # an enterprise applies for itself
        enterprise_id = area.enterprise_id
    if enterprise_id is None:
        raise DomainError("请选择企业 (enterprise_id is required)", "enterprise_required")
    if not scoped(actor, Enterprise.objects.all()).filter(pk=enterprise_id).exists():
        # another enterprise's id (or another town's): not found, as for every object out of scope,
        # rather than a draft quietly made for the actor's own enterprise
        conceal(actor, "application.create", "enterprise", enterprise_id)
    fields: dict[str, Any] = {}
    if deadline_hours is not None:
        if not 1 <= deadline_hours <= MAX_DEADLINE_HOURS:
            raise DomainError(
                f"时限应为 1-{MAX_DEADLINE_HOURS} 小时 (deadline hours out of range)", "deadline_hours"
            )
        fields["deadline_hours"] = deadline_hours
    if pickup_from is not None:
        fields["pickup_from"] = _checked_pickup_from(pickup_from)
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


def _checked_pickup_from(value: datetime) -> datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    now = timezone.now()
    if not now - timedelta(minutes=5) <= value <= now + MAX_PICKUP_AHEAD:
        raise DomainError(
            f"最早接送时间应在今后 {MAX_PICKUP_AHEAD.days} 天内 "
            f"(the earliest pickup time must be within the next {MAX_PICKUP_AHEAD.days} days)",
            "pickup_from",
        )
    return value


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


def application_accept(*, actor: Any, application_id: int) -> ReturnApplication:
    """submitted → accepted by the town officer of the enterprise's town or the task force; starts the
    deadline clock and opens the case with one task per department."""
    app = authorized(actor, "application.accept", _APPLICATIONS, application_id)
    if app.state != ApplicationState.SUBMITTED:
        raise _state_error(app, "受理")
    now = timezone.now()
    # the clock runs from acceptance, or from the pickup the application asked for when later
    starts = max(now, app.pickup_from) if app.pickup_from is not None else now
    with transaction.atomic():
        if not _transition(
            app, [ApplicationState.SUBMITTED], ApplicationState.ACCEPTED,
            accepted_at=now, accepted_by=user_of(actor), deadline_at=starts + timedelta(hours=app.deadline_hours),
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
