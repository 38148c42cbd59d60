"""The scanner's passenger list and hand-over over HTTP (``GET /api/v1/scans/manifest``, ``POST
/api/v1/observations/handover``), an escort's scan refused off their vehicle, and the health
department's page of hand-overs with its outcome form."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from homeward.apps.planning.models import PlanVehicle
from homeward.apps.trips.models import ObservationHandover, ScanEvent, Ticket
from tests.planning.conftest import logged_in

pytestmark = pytest.mark.django_db


def _ticket(kind: str) -> Ticket:
    rows = Ticket.objects.filter(state="issued").select_related("worker").order_by("pk")
    return next(t for t in rows if t.legs[0]["kind"] == kind)


def _scan(client, ticket: Ticket, **kw) -> dict:
    scan = {
        "nonce": str(uuid.uuid4()), "checkpoint": "board", "id_number": ticket.worker.id_number,
        "client_at": dt.datetime.now(dt.UTC).isoformat(), **kw,
    }  # fmt: skip
    response = client.post("/api/v1/scans", {"scans": [scan]}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["results"][0]


def test_an_escort_reads_their_manifest_and_hands_over(client, planned, escort_user) -> None:
    logged_in(client, escort_user)
    ticket = _ticket("train")
    assert _scan(client, ticket, temperature_c=37.6)["outcome"] == "observation"
    refused = _scan(client, _ticket("bus"))
    assert (refused["outcome"], refused["reason"], refused["holder"]) == ("refused", "not_your_vehicle", "")

    body = client.get("/api/v1/scans/manifest").json()
    assert body["vehicle"]["kind"] == "train" and body["total"] == len(body["passengers"])
    rider = next(p for p in body["passengers"] if p["worker"] == ticket.worker_id)
    assert rider["state"] == "observation" and ticket.worker.name not in str(body)  # masked names only
    handover = {"scan_id": rider["observation"]["scan_id"], "rear_seat": "末排2", "health_post": "余姚北站健康点",
                "received_by": "王医生"}  # fmt: skip
    first = client.post("/api/v1/observations/handover", handover, content_type="application/json")
    again = client.post("/api/v1/observations/handover", handover, content_type="application/json")
    assert first.status_code == again.status_code == 200
    assert first.json()["created"] is True and again.json()["created"] is False
    assert first.json()["id"] == again.json()["id"] and ObservationHandover.objects.count() == 1
    rider = next(
        p
        for p in client.get("/api/v1/scans/manifest").json()["passengers"]
        if p["worker"] == ticket.worker_id
    )
    assert rider["state"] == "handed_over" and rider["handover"]["received_by"] == "王医生"


def test_another_vehicle_s_manifest_is_not_found(client, planned, escort_user) -> None:
    bus = PlanVehicle.objects.get(run=planned, kind="bus")
    response = logged_in(client, escort_user).get("/api/v1/scans/manifest", {"vehicle_key": bus.key})
    assert response.status_code == 404 and bus.name not in response.content.decode()


def test_a_hand_over_of_a_scan_without_observation_is_a_400(client, planned, escort_user) -> None:
    logged_in(client, escort_user)
    result = _scan(client, _ticket("train"), temperature_c=36.4)
    body = {"scan_id": result["event_id"], "rear_seat": "末排", "health_post": "健康点", "received_by": "王"}
    response = client.post("/api/v1/observations/handover", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["reason"] == "not_observation"


def test_the_health_department_lists_hand_overs_and_records_the_outcome(
    client, planned, escort_user, health_officer
) -> None:
    from homeward.apps.trips.services.observations import observation_handover
    from homeward.apps.trips.services.scans import scan_record

    ticket = _ticket("train")
    result = scan_record(
        actor=escort_user, nonce=str(uuid.uuid4()), token_or_id=ticket.worker.id_number, manual=True,
        checkpoint="board", client_at=dt.datetime.now(dt.UTC), health_code="yellow",
    )  # fmt: skip
    handover, _ = observation_handover(
        actor=escort_user,
        scan_id=result.event_id,
        rear_seat="末排",
        health_post="余姚北站健康点",
        received_by="王",
    )
    logged_in(client, health_officer)
    page = client.get("/observations/").content.decode()
    assert (
        "余姚北站健康点" in page and f"{ticket.worker.name[0]}＊" in page and ticket.worker.name not in page
    )
    response = client.post(
        f"/observations/{handover.pk}/outcome/", {"outcome": "isolated", "note": "隔离观察"}
    )
    assert response.status_code == 302
    handover.refresh_from_db()
    assert handover.outcome == "isolated" and handover.outcome_by == health_officer
    assert 'data-outcome="isolated"' in client.get("/observations/").content.decode()
    assert ScanEvent.objects.get(pk=result.event_id).reason == "health_code"
