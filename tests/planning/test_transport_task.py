"""Transport's task for an application the plan carries on its buses: the form is the plan's (plate,
route, provinces, window, toll stations to choose from along the route), and completing it signs
the plan's road pass of each bus instead of drafting a second pass beside it — all or nothing."""

from __future__ import annotations

import dataclasses
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.planning.conftest import logged_in

pytestmark = pytest.mark.django_db

CONFIRMED = {"plate": "浙B·D1234", "carrier": "慈溪客运", "entry_station": "梁园收费站"}
CONFIRMED["exit_station"] = "慈溪收费站"


@pytest.fixture(autouse=True)
def _department_tasks(campaign):
    """The campaign's cases with the tasks acceptance opens (``make_application`` makes bare cases)."""
    from homeward.apps.applications.models import DepartmentTask
    from homeward.apps.applications.services.tasks import case_tasks

    for app in campaign.values():
        DepartmentTask.objects.bulk_create(case_tasks(app.case, app))


def _transport_task(app):
    from homeward.apps.applications.models import DepartmentTask

    return DepartmentTask.objects.get(case__application=app, kind="vehicle_route_pass")


def _bus_app(planned, campaign):
    """An application of the campaign the plan carries on a bus, and its buses."""
    from homeward.apps.planning.selectors import application_buses

    by_app = application_buses([a.pk for a in campaign.values()])
    app = next(a for a in campaign.values() if by_app.get(a.pk))
    return app, by_app[app.pk]


def _form(buses, **override):
    data = {}
    for bus in buses:
        for field, value in {**CONFIRMED, **override}.items():
            data[f"bus-{bus.vehicle.pk}-{field}"] = value
    return data


def test_the_transport_form_of_a_planned_application_is_the_plans(planned, campaign, transport_officer):
    from homeward.apps.planning.models import PlanSeat
    from homeward.apps.planning.road_pass import toll_choices
    from homeward.core import regions

    app, buses = _bus_app(planned, campaign)
    for bus in buses:
        assert bus.vehicle.run_id == planned.pk and bus.permit is None  # not drafted yet
        assert (
            bus.riders == PlanSeat.objects.filter(run=planned, vehicle=bus.vehicle, application=app).count()
        )
        assert bus.road_pass.route and bus.road_pass.provinces[-1] == "浙江省"
        assert bus.values["entry_station"] == bus.values["exit_station"] == ""  # 待定: to confirm
        assert bus.exit_choices == ("慈溪收费站",)  # it leaves the expressway at the home city
        counties = {w.pickup_county_code for w in app.workers.filter(plan_seats__vehicle=bus.vehicle)}
        assert set(bus.entry_choices) == {
            f"{regions.short_name(regions.require(c).name)}收费站" for c in counties
        }
    # a feeder bus ends at an origin station: it leaves the expressway in that station's city
    feeder = dataclasses.replace(buses[0].road_pass, destination="阜阳站")
    assert toll_choices(["341221"], feeder, "慈溪市") == (("临泉收费站",), ("阜阳收费站", "颍州收费站"))
    page = logged_in(Client(), transport_officer).get(reverse("applications:tasks"), {"q": str(app.pk)})
    html = page.content.decode()
    form = html[html.index(f'data-application="{app.pk}"') :]
    form = form[: form.index("</form>")]
    assert 'name="route"' not in form and 'name="provinces"' not in form  # nothing to retype
    for bus in buses:
        assert f'name="bus-{bus.vehicle.pk}-entry_station"' in form
        assert " → ".join(bus.road_pass.route) in form
        for choice in bus.entry_choices:
            assert f'<option value="{choice}">' in form


