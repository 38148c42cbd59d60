"""The team's workspace (``/team/``): its own province's passengers by county, with pickup point,
time, vehicle, escort's phone and recognition; another province's people neither listed nor
reachable by asking for them."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from homeward.apps.audit.models import AuditEvent
from homeward.apps.teams.selectors import workspace
from homeward.apps.teams.services import health_status_record
from homeward.apps.trips.models import Ticket
from tests.planning.conftest import logged_in

pytestmark = pytest.mark.django_db


def _tickets(province: str) -> list[Ticket]:
    return list(
        Ticket.objects.filter(state="issued", worker__pickup_county_code__startswith=province).select_related(
            "worker"
        )
    )


def test_the_workspace_lists_its_own_provinces_passengers_by_county(planned, anhui_member) -> None:
    ws = workspace(actor=anhui_member, now=timezone.now())
    anhui, henan = _tickets("34"), _tickets("41")
    assert ws.province == "34" and ws.team is not None and len(ws.members) == 2
    listed = {p.worker_id for _county, people in ws.counties for p in people}
    assert listed == {t.worker_id for t in anhui} and not listed & {t.worker_id for t in henan}
    assert {c.split(" (")[1][:6] for c, _p in ws.counties} == {"341221", "341204"}
    p = next(p for _c, people in ws.counties for p in people if p.worker_id == anhui[0].worker_id)
    leg = anhui[0].legs[0]
    assert (p.pickup, p.vehicle, p.escort_phone) == (leg["pickup"], leg["vehicle"], leg["escort_phone"])
    assert "*" in p.id_number and p.reason == "no_status" and not p.recognised
    assert ws.counts["passengers"] == len(anhui) and ws.counts["departed"] == 0
    assert sum(t.passengers for t in ws.trips) == len(anhui)


def test_a_recorded_and_verified_status_shows_as_recognised(planned, anhui_member) -> None:
    ticket = _tickets("34")[0]
    health_status_record(
        actor=anhui_member, province="34", id_number=ticket.worker.id_number, health_code="green",
        code_province="34", test_result="negative", tested_at=timezone.now() - timedelta(hours=3),
        nonce=str(uuid.uuid4()), verified=True,
    )  # fmt: skip
    ws = workspace(actor=anhui_member, now=timezone.now())
    p = next(p for _c, people in ws.counties for p in people if p.worker_id == ticket.worker_id)
    assert p.recognised and ws.counts["recognised"] == 1


def test_the_page_shows_own_people_and_refuses_another_province(client, planned, anhui_member) -> None:
    logged_in(client, anhui_member)
    own, other = _tickets("34")[0].worker, _tickets("41")[0].worker
    page = client.get("/team/").content.decode()
    assert own.name in page and other.name not in page
    refused = client.get("/team/", {"province": "41"})
    assert refused.status_code == 403 and other.name not in refused.content.decode()
    assert AuditEvent.objects.filter(actor=anhui_member, action="denied.team.read").exists()


def test_the_task_force_chooses_the_province(client, planned, anhui_team, taskforce) -> None:
    logged_in(client, taskforce)
    other = _tickets("41")[0].worker
    assert other.name in client.get("/team/", {"province": "41"}).content.decode()


def test_the_away_count_is_the_heat_maps(enterprise_a, anhui_member) -> None:
    from homeward.apps.heatmap.selectors import Filters, origin_rows
    from homeward.apps.heatmap.services import heatmap_rebuild_execute_now, heatmap_rebuild_request
    from tests.conftest import system_actor
    from tests.factories import WorkerFactory

    WorkerFactory.create_batch(12, employer=enterprise_a, status="away", origin_code="341221")
    WorkerFactory.create_batch(7, employer=enterprise_a, status="away", origin_code="520502")
    snapshot = heatmap_rebuild_request(actor=system_actor(), reason="test")
    assert heatmap_rebuild_execute_now(snapshot.pk) == "done"
    ws = workspace(actor=anhui_member, now=timezone.now())
    _snap, rows = origin_rows(actor=anhui_member, level="province", filters=Filters())
    assert ws.counts["away"] == next(r["away"] for r in rows if r["code"] == "340000") > 0
    assert ws.away_listed == 12
