"""返岗互认 at boarding: a passenger from a province with a service team boards only with a
recognised origin-side status (``teams.boarding`` called by ``trips.services.scans``); the refusal
is stored with its reason, which the scanner page names."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from homeward.apps.audit.models import AuditEvent
from homeward.apps.teams.services import health_status_record
from homeward.apps.trips.models import ScanEvent, Ticket
from homeward.apps.trips.services.scans import scan_record
from homeward.apps.trips.views import scan_messages
from tests.conftest import system_actor

pytestmark = pytest.mark.django_db


def _ticket(province: str) -> Ticket:
    tickets = Ticket.objects.filter(state="issued", worker__pickup_county_code__startswith=province)
    ticket = tickets.select_related("worker").order_by("pk").first()
    assert ticket is not None
    return ticket


def _board(ticket: Ticket, checkpoint: str = "board", **kw: Any) -> Any:
    return scan_record(
        actor=system_actor(), nonce=str(uuid.uuid4()), token_or_id=ticket.token, checkpoint=checkpoint,
        client_at=kw.pop("client_at", timezone.now()), **kw,
    )  # fmt: skip


def _status(ticket: Ticket, **kw: Any) -> Any:
    values: dict[str, Any] = {
        "health_code": "green", "code_province": "34", "test_result": "negative",
        "tested_at": timezone.now() - timedelta(hours=20), "verified": True,
    } | kw  # fmt: skip
    return health_status_record(
        actor=system_actor(),
        province="34",
        id_number=ticket.worker.id_number,
        nonce=str(uuid.uuid4()),
        **values,
    )


def test_it_refuses_a_passenger_without_a_recognised_status_and_says_why(planned, anhui_team) -> None:
    ticket = _ticket("34")
    result = _board(ticket, temperature_c="36.5", health_code="green")
    assert (result.answer, result.outcome, result.reason) == ("refused", "refused", "no_status")
    event = ScanEvent.objects.get(pk=result.event_id)
    assert (event.outcome, event.reason) == ("refused", "no_status")
    assert AuditEvent.objects.filter(action="scan.record", data__reason="no_status").count() == 1
    assert scan_messages()["no_status"] == "没有返岗互认健康状态"


def test_it_boards_once_the_status_is_verified_and_recognised(planned, anhui_team) -> None:
    ticket = _ticket("34")
    status = _status(ticket, verified=False)
    assert _board(ticket).reason == "unverified"
    from homeward.apps.teams.services import health_status_verify

    health_status_verify(actor=system_actor(), status_id=status.pk)
    result = _board(ticket, temperature_c="36.5", health_code="green")
    assert (result.answer, result.outcome, result.reason) == ("recorded", "ok", "")


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"test_result": "positive"}, "test_positive"),
        ({"test_result": "", "tested_at": None}, "test_missing"),
        ({"tested_at": timezone.now() - timedelta(days=8)}, "test_stale"),
        ({"health_code": "yellow"}, "code_not_green"),
    ],
)
def test_a_positive_missing_or_stale_test_or_a_code_not_green_is_refused(
    planned, anhui_team, kw, reason
) -> None:
    ticket = _ticket("34")
    _status(ticket, **kw)
    assert _board(ticket).reason == reason


@override_settings(RECOGNITION_PROVINCES=["41"])
def test_a_code_from_a_province_not_accepted_is_refused(planned, anhui_team) -> None:
    ticket = _ticket("34")
    _status(ticket)
    assert _board(ticket).reason == "province_not_accepted"


def test_only_boarding_is_checked_and_only_where_a_team_works(planned, anhui_team) -> None:
    henan = _ticket("41")  # no team in Henan: boarding as before
    result = _board(henan)
    assert (result.answer, result.reason) == ("recorded", "")
    anhui = _ticket("34")
    assert _board(anhui, checkpoint="gate").reason != "no_status"  # the gate reads no origin status


def test_without_a_team_nothing_is_checked_and_all_checks_everyone(planned) -> None:
    ticket = _ticket("34")
    assert _board(ticket).answer == "recorded"
    with override_settings(RECOGNITION_AT_BOARDING="all"):
        assert _board(_ticket("41")).reason == "no_status"
    with override_settings(RECOGNITION_AT_BOARDING="off"):
        assert _board(_ticket("41")).answer == "recorded"


def test_the_status_that_counts_is_the_latest_recorded_before_the_scan(planned, anhui_team) -> None:
    ticket = _ticket("34")
    _status(ticket)
    _status(ticket, test_result="positive")
    assert _board(ticket).reason == "test_positive"
    earlier = timezone.now() - timedelta(hours=1)  # a scan made offline before both were recorded
    assert _board(ticket, client_at=earlier).reason == "no_status"
