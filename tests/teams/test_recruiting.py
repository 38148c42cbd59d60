"""Vacancies, recruits and offers (``teams.recruiting``): an accepted recruit becomes a new hire on
an accepted application of the enterprise and, when a bus that has not left picks up in their area
with a free seat, takes its next free seat with a ticket (on the vehicle's manifest); once only."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from homeward.apps.applications.models import ApplicationWorker
from homeward.apps.audit.models import AuditEvent
from homeward.apps.planning.models import PlanSeat, PlanVehicle
from homeward.apps.teams.models import Offer, Recruit
from homeward.apps.teams.recruiting import (
    offer_accept,
    offer_make,
    recruit_register,
    seat_areas,
    vacancy_post,
)
from homeward.apps.trips.models import Ticket
from homeward.core.errors import Conflict, NotFound, PermissionDenied
from tests.factories import make_ric

pytestmark = pytest.mark.django_db

RECRUIT_ID = make_ric("341221", date(1998, 5, 4), 77)
RECRUIT_ID_41 = make_ric("411402", date(1999, 6, 5), 78)


def _vacancy(enterprise_user, enterprise_a, **kw):
    values = {"role": "焊工", "count": 3, "pay_min": 4500, "pay_max": 6500, "skills": ["焊工", "电工"],
              "town_id": enterprise_a.town_id, "start_date": date(2026, 3, 1), "nonce": str(uuid.uuid4())} | kw  # fmt: skip
    return vacancy_post(actor=enterprise_user, **values)


def _recruit(member, **kw):
    values = {"province": "34", "id_number": RECRUIT_ID, "name": "周新工", "phone": "13955500001",
              "county": "341221", "skills": ["焊工"], "pay_wanted": 5000} | kw  # fmt: skip
    return recruit_register(actor=member, **values)


def test_an_accepted_recruit_takes_a_free_seat_on_a_bus_from_their_area(
    client, planned, henan_member, other_enterprise_user, enterprise_b, taskforce
) -> None:
    """Henan's (梁园, 4114) workers of enterprise B ride buses in the campaign; Anhui's the train. B's
    recruit from Henan takes a free seat on the bus that drops B's workers, and gets off with them."""
    assert seat_areas() == ["4114"]
    vacancy = _vacancy(other_enterprise_user, enterprise_b)
    henan = {"province": "41", "id_number": RECRUIT_ID_41, "county": "411402"}
    recruit = _recruit(henan_member, **henan)
    assert _recruit(henan_member, **henan).pk == recruit.pk  # registered once
    offer = offer_make(actor=other_enterprise_user, vacancy_id=vacancy.pk, recruit_id=recruit.pk)
    assert (
        offer_make(actor=other_enterprise_user, vacancy_id=vacancy.pk, recruit_id=recruit.pk).pk == offer.pk
    )
    accepted = offer_accept(actor=henan_member, offer_id=offer.pk)
    assert accepted.state == "accepted" and accepted.application is not None and accepted.vehicle_key
    row = ApplicationWorker.objects.get(application=accepted.application, id_number=RECRUIT_ID_41)
    assert row.new_hire and accepted.application.state == "accepted"
    assert accepted.application.enterprise_id == enterprise_b.pk
    seat = PlanSeat.objects.get(worker=row, leg=0)
    assert seat.vehicle.key == accepted.vehicle_key and seat.vehicle.run_id == planned.pk
    assert seat.vehicle.seat_rows.filter(leg=0).count() <= seat.vehicle.seat_cap
    ticket = Ticket.objects.get(worker=row, state="issued")
    assert ticket.legs[0]["vehicle_key"] == accepted.vehicle_key
    # off where the bus drops B's other workers (the seat came after the solve, so no stop names them)
    fellow = (
        Ticket.objects.filter(
            worker__application__enterprise=enterprise_b,
            legs__0__vehicle_key=accepted.vehicle_key,
            state="issued",
        )
        .exclude(worker=row)
        .first()
    )
    assert fellow is not None and ticket.legs[0]["destination"] == fellow.legs[0]["destination"]
    from homeward.apps.planning.selectors import manifest

    vehicle = PlanVehicle.objects.get(pk=seat.vehicle_id)
    assert "周新工" in [r.name for r in manifest(taskforce, vehicle)]
    again = offer_accept(actor=henan_member, offer_id=offer.pk)  # a resent acceptance changes nothing
    assert again.application_id == accepted.application_id
    assert PlanSeat.objects.filter(worker__id_number=RECRUIT_ID_41).count() == 1
    assert AuditEvent.objects.filter(action="offer.accept").count() == 1
    from django.utils import timezone

    from homeward.apps.teams.selectors import workspace

    counts = workspace(actor=henan_member, now=timezone.now()).counts
    assert (counts["recruited"], counts["hired"]) == (1, 1)
    from tests.planning.conftest import logged_in

    # the offer says where the recruit gets off: with the enterprise's own workers
    page = logged_in(client, henan_member).get("/team/recruits/").content.decode()
    assert 'data-testid="destination-note"' in page and "在本企业下车点下车" in page


