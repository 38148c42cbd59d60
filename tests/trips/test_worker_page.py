"""The worker's own page: the one-time link works once, the short code + ID last four with a
lock-out, confirm / decline / declare, only the worker's own data, unmasked only there, and the
link's token never in the request log."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from homeward.apps.applications.models import ApplicationWorker
from homeward.apps.applications.services import permit_verify
from homeward.apps.audit.models import AuditEvent
from homeward.apps.trips.models import HealthDeclaration, Ticket, WorkerLink
from homeward.apps.trips.services.scans import scan_record
from homeward.apps.trips.services.self_service import worker_link_issue
from homeward.core.errors import NotFound
from homeward.core.identity import mask_ric
from tests.conftest import system_actor
from tests.planning.conftest import logged_in

pytestmark = pytest.mark.django_db


def _later_ticket() -> Ticket:
    """An issued ticket whose first pickup is more than 2 h away (declarations still open)."""
    soon = timezone.now() + timedelta(hours=2, minutes=5)
    tickets = [t for t in Ticket.objects.filter(state="issued") if t.legs[0]["pickup_at"] > soon.isoformat()]
    assert tickets, "the campaign has no ticket with a pickup more than 2 h away"
    return max(tickets, key=lambda t: t.legs[0]["pickup_at"])


def _open(client: Client, url: str) -> None:
    token = url.split("?k=", 1)[1]
    assert client.get("/w/start/", {"k": token}).status_code == 200  # a preview spends nothing
    response = client.post("/w/start/", {"k": token})
    assert response.status_code == 302 and response["Location"] == "/w/"


def test_the_one_time_link_works_once_and_shows_the_trip_and_qr(planned, caplog) -> None:
    ticket = _later_ticket()
    issued = worker_link_issue(actor=system_actor(), worker_id=ticket.worker_id)
    client = Client()
    with caplog.at_level(logging.INFO, logger="homeward.request"):
        _open(client, issued.url)
    token = issued.url.split("?k=", 1)[1]
    assert token not in caplog.text and not AuditEvent.objects.filter(data__icontains=token).exists()
    page = client.get("/w/").content.decode()
    worker = ticket.worker
    assert worker.name in page and worker.id_number in page  # their own page: unmasked
    assert "<svg" in page and ticket.ticket_id in page and "北京时间" in page
    again = Client().post("/w/start/", {"k": token})
    assert again.status_code == 404 and b"link_invalid" in again.content


def test_the_short_code_and_last_four_sign_in_and_lock_out(planned, settings) -> None:
    settings.HOMEWARD_LOGIN_FAILURES_PER_USER = 3
    ticket = _later_ticket()
    issued = worker_link_issue(actor=system_actor(), worker_id=ticket.worker_id)
    last4 = ticket.worker.id_number[-4:]
    client = Client()
    for _ in range(3):
        assert (
            client.post(
                "/w/", {"code": issued.code, "last4": "0000" if last4 != "0000" else "1111"}
            ).status_code
            == 403
        )
    locked = client.post("/w/", {"code": issued.code, "last4": last4})
    assert locked.status_code == 429
    assert AuditEvent.objects.filter(action="worker.lockout").exists()
    assert issued.code not in str(list(AuditEvent.objects.values_list("object_id", "data")))
    settings.HOMEWARD_LOGIN_FAILURES_PER_USER = 5
    ok = client.post("/w/", {"code": issued.code.lower(), "last4": last4})
    assert ok.status_code == 302
    assert ticket.ticket_id in client.get("/w/").content.decode()


def test_confirm_declare_and_decline(planned) -> None:
    ticket = _later_ticket()
    client = Client()
    _open(client, worker_link_issue(actor=system_actor(), worker_id=ticket.worker_id).url)
    assert client.post("/w/confirm/").status_code == 302
    assert client.post("/w/confirm/").status_code == 302  # again: nothing more
    ticket.refresh_from_db()
    assert ticket.confirmed_at is not None
    assert AuditEvent.objects.filter(action="trip.confirm", object_id=str(ticket.pk)).count() == 1
    form = {"health_code": "green", "temperature": "36.6", "nonce": "n-1"}
    assert client.post("/w/health/", form).status_code == 302
    assert client.post("/w/health/", form).status_code == 302  # a resent form counts once
    assert client.post("/w/health/", {**form, "temperature": "45", "nonce": "n-2"}).status_code == 400
    temperatures = HealthDeclaration.objects.filter(worker_id=ticket.worker_id).values_list(
        "temperature_c", flat=True
    )
    assert [str(t) for t in temperatures] == ["36.6"]
    assert client.post("/w/decline/").status_code == 302
    worker = ApplicationWorker.objects.get(pk=ticket.worker_id)
    assert worker.declined_at is not None
    assert permit_verify(ticket.token).reason == "revoked"
    assert "trip-declined" in client.get("/w/").content.decode()
    assert client.post("/w/confirm/").status_code == 409


@pytest.mark.parametrize("checkpoint", ["board", "gate"])
def test_once_a_scan_of_the_journey_stands_the_worker_can_no_longer_confirm_or_decline(
    planned, checkpoint
) -> None:
    # found by a Chromium walk: a worker already handed over at the factory gate declined, and the
    # decline revoked the ticket of someone at work
    ticket = _later_ticket()
    client = Client()
    _open(client, worker_link_issue(actor=system_actor(), worker_id=ticket.worker_id).url)
    page = client.get("/w/").content.decode()
    assert 'data-testid="decline"' in page and "trip-on-the-way" not in page
    scanned = scan_record(
        actor=system_actor(), nonce=uuid.uuid4().hex, token_or_id=ticket.token, checkpoint=checkpoint,
        client_at=timezone.now(),
    )  # fmt: skip
    assert scanned.answer == "recorded"
    page = client.get("/w/").content.decode()
    assert (
        "trip-on-the-way" in page
        and 'data-testid="decline"' not in page
        and 'data-testid="confirm"' not in page
    )
    for action in ("/w/decline/", "/w/confirm/"):
        refused = client.post(action)
        assert refused.status_code == 409 and b"on_the_way" in refused.content
    ticket.refresh_from_db()
    assert ticket.state == "issued" and ticket.confirmed_at is None
    assert ApplicationWorker.objects.get(pk=ticket.worker_id).declined_at is None
    assert permit_verify(ticket.token).valid


def test_a_refused_scan_does_not_stop_a_decline(planned) -> None:
    ticket = _later_ticket()
    refused = scan_record(
        actor=system_actor(), nonce=uuid.uuid4().hex, token_or_id=ticket.token, checkpoint="station_arrival",
        client_at=timezone.now(),
    )  # fmt: skip
    assert refused.answer == "refused"  # a bus ticket has no station arrival
    client = Client()
    _open(client, worker_link_issue(actor=system_actor(), worker_id=ticket.worker_id).url)
    assert client.post("/w/decline/").status_code == 302
    assert ApplicationWorker.objects.get(pk=ticket.worker_id).declined_at is not None


def test_declarations_close_two_hours_before_pickup(planned, time_machine) -> None:
    from datetime import datetime

    ticket = _later_ticket()
    issued = worker_link_issue(actor=system_actor(), worker_id=ticket.worker_id)
    first = min(leg["pickup_at"] for leg in ticket.legs)
    time_machine.move_to(datetime.fromisoformat(first) - timedelta(hours=1, minutes=59))
    client = Client()
    _open(client, issued.url)
    response = client.post("/w/health/", {"health_code": "green", "temperature": "36.5", "nonce": "late"})
    assert response.status_code == 409 and b"declare_closed" in response.content
    assert not HealthDeclaration.objects.exists()


def test_another_workers_data_is_never_reachable(planned) -> None:
    """The page names no worker id: the session's worker is the only one it can show or change."""
    mine, other = list(Ticket.objects.filter(state="issued").order_by("pk"))[:2]
    client = Client()
    _open(client, worker_link_issue(actor=system_actor(), worker_id=mine.worker_id).url)
    page = client.get("/w/", {"w": other.worker_id}).content.decode()
    assert other.ticket_id not in page and other.worker.id_number not in page
    client.post("/w/decline/", {"w": other.worker_id, "worker_id": other.worker_id})
    assert ApplicationWorker.objects.get(pk=other.worker_id).declined_at is None


