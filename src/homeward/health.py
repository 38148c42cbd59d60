"""``/healthz``: is the database reachable and is a task worker alive? For load balancers and
monitors: no login, no personal data, 200 when both hold, else 503."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from homeward.apps.audit.models import WorkerHeartbeat
from homeward.apps.audit.runs import lease_seconds


def _database_reachable() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return bool(cursor.fetchone() == (1,))
    except DatabaseError:
        return False


def _last_worker_beat_seconds() -> float | None:
    """Seconds since the freshest task-worker heartbeat, or None when no worker has beaten."""
    last = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
    if last is None:
        return None
    return round(max(timedelta(0), timezone.now() - last).total_seconds(), 1)


@login_not_required
@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    database = _database_reachable()
    age: float | None = None
    if database:
        try:
            age = _last_worker_beat_seconds()
        except DatabaseError:
            database = False
    body = health_body(database=database, worker_age=age)
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


def health_body(*, database: bool, worker_age: float | None) -> dict[str, Any]:
    worker = worker_age is not None and worker_age <= lease_seconds()
    ok = database and worker
    return {
        "status": "ok" if ok else "unavailable",
        "database": {"ok": database},
        "worker": {"ok": worker, "last_beat_seconds": worker_age},
    }
