"""An application may ask for its workers to be picked up from a later time (``pickup_from``: the
factory restarts later, the workers return on a stated date): the deadline clock then runs from it,
the plan request carries it, and a time in the past, too far ahead or unreadable is refused with the
field named."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from homeward.core.errors import DomainError
from tests.applications.conftest import csv_bytes, good_rows

NOW = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)  # 14:00 in the city


def _submitted(actor, pickup_from):
    from homeward.apps.applications import services

    app = services.application_create_draft(actor=actor, pickup_from=pickup_from)
    services.application_workers_upload(
        actor=actor, application_id=app.pk, source=io.BytesIO(csv_bytes(good_rows(3)))
    )
    return services.application_submit(actor=actor, application_id=app.pk, idempotency_key=f"p{app.pk}")


@pytest.mark.django_db
def test_the_clock_runs_from_the_pickup_time_and_the_plan_request_carries_it(enterprise_user, town_officer):
    from homeward.apps.applications import services
    from homeward.apps.planning.services import build_request
    from homeward.core.planning import StopCriterion

    later = NOW + timedelta(days=2)
    with time_machine.travel(NOW, tick=False):
        app = _submitted(enterprise_user, later)
        accepted = services.application_accept(actor=town_officer, application_id=app.pk)
        assert accepted.pickup_from == later
        assert accepted.deadline_at == later + timedelta(hours=accepted.deadline_hours)
        request = build_request(now=NOW, seed=1, stop=StopCriterion(max_iterations=10)).request
    (ask,) = [a for a in request.applications if a.id == str(app.pk)]
    assert ask.pickup_from == later and ask.deadline == accepted.deadline_at


@pytest.mark.django_db
def test_without_a_pickup_time_the_clock_runs_from_acceptance(enterprise_user, town_officer):
    from homeward.apps.applications import services

    with time_machine.travel(NOW, tick=False):
        app = _submitted(enterprise_user, None)
        accepted = services.application_accept(actor=town_officer, application_id=app.pk)
    assert accepted.pickup_from is None
    assert accepted.deadline_at == NOW + timedelta(hours=accepted.deadline_hours)


@pytest.mark.django_db
@pytest.mark.parametrize("when", [NOW - timedelta(hours=1), NOW + timedelta(days=15)])
def test_a_pickup_time_in_the_past_or_beyond_two_weeks_is_refused(enterprise_user, when):
    from homeward.apps.applications import services
    from homeward.apps.applications.models import ReturnApplication

    with time_machine.travel(NOW, tick=False), pytest.raises(DomainError) as caught:
        services.application_create_draft(actor=enterprise_user, pickup_from=when)
    assert caught.value.code == "pickup_from" and "14" in str(caught.value)
    assert not ReturnApplication.objects.exists()


@pytest.mark.django_db
def test_the_api_and_the_form_take_it_and_name_the_field_when_wrong(enterprise_user, client):
    from homeward.apps.applications.models import ReturnApplication

    client.force_login(enterprise_user)
    with time_machine.travel(NOW, tick=False):
        later = NOW + timedelta(days=1)
        r = client.post(
            "/api/v1/applications", {"pickup_from": later.isoformat()}, content_type="application/json"
        )
        assert r.status_code == 201, r.content
        assert datetime.fromisoformat(r.json()["pickup_from"]) == later
        client.force_login(enterprise_user)
        r = client.post("/applications/new/", {"notes": "", "pickup_from": "2026-03-12T08:00"})
        assert r.status_code == 302
        app = ReturnApplication.objects.latest("pk")
        # the form's time is the city's (Beijing, UTC+8)
        assert app.pickup_from == datetime(2026, 3, 12, 0, 0, tzinfo=UTC)
        page = client.get(f"/applications/{app.pk}/").content.decode()
        assert 'data-testid="pickup-from"' in page and "2026-03-12 08:00" in page
        before = ReturnApplication.objects.count()
        r = client.post("/applications/new/", {"notes": "", "pickup_from": "next tuesday"})
        assert "pickup_from" in r.content.decode()
        r = client.post(
            "/api/v1/applications",
            {"pickup_from": (NOW - timedelta(days=1)).isoformat()},
            content_type="application/json",
        )
        assert r.status_code in (400, 422) and "pickup_from" in r.content.decode()
        assert ReturnApplication.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed", ["0001-01-01T08:00", "9999-12-31T23:59", "2026-02-30T08:00", "next tuesday"]
)
def test_a_wrong_pickup_time_shows_the_form_again_as_typed_with_the_error_beside_it(
    enterprise_user, client, typed
) -> None:
    # found by a Chromium walk: a bare error page that named the field `pickup_from`, lost the
    # notes and linked back to the list
    from homeward.apps.applications.models import ReturnApplication

    client.force_login(enterprise_user)
    before = ReturnApplication.objects.count()
    r = client.post("/applications/new/", {"notes": "二车间 32 人", "pickup_from": typed})
    page = r.content.decode()
    assert r.status_code == 400 and 'data-testid="new-application-error"' in page
    assert 'value="二车间 32 人"' in page and f'value="{typed}"' in page
    assert "2000-01-01" in page if typed[:4] in ("0001", "9999") else "2026-03-12 08:00" in page
    assert "<code>pickup_from</code>" not in page  # no internal name shown as the error
    assert ReturnApplication.objects.count() == before
