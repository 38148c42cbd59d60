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
    """``actor`` is a User (anonymous too) or a ``accounts.policy.SystemActor``, never a bare string:
    a string names nobody the policy knows, so it is refused here as it is in ``authorize``."""
    if isinstance(actor, str):
        raise TypeError(f"audit actor {actor!r} is a bare string: use an accounts.policy.SystemActor")
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = actor.get_username() if user is not None else str(getattr(actor, "name", "") or "anonymous")
    return AuditEvent.objects.create(
        actor=user,
        actor_label=label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=data or {},
    )
