"""``POST /api/v1/scans``: a device's queue answered per scan, safe to upload again."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from homeward.apps.audit.models import AuditEvent
from homeward.apps.trips.models import ScanEvent, Ticket
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_queue_uploaded_twice_is_recorded_once_and_answered_per_scan(planned, client, taskforce) -> None:
    tickets = [t for t in Ticket.objects.filter(state="issued") if t.legs[0]["kind"] == "bus"][:2]
    client.login(username=taskforce.username, password=PASSWORD)
    now = timezone.now()
    at, later = now.isoformat(), (now + timedelta(seconds=30)).isoformat()
    queue = [
        {"nonce": str(uuid.uuid4()), "checkpoint": "board", "token": tickets[0].token, "client_at": at,
         "temperature_c": 36.6, "health_code": "green"},
        {"nonce": str(uuid.uuid4()), "checkpoint": "board", "token": tickets[0].token, "client_at": later},
        {"nonce": str(uuid.uuid4()), "checkpoint": "board", "id_number": tickets[1].worker.id_number,
         "client_at": at, "temperature_c": 38.0},
        {"nonce": str(uuid.uuid4()), "checkpoint": "board", "token": "HW1.garbage", "client_at": at},
    ]  # fmt: skip
    first = client.post("/api/v1/scans", {"scans": queue}, content_type="application/json")
    assert first.status_code == 200, first.content
    answers = [(r["answer"], r["outcome"], r["reason"]) for r in first.json()["results"]]
    assert answers[0] == ("recorded", "ok", "")
    assert answers[1] == ("conflict", "ok", "already_boarded")
    assert answers[2] == ("recorded", "observation", "fever")
    assert answers[3][0] == "refused" and answers[3][2] == "format"
    rows = ScanEvent.objects.count()
    again = client.post("/api/v1/scans", {"scans": queue}, content_type="application/json")
    assert [r["answer"] for r in again.json()["results"]] == ["duplicate"] * 4
    assert [r["first_answer"] for r in again.json()["results"]] == [
        "recorded",
        "conflict",
        "recorded",
        "refused",
    ]
    assert [r["event_id"] for r in again.json()["results"]] == [
        r["event_id"] for r in first.json()["results"]
    ]
    assert ScanEvent.objects.count() == rows == 4
    assert set(ScanEvent.objects.values_list("place", flat=True)) == {""}  # the task force names no place


def test_a_role_that_may_not_scan_gets_403_and_nothing_is_stored(planned, client, hr_officer) -> None:
    ticket = Ticket.objects.filter(state="issued").first()
    client.login(username=hr_officer.username, password=PASSWORD)
    scan = {"nonce": str(uuid.uuid4()), "checkpoint": "gate", "token": ticket.token,
            "client_at": timezone.now().isoformat()}  # fmt: skip
    response = client.post("/api/v1/scans", {"scans": [scan]}, content_type="application/json")
    assert response.status_code == 403 and response.json()["reason"] == "forbidden"
    assert not ScanEvent.objects.exists()
    assert AuditEvent.objects.filter(action="denied.scan.record").count() == 1


@pytest.mark.parametrize("client_at", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00"])
def test_a_time_at_the_calendars_edge_is_a_422_naming_the_field_and_nothing_is_stored(
    planned, client, taskforce, client_at
) -> None:
    ticket = Ticket.objects.filter(state="issued").first()
    client.login(username=taskforce.username, password=PASSWORD)
    scan = {"nonce": str(uuid.uuid4()), "checkpoint": "board", "token": ticket.token, "client_at": client_at}
    response = client.post("/api/v1/scans", {"scans": [scan]}, content_type="application/json")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["reason"] == "invalid_input"
    assert any("client_at" in map(str, error["loc"]) for error in body["errors"]), body
    assert "2000-01-01" in str(body["errors"])  # the range, not an overflow
    assert not ScanEvent.objects.exists()
