"""The deadline clock with frozen time: ok → warn at 6 h left → critical at 2 h → overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from homeward.apps.applications.clock import deadline_status

ACCEPTED = datetime(2020, 2, 12, 8, 0, tzinfo=UTC)
DEADLINE = ACCEPTED + timedelta(hours=30)


@pytest.mark.parametrize(
    ("after", "level", "text"),
    [
        (timedelta(0), "ok", "30:00"),
        (timedelta(hours=23, minutes=59), "ok", "6:01"),
        (timedelta(hours=24), "warn", "6:00"),
        (timedelta(hours=27, minutes=59), "warn", "2:01"),
        (timedelta(hours=28), "critical", "2:00"),
        (timedelta(hours=29, minutes=59, seconds=59), "critical", "0:00"),
        (timedelta(hours=30), "overdue", "0:00"),
        (timedelta(hours=30, minutes=30), "overdue", "-0:30"),
    ],
)
def test_it_levels_the_remaining_time(after, level, text):
    with time_machine.travel(ACCEPTED + after, tick=False):
        status = deadline_status(DEADLINE, datetime.now(UTC))
    assert status.level == level
    assert status.remaining_text == text


def test_it_is_pending_before_acceptance_and_stopped_after_completion():
    now = datetime(2020, 2, 12, tzinfo=UTC)
    assert deadline_status(None, now).level == "pending"
    assert deadline_status(DEADLINE, now + timedelta(days=3), stopped=True).level == "stopped"


def test_the_planner_flag_raises_an_alert_even_with_time_left():
    status = deadline_status(DEADLINE, ACCEPTED, at_risk=True)
    assert status.level == "ok" and status.alert


@pytest.mark.django_db
def test_the_application_page_shows_the_clock_turning_critical(accepted, enterprise_user, client):
    # Sessions last hours, not the 29 travelled here: sign in at each moment.
    with time_machine.travel(accepted.deadline_at - timedelta(hours=1), tick=False):
        client.force_login(enterprise_user)
        html = client.get(f"/applications/{accepted.pk}/clock/").content.decode()
    assert 'data-level="critical"' in html and "<b>1:00</b>" in html
    with time_machine.travel(accepted.deadline_at - timedelta(hours=5), tick=False):
        client.force_login(enterprise_user)
        html = client.get(f"/applications/{accepted.pk}/").content.decode()
    assert 'data-level="warn"' in html
