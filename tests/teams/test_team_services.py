"""The service team's writes (``teams.services``): a health status recorded once per form, with the
ID number checked; verification once; tests booked once per passenger and trip; and a team member
acting for another province refused, audited, with nothing changed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from homeward.apps.audit.models import AuditEvent
from homeward.apps.teams import models as team_models
from homeward.apps.teams.models import HealthStatus
from homeward.apps.teams.services import (
    health_status_record,
    health_status_verify,
    origin_tests_schedule,
    passengers_of,
)
from homeward.apps.trips.models import Ticket
from homeward.core.errors import DomainError, NotFound, PermissionDenied
from tests.factories import make_ric

pytestmark = pytest.mark.django_db

ID_52 = make_ric("520502", date(1990, 3, 1), 123)


def _record(actor, province="34", nonce="n-1", **kw):
    values = {"id_number": ID_52, "health_code": "green", "code_province": "52"} | kw
    return health_status_record(actor=actor, province=province, nonce=nonce, **values)


def test_it_records_a_status_once_per_form(anhui_member) -> None:
    first = _record(anhui_member)
    again = _record(anhui_member)
    assert again.pk == first.pk and HealthStatus.objects.count() == 1
    assert (first.province, first.verified_at) == ("34", None)
    assert AuditEvent.objects.filter(action="health_status.record").count() == 1


def test_it_checks_the_id_number_and_the_test(anhui_member) -> None:
    with pytest.raises(DomainError) as bad_id:
        _record(anhui_member, id_number=ID_52[:-1] + ("0" if ID_52[-1] != "0" else "1"))
    assert bad_id.value.code == "checksum"
    with pytest.raises(DomainError) as no_time:
        _record(anhui_member, test_result="negative")
    assert no_time.value.code == "bad_test"
    with pytest.raises(DomainError):
        _record(anhui_member, test_result="negative", tested_at=timezone.now() + timedelta(hours=2))
    assert HealthStatus.objects.count() == 0


def test_a_team_member_cannot_record_for_another_province(anhui_member) -> None:
    with pytest.raises(PermissionDenied):
        _record(anhui_member, province="52")
    assert HealthStatus.objects.count() == 0
    assert AuditEvent.objects.filter(actor=anhui_member, action="denied.health_status.record").exists()


def test_verification_happens_once_and_not_across_provinces(anhui_member, service_team) -> None:
    status = _record(anhui_member)
    with pytest.raises(NotFound):  # the Guizhou team does not even see Anhui's statuses
        health_status_verify(actor=service_team, status_id=status.pk)
    assert HealthStatus.objects.get(pk=status.pk).verified_at is None
    assert AuditEvent.objects.filter(actor=service_team, action="denied.health_status.verify").exists()
    first = health_status_verify(actor=anhui_member, status_id=status.pk)
    again = health_status_verify(actor=anhui_member, status_id=status.pk)
    assert first.verified_at == again.verified_at is not None and first.verified_by == anhui_member
    assert AuditEvent.objects.filter(action="health_status.verify").count() == 1


def test_it_books_a_test_for_each_passenger_boarding_in_the_province_once(planned, anhui_member) -> None:
    anhui = Ticket.objects.filter(state="issued", worker__pickup_county_code__startswith="34").first()
    key = anhui.legs[0]["vehicle_key"]
    riders = passengers_of(key, "34")
    assert anhui.worker_id in riders
    at = timezone.now() + timedelta(hours=3)
    first = origin_tests_schedule(
        actor=anhui_member, province="34", vehicle_key=key, place="临泉县疾控中心", scheduled_at=at
    )
    again = origin_tests_schedule(
        actor=anhui_member, province="", vehicle_key=key, place="临泉县疾控中心", scheduled_at=at
    )
    assert (first.created, again.created, again.already) == (len(riders), 0, len(riders))
    assert set(team_models.TestBooking.objects.values_list("worker_id", flat=True)) == set(riders)
    assert not team_models.TestBooking.objects.exclude(worker__pickup_county_code__startswith="34").exists()