def test_without_a_free_seat_the_recruit_waits_on_an_accepted_application(
    anhui_member, enterprise_user, enterprise_a
) -> None:
    vacancy = _vacancy(enterprise_user, enterprise_a)
    offer = offer_make(actor=enterprise_user, vacancy_id=vacancy.pk, recruit_id=_recruit(anhui_member).pk)
    accepted = offer_accept(actor=anhui_member, offer_id=offer.pk)
    assert accepted.application.state == "accepted" and accepted.vehicle_key == ""
    assert not PlanSeat.objects.exists()


def test_a_recruit_takes_one_job(
    anhui_member, enterprise_user, enterprise_a, taskforce, enterprise_b
) -> None:
    recruit = _recruit(anhui_member)
    first = offer_make(
        actor=enterprise_user, vacancy_id=_vacancy(enterprise_user, enterprise_a).pk, recruit_id=recruit.pk
    )
    other = vacancy_post(
        actor=taskforce, enterprise_id=enterprise_b.pk, role="普工", count=5, pay_min=4000, pay_max=5000,
        skills=[], town_id=enterprise_b.town_id, start_date=date(2026, 3, 1), nonce="v-b",
    )  # fmt: skip
    second = offer_make(actor=taskforce, vacancy_id=other.pk, recruit_id=recruit.pk)
    offer_accept(actor=anhui_member, offer_id=first.pk)
    with pytest.raises(Conflict):
        offer_accept(actor=anhui_member, offer_id=second.pk)
    assert Offer.objects.get(pk=second.pk).state == "offered"


def test_scopes_of_vacancies_recruits_and_offers(
    anhui_member, service_team, enterprise_user, other_enterprise_user, enterprise_a
) -> None:
    vacancy = _vacancy(enterprise_user, enterprise_a)
    recruit = _recruit(anhui_member)
    with pytest.raises(NotFound):  # another enterprise's vacancy
        offer_make(actor=other_enterprise_user, vacancy_id=vacancy.pk, recruit_id=recruit.pk)
    offer = offer_make(actor=enterprise_user, vacancy_id=vacancy.pk, recruit_id=recruit.pk)
    with pytest.raises(NotFound):  # the Guizhou team: not its recruit's offer
        offer_accept(actor=service_team, offer_id=offer.pk)
    with pytest.raises(PermissionDenied):  # a team cannot register in another province
        _recruit(
            service_team, id_number=make_ric("520502", date(1997, 1, 1), 5), county="520502", province="34"
        )
    with pytest.raises(Conflict):  # the same person already registered by Anhui's team
        _recruit(service_team, province="52", county="520502")
    assert Recruit.objects.count() == 1 and Offer.objects.get().state == "offered"
    assert AuditEvent.objects.filter(actor=service_team, action="denied.offer.accept").exists()


def test_a_recruit_gets_no_seat_on_a_bus_to_another_enterprises_factory(
    planned, henan_member, enterprise_user, enterprise_a
) -> None:
    """Henan's buses carry only enterprise B's workers: A's recruit from Henan waits for the next plan
    on an accepted application instead of riding to B's gate."""
    vacancy = _vacancy(enterprise_user, enterprise_a)
    recruit = _recruit(henan_member, province="41", id_number=RECRUIT_ID_41, county="411402")
    offer = offer_make(actor=enterprise_user, vacancy_id=vacancy.pk, recruit_id=recruit.pk)
    accepted = offer_accept(actor=henan_member, offer_id=offer.pk)
    assert accepted.state == "accepted" and accepted.application.state == "accepted"
    assert accepted.vehicle_key == ""
    assert not PlanSeat.objects.filter(worker__id_number=RECRUIT_ID_41).exists()


@pytest.mark.parametrize("start", ["0001-01-01", "9999-12-31", "2026-02-30", "下周一"])
def test_a_wrong_start_date_shows_the_vacancy_form_again_as_typed(
    client, enterprise_user, enterprise_a, start
) -> None:
    # found by a Chromium walk: the error page lost what was typed and sent the enterprise back to
    # the service-team workspace, which it may not open
    from homeward.apps.teams.models import Vacancy

    client.force_login(enterprise_user)
    typed = {"role": "注塑工", "count": "12", "pay_min": "5200", "pay_max": "6800", "skills": "注塑",
             "town": str(enterprise_a.town_id), "start_date": start, "nonce": uuid.uuid4().hex}  # fmt: skip
    r = client.post("/vacancies/", typed)
    page = r.content.decode()
    assert r.status_code == 400 and 'data-testid="vacancy-error"' in page
    for value in ("注塑工", "12", "5200", "6800", "注塑"):
        assert f'value="{value}"' in page
    assert ("2099-12-31" in page) == (start[:4] in ("0001", "9999"))
    assert not Vacancy.objects.filter(role="注塑工").exists()
    # a refusal elsewhere on the team pages sends an enterprise home, not to the team workspace
    refused = client.post(f"/vacancies/{10**9}/offers/", {"recruit": "1"}).content.decode()
    assert 'href="/team/"' not in refused and 'href="/"' in refused
