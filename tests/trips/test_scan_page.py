"""What the scanner page offers each role: only the checkpoints and vehicles it can record scans at
(found by a Chromium walk: an enterprise's and a station's scanner listed every plate and train of
the plan, which the service then refused)."""

from __future__ import annotations

import pytest

from homeward.apps.planning.models import PlanVehicle
from homeward.apps.trips.selectors import scan_page_options
from homeward.core import scans as rules

pytestmark = pytest.mark.django_db


def _keys(options) -> set[str]:
    return {v["key"] for v in options["vehicles"]}


def test_the_task_force_is_offered_every_checkpoint_and_vehicle(planned, taskforce) -> None:
    options = scan_page_options(actor=taskforce)
    assert _keys(options) == set(PlanVehicle.objects.filter(run=planned).values_list("key", flat=True))
    assert [value for value, _ in options["checkpoints"]] == list(rules.CHECKPOINTS)


def test_a_station_is_offered_the_vehicles_that_stop_there_and_no_gate(planned, station_staff) -> None:
    vehicles = PlanVehicle.objects.filter(run=planned)
    trains = {
        v.key
        for v in vehicles
        if v.kind == "train" and rules.same_place(v.destination_name, station_staff.profile.place)
    }
    shuttles = {v.key for v in vehicles if v.kind == "shuttle" and v.feeds in trains}
    assert trains and shuttles  # the fixture's train arrives at the station and its shuttles leave it
    elsewhere = {
        v.key
        for v in vehicles
        if v.kind == "bus" and not rules.same_place(v.destination_name, station_staff.profile.place)
    }
    assert elsewhere  # buses straight to the factories
    options = scan_page_options(actor=station_staff)
    assert trains | shuttles <= _keys(options)
    assert not _keys(options) & elsewhere
    assert rules.GATE not in [value for value, _ in options["checkpoints"]]
    assert options["place"] == station_staff.profile.place and options["place_fixed"]


def test_an_enterprise_hands_over_at_its_gate_naming_no_vehicle(planned, client, enterprise_user) -> None:
    options = scan_page_options(actor=enterprise_user)
    assert options["vehicles"] == [] and [value for value, _ in options["checkpoints"]] == [rules.GATE]
    client.force_login(enterprise_user)
    page = client.get("/scan/").content.decode()
    assert 'value="gate"' in page and 'value="board"' not in page
    for name in PlanVehicle.objects.filter(run=planned).values_list("name", flat=True):
        assert f">{name}</option>" not in page


def test_vehicles_that_share_a_name_are_told_apart_by_where_and_when_they_leave(planned, taskforce) -> None:
    # found by a Chromium walk: ten special trains were each listed as "慈溪号"
    first, second = PlanVehicle.objects.filter(run=planned).order_by("departs", "key")[:2]
    PlanVehicle.objects.filter(pk__in=[first.pk, second.pk]).update(name="慈溪号")
    options = scan_page_options(actor=taskforce)
    labels = [v["label"] for v in options["vehicles"]]
    named = [v["label"] for v in options["vehicles"] if v["name"] == "慈溪号"]
    assert len(named) == 2 and all(label.startswith("慈溪号 · ") for label in named)
    assert any(first.origin_name in label for label in named)
    plates = [v for v in options["vehicles"] if v["name"] != "慈溪号"]
    assert all(v["label"] == v["name"] for v in plates if labels.count(v["label"]) == 1)
    assert len(set(labels)) == len(labels)  # every choice reads differently
