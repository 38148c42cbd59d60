"""Replies through the letter's link become intentions; the employer turns them into an application."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from homeward.apps.accounts.policy import WorkerSession
from homeward.apps.applications.models import ApplicationWorker
from homeward.apps.audit.models import AuditEvent
from homeward.apps.letters.models import Intention, OptOut, Reply
from homeward.apps.letters.selectors import campaign_counts, intention_counts, intention_list
from homeward.apps.letters.services import (
    campaign_create,
    campaign_execute_now,
    campaign_send,
    intentions_to_application,
    letter_reply,
)
from homeward.apps.trips.services.self_service import worker_link_redeem
from homeward.core.errors import DomainError
from tests.letters.conftest import outbox

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2020, 2, 10, 2, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def sent(taskforce, away_world, letters_dir):
    c = campaign_create(
        actor=taskforce, name="毕节家书", template="{姓名}：{链接}", hotline="12345", channel="file",
        audience={"origin": "520500"},
    )  # fmt: skip
    campaign_send(actor=taskforce, campaign_id=c.pk)
    assert campaign_execute_now(c.pk) == "done"
    return c


def _session_of_letter(letters_dir, worker) -> WorkerSession:
    letter = next(x for x in outbox(letters_dir) if x["worker"] == worker.pk)
    token = letter["text"].split("?k=", 1)[1]
    return worker_link_redeem(token=token)


def test_a_letters_link_signs_the_worker_in_and_their_reply_is_their_intention(
    sent, away_world, letters_dir, taskforce
):
    worker = away_world["a"][0]
    session = _session_of_letter(letters_dir, worker)
    assert (session.application_worker_id, session.person_id) == (0, worker.pk)
    reply = letter_reply(
        actor=session, kind="returning", return_date="2020-02-14", county="520521", needs_transport=True,
        health_code="green", nonce="n1",
    )  # fmt: skip
    again = letter_reply(
        actor=session, kind="returning", return_date="2020-02-14", county="520521", nonce="n1"
    )
    assert again.pk == reply.pk and Reply.objects.count() == 1
    i = Intention.objects.get(person=worker)
    assert (i.kind, i.return_date, i.county_code, i.needs_transport) == (
        "returning",
        dt.date(2020, 2, 14),
        "520521",
        True,
    )
    assert intention_counts(actor=taskforce, by="county") == [
        {"key": "520521", "returning": 1, "transport": 1}
    ]
    assert campaign_counts(sent).replied == 1
    # a later reply replaces the intention
    letter_reply(actor=session, kind="not_returning", reason="家中有事", opt_out=True, nonce="n2")
    i.refresh_from_db()
    assert i.kind == "not_returning" and OptOut.objects.filter(person=worker).exists()
    assert intention_counts(actor=taskforce, by="county") == []


def test_a_reply_is_refused_to_anyone_but_the_worker_and_checked(sent, away_world, enterprise_user):
    with pytest.raises(DomainError):
        letter_reply(actor=enterprise_user, kind="not_returning", nonce="x")
    assert AuditEvent.objects.filter(actor=enterprise_user, action="denied.letter.reply").exists()
    session = WorkerSession(0, away_world["a"][1].pk)
    for bad in (
        {"return_date": "2020-01-01", "county": "520521"},
        {"return_date": "2020-02-14", "county": "999999"},
    ):
        with pytest.raises(DomainError):
            letter_reply(actor=session, kind="returning", nonce="x", **bad)
    assert not Reply.objects.exists()


def test_the_employer_turns_its_workers_intentions_into_one_draft_application(
    sent, away_world, enterprise_user, other_enterprise_user
):
    mine = away_world["a"][:2]
    for n, w in enumerate(mine):
        letter_reply(
            actor=WorkerSession(0, w.pk), kind="returning", return_date="2020-02-15", county="520521",
            health_code="green", nonce=f"r{n}",
        )  # fmt: skip
    theirs = away_world["b"][0]
    letter_reply(
        actor=WorkerSession(0, theirs.pk),
        kind="returning",
        return_date="2020-02-15",
        county="341202",
        nonce="t",
    )
    assert {i.person_id for i in intention_list(actor=enterprise_user)} == {w.pk for w in mine}
    with pytest.raises(DomainError):  # another enterprise's worker is not theirs to pick
        intentions_to_application(actor=enterprise_user, person_ids=[theirs.pk])
    app = intentions_to_application(actor=enterprise_user, person_ids=[w.pk for w in mine])
    rows = ApplicationWorker.objects.filter(application=app, active=True)
    assert app.state == "draft" and app.enterprise_id == mine[0].employer_id
    # picked up from 08:00 (Beijing) on the day they said they would leave, not before
    assert app.pickup_from == dt.datetime(2020, 2, 15, 0, 0, tzinfo=dt.UTC)
    assert sorted((r.id_number, r.pickup_county_code) for r in rows) == sorted(
        (w.id_number, "520521") for w in mine
    )
    assert list(intention_list(actor=enterprise_user)) == []
    assert campaign_counts(sent).converted == 2
    # sent again (a resent form): the same application, nothing added
    assert intentions_to_application(actor=enterprise_user, person_ids=[w.pk for w in mine]).pk == app.pk
    assert rows.count() == 2
    with pytest.raises(DomainError):
        intentions_to_application(actor=other_enterprise_user, person_ids=[w.pk for w in mine])


def test_the_application_picks_up_from_the_latest_stated_day_and_none_when_it_is_past(
    sent, away_world, enterprise_user
):
    first, second, third = away_world["a"][:3]
    for n, (w, day) in enumerate(((first, "2020-02-14"), (second, "2020-02-16"))):
        letter_reply(
            actor=WorkerSession(0, w.pk), kind="returning", return_date=day, county="520521", nonce=f"d{n}"
        )
    app = intentions_to_application(actor=enterprise_user, person_ids=[first.pk, second.pk])
    assert app.pickup_from == dt.datetime(2020, 2, 16, 0, 0, tzinfo=dt.UTC)
    letter_reply(
        actor=WorkerSession(0, third.pk),
        kind="returning",
        return_date="2020-02-10",
        county="520521",
        nonce="d3",
    )
    # today at 10:00 Beijing: 08:00 today has passed, so as soon as a vehicle can reach them
    assert intentions_to_application(actor=enterprise_user, person_ids=[third.pk]).pickup_from is None
