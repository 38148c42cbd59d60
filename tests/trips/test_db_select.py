"""``homeward.db_select.compiled_get`` answers what ``QuerySet.get`` answers: the same objects (every
loaded field, the ``select_related`` objects, deferred fields left deferred, annotations, JSON
decoded), for each value on later calls of the once-compiled statement, ``DoesNotExist`` for a
missing row, ``MultipleObjectsReturned`` for two, and no ``FOR UPDATE`` outside a transaction."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Model
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from homeward.apps.accounts.backends import ProfileModelBackend
from homeward.apps.trips.models import Ticket
from homeward.apps.trips.services.scans import TEAM_AT_ORIGIN, TICKET_FIELDS, _ticket_locked
from homeward.db_select import INT_PLACEHOLDER, STR_PLACEHOLDER, compiled_get

pytestmark = pytest.mark.django_db


def _loaded(obj: Model) -> dict[str, Any]:
    """The fields an object holds (deferred ones are absent from ``__dict__``)."""
    return {
        f.attname: obj.__dict__[f.attname] for f in obj._meta.concrete_fields if f.attname in obj.__dict__
    }


def _orm_ticket(field: str, value: Any, board: bool) -> Ticket:
    found = Ticket.objects.select_related("worker__application").only(*TICKET_FIELDS)
    if board:
        found = found.annotate(team_at_origin=TEAM_AT_ORIGIN)
    return found.get(**{field: value})


@pytest.mark.parametrize("board", [True, False])
def test_a_scans_ticket_read_is_the_orms_for_every_ticket(planned, board) -> None:
    tickets = list(Ticket.objects.order_by("pk"))
    assert len(tickets) >= 3
    for ticket in tickets:  # the first call compiles; the rest reuse the statement
        for field, value in (("ticket_id", ticket.ticket_id), ("pk", ticket.pk)):
            with transaction.atomic():
                fast = _ticket_locked({field: value}, board=board)
            slow = _orm_ticket(field, value, board)
            assert _loaded(fast) == _loaded(slow)
            assert fast.legs == slow.legs and isinstance(fast.legs, list)  # JSON decoded
            assert _loaded(fast.worker) == _loaded(slow.worker)
            assert _loaded(fast.worker.application) == _loaded(slow.worker.application)
            assert "name" in fast.worker.__dict__ and "phone" not in fast.worker.__dict__  # deferred
            assert fast.worker.application.enterprise_id == slow.worker.application.enterprise_id
            if board:
                assert fast.team_at_origin == slow.team_at_origin  # type: ignore[attr-defined]


def test_reading_a_ticket_makes_one_statement_and_misses_raise_as_get_does(planned) -> None:
    ticket = Ticket.objects.order_by("pk").first()
    assert ticket is not None
    with transaction.atomic():
        _ticket_locked({"pk": ticket.pk}, board=True)  # compiled
        with CaptureQueriesContext(connection) as queries:
            read = _ticket_locked({"pk": ticket.pk}, board=True)
            assert read.worker.application.state  # already loaded: no query
        with pytest.raises(Ticket.DoesNotExist):
            _ticket_locked({"ticket_id": "TK-NOPE-1"}, board=True)
        with pytest.raises(Ticket.DoesNotExist):
            _ticket_locked({"pk": 10**9}, board=False)
    assert len(queries.captured_queries) == 1
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in queries.captured_queries[0]["sql"]


@pytest.mark.django_db(transaction=True)
def test_a_lock_outside_a_transaction_is_refused_as_get_refuses_it(taskforce) -> None:
    users = get_user_model().objects

    def locked(key: Any) -> Any:
        return users.select_for_update().filter(pk=key)

    assert connection.get_autocommit()
    expected: Any = TransactionManagementError if connection.features.has_select_for_update else None
    for _ in range(2):  # compiling, then the compiled statement
        if expected is None:
            assert compiled_get(
                "test.user_locked", users.model, locked, taskforce.pk, placeholder=INT_PLACEHOLDER
            )
            continue
        with pytest.raises(expected):
            locked(taskforce.pk).get()
        with pytest.raises(expected):
            compiled_get("test.user_locked", users.model, locked, taskforce.pk, placeholder=INT_PLACEHOLDER)
    with transaction.atomic():
        assert compiled_get(
            "test.user_locked", users.model, locked, taskforce.pk, placeholder=INT_PLACEHOLDER
        )


def test_two_rows_raise_multiple_objects_returned(planned) -> None:
    state = Ticket.objects.values_list("state", flat=True).first()
    assert Ticket.objects.filter(state=state).count() > 1

    def by_state(key: Any) -> Any:
        return Ticket.objects.filter(state=key)

    with pytest.raises(Ticket.MultipleObjectsReturned):
        compiled_get("test.ticket_by_state", Ticket, by_state, state, placeholder=STR_PLACEHOLDER)


def test_the_signed_in_user_is_read_with_their_profile_in_one_query(taskforce, enterprise_user) -> None:
    backend = ProfileModelBackend()
    for user in (taskforce, enterprise_user, taskforce):
        with CaptureQueriesContext(connection) as queries:
            read = backend.get_user(str(user.pk))  # the session holds the key as text
            assert read.profile.role == user.profile.role
            assert read.profile.enterprise_id == user.profile.enterprise_id
        assert len(queries.captured_queries) == 1
        assert _loaded(read) == _loaded(get_user_model().objects.get(pk=user.pk))
    assert backend.get_user(10**6) is None and backend.get_user("not-a-key") is None
    taskforce.is_active = False
    taskforce.save(update_fields=["is_active"])
    assert backend.get_user(taskforce.pk) is None


def test_a_placeholder_that_is_not_in_the_parameters_is_refused(planned) -> None:
    def fixed(key: Any) -> Any:
        return Ticket.objects.filter(pk=1)

    with pytest.raises(ValueError, match="placeholder"):
        compiled_get("test.fixed", Ticket, fixed, 5, placeholder=INT_PLACEHOLDER)
