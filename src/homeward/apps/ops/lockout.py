"""The lock-out rule shared by the staff sign-in (``ops.login``) and the worker's short code
(``trips.services.self_service``), read back from audit events so it holds across processes.

Within the last HOMEWARD_LOGIN_LOCKOUT_MINUTES, HOMEWARD_LOGIN_FAILURES_PER_IP failures from one
client address, or HOMEWARD_LOGIN_FAILURES_PER_USER failures for one key (a user name, a code's
digest) since that key's last success, refuse further attempts until the oldest of them leaves the
window.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from django.conf import settings
from django.utils import timezone

from homeward.apps.audit.models import AuditEvent

Scope = Literal["ip", "user"]


def locked_scope(*, failed: str, succeeded: str, object_type: str, object_id: str, ip: str) -> Scope | None:
    """``"ip"`` when attempts from ``ip`` are refused now, ``"user"`` when attempts for the key
    (``object_type``, ``object_id``) are, else None.

    Parameters: ``failed`` and ``succeeded`` are the audit actions of a failed and a successful
    attempt; the key is the audited object of both. An empty ``ip`` is never counted.
    """
    since = timezone.now() - timedelta(minutes=settings.HOMEWARD_LOGIN_LOCKOUT_MINUTES)
    failures = AuditEvent.objects.filter(action=failed, at__gte=since)
    if ip and failures.filter(data__ip=ip).count() >= settings.HOMEWARD_LOGIN_FAILURES_PER_IP:
        return "ip"
    last_ok = (
        AuditEvent.objects.filter(
            action=succeeded, object_type=object_type, object_id=object_id, at__gte=since
        )
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    mine = failures.filter(object_type=object_type, object_id=object_id)
    if last_ok is not None:
        mine = mine.filter(at__gt=last_ok)
    if mine.count() >= settings.HOMEWARD_LOGIN_FAILURES_PER_USER:
        return "user"
    return None
