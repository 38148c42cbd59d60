"""The daily report on a planned campaign (``trips.report``): scans recorded through the scan service
at set device times (the clock frozen at 15:00 Beijing time by the planning fixtures), then the
report of the day by town and in total, a town officer's own row, the refusal for other roles, a
fixed number of queries, the audited downloads and ``homeward report daily``."""

from __future__ import annotations

import io
import json
import uuid
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from homeward.apps.audit.models import AuditEvent
from homeward.apps.registry.models import Town
from homeward.apps.trips.models import Ticket
from homeward.apps.trips.report import daily_report_for
from homeward.apps.trips.report_files import HEADERS
from homeward.apps.trips.services.scans import scan_record
from homeward.cli import main
from homeward.core.daily_report import BEIJING
from homeward.core.errors import PermissionDenied
from tests.conftest import system_actor
from tests.planning.conftest import logged_in

pytestmark = pytest.mark.django_db


def _today():
    return timezone.now().astimezone(BEIJING).date()


def _at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return datetime.combine(_today() + timedelta(days=days), time(hour, minute), tzinfo=BEIJING)


def _scan(ticket: Ticket, checkpoint: str, at: datetime, **kw):
    result = scan_record(
        actor=system_actor(), nonce=str(uuid.uuid4()), token_or_id=ticket.token, checkpoint=checkpoint,
        client_at=at, **kw,
    )  # fmt: skip
    assert result.answer in ("recorded", "conflict"), result
    return result


def _tickets(enterprise):
    return list(
        Ticket.objects.filter(state="issued", worker__application__enterprise=enterprise)
        .select_related("worker")
        .order_by("pk")
    )


@pytest.fixture
def scanned(planned, enterprise_a, enterprise_b):
    """Today: A's first two workers board (the second with a fever) and the first, boarded twice,
    arrives at 20:00; B's first worker boards and arrives tomorrow at 01:00."""
    a1, a2 = _tickets(enterprise_a)[:2]
    b1 = _tickets(enterprise_b)[0]
    _scan(a1, "board", _at(15, 10), temperature_c="36.5")
    _scan(a1, "board", _at(15, 12), temperature_c="36.5")  # a second boarding: counted once
    _scan(a2, "board", _at(15, 10), temperature_c="38.0")
    _scan(b1, "board", _at(15, 20), temperature_c="36.6")
    _scan(a1, "gate", _at(20, 0))
    _scan(b1, "gate", _at(1, 0, days=1))
    return {"a": [a1, a2], "b": [b1]}


def _vehicles(tickets):
    return {t.legs[0]["vehicle_key"] for t in tickets}


def test_the_day_is_counted_by_town_and_in_total(scanned, taskforce, town_a, town_b):
    report = daily_report_for(actor=taskforce, day=_today())
    rows = {r.town.name: r.figures for r in report.rows}
    a, b = rows[town_a.name], rows[town_b.name]
    assert (a.moved, a.arrived, a.arrived_on_time, a.new_observation, a.in_observation) == (2, 1, 1, 1, 1)
    assert a.share_on_time == 1.0
    assert (b.moved, b.arrived, b.arrived_to_date, b.share_on_time) == (1, 0, 0, None)
    vehicles = _vehicles(scanned["a"] + scanned["b"])
    assert report.total.buses + report.total.trains == len(vehicles)
    assert report.total.moved == 3 and report.total.arrived == 1
    assert sum(r.figures.moved for r in report.rows) == report.total.moved
    tomorrow = daily_report_for(actor=taskforce, day=_today() + timedelta(days=1)).total
    assert (tomorrow.moved, tomorrow.arrived, tomorrow.moved_to_date, tomorrow.arrived_to_date) == (
        0,
        1,
        3,
        2,
    )
    assert tomorrow.buses + tomorrow.trains == 0


def test_a_town_officer_gets_their_towns_row_only(scanned, town_officer, town_a):
    report = daily_report_for(actor=town_officer, day=_today())
    assert [r.town.name for r in report.rows] == [town_a.name]
    assert report.total == report.rows[0].figures and report.total.moved == 2


def test_other_roles_are_refused_and_the_refusal_is_audited(scanned, enterprise_user):
    with pytest.raises(PermissionDenied):
        daily_report_for(actor=enterprise_user, day=_today())
    assert AuditEvent.objects.filter(action="denied.report.read", actor=enterprise_user).count() == 1
    assert not AuditEvent.objects.filter(action="report.export").exists()


def test_the_report_reads_a_fixed_number_of_queries(
    planned, taskforce, enterprise_a, django_assert_num_queries
):
    tickets = _tickets(enterprise_a)
    _scan(tickets[0], "board", _at(15, 5))
    with django_assert_num_queries(4):
        daily_report_for(actor=taskforce, day=_today())
    for t in tickets[1:]:
        _scan(t, "board", _at(15, 5))
        _scan(t, "gate", _at(19, 0))
    with django_assert_num_queries(4):
        assert daily_report_for(actor=taskforce, day=_today()).total.moved == len(tickets)


