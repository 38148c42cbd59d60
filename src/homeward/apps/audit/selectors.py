"""Reading the audit trail for the task force's audit-log viewer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from homeward.apps.audit.models import AuditEvent


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """``actor`` matches part of the actor's name; ``action`` is exact, or a prefix when it ends with
    ``*`` (``auth.*``); ``object_type``/``object_id`` are exact; ``since`` ≤ time < ``until``."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def as_dict(self) -> dict[str, str]:
        """The filters that were set, as text (recorded with an export)."""
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self._items() if v}

    def _items(self) -> list[tuple[str, str | datetime | None]]:
        return [(name, getattr(self, name)) for name in self.__slots__]


def audit_events(filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Events matching ``filters``, newest first. Callers check the reader is the task force."""
    qs = AuditEvent.objects.order_by("-at", "-pk")
    if filters.actor:
        qs = qs.filter(actor_label__icontains=filters.actor)
    if filters.action.endswith("*"):
        qs = qs.filter(action__startswith=filters.action[:-1])
    elif filters.action:
        qs = qs.filter(action=filters.action)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.since is not None:
        qs = qs.filter(at__gte=filters.since)
    if filters.until is not None:
        qs = qs.filter(at__lt=filters.until)
    return qs


def audit_actions() -> list[str]:
    """Every action recorded so far (for the filter's suggestions)."""
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
