"""Contact tracing on a planned campaign (``trips.tracing``): the close contacts of a case on a
bus and on a train with its shuttle, riders from the boarding scans when there are any, the
refusal for other roles, and the audited .xlsx for the health authority."""

from __future__ import annotations

import io
import uuid

import pytest
from django.utils import timezone

from tests.planning.conftest import logged_in


def _seats(vehicle):
    from homeward.apps.planning.models import PlanSeat

    return {s.worker_id: s.seat for s in PlanSeat.objects.filter(vehicle=vehicle)}


def _bus(run):
    from homeward.core.planning.planner.emit import seat_sort_key

    bus = run.vehicles.filter(kind="bus").order_by("-passengers", "pk").first()
    assert bus is not None and bus.passengers >= 3
    seats = _seats(bus)
    case = min(seats, key=lambda w: seat_sort_key(seats[w]))  # the front row
    return bus, seats, case


def _crew(vehicle):
    from homeward.apps.planning.services import UNSTAFFED

    return {n for names in vehicle.detail.get("crew", {}).values() for n in names if n and n != UNSTAFFED}


def test_on_a_sealed_bus_everyone_on_board_is_a_contact_and_ventilated_narrows_to_three_rows(
    planned, health_officer
):
    from homeward.apps.trips.tracing import PLAN, contacts_for
    from homeward.core.tracing import bus_row

    bus, seats, case = _bus(planned)
    found = contacts_for(actor=health_officer, worker=case)
    assert [(leg.vehicle, leg.source) for leg in found.legs] == [(bus, PLAN)]
    riders = {c.person.id for c in found.contacts if c.person}
    assert riders == set(seats) - {case}
    assert {c.name for c in found.contacts if c.person is None} == _crew(bus)
    assert all(c.person.masked for c in found.contacts if c.person)

    bus.ventilated = True
    bus.save(update_fields=["ventilated"])
    near = contacts_for(actor=health_officer, worker=case)
    mine = bus_row(seats[case])
    assert {c.person.id for c in near.contacts if c.person} == {
        w for w, s in seats.items() if w != case and abs(bus_row(s) - mine) <= 3
    }
    assert {c.name for c in near.contacts if c.person is None} == _crew(bus)


def test_a_train_rider_has_the_carriage_and_the_shuttle_as_contacts(planned, taskforce):
    from homeward.apps.planning.models import PlanSeat
    from homeward.apps.trips.tracing import contacts_for
    from homeward.core.tracing import carriage

    train = planned.vehicles.get(kind="train")
    seat = PlanSeat.objects.filter(vehicle=train).order_by("pk").first()
    shuttle = PlanSeat.objects.get(run=planned, worker_id=seat.worker_id, leg=1).vehicle
    found = contacts_for(actor=taskforce, worker=seat.worker.id_number)  # by ID number too
    assert found.case.pk == seat.worker_id
    assert [leg.vehicle for leg in found.legs] == [train, shuttle]
    on_train = {c.person.id for c in found.contacts if c.leg.vehicle == train}
    car = carriage(seat.seat)
    assert on_train == {w for w, s in _seats(train).items() if w != seat.worker_id and carriage(s) == car}
    on_shuttle = {c.person.id for c in found.contacts if c.leg.vehicle == shuttle and c.person}
    assert on_shuttle == set(_seats(shuttle)) - {seat.worker_id}


def test_boarding_scans_say_who_rode_when_there_are_any(planned, health_officer):
    from homeward.apps.trips.models import ScanEvent
    from homeward.apps.trips.tracing import SCANS, contacts_for

    bus, seats, case = _bus(planned)
    rode = sorted(seats)[:3]
    if case not in rode:
        rode[0] = case
    now = timezone.now()
    for w in rode:
        ScanEvent.objects.create(
            nonce=str(uuid.uuid4()), worker_id=w, leg=0, checkpoint="board", vehicle_key=bus.key,
            vehicle=bus.name, outcome="ok", answer="recorded", client_at=now, server_at=now,
        )  # fmt: skip
    found = contacts_for(actor=health_officer, worker=case)
    assert [leg.source for leg in found.legs] == [SCANS]
    assert {c.person.id for c in found.contacts if c.person} == set(rode) - {case}


@pytest.mark.parametrize(
    "persona", ["enterprise_user", "town_officer", "transport_officer", "hr_officer", "station_staff"]
)
def test_other_roles_are_refused_and_the_refusal_is_audited(planned, request, persona):
    from homeward.apps.audit.models import AuditEvent
    from homeward.apps.trips.tracing import contacts_for
    from homeward.core.errors import PermissionDenied

    actor = request.getfixturevalue(persona)
    _bus_, _seats_, case = _bus(planned)
    with pytest.raises(PermissionDenied):
        contacts_for(actor=actor, worker=case, export=True)
    assert AuditEvent.objects.filter(action="denied.tracing.read", actor=actor).count() == 1
    assert not AuditEvent.objects.filter(object_type="tracing").exists()


def test_the_export_is_unmasked_for_the_health_authority_and_audited_once(planned, client, health_officer):
    from openpyxl import load_workbook

    from homeward.apps.applications.models import ApplicationWorker
    from homeward.apps.audit.models import AuditEvent
    from homeward.apps.trips.tracing import EXPORT_HEADERS

    bus, seats, case = _bus(planned)
    logged_in(client, health_officer)
    page = client.get("/tracing/", {"worker": case})
    assert page.status_code == 200
    assert ApplicationWorker.objects.get(pk=sorted(set(seats) - {case})[0]).id_number not in page.text

    response = client.get("/tracing/contacts.xlsx", {"worker": case})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(rows[0]) == EXPORT_HEADERS
    body = rows[1:]
    assert [r[0] for r in body] == list(range(1, len(body) + 1))
    riders = ApplicationWorker.objects.in_bulk(set(seats) - {case})
    assert {(r[1], r[2], r[3], r[5]) for r in body if r[2]} == {
        (w.name, w.id_number, w.phone, seats[w.pk]) for w in riders.values()
    }
    assert {r[4] for r in body} == {bus.name}
    crew_rows = [r for r in body if not r[2]]
    assert {r[1] for r in crew_rows} == _crew(bus)
    assert {r[6] for r in body} == {"密闭空调车：全车"} | ({"司乘人员"} if crew_rows else set())

    event = AuditEvent.objects.get(action="tracing.reveal")
    assert event.actor == health_officer and event.object_id == str(case)
    assert event.data["case"] == case and event.data["contacts"] == len(riders)
    assert event.data["rows"] == len(riders)


def test_the_menu_leads_to_tracing_only_those_who_may_trace(client, health_officer, transport_officer):
    from django.urls import reverse

    link = f'href="{reverse("trips:tracing")}"'
    assert link in logged_in(client, health_officer).get(reverse("applications:tasks")).content.decode()
    client.logout()
    assert (
        link not in logged_in(client, transport_officer).get(reverse("applications:tasks")).content.decode()
    )
