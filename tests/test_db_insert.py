"""``homeward.db_insert.insert_one`` writes the row ``objects.create`` writes: every column read back
equal (decimals, booleans, keys, aware datetimes in another zone, JSON, ``auto_now_add``), the
instance saved with its key, and a unique value seen before refused as ``IntegrityError`` with
nothing stored."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict

from homeward.apps.audit.models import AuditEvent
from homeward.apps.trips.models import ScanEvent
from homeward.db_insert import insert_one

pytestmark = pytest.mark.django_db


def _stored(model: Any, pk: int, *skip: str) -> dict[str, Any]:
    row = model_to_dict(model.objects.get(pk=pk))
    return {k: v for k, v in row.items() if k not in {"id", *skip}}


def test_a_scan_row_is_the_row_create_writes(taskforce) -> None:
    at = datetime(2026, 2, 10, 16, 30, 5, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
    values: dict[str, Any] = {
        "leg": 1, "checkpoint": "board", "place": "阜阳站", "vehicle_key": "bus-1", "vehicle": "浙B12345",
        "manual": True, "temperature_c": Decimal("37.3"), "health_code": "yellow", "outcome": "observation",
        "reason": "fever", "answer": "recorded", "scanned_by": taskforce, "scanned_by_name": "张三",
        "client_at": at, "server_at": at,
    }  # fmt: skip
    created = ScanEvent.objects.create(nonce="created-0001", **values)
    inserted = insert_one(ScanEvent(nonce="inserted-0001", **values))
    assert inserted.pk is not None and inserted.pk != created.pk
    assert not inserted._state.adding and inserted._state.db == "default"
    assert _stored(ScanEvent, inserted.pk, "nonce") == _stored(ScanEvent, created.pk, "nonce")
    assert ScanEvent.objects.get(pk=inserted.pk).client_at == at
    bare = insert_one(
        ScanEvent(nonce="inserted-0002", outcome="refused", answer="refused", client_at=at, server_at=at)
    )
    row = ScanEvent.objects.get(pk=bare.pk)  # nulls and defaults
    assert (row.worker_id, row.ticket_id, row.temperature_c, row.manual) == (None, None, None, False)
    assert row.leg == 0


def test_an_audit_row_is_the_row_create_writes(taskforce) -> None:
    data = {"nonce": "abc", "n": 3, "nested": {"ok": True, "list": [1, "二"]}, "none": None}
    created = AuditEvent.objects.create(
        actor=taskforce, actor_label="tf", action="scan.record", object_type="scan", object_id="7", data=data
    )
    inserted = insert_one(
        AuditEvent(actor=taskforce, actor_label="tf", action="scan.record", object_type="scan", object_id="7",
                   data=data)
    )  # fmt: skip
    assert _stored(AuditEvent, inserted.pk, "at") == _stored(AuditEvent, created.pk, "at")
    stored = AuditEvent.objects.get(pk=inserted.pk)
    assert stored.data == data
    assert stored.at is not None and abs((stored.at - created.at).total_seconds()) < 60  # auto_now_add


def test_a_nonce_seen_before_is_refused_and_nothing_is_stored() -> None:
    at = datetime(2026, 2, 10, 8, 0, tzinfo=ZoneInfo("UTC"))
    insert_one(ScanEvent(nonce="same-nonce-01", outcome="ok", answer="recorded", client_at=at, server_at=at))
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_one(
            ScanEvent(nonce="same-nonce-01", outcome="refused", answer="refused", client_at=at, server_at=at)
        )
    assert list(ScanEvent.objects.filter(nonce="same-nonce-01").values_list("outcome", flat=True)) == ["ok"]
