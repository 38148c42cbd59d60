"""The planning manifest (page, .xlsx) shows each passenger's recognition as the boarding scan
would judge it at departure: 已互认, the refusal's reason, or 无需互认 where boarding does not
check — read in a fixed number of queries."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from homeward.apps.planning.models import PlanSeat, PlanVehicle
from homeward.apps.planning.selectors import manifest
from homeward.apps.teams.services import health_status_record
from tests.conftest import system_actor
from tests.planning.conftest import logged_in

pytestmark = pytest.mark.django_db


def _vehicle_from(run, province: str) -> PlanVehicle:
    seats = PlanSeat.objects.filter(
        run=run, vehicle__isnull=False, worker__pickup_county_code__startswith=province
    )
    return seats.select_related("vehicle").order_by("vehicle__key").first().vehicle


def test_each_passenger_shows_the_boarding_checks_verdict(planned, anhui_team, taskforce) -> None:
    bus = _vehicle_from(planned, "34")
    seats = list(PlanSeat.objects.filter(vehicle=bus).select_related("worker").order_by("pk"))
    recognised = seats[0].worker
    health_status_record(
        actor=system_actor(), province="34", id_number=recognised.id_number, health_code="green",
        code_province="34", test_result="negative", tested_at=timezone.now() - timedelta(hours=2),
        nonce=str(uuid.uuid4()), verified=True,
    )  # fmt: skip
    rows = {r.name: r for r in manifest(taskforce, bus)}
    labels = {
        s.worker.name: ("已互认" if s.worker == recognised
                        else "没有返岗互认健康状态" if s.worker.pickup_county_code.startswith("34") else "无需互认")
        for s in seats
    }  # fmt: skip
    assert {name: r.recognition for name, r in rows.items()} == labels
    henan = _vehicle_from(planned, "41")  # no team in Henan: boarding does not check them
    assert {r.recognition for r in manifest(taskforce, henan)} == {"无需互认"}


def test_the_page_and_the_spreadsheet_show_it(client, planned, anhui_team, taskforce) -> None:
    bus = _vehicle_from(planned, "34")
    c = logged_in(client, taskforce)
    page = c.get(f"/planning/vehicles/{bus.pk}/").content.decode()
    assert 'data-testid="recognition" data-recognised="0"' in page and "没有返岗互认健康状态" in page
    sheet = c.get(f"/planning/vehicles/{bus.pk}/manifest.xlsx")
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[0][-1] == "返岗互认" and "没有返岗互认健康状态" in {r[-1] for r in rows[1:]}
    assert c.get(f"/planning/vehicles/{bus.pk}/manifest.pdf").content[:5] == b"%PDF-"


@override_settings(RECOGNITION_AT_BOARDING="all")
def test_the_manifest_reads_recognition_in_a_fixed_number_of_queries(planned, taskforce) -> None:
    vehicles = sorted(PlanVehicle.objects.filter(run=planned, passengers__gt=0), key=lambda v: v.passengers)
    small, large = vehicles[0], vehicles[-1]
    assert large.passengers > small.passengers

    def queries(vehicle: PlanVehicle) -> int:
        with CaptureQueriesContext(connection) as ctx:
            manifest(taskforce, vehicle)
        return len(ctx.captured_queries)

    assert queries(small) == queries(large)
