"""Write audit events. Called inside the caller's transaction so an event lands with its change."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from homeward.apps.audit.models import AuditEvent
from homeward.core.errors import DomainError
from homeward.db_insert import insert_one

# An export larger than this is refused (narrow the filters): a spreadsheet holds about a million rows
# and a download of that size helps nobody read the trail.
EXPORT_MAX_ROWS = 200_000
BATCH = 1000  # rows an insert carries (SQLite's bound-variable limit allows this for our columns)


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
    event = AuditEvent(
        actor=user,
        actor_label=label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=data or {},
    )
    return insert_one(event)  # as ``objects.create``, its INSERT compiled once (every scan writes one)


def audit_record_many(
    *, actor: Any, action: str, object_type: str, events: list[tuple[object, dict[str, Any]]]
) -> int:
    """One ``action`` on many objects (``events``: object id and data each), written in batches —
    for a service that changes thousands of rows at once (a plan's tickets); the same events as
    ``audit_record`` one by one."""
    if isinstance(actor, str):
        raise TypeError(f"audit actor {actor!r} is a bare string: use an accounts.policy.SystemActor")
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = actor.get_username() if user is not None else str(getattr(actor, "name", "") or "anonymous")
    rows = [
        AuditEvent(actor=user, actor_label=label, action=action, object_type=object_type,
                   object_id=str(object_id), data=data)
        for object_id, data in events
    ]  # fmt: skip
    AuditEvent.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def audit_log_export(*, actor: Any, filters: Any) -> bytes:
    """The events matching ``filters`` as .xlsx; the export itself is an audit event (with the
    filters and the row count), written before the file is handed out."""
    from homeward.apps.accounts.policy import authorize
    from homeward.apps.audit.selectors import audit_events
    from homeward.core.ingest.export import xlsx_bytes

    authorize(actor, "audit.export")
    events = audit_events(filters)
    total = events.count()
    if total > EXPORT_MAX_ROWS:
        raise DomainError(
            f"共 {total} 条，超过导出上限 {EXPORT_MAX_ROWS} 条，请缩小筛选范围 "
            f"({total} events; narrow the filters to at most {EXPORT_MAX_ROWS})",
            "export_too_large",
        )
    with transaction.atomic():
        audit_record(
            actor=actor, action="audit.export", object_type="audit_log",
            data={"filters": filters.as_dict(), "rows": total},
        )  # fmt: skip
    headers = ["时间 time", "操作者 actor", "动作 action", "对象类型 object type", "对象 object", "数据 data"]
    rows = (
        [
            timezone.localtime(e.at).replace(tzinfo=None),
            e.actor_label,
            e.action,
            e.object_type,
            e.object_id,
            json.dumps(e.data, ensure_ascii=False, sort_keys=True),
        ]
        for e in events.iterator(chunk_size=2000)
    )
    return xlsx_bytes(headers, rows, sheet="审计日志")
