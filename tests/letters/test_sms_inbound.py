"""``POST /api/v1/letters/sms-inbound``: the SMS gateway's keyword replies become the same replies and
intentions as the form; bad messages get a row of their own; a message id counts once; the shared
secret is required, and with none configured nothing gets in."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from homeward.apps.audit.models import AuditEvent
from homeward.apps.letters.models import Intention, KeywordMessage, OptOut, Reply
from homeward.apps.letters.services import campaign_create, campaign_execute_now, campaign_send
from homeward.apps.registry.models import Worker

pytestmark = pytest.mark.django_db
URL = "/api/v1/letters/sms-inbound"
SECRET = "gateway-secret-for-tests"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2020, 2, 10, 2, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def written(taskforce, away_world, letters_dir, settings):
    settings.HOMEWARD_SMS_INBOUND_SECRET = SECRET
    for i, w in enumerate(away_world["a"]):
        Worker.objects.filter(pk=w.pk).update(phone=f"1390000000{i}")
    c = campaign_create(
        actor=taskforce, name="毕节家书", template="{姓名}：{链接}", hotline="12345", channel="file",
        audience={"origin": "520500"},
    )  # fmt: skip
    campaign_send(actor=taskforce, campaign_id=c.pk)
    assert campaign_execute_now(c.pk) == "done"
    return away_world


def _post(client, messages, secret=SECRET):
    headers = {"X-Homeward-Sms-Secret": secret} if secret is not None else {}
    return client.post(URL, {"messages": messages}, content_type="application/json", headers=headers)


def test_keyword_replies_become_intentions_once_per_message(client, written):
    a = written["a"]
    messages = [
        {"id": "g-1", "phone": "+86 13900000000", "text": "回 ３月２日 520521 要车 绿码"},
        {"id": "g-2", "phone": "13900000001", "text": "不回 家中有事"},
        {"id": "g-3", "phone": "13900000002", "text": "退订"},
        {"id": "g-4", "phone": "13900000003", "text": "回 明天"},
        {"id": "g-5", "phone": "13700000000", "text": "不回"},
        {"id": "g-6", "phone": "13900000004", "text": "回 3月2日 999999"},
    ]
    response = _post(client, messages)
    assert response.status_code == 200, response.content
    got = {r["id"]: (r["outcome"], r["reason"], r["duplicate"]) for r in response.json()["results"]}
    assert got == {
        "g-1": ("replied", "", False),
        "g-2": ("replied", "", False),
        "g-3": ("opted_out", "", False),
        "g-4": ("refused", "unknown_word", False),
        "g-5": ("refused", "unknown_phone", False),
        "g-6": ("refused", "bad_county", False),
    }
    i = Intention.objects.get(person=a[0])
    assert (i.kind, i.return_date, i.county_code, i.needs_transport, i.health_code) == (
        "returning", dt.date(2020, 3, 2), "520521", True, "green"
    )  # fmt: skip
    assert Worker.objects.get(pk=a[0].pk).declared_code == "520521"
    assert Intention.objects.get(person=a[1]).kind == "not_returning"
    assert OptOut.objects.get(person=a[2]).source == "keyword"
    assert KeywordMessage.objects.count() == 6
    assert AuditEvent.objects.filter(action="letter.sms_inbound").count() == 6
    assert AuditEvent.objects.filter(action="letter.reply", data__source="keyword").count() == 2

    # the gateway sends the batch again (a lost answer): the first answers, nothing written twice
    again = _post(client, messages[:2] + [{"id": "g-1", "phone": "13900000000", "text": "不回"}])
    assert [(r["id"], r["outcome"], r["duplicate"]) for r in again.json()["results"]] == [
        ("g-1", "replied", True), ("g-2", "replied", True), ("g-1", "replied", True)
    ]  # fmt: skip
    assert Reply.objects.count() == 2 and KeywordMessage.objects.count() == 6
    assert Intention.objects.get(person=a[0]).kind == "returning"


def test_a_shared_phone_is_refused_rather_than_guessed(client, written):
    a = written["a"]
    Worker.objects.filter(pk=a[1].pk).update(phone="13900000000")
    response = _post(client, [{"id": "s-1", "phone": "13900000000", "text": "不回"}])
    assert response.json()["results"][0]["reason"] == "shared_phone"
    assert not Reply.objects.exists()


@pytest.mark.parametrize("secret", [None, "wrong", ""])
def test_without_the_secret_nothing_gets_in(client, written, secret):
    response = _post(client, [{"id": "x-1", "phone": "13900000000", "text": "退订"}], secret=secret)
    assert response.status_code == 401
    assert not KeywordMessage.objects.exists() and not OptOut.objects.exists()


def test_with_no_secret_configured_every_call_is_refused(client, written, settings):
    settings.HOMEWARD_SMS_INBOUND_SECRET = ""
    response = _post(client, [{"id": "x-1", "phone": "13900000000", "text": "退订"}], secret="")
    assert response.status_code == 401 and not KeywordMessage.objects.exists()
