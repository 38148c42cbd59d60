"""A reply to a letter home updates the worker's known location and status: the next heat-map rebuild
counts a returning worker in the county they say they are in, and a worker not returning as away on
the strength of their reply."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from homeward.apps.heatmap.models import WorkerStatus
from homeward.apps.heatmap.selectors import Filters, origin_rows
from homeward.apps.heatmap.services import heatmap_rebuild_execute_now, heatmap_rebuild_request
from homeward.apps.letters.services import campaign_create, campaign_execute_now, campaign_send, letter_reply
from homeward.apps.registry.models import Worker
from homeward.apps.trips.services.self_service import worker_link_redeem
from tests.letters.conftest import outbox

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2020, 2, 10, 2, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def heatmap_settings(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def _rebuild(actor) -> dict[str, dict]:
    snapshot = heatmap_rebuild_request(actor=actor, force_new=True)
    assert heatmap_rebuild_execute_now(snapshot.pk) == "done"
    snapshot.refresh_from_db()
    _snap, rows = origin_rows(actor=actor, level="county", filters=Filters(), snapshot=snapshot)
    return {r["code"]: r for r in rows}


def _session(letters_dir, worker):
    letter = next(x for x in outbox(letters_dir) if x["worker"] == worker.pk)
    return worker_link_redeem(token=letter["text"].split("?k=", 1)[1])


def test_a_reply_moves_the_worker_on_the_next_heat_map(taskforce, away_world, letters_dir, heatmap_settings):
    c = campaign_create(
        actor=taskforce, name="毕节家书", template="{姓名}：{链接}", hotline="12345", channel="file",
        audience={"origin": "520500"},
    )  # fmt: skip
    campaign_send(actor=taskforce, campaign_id=c.pk)
    assert campaign_execute_now(c.pk) == "done"
    before = _rebuild(taskforce)
    assert before["520502"]["away"] == 8 and "520521" not in before

    moving, staying = away_world["a"][0], away_world["a"][1]
    letter_reply(
        actor=_session(letters_dir, moving), kind="returning", return_date="2020-02-20", county="520521",
        needs_transport=True, nonce="n1",
    )  # fmt: skip
    letter_reply(actor=_session(letters_dir, staying), kind="not_returning", reason="家中有事", nonce="n2")
    assert Worker.objects.get(pk=moving.pk).declared_code == "520521"
    assert Worker.objects.get(pk=staying.pk).declared_code == ""

    after = _rebuild(taskforce)
    assert after["520502"]["away"] == 7  # the mover left the ID's county …
    assert after["520521"]["away"] == 1  # … for the one they said they are in
    said = {
        s.worker_id: (s.status, s.source) for s in WorkerStatus.objects.filter(worker__in=[moving, staying])
    }
    assert said == {moving.pk: ("away", "intention"), staying.pk: ("away", "intention")}