def test_completing_it_signs_the_plans_pass_and_drafts_no_second_one(
    planned, campaign, transport_officer, health_officer, hr_officer
):
    from homeward.apps.applications import services
    from homeward.apps.applications.models import Permit
    from homeward.apps.audit.models import AuditEvent
    from tests.applications.conftest import HEALTH_DATA

    app, buses = _bus_app(planned, campaign)
    client = logged_in(Client(), transport_officer)
    task = _transport_task(app)
    response = client.post(reverse("applications:task-complete", args=[task.pk]), _form(buses))
    assert response.status_code == 302, response.content.decode()[:500]
    task.refresh_from_db()
    assert task.state == "done" and task.data["source"] == "plan" and task.data["plan_run"] == planned.pk
    passes = Permit.objects.filter(kind="road_pass")
    assert not passes.filter(application=app).exists()  # no RP-<application> beside the plan's
    assert set(passes.values_list("plan_vehicle_id", flat=True)) == {b.vehicle.pk for b in buses}
    for permit in passes:
        assert permit.payload["entry_station"] == CONFIRMED["entry_station"]
        assert permit.payload["plate"] == CONFIRMED["plate"]
        assert list(permit.signatures.values_list("department", flat=True)) == ["transport"]
    assert [v["permit_id"] for v in task.data["vehicles"]] == [p.permit_id for p in passes.order_by("pk")]
    assert AuditEvent.objects.filter(action="permit.sign", actor=transport_officer).count() == len(buses)
    # health's task drafts the trip's prevention permit over the plan's plates
    health = services.department_task_complete(
        actor=health_officer,
        task_id=app.case.tasks.get(kind="escort_kit_checks").pk,
        data=HEALTH_DATA,
    )
    assert health.state == "done"
    prevention = Permit.objects.get(application=app, kind="prevention")
    assert prevention.payload["vehicles"] == [CONFIRMED["plate"]] * len(buses)
    # HR's signature issues the plan's pass: the one a checkpoint sees
    issued = services.permit_sign(actor=hr_officer, permit_id=passes.first().pk)
    assert issued.state == "issued" and issued.token


def test_a_bad_confirmation_names_the_field_and_writes_nothing(planned, campaign, transport_officer):
    from homeward.apps.applications import services
    from homeward.apps.applications.models import Permit
    from homeward.apps.audit.models import AuditEvent
    from homeward.core.errors import DomainError

    app, buses = _bus_app(planned, campaign)
    task = _transport_task(app)
    before = AuditEvent.objects.count()
    with pytest.raises(DomainError) as blank:  # a toll station left 待定: the pass cannot be signed
        services.department_task_complete(
            actor=transport_officer, task_id=task.pk, data=_form(buses, exit_station="")
        )
    assert blank.value.code == "permit_placeholders" and "出口收费站" in blank.value.message
    with pytest.raises(DomainError) as typed:  # the typed-in form of an unplanned application
        services.department_task_complete(
            actor=transport_officer, task_id=task.pk, data={"plate": "贵F·D1234", "route": "毕节\n慈溪"}
        )
    assert typed.value.code == "invalid_task_data" and "plate" in typed.value.message
    with pytest.raises(DomainError) as stranger:
        services.department_task_complete(
            actor=transport_officer, task_id=task.pk, data={"bus-999999-plate": "浙B·D1234"}
        )
    assert stranger.value.code == "stale_plan"
    task.refresh_from_db()
    assert task.state == "open" and not Permit.objects.exists()  # nothing drafted, filled or signed
    assert not AuditEvent.objects.filter(pk__gt=before, action__startswith="permit.").exists()


def test_a_pass_someone_signed_is_shown_fixed_and_a_second_task_only_records_it(
    planned, campaign, transport_officer, taskforce
):
    """A pooled bus (or a pass transport already signed from the bus's page): the task shows its
    fields as they are signed and completes without signing again."""
    from homeward.apps.applications import services
    from homeward.apps.planning.permits import plan_permits_draft
    from homeward.apps.planning.selectors import application_buses

    app, buses = _bus_app(planned, campaign)
    for permit in plan_permits_draft(actor=taskforce, run_id=planned.pk):
        services.permit_fill(actor=transport_officer, permit_id=permit.pk, values=CONFIRMED)
        services.permit_sign(actor=transport_officer, permit_id=permit.pk)
    (fixed, *_) = application_buses([app.pk])[app.pk]
    assert fixed.fixed and fixed.signed == ("transport",)
    html = logged_in(Client(), transport_officer).get(reverse("applications:detail", args=[app.pk])).content
    assert re.search(rb"name=\"bus-\d+-plate\"", html) is None  # nothing left to type
    assert CONFIRMED["entry_station"].encode() in html
    done = services.department_task_complete(
        actor=transport_officer, task_id=_transport_task(app).pk, data={}
    )
    assert done.state == "done" and len(done.data["vehicles"]) == len(buses)


def test_an_application_no_plan_bus_carries_keeps_the_typed_in_form(campaign, transport_officer):
    """Before any plan (or for the enterprise's own vehicles) transport types the vehicle in."""
    from homeward.apps.applications import services
    from homeward.apps.applications.models import Permit
    from tests.applications.conftest import TRANSPORT_DATA

    app = campaign["a"]
    done = services.department_task_complete(
        actor=transport_officer, task_id=_transport_task(app).pk, data=TRANSPORT_DATA
    )
    assert done.data.get("source") is None and done.data["vehicles"][0]["plate"] == TRANSPORT_DATA["plate"]
    assert Permit.objects.filter(application=app, kind="road_pass").count() == 1
