"""Sending a campaign: the audience written down once, batches on the file channel, each letter
exactly once even when the run crashes in the middle and is resumed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeward.apps.letters.models import Campaign, Letter, LetterState, OptOut
from homeward.apps.letters.services import (
    campaign_create,
    campaign_execute_now,
    campaign_resume,
    campaign_send,
)
from homeward.apps.trips.models import WorkerLink
from tests.letters.conftest import outbox

pytestmark = pytest.mark.django_db(transaction=False)

TEMPLATE = "{姓名}您好，{企业}（{镇街}）盼您返岗。回复请点 {链接}，短码 {短码}，热线 {热线}。"


def _campaign(taskforce, *, origin="520000", channel="file", batch_size=3):
    c = campaign_create(
        actor=taskforce, name="毕节家书", template=TEMPLATE, hotline="0574-63000000", channel=channel,
        audience={"origin": origin},
    )  # fmt: skip
    Campaign.objects.filter(pk=c.pk).update(batch_size=batch_size)
    return c


def test_it_sends_one_letter_to_each_away_worker_of_the_origin(taskforce, away_world, letters_dir):
    c = _campaign(taskforce)
    campaign_send(actor=taskforce, campaign_id=c.pk)
    assert campaign_execute_now(c.pk) == "done"
    letters = outbox(letters_dir)
    assert sorted(x["worker"] for x in letters) == sorted(w.pk for w in away_world["a"])
    first = next(x for x in letters if x["worker"] == away_world["a"][0].pk)
    assert first["text"].startswith(f"{away_world['a'][0].name}您好，慈溪甲电器有限公司（浒山街道）")
    assert "/w/start/?k=" in first["text"] and "{" not in first["text"]
    assert set(Letter.objects.filter(campaign=c).values_list("state", flat=True)) == {LetterState.DELIVERED}
    c.refresh_from_db()
    assert (c.state, c.letters_total, c.letters_done) == ("done", 7, 7)
    # each worker got one live link, naming them as a registry worker
    assert WorkerLink.objects.filter(person__in=away_world["a"], superseded_at__isnull=True).count() == 7


def test_it_skips_workers_who_opted_out(taskforce, away_world, letters_dir):
    from django.utils import timezone

    OptOut.objects.create(person=away_world["a"][0], at=timezone.now(), source="reply")
    c = _campaign(taskforce)
    campaign_send(actor=taskforce, campaign_id=c.pk)
    campaign_execute_now(c.pk)
    assert away_world["a"][0].pk not in {x["worker"] for x in outbox(letters_dir)}
    assert Letter.objects.filter(campaign=c).count() == 6


def test_a_gateway_without_configuration_refuses_and_sends_nothing(taskforce, away_world, letters_dir):
    from homeward.core.errors import DomainError

    c = _campaign(taskforce, channel="sms")
    with pytest.raises(DomainError) as exc:
        campaign_send(actor=taskforce, campaign_id=c.pk)
    assert exc.value.code == "channel_not_configured"
    c.refresh_from_db()
    assert c.state == "draft" and not Letter.objects.filter(campaign=c).exists()


class Crash(Exception):
    pass


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch_size=st.integers(1, 8), crash_at=st.integers(0, 7))
def test_a_crash_at_any_batch_resumes_with_each_letter_exactly_once(
    taskforce, away_world, letters_dir, batch_size, crash_at
):
    """Crash after the channel took batch ``crash_at`` and before its commit, resume: every worker
    of the audience has exactly one letter in the outbox and one Letter row, all delivered."""
    import shutil

    shutil.rmtree(letters_dir, ignore_errors=True)
    c = _campaign(taskforce, origin="", batch_size=batch_size)  # all 10 away workers
    campaign_send(actor=taskforce, campaign_id=c.pk)

    def crash(batch: int) -> None:
        if batch == crash_at:
            raise Crash(batch)

    batches = -(-10 // batch_size)
    first = campaign_execute_now(c.pk, after_deliver=crash)
    assert first == ("failed" if crash_at < batches else "done")
    if first == "failed":
        campaign_resume(actor=taskforce, campaign_id=c.pk)
        assert campaign_execute_now(c.pk, after_deliver=lambda b: None) == "done"
    written = [
        x["worker"]
        for x in outbox(letters_dir)
        if x["letter"] in set(Letter.objects.filter(campaign=c).values_list("pk", flat=True))
    ]
    everyone = sorted(w.pk for w in [*away_world["a"], *away_world["b"]])
    assert sorted(written) == everyone  # no duplicates, none missing
    assert Letter.objects.filter(campaign=c, state=LetterState.DELIVERED).count() == 10
