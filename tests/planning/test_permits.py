"""Road passes drafted from a plan (one per bus, idempotent, task force or transport only), co-signed
by the departments like an application's, seen by the enterprises whose workers ride the bus, and
shown on the plan board and the bus's page with its timetable in words."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.planning.conftest import logged_in, run_plan

pytestmark = pytest.mark.django_db


def _draft(actor, run):
    from homeward.apps.planning.permits import plan_permits_draft

    return plan_permits_draft(actor=actor, run_id=run.pk)


# What the carrier reports before a plan's pass can be signed (the planner names no toll stations).
FILLED = {
    "plate": "浙B·D1234",
    "carrier": "宁波客运",
    "entry_station": "起点收费站",
    "exit_station": "终点收费站",
}


def _fill(actor, permit):
    """Fill in the pass's placeholders, as transport does before anyone signs."""
    from homeward.apps.applications import services
    from homeward.core.permits import placeholder_fields

    unready = placeholder_fields(services.core_permit(permit))
    assert "entry_station" in unready and "exit_station" in unready  # the planner leaves tolls 待定
    services.permit_fill(actor=actor, permit_id=permit.pk, values={f: FILLED[f] for f in unready})
    permit.refresh_from_db()
    return permit


def _riders(bus):
    from homeward.apps.planning.models import PlanSeat

    return set(PlanSeat.objects.filter(vehicle=bus).values_list("enterprise_id", flat=True))


def test_it_drafts_one_road_pass_per_bus_from_the_plan_once(planned, taskforce):
    from homeward.apps.applications.models import Permit
    from homeward.apps.audit.models import AuditEvent

    buses = {b.pk: b for b in planned.vehicles.filter(kind="bus")}
    permits = _draft(taskforce, planned)
    assert buses and {p.plan_vehicle_id for p in permits} == set(buses)
    for p in permits:
        bus, draft = buses[p.plan_vehicle_id], buses[p.plan_vehicle_id].detail["permit"]
        assert (p.permit_id, p.kind, p.state) == (f"RP-P{planned.pk}-{bus.key}", "road_pass", "drafted")
        assert p.application is None and p.signer_list == ["hr", "transport"]
        assert p.payload["plate"] == bus.name == draft["plate"] and p.payload["carrier"] == "慈溪客运"
        assert p.payload["passengers"] == bus.passengers == draft["passengers"]
        assert p.payload["route"] == draft["route"] and p.payload["destination"] == draft["destination"]
        assert p.payload["provinces"][-1] == "浙江省"
    assert AuditEvent.objects.filter(action="permit.draft", actor=taskforce).count() == len(permits)
    assert _draft(taskforce, planned) == []  # again: nothing new, same ids
    assert Permit.objects.count() == len(permits)


def test_a_plan_road_pass_is_signed_by_the_departments_and_verifies(
    planned, taskforce, transport_officer, hr_officer, health_officer
):
    from homeward.apps.applications import selectors, services
    from homeward.core.errors import DomainError

    (permit, *_) = _draft(transport_officer, planned)
    assert permit in selectors.permits_to_sign(actor=hr_officer)
    assert permit not in selectors.permits_to_sign(actor=health_officer)  # not a road-pass signer
    with pytest.raises(DomainError) as unready:
        services.permit_sign(actor=hr_officer, permit_id=permit.pk)
    assert unready.value.code == "permit_placeholders"  # 待定 tolls: not on a signed pass
    permit = _fill(transport_officer, permit)
    services.permit_sign(actor=hr_officer, permit_id=permit.pk)
    permit = services.permit_sign(actor=transport_officer, permit_id=permit.pk)
    assert permit.state == "issued" and permit.token
    check = services.permit_verify(permit.token)
    assert check.valid and check.permit is not None and check.permit.permit_id == permit.permit_id
    _, pdf = services.permit_pdf(actor=taskforce, permit_id=permit.pk)
    assert pdf[:5] == b"%PDF-"


