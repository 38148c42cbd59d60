"""The seat cap and the one-boarding rule under concurrency: 50 scanners on one bus at once
(PostgreSQL: real connections and row locks; SQLite serialises whole transactions anyway)."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from homeward.apps.planning.models import PlanVehicle
from homeward.apps.trips.models import ScanEvent, Ticket
from homeward.apps.trips.selectors import scan_state
from homeward.apps.trips.services import scans
from tests.conftest import system_actor

SCANNERS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_scanners_never_board_a_worker_twice_nor_pass_the_seat_cap(
    planned, monkeypatch
) -> None:
    """Every scanner holds the vehicle's lock a while after counting the riders (the window a
    missing lock would overbook in); the riders derived afterwards are exactly the seat cap, each
    boarded once, and every other scan was refused over_capacity or answered as a second boarding.
    (Without the vehicle's row lock this test saw 9 riders aboard for a cap of 4.)"""
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    tickets = [t for t in Ticket.objects.filter(state="issued") if t.legs[0]["kind"] == "bus"]
    key = tickets[0].legs[0]["vehicle_key"]
    on_bus = [t for t in tickets if t.legs[0]["vehicle_key"] == key]
    cap = len(on_bus) // 2
    assert cap >= 2
    PlanVehicle.objects.filter(pk=on_bus[0].legs[0]["vehicle_id"]).update(seat_cap=cap)
    count = scans._capacity_refusal

    def slow_count(*args, **kwargs):
        refusal = count(*args, **kwargs)
        time.sleep(0.01)
        return refusal

    monkeypatch.setattr(scans, "_capacity_refusal", slow_count)
    start = threading.Barrier(SCANNERS, timeout=60)
    answers: list[str] = []
    errors: list[BaseException] = []
    at = timezone.now()

    def scan(i: int) -> None:
        try:
            start.wait()
            result = scans.scan_record(
                actor=system_actor(), nonce=str(uuid.uuid4()), token_or_id=on_bus[i % len(on_bus)].token,
                checkpoint="board", client_at=at,
            )  # fmt: skip
            answers.append(result.reason if result.answer != "recorded" else "recorded")
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan, args=(i,)) for i in range(SCANNERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
    assert len(answers) == SCANNERS
    aboard = set(
        ScanEvent.objects.filter(vehicle_key=key, checkpoint="board")
        .exclude(outcome="refused")
        .values_list("worker_id", flat=True)
    )
    assert len(aboard) == cap
    state = scan_state(vehicle_key=key)
    assert state.riders[key] == aboard
    assert set(answers) <= {"recorded", "over_capacity", "already_boarded"}
    assert ScanEvent.objects.count() == SCANNERS
