"""The plan board and its partials (task force only), manifests as PDF and .xlsx (masked unless the
role has personal-data rights and asks for the full copy; every read audited), an enterprise's own
seats, resource uploads."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from tests.conftest import PASSWORD, system_actor
from tests.planning.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_the_board_shows_the_kpis_against_the_baseline(client, taskforce, planned):
    c = logged_in(client, taskforce)
    html = c.get("/planning/").content.decode()
    assert 'data-testid="plan-kpis"' in html and "逐企包车基线" in html
    assert f"计划 #{planned.pk}" in html and 'data-testid="plan-map"' in html
    details = html.split('data-testid="plan-details"', 1)[1].split("</details>", 1)[0]
    assert f"种子 {planned.seed}" in details and planned.solver in details  # solver facts behind 详情
    assert f">{planned.kpis['baseline_buses']}<" in html
    rows = c.get(f"/planning/vehicles/?run={planned.pk}").content.decode()
    assert (
        rows.count("pl-bar pl-") == planned.kpis["trains"] + planned.kpis["buses"] + planned.kpis["shuttles"]
    )
    trains = c.get(f"/planning/vehicles/?run={planned.pk}&kind=train").content.decode()
    assert "慈溪号" in trains and "pl-bus" not in trains
    unassigned = c.get(f"/planning/unassigned/?run={planned.pk}").content.decode()
    assert "全部已安排" in unassigned and planned.kpis["unassigned"] == 0
    data = c.get(f"/planning/runs/{planned.pk}/map.json").json()
    assert {k: len(v) for k, v in data["lines"].items()} == {"train": 1, "bus": 1, "shuttle": 1}
    assert c.get(f"/planning/unassigned.xlsx?run={planned.pk}").content[:2] == b"PK"


def test_the_board_runs_a_plan_and_polls_its_status(
    client, taskforce, campaign, django_capture_on_commit_callbacks
):
    from homeward.apps.planning.models import PlanRun
    from homeward.apps.planning.services import plan_run_execute_now

    c = logged_in(client, taskforce)
    assert "还没有计划" in c.get("/planning/").content.decode()
    with django_capture_on_commit_callbacks(execute=False):
        html = c.post("/planning/run/", {"seed": "4"}).content.decode()
    run = PlanRun.objects.get()
    assert run.seed == 4 and 'hx-trigger="every 1s"' in html
    plan_run_execute_now(run.pk)
    done = c.get("/planning/status/?was=active")
    assert done["HX-Refresh"] == "true" and "every 1s" not in done.content.decode()


@pytest.mark.parametrize("persona", ["enterprise_user", "town_officer", "health_officer"])
def test_only_the_task_force_sees_the_board(client, request, persona, planned):
    c = logged_in(client, request.getfixturevalue(persona))
    assert c.get("/planning/").status_code == 403
    assert c.get(f"/planning/runs/{planned.pk}/map.json").status_code == 403
    assert c.get(f"/planning/vehicles/?run={planned.pk}").status_code == 403
    assert c.post("/planning/run/").status_code == 403


def _bus(run):
    return run.vehicles.get(kind="bus")


def test_the_kpis_speak_english_when_asked(client, taskforce, planned):
    html = logged_in(client, taskforce).get("/planning/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Deadline met" in html and "Vehicle-km" in html and "按时到厂" not in html
    html = client.get("/planning/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "按时到厂" in html


def test_the_vehicle_page_shows_local_times_and_where_passengers_get_off(client, taskforce, planned):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    bus = _bus(planned)
    stops = bus.detail["stops"]
    drop = [s for s in stops if s["k"] == "drop"][-1]
    # the bus is listed by its drop-off (an origin-side coach drives back to base afterwards)
    assert bus.destination_name == drop["place"]
    assert bus.arrives == datetime.fromisoformat(drop["a"])
    page = logged_in(client, taskforce).get(f"/planning/vehicles/{bus.pk}/").content.decode()
    local = datetime.fromisoformat(stops[0]["d"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert local.strftime("%m-%d %H:%M") in page  # Beijing time, not the stored UTC


def test_vehicle_page_lists_passengers_masked_with_the_reveal_step_of_the_worker_list(
    client, taskforce, planned
):
    """Finding: a train's vehicle page listed every passenger's full ID number and phone with no
    reveal step and no audit. Now it is masked for every role; a role with personal-data rights
    reveals one passenger at a time, each reveal and each page read audited."""
    from homeward.apps.audit.models import AuditEvent
    from homeward.apps.planning.models import PlanSeat
    from homeward.core.identity import mask_phone, mask_ric

    for vehicle in planned.vehicles.all():
        seat = PlanSeat.objects.filter(vehicle=vehicle).select_related("worker").first()
        worker = seat.worker
        c = logged_in(client, taskforce)
        page = c.get(f"/planning/vehicles/{vehicle.pk}/").content.decode()
        assert worker.id_number not in page and worker.phone not in page
        assert mask_ric(worker.id_number) in page and mask_phone(worker.phone) in page
        reveal = f"/applications/{seat.application_id}/workers/{worker.pk}/reveal/"
        assert reveal in page
        read = AuditEvent.objects.get(action="plan_manifest.list", object_id=str(vehicle.pk))
        assert read.data["rows"] == vehicle.passengers
        revealed = c.post(reveal).content.decode()
        assert worker.id_number in revealed and worker.phone in revealed
        assert AuditEvent.objects.filter(
            action="application_worker.reveal", object_id=str(worker.pk)
        ).exists()


def test_the_full_manifest_is_an_audited_reveal_for_the_task_force(client, taskforce, planned):
    from openpyxl import load_workbook

    from homeward.apps.audit.models import AuditEvent
    from homeward.apps.planning.models import PlanSeat
    from homeward.core.identity import mask_ric

    bus = _bus(planned)
    worker = PlanSeat.objects.filter(vehicle=bus).first().worker
    c = logged_in(client, taskforce)
    pdf = c.get(f"/planning/vehicles/{bus.pk}/manifest.pdf?full=1")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    full = c.get(f"/planning/vehicles/{bus.pk}/manifest.xlsx?full=1")
    rows = list(load_workbook(io.BytesIO(full.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("座位", "姓名", "身份证号", "手机号") and len(rows) == bus.passengers + 1
    assert worker.id_number in {r[2] for r in rows}
    masked = c.get(f"/planning/vehicles/{bus.pk}/manifest.xlsx")
    rows = list(load_workbook(io.BytesIO(masked.content)).active.iter_rows(values_only=True))
    assert mask_ric(worker.id_number) in {r[2] for r in rows} and worker.id_number not in {r[2] for r in rows}
    reveals = AuditEvent.objects.filter(action="plan_manifest.reveal", object_id=str(bus.pk))
    assert reveals.count() == 2 and all(e.data["rows"] == bus.passengers for e in reveals)
    assert AuditEvent.objects.filter(action="plan_manifest.export", object_id=str(bus.pk)).count() == 1


def test_manifests_are_masked_for_the_transport_department(client, db, planned):
    from pypdf import PdfReader

    from homeward.apps.accounts.services import user_create_with_role
    from homeward.apps.audit.models import AuditEvent
    from homeward.apps.planning.models import PlanSeat
    from homeward.core.identity import mask_ric

    transport = user_create_with_role(
        actor=system_actor(), username="transport", password=PASSWORD, role="dept_transport"
    )
    bus = _bus(planned)
    worker = PlanSeat.objects.filter(vehicle=bus).first().worker
    c = logged_in(client, transport)
    page = c.get(f"/planning/vehicles/{bus.pk}/").content.decode()
    assert worker.id_number not in page and mask_ric(worker.id_number) in page and worker.phone not in page
    pdf = PdfReader(io.BytesIO(c.get(f"/planning/vehicles/{bus.pk}/manifest.pdf").content))
    text = "".join(p.extract_text() for p in pdf.pages).replace("\x00", "")
    assert "乘客信息登记表" in text and worker.id_number not in text and mask_ric(worker.id_number) in text
    refused = c.get(f"/planning/vehicles/{bus.pk}/manifest.pdf?full=1")
    assert refused.status_code == 403 and worker.id_number.encode() not in refused.content
    assert AuditEvent.objects.filter(action="denied.plan_manifest.reveal", object_id=str(bus.pk)).exists()


def test_an_enterprise_sees_its_own_seats_only(client, enterprise_user, enterprise_a, planned):
    from homeward.apps.applications.models import ApplicationWorker

    c = logged_in(client, enterprise_user)
    html = c.get("/planning/my-seats/").content.decode()
    own = ApplicationWorker.objects.filter(application__enterprise=enterprise_a)
    other = ApplicationWorker.objects.exclude(application__enterprise=enterprise_a)
    assert all(w.name in html for w in own) and not any(w.name in html for w in other)
    assert all(w.id_number not in html for w in own)  # masked
    assert c.get(f"/planning/vehicles/{_bus(planned).pk}/manifest.xlsx").status_code == 404  # no vehicles


def test_the_task_force_uploads_resources(client, taskforce, home_city):
    from homeward.apps.planning.models import Driver

    c = logged_in(client, taskforce)
    body = (
        "姓名,驾驶证号,手机号,驻地\n张师傅,330282000001,13912345678,慈溪\n李师傅,,13912345679,慈溪\n".encode()
    )
    upload = io.BytesIO(body)
    upload.name = "drivers.csv"
    html = c.post("/planning/resources/", {"kind": "drivers", "file": upload}).content.decode()
    assert 'data-testid="import-report"' in html and "新增 1" in html and "licence_no" in html
    assert Driver.objects.get().name == "张师傅"


def test_the_board_lists_late_workers_with_their_hours_over(client, taskforce, campaign, planned):
    from homeward.apps.planning.models import PlanSeat

    c = logged_in(client, taskforce)
    board = c.get("/planning/").content.decode()
    assert "超时到厂" in board and 'hx-get="/planning/late/?run=' in board
    html = c.get(f"/planning/late/?run={planned.pk}").content.decode()
    late = PlanSeat.objects.filter(run=planned, leg=0, minutes_late__gt=0).select_related("worker")
    assert late.count() == planned.kpis["late_workers"] == 2
    for seat in late:
        assert seat.worker.name in html and f'data-hours-over="{round(seat.minutes_late / 60, 1)}"' in html
    assert f"/applications/{campaign['late'].pk}/" in html and "共 2 人" in html


def test_feeder_buses_show_the_train_they_feed(client, taskforce, planned):
    from homeward.apps.planning.models import PlanVehicle

    bus = PlanVehicle.objects.filter(run=planned, kind="bus").first()
    train = PlanVehicle.objects.get(run=planned, kind="train")
    PlanVehicle.objects.filter(pk=bus.pk).update(feeds=train.key)
    c = logged_in(client, taskforce)
    rows = c.get(f"/planning/vehicles/?run={planned.pk}&kind=bus").content.decode()
    assert 'data-testid="feeder"' in rows and f"接站 → {train.key}" in rows
    assert f"送乘专列</dt><dd>{train.key}" in c.get(f"/planning/vehicles/{bus.pk}/").content.decode()


def _shangqiu_train(run, departs):
    """A proposed special train from 商丘 (where B's 梁园 workers live) to 余姚北, as the core
    proposes one (``serialize.train_request_dict``)."""
    from homeward.apps.planning import serialize
    from homeward.core import regions
    from homeward.core.planning import Point, Rules, TrainRequest
    from homeward.core.planning.geo import rail_min

    a, b = regions.station_by_name("商丘"), regions.station_by_name("余姚北")
    ask = TrainRequest(
        "商丘", "余姚北", departs, departs + timedelta(hours=2),
        rail_min(Point(a.lat, a.lon), Point(b.lat, b.lon), Rules()), 9, 0, 0.0, 1,
    )  # fmt: skip
    run.train_requests = [serialize.train_request_dict(ask)]
    run.save(update_fields=["train_requests"])


def test_a_proposed_train_accepted_as_a_slot_carries_workers_in_the_next_plan(
    client, taskforce, enterprise_user, campaign, planned
):
    from django.utils import timezone

    from homeward.apps.audit.models import AuditEvent
    from homeward.apps.planning.models import TrainSlot
    from tests.planning.conftest import run_plan

    _shangqiu_train(planned, (timezone.now() + timedelta(hours=6)).replace(second=0, microsecond=0))
    url = f"/planning/runs/{planned.pk}/train-requests/0/accept/"
    denied = logged_in(client, enterprise_user).post(url, {"granted": "1"})
    # plan runs are outside an enterprise's scope: the same 404 as a run that does not exist
    assert denied.status_code == 404 and not TrainSlot.objects.filter(name="加开专列").exists()
    c = logged_in(client, taskforce)
    assert 'data-testid="train-request-0"' in c.get("/planning/").content.decode()
    html = c.post(url, {"granted": "1"}).content.decode()
    slot = TrainSlot.objects.get(name="加开专列")
    assert slot.state == "granted" and slot.origin_station == "商丘" and slot.seats == 1060
    assert 'data-testid="train-request-state"' in html and "已批准" in html
    assert (
        c.post(url, {"granted": "1"}).status_code == 200
        and TrainSlot.objects.filter(name="加开专列").count() == 1
    )
    assert AuditEvent.objects.filter(action="plan.train_request.accept", object_id=str(slot.pk)).count() == 1
    after = run_plan()
    assert after.kpis["trains"] == planned.kpis["trains"] + 1
    assert after.kpis["train_passengers"] >= planned.kpis["train_passengers"] + 9
    assert after.kpis["buses"] < planned.kpis["buses"]
