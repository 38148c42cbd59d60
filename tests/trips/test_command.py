"""The command dashboard's selector (``trips.command.command_board``) on the planning tests'
campaign (a train with its shuttle for A's workers, buses for B's), at fixed moments: vehicles placed
by their schedule shifted by the last scan's delay, workers counted by stage from scan events, the
applications at risk, arrivals by town, the scope of a town officer and the fixed number of queries."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from homeward.apps.planning.models import PlanVehicle
from homeward.apps.trips.command import command_board
from homeward.apps.trips.models import Ticket
from homeward.apps.trips.services.scans import scan_record
from homeward.core import tracking
from homeward.core.errors import PermissionDenied
from homeward.i18n import BEIJING
from tests.conftest import system_actor

pytestmark = pytest.mark.django_db


def _tickets(kind: str) -> list[Ticket]:
    tickets = [t for t in Ticket.objects.filter(state="issued").order_by("pk") if t.legs[0]["kind"] == kind]
    assert tickets, f"the campaign has no {kind} tickets"
    return tickets


def _scan(ticket: Ticket, checkpoint: str, at: datetime) -> Any:
    result = scan_record(
        actor=system_actor(), nonce=str(uuid.uuid4()), token_or_id=ticket.token, checkpoint=checkpoint,
        client_at=at, temperature_c="36.5", health_code="green",
    )  # fmt: skip
    assert result.answer == "recorded", result
    return result


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _vehicle(board: dict[str, Any], key: str) -> dict[str, Any]:
    return next(v for v in board["vehicles"] if v["key"] == key)


def _stops(key: str) -> list[tracking.Stop]:
    v = PlanVehicle.objects.get(key=key, run__state="done")
    return [tracking.Stop(s["lon"], s["lat"], _at(s["a"]), _at(s["d"])) for s in v.detail["stops"]]


def test_a_boarded_bus_is_placed_on_its_schedule_shifted_by_the_boarding_delay(planned, taskforce) -> None:
    ticket = _tickets("bus")[0]
    leg = ticket.legs[0]
    boarded = _at(leg["pickup_at"]) + timedelta(minutes=40)
    _scan(ticket, "board", boarded)
    now = boarded + timedelta(minutes=30)
    board = command_board(actor=taskforce, now=now)
    bus = _vehicle(board, leg["vehicle_key"])
    assert (bus["state"], bus["delay_min"], bus["late"], bus["riders"]) == ("in_transit", 40, True, 1)
    stops = _stops(leg["vehicle_key"])
    lon, lat, _next = tracking.scheduled_point(stops, now - timedelta(minutes=40))
    assert (bus["lon"], bus["lat"]) == (round(lon, 4), round(lat, 4))
    assert bus["eta_text"] == f"{(stops[-1].arrive + timedelta(minutes=40)).astimezone(BEIJING):%H:%M}"
    assert board["vehicle_states"]["in_transit"] >= 1


def test_workers_are_counted_by_stage_from_their_scans(planned, taskforce) -> None:
    bus, train = _tickets("bus"), _tickets("train")
    assert len(train[0].legs) == 2  # the train, then the station shuttle
    start = _at(bus[0].legs[0]["pickup_at"])
    _scan(bus[0], "board", start)
    _scan(bus[1], "board", start)
    _scan(bus[1], "gate", _at(bus[1].legs[0]["arrives_at"]))
    t0 = _at(train[0].legs[0]["pickup_at"])
    _scan(train[0], "board", t0)
    _scan(train[0], "station_arrival", _at(train[0].legs[0]["arrives_at"]))
    _scan(train[1], "board", t0)
    _scan(train[1], "station_arrival", _at(train[1].legs[0]["arrives_at"]))
    _scan(train[1], "shuttle_board", _at(train[1].legs[1]["pickup_at"]))
    seated = Ticket.objects.filter(state="issued").count()
    stages = command_board(actor=taskforce, now=_at(bus[1].legs[0]["arrives_at"]))["stages"]
    assert stages == {
        "home": seated - 4, "vehicle": 1, "station": 1, "shuttle": 1, "factory": 1, "observation": 0,
    }  # fmt: skip


def test_a_gate_handover_counts_a_returned_worker_for_its_town_today(
    planned, taskforce, enterprise_b
) -> None:
    ticket = next(t for t in _tickets("bus") if t.worker.application.enterprise_id == enterprise_b.pk)
    leg = ticket.legs[0]
    before = command_board(actor=taskforce, now=_at(leg["arrives_at"]))
    _scan(ticket, "board", _at(leg["pickup_at"]))
    _scan(ticket, "gate", _at(leg["arrives_at"]))
    after = command_board(actor=taskforce, now=_at(leg["arrives_at"]) + timedelta(minutes=1))
    town = enterprise_b.town.name
    rows = {r["town"]: r for r in after["towns"]}
    old = {r["town"]: r for r in before["towns"]}
    assert rows[town]["workers_total"] == old[town]["workers_total"] + 1
    assert after["total"]["workers_total"] == before["total"]["workers_total"] + 1
    assert after["total"]["workers_today"] == before["total"]["workers_today"] + 1
    others = [name for name in rows if name != town]
    assert all(rows[n]["workers_total"] == old[n]["workers_total"] for n in others)


def test_the_whole_bus_at_the_gate_counts_one_arrived_bus(planned, taskforce) -> None:
    key = _tickets("bus")[0].legs[0]["vehicle_key"]
    riders = [t for t in _tickets("bus") if t.legs[0]["vehicle_key"] == key]
    for t in riders:
        _scan(t, "board", _at(t.legs[0]["pickup_at"]))
    last = max(_at(t.legs[0]["arrives_at"]) for t in riders)
    for t in riders[:-1]:
        _scan(t, "gate", _at(t.legs[0]["arrives_at"]))
    assert command_board(actor=taskforce, now=last - timedelta(minutes=5))["total"]["buses_total"] == 0
    _scan(riders[-1], "gate", last)
    board = command_board(actor=taskforce, now=last + timedelta(minutes=1))
    assert board["total"]["buses_total"] == 1 and key not in {v["key"] for v in board["vehicles"]}


def test_the_late_application_is_listed_at_risk(planned, campaign, taskforce) -> None:
    from django.utils import timezone

    rows = command_board(actor=taskforce, now=timezone.now())["at_risk"]["rows"]
    ids = [r["id"] for r in rows]
    assert campaign["late"].pk in ids and campaign["a"].pk not in ids
    late = rows[ids.index(campaign["late"].pk)]
    assert late["level"] in ("warn", "critical") and late["at_risk"]


def test_a_town_officer_sees_their_towns_workers_and_vehicles_only(
    planned, campaign, town_officer, taskforce, enterprise_a
) -> None:
    from django.utils import timezone

    now = timezone.now()
    mine, everyone = command_board(actor=town_officer, now=now), command_board(actor=taskforce, now=now)
    assert [r["town"] for r in mine["towns"]] == [enterprise_a.town.name]
    a_workers = Ticket.objects.filter(state="issued", worker__application__enterprise=enterprise_a).count()
    assert sum(mine["stages"].values()) == a_workers < sum(everyone["stages"].values())
    assert {r["id"] for r in mine["at_risk"]["rows"]} <= {campaign["a"].pk}
    a_keys = {
        leg["vehicle_key"]
        for t in Ticket.objects.filter(worker__application__enterprise=enterprise_a)
        for leg in t.legs
    }
    assert {v["key"] for v in mine["vehicles"]} <= a_keys


def test_an_enterprise_user_may_not_see_the_dashboard(planned, enterprise_user) -> None:
    with pytest.raises(PermissionDenied):
        command_board(actor=enterprise_user)


def test_the_board_takes_a_fixed_number_of_queries_however_many_vehicles_move(
    planned, taskforce, django_assert_max_num_queries
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bus, train = _tickets("bus"), _tickets("train")
    _scan(bus[0], "board", _at(bus[0].legs[0]["pickup_at"]))
    now = _at(bus[0].legs[0]["pickup_at"]) + timedelta(minutes=10)
    with CaptureQueriesContext(connection) as one:
        command_board(actor=taskforce, now=now)
    for t in [*bus[1:], *train]:
        _scan(t, "board", _at(t.legs[0]["pickup_at"]))
    moving = {t.legs[0]["vehicle_key"] for t in [*bus, *train]}
    assert len(moving) >= 2
    with django_assert_max_num_queries(len(one)):
        board = command_board(actor=taskforce, now=now)
    assert board["vehicle_states"]["in_transit"] >= 2
    assert len(one) <= 9