def test_an_enterprise_sees_the_road_pass_of_a_bus_its_workers_ride_only(
    client, planned, taskforce, enterprise_user, other_enterprise_user
):
    from homeward.apps.applications import selectors, services
    from homeward.apps.audit.models import AuditEvent
    from homeward.core.errors import NotFound

    (permit, *_) = _draft(taskforce, planned)
    riders = _riders(permit.plan_vehicle)
    on, off = (
        (enterprise_user, other_enterprise_user)
        if enterprise_user.profile.enterprise_id in riders
        else (other_enterprise_user, enterprise_user)
    )
    assert on.profile.enterprise_id in riders and off.profile.enterprise_id not in riders
    assert permit in selectors.permits_visible(actor=on)
    assert permit not in selectors.permits_visible(actor=off)
    with pytest.raises(NotFound):
        services.permit_pdf(actor=off, permit_id=permit.pk)
    assert AuditEvent.objects.filter(action="denied.permit.read", actor=off).exists()
    listed = logged_in(client, on).get("/api/v1/permits").json()["items"]
    assert [(p["permit_id"], p["application_id"], p["plan_vehicle_id"]) for p in listed] == [
        (permit.permit_id, None, permit.plan_vehicle_id)
    ]
    app = on.profile.enterprise.return_applications.filter(plan_seats__vehicle=permit.plan_vehicle).first()
    assert permit.permit_id in client.get(f"/applications/{app.pk}/").content.decode()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("enterprise_user", 404), ("hr_officer", 404), ("health_officer", 403), ("station_staff", 404)],
)
def test_only_the_task_force_and_transport_draft_road_passes(request, planned, persona, status):
    """Those who do not see plans at all get 404, health (which checks the buses) 403; audited."""
    from homeward.apps.applications.models import Permit
    from homeward.apps.audit.models import AuditEvent
    from homeward.core.errors import DomainError

    actor = request.getfixturevalue(persona)
    with pytest.raises(DomainError) as refused:
        _draft(actor, planned)
    assert refused.value.status == status
    assert not Permit.objects.exists()
    assert AuditEvent.objects.filter(
        action="denied.plan.permits", actor=actor, object_id=str(planned.pk)
    ).exists()


def test_a_dispatched_bus_keeps_its_road_pass_through_a_replan(
    campaign, taskforce, hr_officer, enterprise_a, enterprise_b
):
    from homeward.apps.applications import selectors as permit_selectors
    from homeward.apps.applications import services
    from homeward.apps.planning import selectors
    from homeward.apps.planning.services import vehicle_dispatch
    from homeward.core.errors import Conflict
    from tests.planning.conftest import make_application

    make_application(enterprise_a, ["411402"] * 60)  # two buses from 商丘
    planned = run_plan()
    first = {p.plan_vehicle.key: p for p in _draft(taskforce, planned)}
    assert len(first) >= 2
    sent, stay = (planned.vehicles.get(key=k) for k in sorted(first)[:2])
    vehicle_dispatch(actor=taskforce, vehicle_id=sent.pk)
    make_application(enterprise_b, ["411402"] * 20)
    second = run_plan()
    with pytest.raises(Conflict) as stale:
        _draft(taskforce, planned)
    assert stale.value.code == "stale_plan"
    created = _draft(taskforce, second)
    assert created and sent.key not in {p.plan_vehicle.key for p in created}  # on the road with its pass
    assert selectors.road_passes(second)[sent.key] == first[sent.key]
    assert len(selectors.road_passes(second)) == second.vehicles.filter(kind="bus").count()
    # the superseded run's undispatched drafts no longer wait for signatures, nor can be signed
    waiting = set(permit_selectors.permits_to_sign(actor=hr_officer))
    assert first[sent.key] in waiting and set(created) <= waiting and first[stay.key] not in waiting
    with pytest.raises(Conflict) as superseded:
        services.permit_sign(actor=hr_officer, permit_id=first[stay.key].pk)
    assert superseded.value.code == "stale_plan"


def test_the_board_drafts_the_road_passes_and_says_how_many(client, planned, taskforce):
    c = logged_in(client, taskforce)
    board = c.get("/planning/").content.decode()
    assert 'data-testid="road-passes-draft"' in board and "起草通行证" in board
    buses = planned.vehicles.filter(kind="bus").count()
    url = f"/planning/runs/{planned.pk}/permits/"
    assert f"本次起草 {buses} 张，此前已有 0 张" in c.post(url).content.decode()
    again = c.post(url).content.decode()
    assert f"本次起草 0 张，此前已有 {buses} 张" in again and f"通行证 {buses} 张" in again
    assert c.get(url).status_code == 405


