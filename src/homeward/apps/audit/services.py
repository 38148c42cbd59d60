"""Write audit events. Called inside the caller's transaction so an event lands with its change."""

from __future__ import annotations

from typing import Any

from homeward.apps.audit.models import AuditEvent


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: str = "",
    object_id: object = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """``actor`` is a User, or a string naming a system actor such as "cli" or "demo"."""
    user = actor if getattr(actor, "pk", None) is not None else None
    label = actor.get_username() if user is not None else str(actor or "anonymous")
    return AuditEvent.objects.create(
        actor=user,
        actor_label=label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=data or {},
    )
