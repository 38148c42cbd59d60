"""What ``homeward bench scan`` reads back from the database (``bench_scan_world.database_checks``):
each of its three counts finds the fault it is named after, so the bench's zeros mean something."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from homeward.apps.planning.models import PlanVehicle
from homeward.apps.trips.models import ScanEvent, Ticket
from homeward.apps.trips.services.scans import scan_record
from homeward.cli.bench_scan_world import database_checks
from tests.conftest import system_actor

pytestmark = pytest.mark.django_db


def _board(ticket: Ticket, at=None):
    return scan_record(
        actor=system_actor(), nonce=uuid.uuid4().hex, token_or_id=ticket.token, checkpoint="board",
        client_at=at or timezone.now(),
    )  # fmt: skip


def _copy(event_id: int, *, later: bool) -> ScanEvent:
    """A boarding stored as ``recorded`` behind the service's back (what a missing lock would let
    through), with a later or an earlier device time than the one it copies."""
    event = ScanEvent.objects.get(pk=event_id)
    event.pk, event.nonce, event.answer = None, uuid.uuid4().hex, "recorded"
    event.client_at += timedelta(seconds=5 if later else -5)
    event.save()
    return event


def test_the_service_leaves_all_three_counts_at_zero_and_each_fault_is_counted(planned) -> None:
    tickets = [t for t in Ticket.objects.filter(state="issued").order_by("pk") if t.legs[0]["kind"] == "bus"]
    key = tickets[0].legs[0]["vehicle_key"]
    on_bus = [t for t in tickets if t.legs[0]["vehicle_key"] == key][:3]
    first = [_board(t) for t in on_bus]
    again = _board(on_bus[0])  # a second scanner: answered as a second boarding, not a double one
    assert again.reason == "already_boarded"
    acknowledged = {r.nonce for r in (*first, again)}
    assert database_checks(acknowledged) | {"stored": None} == {
        "lost": 0, "double_boardings": 0, "over_capacity": 0, "stored": None,
    }  # fmt: skip

    _copy(first[1].event_id, later=False)  # an earlier device time uploaded late: it takes over, rightly
    assert database_checks(acknowledged)["double_boardings"] == 0
    _copy(first[2].event_id, later=True)  # recorded although an earlier boarding stood
    assert database_checks(acknowledged)["double_boardings"] == 1

    PlanVehicle.objects.filter(key=key).update(seat_cap=2)  # three aboard
    assert database_checks(acknowledged)["over_capacity"] == 1
    assert database_checks(acknowledged | {"never-stored-0001"})["lost"] == 1