def test_the_bus_page_shows_the_timetable_in_words_and_the_road_pass(
    client, planned, taskforce, transport_officer, hr_officer, health_officer
):
    from homeward.apps.applications import services

    bus = planned.vehicles.filter(kind="bus").order_by("key").first()
    kinds = {s["k"] for s in bus.detail["stops"]}
    assert {"pickup", "drop"} <= kinds
    c = logged_in(client, transport_officer)
    page = c.get(f"/planning/vehicles/{bus.pk}/").content.decode()
    assert '<td data-kind="pickup">上客</td>' in page and '<td data-kind="drop">下客</td>' in page
    assert "尚未起草通行证" in page and 'data-testid="road-passes-draft"' in page
    drafted = c.post(f"/planning/runs/{planned.pk}/permits/", {"reload": "1"})
    assert drafted["HX-Refresh"] == "true"
    page = c.get(f"/planning/vehicles/{bus.pk}/").content.decode()
    assert f"RP-P{planned.pk}-{bus.key}" in page and 'data-state="drafted"' in page
    assert 'data-testid="road-pass-sign"' in page  # transport signs here
    # the planner named no toll stations: the page says so and transport fills them in here
    assert 'data-testid="road-pass-unready"' in page and 'data-testid="road-pass-fill"' in page
    health_page = logged_in(Client(), health_officer).get(f"/planning/vehicles/{bus.pk}/").content.decode()
    assert 'data-testid="road-pass-unready"' in health_page  # health sees the pass is not ready
    assert 'data-testid="road-pass-fill"' not in health_page  # but filling it in is transport's
    from homeward.core.permits import placeholder_fields

    permit = bus.permits.get()
    sign_url = f'action="/permits/{permit.pk}/sign/"'
    queue = c.get("/tasks/").content.decode()  # the queue offers no sign button on a pass not ready
    assert 'data-testid="permit-unready"' in queue and sign_url not in queue
    unready = placeholder_fields(services.core_permit(permit))
    values = {f: FILLED[f] for f in unready}
    back = c.post(f"/permits/{permit.pk}/fill/", {**values, "next": f"/planning/vehicles/{bus.pk}/"})
    assert back.status_code == 302 and back["Location"] == f"/planning/vehicles/{bus.pk}/"
    permit.refresh_from_db()
    assert {f: permit.payload[f] for f in unready} == values
    page = c.get(f"/planning/vehicles/{bus.pk}/").content.decode()
    assert 'data-testid="road-pass-unready"' not in page and 'data-testid="road-pass-fill"' not in page
    assert sign_url in c.get("/tasks/").content.decode()
    services.permit_sign(actor=hr_officer, permit_id=permit.pk)
    services.permit_sign(actor=transport_officer, permit_id=permit.pk)
    page = c.get(f"/planning/vehicles/{bus.pk}/").content.decode()
    assert 'data-state="issued"' in page and f"/permits/{permit.pk}/pdf/" in page
    english = c.get(f"/planning/vehicles/{bus.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<td data-kind="pickup">Pick-up</td>' in english


def test_every_stop_kind_has_a_label_in_both_languages():
    from django.utils import translation

    from homeward.apps.planning.selectors import STOP_KIND_LABELS

    kinds = (
        "start pickup drop station_depart station_arrive break relay crew_change night_rest daily_rest end"
    )
    assert set(STOP_KIND_LABELS) == set(kinds.split())
    with translation.override("zh-hans"):
        assert str(STOP_KIND_LABELS["crew_change"]) == "接驳换班"
    with translation.override("en"):
        assert str(STOP_KIND_LABELS["crew_change"]) == "Relay crew takes over"


def test_the_departments_queue_lists_plan_road_passes(client, planned, taskforce, hr_officer):
    (permit, *_) = _draft(taskforce, planned)
    html = logged_in(client, hr_officer).get("/tasks/").content.decode()
    assert f'data-permit="{permit.permit_id}"' in html and f"计划 #{planned.pk} 包车" in html
    assert f"/planning/vehicles/{permit.plan_vehicle_id}/" not in html  # HR does not open manifests


def test_a_stored_plan_keeps_each_bus_draft_and_load_cap(planned, planning_settings):
    from homeward.apps.planning import serialize

    result = serialize.read_result(planning_settings / planned.result_path)
    buses = [v for v in result.vehicles if v.kind == "bus"]
    assert buses and all(v.permit is not None and v.load_cap_pct > 0 for v in buses)
    assert serialize.result_from_dict(serialize.result_dict(result)) == result


def test_a_permit_belongs_to_an_application_or_a_plan_bus():
    from django.db import IntegrityError

    from homeward.apps.applications.models import Permit

    with pytest.raises(IntegrityError):
        Permit.objects.create(permit_id="RP-X", kind="road_pass", body="{}", required_signers="hr")


def test_a_long_route_is_shortened_to_fit_the_qr_code(planned, taskforce):
    from homeward.core.permits.model import MAX_BODY_BYTES

    bus = planned.vehicles.filter(kind="bus").order_by("key").first()
    drops = [f"慈溪市第{i}家精密电器制造有限公司" for i in range(1, 25)]
    bus.detail["permit"]["route"] = [bus.detail["permit"]["origin"], *drops]
    bus.save(update_fields=["detail"])
    permit = next(p for p in _draft(taskforce, planned) if p.plan_vehicle_id == bus.pk)
    route = permit.payload["route"]
    assert len(permit.body.encode()) <= MAX_BODY_BYTES
    assert route[0] == bus.detail["permit"]["origin"] and route[-1] == drops[-1]
    assert route[-2] == f"…另 {25 - (len(route) - 1)} 处"
