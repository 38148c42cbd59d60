"""The enterprise's next step after a plan: a dispatched vehicle puts the applications it carries on
the road (接返途中) and "my seats" shows the departure; every worker left out or late says what
happens next and what the enterprise can do."""

from __future__ import annotations

import pytest

from tests.planning.conftest import logged_in, run_plan

pytestmark = pytest.mark.django_db


def _first_leg_vehicle(run, app):
    from homeward.apps.planning.models import PlanSeat

    return PlanSeat.objects.filter(run=run, application=app, leg=0, vehicle__isnull=False).first().vehicle


def test_a_dispatch_puts_the_applications_it_carries_in_transit(campaign, taskforce):
    from homeward.apps.applications.models import ReturnApplication
    from homeward.apps.audit.models import AuditEvent
    from homeward.apps.planning.models import PlanSeat
    from homeward.apps.planning.services import vehicle_dispatch

    run = run_plan()
    a = campaign["a"]
    a.refresh_from_db()
    assert a.state == "planned"
    vehicle = _first_leg_vehicle(run, a)
    riding = set(PlanSeat.objects.filter(vehicle=vehicle).values_list("application_id", flat=True))
    others = set(
        ReturnApplication.objects.filter(state="planned").exclude(pk__in=riding).values_list("pk", flat=True)
    )
    vehicle_dispatch(actor=taskforce, vehicle_id=vehicle.pk)
    vehicle_dispatch(actor=taskforce, vehicle_id=vehicle.pk)  # once only: no second move or event
    assert set(ReturnApplication.objects.filter(pk__in=riding).values_list("state", flat=True)) == {
        "in_transit"
    }
    assert set(ReturnApplication.objects.filter(pk__in=others).values_list("state", flat=True)) <= {"planned"}
    events = AuditEvent.objects.filter(action="application.in_transit", object_id=str(a.pk))
    assert events.count() == 1 and events.get().data["plan_vehicle"] == vehicle.pk


def test_a_replan_after_a_dispatch_keeps_the_application_on_the_road(campaign, taskforce):
    from homeward.apps.planning.models import PlanSeat
    from homeward.apps.planning.services import vehicle_dispatch

    run = run_plan()
    a = campaign["a"]
    vehicle = _first_leg_vehicle(run, a)
    seated = set(PlanSeat.objects.filter(vehicle=vehicle).values_list("worker_id", "seat"))
    vehicle_dispatch(actor=taskforce, vehicle_id=vehicle.pk)
    again = run_plan()
    kept = PlanSeat.objects.filter(run=again, vehicle__key=vehicle.key)
    assert set(kept.values_list("worker_id", "seat")) == seated
    a.refresh_from_db()
    assert a.state == "in_transit"


def test_my_seats_shows_departures(client, campaign, taskforce, enterprise_user):
    from homeward.apps.planning.services import vehicle_dispatch

    run = run_plan()
    vehicle = _first_leg_vehicle(run, campaign["a"])
    c = logged_in(client, enterprise_user)
    assert "已发车" not in c.get("/planning/my-seats/").content.decode()
    vehicle_dispatch(actor=taskforce, vehicle_id=vehicle.pk)
    rows = c.get("/planning/my-seats/").context["rows"]
    on_it = [r for r in rows if r["vehicle"] and r["leg"] == 1 and r["dispatched_at"] is not None]
    assert on_it and "已发车" in c.get("/planning/my-seats/").content.decode()


def test_each_worker_left_out_or_late_has_a_next_step(client, campaign, other_enterprise_user):
    from homeward.apps.planning.models import PlanSeat
    from homeward.apps.planning.selectors import NEXT_STEPS

    run = run_plan()
    late = campaign["late"]
    behind = PlanSeat.objects.filter(run=run, application=late, leg=0)
    assert behind.exists() and all(s.reason or s.minutes_late for s in behind)
    c = logged_in(client, other_enterprise_user)
    response = c.get("/planning/my-seats/")
    mine = [r for r in response.context["rows"] if r["application_id"] == late.pk and r["leg"] in ("", 1)]
    assert mine and all(r["next"] and r["can_do"] for r in mine)
    assert {str(r["next"]) for r in mine} <= {str(n) for n, _ in NEXT_STEPS.values()}
    html = response.content.decode()
    assert html.count('data-testid="next-step"') >= len(mine)
    # on time and seated: no next step to show
    assert all(
        not r["next"] for r in response.context["rows"] if r["application_id"] != late.pk and r["seat"]
    )


def test_the_next_steps_speak_english(client, campaign, other_enterprise_user):
    run_plan()
    c = logged_in(client, other_enterprise_user)
    html = c.get("/planning/my-seats/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Next step" in html and "The enterprise can:" in html
    assert "专班处理" not in html and "按计划出行" not in html
