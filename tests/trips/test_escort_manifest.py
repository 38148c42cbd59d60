"""An escort scoped to the vehicle they are crewed on, the scanner's passenger list
(``trips.manifest``) and the observation hand-over (``trips.services.observations``)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from homeward.apps.accounts.policy import escort_vehicle_ids
from homeward.apps.audit.models import AuditEvent
from homeward.apps.planning.models import PlanVehicle
from homeward.apps.trips.manifest import scan_manifest
from homeward.apps.trips.models import ObservationHandover, ScanEvent, Ticket
from homeward.apps.trips.services.observations import observation_handover, observation_outcome
from homeward.apps.trips.services.scans import scan_record
from homeward.apps.trips.services.self_service import trip_decline
from homeward.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from tests.conftest import system_actor

pytestmark = pytest.mark.django_db

# The campaign's one escort (医生甲) is crewed on its train; its manifest's query count, whatever
# the number of riders and scans (measured: see test_the_manifest_takes_a_fixed_number_of_queries).
MANIFEST_QUERIES = 8


def _tickets(run: Any, kind: str) -> list[Ticket]:
    rows = Ticket.objects.filter(state="issued").select_related("worker").order_by("pk")
    return [t for t in rows if t.legs[0]["kind"] == kind]


def _scan(actor: Any, ticket: Ticket, checkpoint: str = "board", **kw: Any) -> Any:
    """A typed ID number (a token is checked against the device's time; the train leaves tonight)."""
    return scan_record(
        actor=actor, nonce=str(uuid.uuid4()), token_or_id=ticket.worker.id_number, manual=True,
        checkpoint=checkpoint, client_at=kw.pop("client_at", timezone.now()), **kw,
    )  # fmt: skip


def test_an_escort_rides_the_vehicles_the_plan_crews_them_on(planned, escort_user) -> None:
    train = PlanVehicle.objects.get(run=planned, kind="train")
    assert "医生甲" in train.detail["crew"]["escorts"]
    assert escort_vehicle_ids(escort_user.profile) == [train.pk]


def test_an_escort_scans_their_own_vehicle_and_is_refused_another(planned, escort_user) -> None:
    own = _scan(escort_user, _tickets(planned, "train")[0], temperature_c="36.6", health_code="green")
    assert (own.answer, own.outcome, own.reason) == ("recorded", "ok", "")
    bus = _tickets(planned, "bus")[0]
    other = _scan(escort_user, bus)
    assert (other.answer, other.outcome, other.reason) == ("refused", "refused", "not_your_vehicle")
    assert other.holder == "" and other.seat == "" and other.vehicle == ""  # who it names is not theirs
    denied = AuditEvent.objects.get(action="denied.scan.record")
    assert denied.actor == escort_user and denied.data == {"reason": "not_your_vehicle"}
    assert not ScanEvent.objects.filter(worker=bus.worker).exclude(outcome="refused").exists()


def test_a_station_stays_at_its_place(planned, station_staff) -> None:
    ticket = _tickets(planned, "train")[1]
    elsewhere = _scan(station_staff, ticket, "station_arrival", place="宁波站")
    assert (elsewhere.outcome, elsewhere.reason, elsewhere.holder) == ("refused", "wrong_place", "")
    assert AuditEvent.objects.filter(action="denied.scan.record", actor=station_staff).count() == 1
    here = _scan(station_staff, ticket, "station_arrival")  # its own place, filled in by the service
    assert (here.answer, here.outcome) == ("recorded", "ok")
    assert ScanEvent.objects.get(pk=here.event_id).place == station_staff.profile.place


def test_the_manifest_shows_each_rider_with_the_state_their_scans_give(planned, escort_user) -> None:
    a, b, c, d = _tickets(planned, "train")[:4]
    _scan(escort_user, a, temperature_c="36.5", health_code="green")
    _scan(escort_user, b, temperature_c="37.8", health_code="green")
    trip_decline(actor=_session(c))
    m = scan_manifest(actor=escort_user)
    assert m["vehicle"]["kind"] == "train" and [v["kind"] for v in m["vehicles"]] == ["train"]
    by_worker = {p["worker"]: p for p in m["passengers"]}
    assert by_worker[a.worker_id]["state"] == "boarded"
    assert by_worker[b.worker_id]["state"] == "observation"
    assert by_worker[b.worker_id]["observation"]["reason"] == "fever"
    assert by_worker[c.worker_id]["state"] == "declined"
    assert by_worker[d.worker_id]["state"] == "expected"  # the train leaves tonight
    rider = by_worker[d.worker_id]
    assert rider["holder"] == f"{d.worker.name[0]}＊ {d.worker.id_number[-4:]}"
    assert rider["seat"] == d.legs[0]["seat"] and rider["pickup"] == d.legs[0]["pickup"]
    assert sum(m["counts"].values()) == m["total"] == len(m["passengers"]) == 23
    assert m["counts"]["boarded"] == 1 and m["counts"]["observation"] == 1


def _session(ticket: Ticket) -> Any:
    from homeward.apps.accounts.policy import WorkerSession

    return WorkerSession(ticket.worker_id)


def test_no_show_once_the_vehicle_has_left(planned, escort_user, time_machine) -> None:
    train = PlanVehicle.objects.get(run=planned, kind="train")
    time_machine.move_to(train.departs + timezone.timedelta(minutes=5))
    m = scan_manifest(actor=escort_user)
    assert m["counts"]["no_show"] == m["total"] > 0


def test_an_escort_cannot_open_another_vehicle_s_manifest(planned, escort_user) -> None:
    bus = PlanVehicle.objects.get(run=planned, kind="bus")
    with pytest.raises(NotFound):
        scan_manifest(actor=escort_user, vehicle_key=bus.key)
    assert AuditEvent.objects.filter(action="denied.scan.manifest", actor=escort_user).count() == 1


def test_a_station_sees_the_arrivals_expected_at_its_place(planned, station_staff) -> None:
    m = scan_manifest(actor=station_staff)
    assert [v["kind"] for v in m["vehicles"]] == ["train"]  # 余姚北站: the train's destination


def test_roles_without_a_manifest_are_refused(planned, enterprise_user, health_officer) -> None:
    for actor in (enterprise_user, health_officer):
        with pytest.raises(PermissionDenied):
            scan_manifest(actor=actor)


def test_the_manifest_takes_a_fixed_number_of_queries(planned, escort_user, taskforce) -> None:
    train = PlanVehicle.objects.get(run=planned, kind="train")
    bus = PlanVehicle.objects.get(run=planned, kind="bus")

    def count(actor: Any, key: str = "") -> int:
        with CaptureQueriesContext(connection) as queries:
            scan_manifest(actor=actor, vehicle_key=key)
        return len(queries)

    riders = _tickets(planned, "train")
    assert count(escort_user) <= MANIFEST_QUERIES  # nothing scanned yet (an empty lookup is skipped)
    _scan(escort_user, riders[0], temperature_c="38.0")
    one = count(escort_user)
    for t in riders[1:8]:  # more scans, observations and a hand-over add no query
        _scan(escort_user, t, temperature_c="38.0" if t.pk % 2 else "36.4")
    obs = ScanEvent.objects.filter(outcome="observation").first()
    observation_handover(actor=escort_user, scan_id=obs.pk, rear_seat="末排", health_post="余姚北站健康点",
                         received_by="王医生")  # fmt: skip
    assert count(escort_user) == one <= MANIFEST_QUERIES
    # another vehicle (9 riders instead of 23, one in observation) for the task force: the same count
    _scan(system_actor(), _tickets(planned, "bus")[0], temperature_c="38.5")
    assert count(taskforce, bus.key) == count(taskforce, train.key) <= MANIFEST_QUERIES


def _observation(planned: Any, escort_user: Any) -> ScanEvent:
    ticket = _tickets(planned, "train")[0]
    result = _scan(escort_user, ticket, temperature_c="37.5")
    assert result.outcome == "observation"
    return ScanEvent.objects.get(pk=result.event_id)


def test_a_hand_over_is_recorded_once_and_shown_on_the_manifest(planned, escort_user) -> None:
    event = _observation(planned, escort_user)
    fields = {"rear_seat": "末排3", "health_post": "余姚北站健康点", "received_by": "王医生"}
    handover, created = observation_handover(actor=escort_user, scan_id=event.pk, **fields)
    assert created and handover.handed_by == "escort" and handover.vehicle_key == event.vehicle_key
    again, created = observation_handover(
        actor=escort_user, scan_id=event.pk, **fields | {"received_by": "x"}
    )
    assert not created and again.pk == handover.pk and again.received_by == "王医生"
    assert ObservationHandover.objects.count() == 1
    assert AuditEvent.objects.filter(action="observation.handover").count() == 1
    rider = next(p for p in scan_manifest(actor=escort_user)["passengers"] if p["worker"] == event.worker_id)
    assert rider["state"] == "handed_over" and rider["handover"]["health_post"] == "余姚北站健康点"


def test_the_health_department_records_the_outcome(planned, escort_user, health_officer) -> None:
    event = _observation(planned, escort_user)
    handover, _ = observation_handover(
        actor=escort_user, scan_id=event.pk, rear_seat="末排", health_post="健康点", received_by="王"
    )
    with pytest.raises(PermissionDenied):
        observation_outcome(actor=escort_user, handover_id=handover.pk, outcome="cleared")
    with pytest.raises(DomainError):
        observation_outcome(actor=health_officer, handover_id=handover.pk, outcome="pending")
    observation_outcome(actor=health_officer, handover_id=handover.pk, outcome="cleared", note="复测正常")
    observation_outcome(actor=health_officer, handover_id=handover.pk, outcome="cleared")  # a resend
    assert AuditEvent.objects.filter(action="observation.outcome").count() == 1
    with pytest.raises(Conflict):
        observation_outcome(actor=health_officer, handover_id=handover.pk, outcome="isolated")
    rider = next(p for p in scan_manifest(actor=escort_user)["passengers"] if p["worker"] == event.worker_id)
    assert rider["state"] == "cleared"


def test_a_hand_over_is_refused_outside_the_scope_or_without_observation(
    planned, escort_user, station_staff, enterprise_user
) -> None:
    fields = {"rear_seat": "末排", "health_post": "健康点", "received_by": "王"}
    on_bus = _scan(system_actor(), _tickets(planned, "bus")[0], temperature_c="38.2")
    with pytest.raises(NotFound):  # another vehicle's observation
        observation_handover(actor=escort_user, scan_id=on_bus.event_id, **fields)
    with pytest.raises(NotFound):  # a scan made elsewhere than the station's place
        observation_handover(actor=station_staff, scan_id=on_bus.event_id, **fields)
    assert AuditEvent.objects.filter(action="denied.observation.handover").count() == 2
    with pytest.raises(PermissionDenied):
        observation_handover(actor=enterprise_user, scan_id=on_bus.event_id, **fields)
    ok = _scan(escort_user, _tickets(planned, "train")[0], temperature_c="36.5")
    with pytest.raises(DomainError) as refused:
        observation_handover(actor=escort_user, scan_id=ok.event_id, **fields)
    assert refused.value.code == "not_observation"
    obs = _scan(escort_user, _tickets(planned, "train")[1], temperature_c="37.9")
    with pytest.raises(DomainError) as incomplete:
        observation_handover(actor=escort_user, scan_id=obs.event_id, **fields | {"health_post": " "})
    assert incomplete.value.code == "handover_incomplete"


def test_the_campaign_resets_with_hand_overs_and_escort_logins(planned, escort_user) -> None:
    from homeward.apps.accounts.models import Profile
    from homeward.demo.campaign import campaign_reset

    event = _observation(planned, escort_user)
    observation_handover(
        actor=escort_user, scan_id=event.pk, rear_seat="末排", health_post="健康点", received_by="王"
    )
    out = campaign_reset()
    assert out["ObservationHandover"] == 1 and not ScanEvent.objects.exists()
    assert not Profile.objects.filter(user=escort_user).exists()  # the login lost its role with its escort


def test_the_chosen_vehicle_carries_the_label_it_is_listed_by(planned, station_staff) -> None:
    # found by a Chromium walk: the manifest's vehicle had an empty label beside its list entry's
    m = scan_manifest(actor=station_staff)
    assert m["vehicle"] is not None
    listed = next(v for v in m["vehicles"] if v["key"] == m["vehicle"]["key"])
    assert m["vehicle"]["label"] == listed["label"] and listed["label"]