def test_links_are_the_enterprises_for_its_own_workers_and_masked_elsewhere(
    planned, enterprise_user, other_enterprise_user
) -> None:
    ticket = Ticket.objects.filter(
        state="issued", worker__application__enterprise=enterprise_user.profile.enterprise
    ).first()
    assert ticket is not None
    app_id, row_id = ticket.worker.application_id, ticket.worker_id
    page = logged_in(Client(), enterprise_user).get(f"/applications/{app_id}/").content.decode()
    assert "worker-link-issue" in page
    assert ticket.worker.id_number not in page and mask_ric(ticket.worker.id_number) in page
    response = logged_in(Client(), enterprise_user).post(f"/applications/{app_id}/workers/{row_id}/link/")
    assert response.status_code == 200
    code = re.search(r'data-testid="worker-code">([A-Z0-9]+)<', response.content.decode())
    assert code and WorkerLink.objects.filter(worker_id=row_id).count() == 1
    refused = logged_in(Client(), other_enterprise_user).post(
        f"/applications/{app_id}/workers/{row_id}/link/"
    )
    assert refused.status_code == 404 and WorkerLink.objects.filter(worker_id=row_id).count() == 1
    assert AuditEvent.objects.filter(actor=other_enterprise_user, action="denied.worker_link.issue").exists()
    with pytest.raises(NotFound):
        worker_link_issue(actor=other_enterprise_user, worker_id=row_id)
