"""``/healthz``: database reachable and a task worker alive, 200/503, no login, no personal data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from homeward.apps.audit.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def _beat(seconds_ago: float) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id="w1",
        pid=1,
        started_at=now - timedelta(hours=1),
        beat_at=now - timedelta(seconds=seconds_ago),
    )


def test_it_is_ok_with_a_database_and_a_worker_that_beat_within_the_lease(client):
    _beat(10)
    response = client.get("/healthz")
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok" and body["database"] == {"ok": True}
    assert body["worker"]["ok"] is True and 9 <= body["worker"]["last_beat_seconds"] <= 60
    assert set(body) == {"status", "database", "worker"} and set(body["worker"]) == {
        "ok",
        "last_beat_seconds",
    }


@pytest.mark.parametrize("seconds_ago", [None, 121])
def test_a_worker_that_never_beat_or_went_silent_for_a_lease_is_503(client, seconds_ago):
    if seconds_ago is not None:
        _beat(seconds_ago)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"]["ok"] is False and response.json()["database"] == {"ok": True}


def test_an_unreachable_database_is_503(client, monkeypatch):
    from homeward import health

    def refused(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", refused)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": {"ok": False},
        "worker": {"ok": False, "last_beat_seconds": None},
    }
