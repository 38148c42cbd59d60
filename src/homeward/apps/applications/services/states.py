"""The application state machine's moves: a conditional UPDATE per transition and the refusal when
the application is in the wrong state. The table of allowed transitions sits beside the states in
``applications.models`` (``TRANSITIONS``, ``LIVE_STATES``, ``CANCELLABLE_STATES``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from homeward.apps.accounts.policy import authorized
from homeward.apps.applications.models import (
    LIVE_STATES,
    ApplicationState,
    ApplicationWorker,
    ReturnApplication,
)
from homeward.apps.audit.services import audit_record
from homeward.core.errors import Conflict, DomainError

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
