"""Testing aid end to end: a test booked for a passenger's vehicle, its result entered against the
booking, the passenger list showing it, and the boarding scan refusing a positive result, a
booking past its time with no result, or a negative one older than the rule's window — with the
reason the scanner shows."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from homeward.apps.audit.models import AuditEvent
from homeward.apps.teams.models import HealthStatus
from homeward.apps.teams.models import TestBooking as Booking  # not a test class
from homeward.apps.teams.selectors import workspace
from homeward.apps.teams.services import booking_result_record, health_status_record, origin_tests_schedule
from homeward.apps.trips.models import ScanEvent, Ticket
from homeward.apps.trips.services.scans import scan_record
from homeward.apps.trips.views import scan_messages
from tests.conftest import system_actor
from tests.planning.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(planned, anhui_member) -> Booking:
    """An Anhui passenger with a verified green code and no test, booked for a test two hours ago."""
    ticket = Ticket.objects.filter(state="issued", worker__pickup_county_code__startswith="34").order_by(
        "pk"
    )[0]
    health_status_record(
        actor=anhui_member, province="34", id_number=ticket.worker.id_number, health_code="green",
        code_province="34", nonce=str(uuid.uuid4()), verified=True,
    )  # fmt: skip
    origin_tests_schedule(
        actor=anhui_member, province="34", vehicle_key=ticket.legs[0]["vehicle_key"], place="临泉县疾控中心",
        scheduled_at=timezone.now() - timedelta(hours=2),
    )  # fmt: skip
    return Booking.objects.get(worker=ticket.worker)


def _board(booking: Booking) -> Any:
    ticket = Ticket.objects.get(worker=booking.worker, state="issued")
    return scan_record(
        actor=system_actor(), nonce=str(uuid.uuid4()), token_or_id=ticket.token, checkpoint="board",
        client_at=timezone.now(), temperature_c="36.5", health_code="green",
    )  # fmt: skip


def _passenger(actor: Any, booking: Booking) -> Any:
    ws = workspace(actor=actor, now=timezone.now())
    return next(p for _c, people in ws.counties for p in people if p.worker_id == booking.worker_id)


def _result(actor: Any, booking: Booking, result: str, hours_ago: float) -> Booking:
    return booking_result_record(
        actor=actor, booking_id=booking.pk, test_result=result,
        tested_at=timezone.now() - timedelta(hours=hours_ago), nonce=str(uuid.uuid4()),
    )  # fmt: skip


def test_a_booking_past_its_time_without_a_result_refuses_boarding(booked, anhui_member) -> None:
    p = _passenger(anhui_member, booked)
    assert (p.booking_id, p.test_result, p.test_result_label) == (booked.pk, "overdue", "逾期未出结果")
    result = _board(booked)
    assert (result.answer, result.reason) == ("refused", "test_missing")
    assert scan_messages()[result.reason] == p.reason_label == "没有阴性核酸结果"


def test_a_positive_result_flows_to_the_list_and_refuses_boarding(booked, anhui_member) -> None:
    booking = _result(anhui_member, booked, "positive", 1)
    assert booking.result is not None and booking.result.verified_at is not None  # the code was verified
    p = _passenger(anhui_member, booked)
    assert (p.test_result, p.test_result_label, p.reason) == ("positive", "阳性", "test_positive")
    result = _board(booked)
    assert (result.answer, result.reason) == ("refused", "test_positive")
    assert ScanEvent.objects.get(pk=result.event_id).reason == "test_positive"
    assert scan_messages()["test_positive"] == "核酸检测阳性"
    assert AuditEvent.objects.filter(action="test.result", object_id=str(booked.pk)).count() == 1


def test_a_negative_result_boards_until_the_rules_window_has_passed(booked, anhui_member) -> None:
    _result(anhui_member, booked, "negative", 3)
    p = _passenger(anhui_member, booked)
    assert (p.test_result, p.recognised) == ("negative", True)
    result = _board(booked)
    assert (result.answer, result.reason) == ("recorded", "")


def test_a_negative_result_older_than_the_window_is_refused(booked, anhui_member, settings) -> None:
    _result(anhui_member, booked, "negative", settings.RECOGNITION_TEST_HOURS + 1)
    result = _board(booked)
    assert (result.answer, result.reason) == ("refused", "test_stale")
    assert scan_messages()["test_stale"] == "核酸结果已超过有效期"


def test_without_an_earlier_status_the_result_is_stored_unverified(planned, anhui_member) -> None:
    ticket = Ticket.objects.filter(state="issued", worker__pickup_county_code__startswith="34").order_by(
        "pk"
    )[1]
    origin_tests_schedule(
        actor=anhui_member, province="34", vehicle_key=ticket.legs[0]["vehicle_key"], place="颍泉区疾控",
        scheduled_at=timezone.now() - timedelta(hours=2),
    )  # fmt: skip
    booking = _result(anhui_member, Booking.objects.get(worker=ticket.worker), "negative", 1)
    assert booking.result is not None and booking.result.verified_at is None
    assert booking.result.health_code == ticket.worker.health_code
    assert _board(booking).reason == "unverified"


def test_the_result_form_is_safe_to_resend_and_kept_to_the_province(
    client, booked, anhui_member, henan_member
):
    tested = (timezone.now() - timedelta(hours=1)).astimezone(timezone.get_fixed_timezone(480))
    form = {"test_result": "positive", "tested_at": tested.strftime("%Y-%m-%dT%H:%M"), "nonce": "once"}
    c = logged_in(client, anhui_member)
    url = f"/team/tests/{booked.pk}/result/"
    assert c.post(url, form).status_code == 302 and c.post(url, form).status_code == 302
    assert HealthStatus.objects.filter(id_number=booked.worker.id_number, test_result="positive").count() == 1
    page = c.get("/team/").content.decode()
    assert 'data-result="positive"' in page
    c.logout()
    c = logged_in(client, henan_member)
    assert c.post(url, form | {"nonce": "other", "test_result": "negative"}).status_code == 404
    booked.refresh_from_db()
    assert booked.result is not None and booked.result.test_result == "positive"