def _xlsx_rows(body: bytes) -> dict[str, dict[str, object]]:
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header == HEADERS
    return {r[0]: dict(zip(header, r, strict=True)) for r in rows}


def test_the_page_shows_the_table_and_the_downloads_are_audited(scanned, client, taskforce, town_a):
    day = _today().isoformat()
    page = logged_in(client, taskforce).get(reverse("trips:report"), {"date": day})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="report-table"' in html and town_a.name in html
    assert (
        html.count('data-testid="report-row"') == Town.objects.count()
        and 'data-testid="report-total"' in html
    )
    assert f"{reverse('trips:report-file', args=['pdf'])}?date={day}" in html

    xlsx = client.get(reverse("trips:report-file", args=["xlsx"]), {"date": day})
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].endswith(f"daily-report-{day}.xlsx")
    rows = _xlsx_rows(xlsx.content)
    assert rows[town_a.name]["当日出发"] == 2 and rows[town_a.name]["30小时内占比%"] == 100.0
    assert rows["合计"]["当日出发"] == 3 and rows["合计"]["当日到厂"] == 1
    pdf = client.get(reverse("trips:report-file", args=["pdf"]), {"date": day})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    events = AuditEvent.objects.filter(action="report.export", actor=taskforce).order_by("pk")
    assert [(e.object_id, e.data["format"]) for e in events] == [(day, "xlsx"), (day, "pdf")]


@pytest.mark.parametrize("day", ["2026-13-01", "2026-02-30", "bad"])
def test_a_bad_date_is_said_in_the_page(taskforce, client, day):
    page = logged_in(client, taskforce).get(reverse("trips:report"), {"date": day})
    assert page.status_code == 400 and 'data-testid="report-error"' in page.content.decode()
    assert "不是有效日期" in page.content.decode()  # 2026-02-30 is well formed: it is not a date


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2100-01-01"])
def test_a_day_outside_the_typed_range_is_a_clear_error_on_the_page_and_the_files(taskforce, client, day):
    # 9999-12-31 has no next day: the report's window overflowed into a 500 (found by a Chromium walk)
    logged_in(client, taskforce)
    page = client.get(reverse("trips:report"), {"date": day})
    assert page.status_code == 400 and 'data-testid="report-error"' in page.content.decode()
    assert "2000-01-01" in page.content.decode()
    for fmt in ("xlsx", "pdf"):
        assert client.get(reverse("trips:report-file", args=[fmt]), {"date": day}).status_code == 400


def test_the_edges_of_the_typed_range_are_reports(taskforce, client):
    logged_in(client, taskforce)
    for day in ("2000-01-01", "2099-12-31"):
        assert client.get(reverse("trips:report"), {"date": day}).status_code == 200


def test_the_command_writes_both_files_with_the_figures(scanned, tmp_path, capsys, town_a, town_b):
    day = _today().isoformat()
    assert main(["report", "daily", "--date", day, "--out", str(tmp_path)]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["total"]["当日出发"] == 3
    rows = _xlsx_rows((tmp_path / f"daily-report-{day}.xlsx").read_bytes())
    assert rows[town_a.name]["当日新增留观"] == 1 and rows[town_b.name]["当日出发"] == 1
    assert rows["合计"]["当日出发"] == 3
    # pypdf reads the subset CID font's two-byte codes with a NUL before each character
    reader = PdfReader(tmp_path / f"daily-report-{day}.pdf")
    pages = [p.extract_text().replace("\x00", "") for p in reader.pages]
    assert len(pages) == 1  # a city's twenty towns, the total and the notes fit on one A4 page
    assert "返岗接返日报" in pages[0] and "当日出发" in pages[0]
    text = "".join(pages)
    assert all(name in text for name in Town.objects.values_list("name", flat=True))
    assert "合计" in pages[-1] and "〓" not in text  # every character in the shipped font
    assert AuditEvent.objects.filter(action="report.export", actor_label="cli").count() == 2


def test_a_town_officers_download_holds_their_town_only(scanned, client, town_officer, town_a):
    day = _today().isoformat()
    xlsx = logged_in(client, town_officer).get(reverse("trips:report-file", args=["xlsx"]), {"date": day})
    rows = _xlsx_rows(xlsx.content)
    assert set(rows) == {town_a.name, "合计"} and rows["合计"]["当日出发"] == 2
    event = AuditEvent.objects.get(action="report.export", actor=town_officer)
    assert event.data["towns"] == [town_a.name]
