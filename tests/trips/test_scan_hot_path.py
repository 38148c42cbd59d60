"""The scan hot path: the keys and revocation list cached per process yet never stale (a ticket
or permit revoked, a key revoked or added, by this process or another, is seen by the next scan),
and a bound on the queries one ``POST /api/v1/scans`` makes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.utils import timezone

from homeward.apps.accounts.policy import WorkerSession
from homeward.apps.applications import keystore
from homeward.apps.applications.models import DepartmentKey, RevocationList
from homeward.apps.applications.services import permit_verify, revocation_list_publish
from homeward.apps.trips.models import Ticket
from homeward.apps.trips.services.scans import scan_record
from homeward.apps.trips.services.self_service import trip_decline
from homeward.core import permits as core_permits
from tests.conftest import PASSWORD, system_actor

pytestmark = pytest.mark.django_db

# What one scan may cost in queries once the process is warm: the session, its user with the
# profile (accounts.backends), the keys' fingerprint, the ticket (locked, with its worker and
# application, and at a boarding whether the origin has a service team, for 返岗互认), at a
# boarding the health declaration, the standing scan, at a boarding the vehicle (locked) and its
# riders, the insert (its unique nonce is the duplicate check) and its audit row, at a gate whether anyone of
# the application is still on the way, and the savepoint around them (two statements). (A boarding
# was 17 before the cache, 15 with the team check read on its own and the nonce read before the
# insert, 13 with the profile read on its own; a gate 13, then 12, with the application's tickets
# and arrivals read in two queries on every gate scan.)
BOARDING_QUERIES = 12
GATE_QUERIES = 10


def _bus_tickets() -> list[Ticket]:
    tickets = [t for t in Ticket.objects.filter(state="issued").order_by("pk") if t.legs[0]["kind"] == "bus"]
    assert len(tickets) >= 3
    return tickets


def _scan(ticket: Ticket, checkpoint: str = "board") -> Any:
    return scan_record(
        actor=system_actor(), nonce=uuid.uuid4().hex, token_or_id=ticket.token, checkpoint=checkpoint,
        client_at=timezone.now(),
    )  # fmt: skip


def test_a_ticket_revoked_after_the_cache_is_warm_is_refused_at_the_next_scan(planned) -> None:
    a, b = _bus_tickets()[:2]
    assert _scan(b).answer == "recorded"  # the keys and list are cached now
    assert permit_verify(a.token).valid
    trip_decline(actor=WorkerSession(a.worker_id))  # revokes a's ticket and publishes a new list
    assert permit_verify(a.token).reason == "revoked"  # the token itself, by the new list
    refused = _scan(a)
    assert (refused.answer, refused.reason) == ("refused", "revoked")


def test_a_list_or_key_written_by_another_process_is_seen_by_the_next_verification(planned) -> None:
    """Another process's writes reach this one only through the database: written here straight
    to the tables (no call this process could have hooked), they still count at the next call."""
    a = _bus_tickets()[0]
    assert permit_verify(a.token).valid
    key = keystore.current_key(core_permits.Department.TASK_FORCE)
    last = RevocationList.objects.order_by("-sequence").first()
    sequence = (last.sequence if last else 0) + 1
    listed = core_permits.RevocationList(
        sequence, timezone.now().replace(microsecond=0), frozenset({a.ticket_id})
    )
    signed = core_permits.sign_revocation_list(listed, key)
    RevocationList.objects.create(
        sequence=sequence, issued_at=listed.issued_at, permit_ids=[a.ticket_id], encoded=signed.encode(),
        kid=signed.kid,
    )  # fmt: skip
    assert permit_verify(a.token).reason == "revoked"
    b = _bus_tickets()[1]
    assert permit_verify(b.token).valid
    DepartmentKey.objects.filter(department=str(core_permits.Department.TRANSPORT)).update(revoked=True)
    assert permit_verify(b.token).reason == "unknown_key"
    DepartmentKey.objects.update(revoked=False)
    assert permit_verify(b.token).valid


def test_a_warm_verification_reads_one_small_row_set_whatever_the_list_holds(
    planned, django_assert_num_queries
) -> None:
    tickets = _bus_tickets()
    for t in tickets[:3]:
        Ticket.objects.filter(pk=t.pk).update(state="revoked")
    revocation_list_publish(actor=system_actor())
    permit_verify(tickets[3].token)
    with django_assert_num_queries(1):
        assert permit_verify(tickets[3].token).valid


def test_a_scan_upload_stays_within_its_query_budget(
    planned, client, taskforce, django_assert_max_num_queries
) -> None:
    a, b, c = _bus_tickets()[:3]
    assert a.legs[0]["vehicle_key"] == b.legs[0]["vehicle_key"]
    client.login(username=taskforce.username, password=PASSWORD)

    def post(ticket: Ticket, checkpoint: str) -> str:
        scan = {"nonce": uuid.uuid4().hex, "checkpoint": checkpoint, "token": ticket.token,
                "client_at": timezone.now().isoformat(), "temperature_c": 36.5}  # fmt: skip
        answer = client.post("/api/v1/scans", {"scans": [scan]}, content_type="application/json")
        assert answer.status_code == 200, answer.content
        return str(answer.json()["results"][0]["answer"])

    assert post(c, "board") == "recorded"  # warms the session, the cache; puts c's application on the road
    same_application = [t for t in (a, b) if t.worker.application_id == c.worker.application_id]
    ticket = same_application[0] if same_application else a
    if not same_application:
        post(a, "board")
        ticket = b
    with django_assert_max_num_queries(BOARDING_QUERIES):
        assert post(ticket, "board") == "recorded"
    with django_assert_max_num_queries(GATE_QUERIES):
        assert post(ticket, "gate") == "recorded"


def test_on_postgresql_a_repeated_statement_is_prepared_on_its_connection() -> None:
    """The server binds the parameters and keeps a statement prepared on a connection once it ran
    ``DB_PREPARE_THRESHOLD`` times there (settings): PostgreSQL then stops parsing and planning the
    scan's fixed statements each time (half its CPU per scan under ``homeward bench scan``). On a
    connection of its own, so that no earlier test's statements count."""
    from django.conf import settings
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == settings.DB_PREPARE_THRESHOLD > 0
    own = connections.create_connection("default")
    try:
        with own.cursor() as cursor:

            def run_and_count_prepared() -> int:
                cursor.execute('SELECT "id" FROM "trips_ticket" WHERE "id" = %s', [1])
                cursor.execute(
                    "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                    ['%"trips_ticket"%'],
                )
                return int(cursor.fetchone()[0])

            counts = [run_and_count_prepared() for _ in range(settings.DB_PREPARE_THRESHOLD + 1)]
    finally:
        own.close()
    assert counts[0] == 0 and counts[-1] == 1, counts
