"""The daily report page in Debian's Chromium: a town officer follows the menu to 日报, picks the day,
sees their own town's row with the day's figures, and downloads the .xlsx (audited)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from homeward.apps.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.trips.test_daily_report import _at, _scan, _tickets, _today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_town_officer_picks_a_day_sees_their_row_and_downloads_it(
    planned, page, login, town_officer, enterprise_a, town_a, town_b
) -> None:
    for ticket in _tickets(enterprise_a)[:3]:
        _scan(ticket, "board", _at(15, 10), temperature_c="36.5")
    login(town_officer.username, PASSWORD)
    page.get_by_role("link", name="日报").first.click()
    page.get_by_label("日期（北京时间）").fill(_today().isoformat())
    page.get_by_role("button", name="查看").click()
    table = page.get_by_test_id("report-table")
    table.wait_for()
    assert town_a.name in table.inner_text() and town_b.name not in page.content()
    assert page.get_by_test_id("report-total").count() == 0  # their one row is their total
    row = page.get_by_test_id("report-row").locator("td")
    assert row.nth(0).inner_text() == town_a.name and row.nth(4).inner_text() == "3"  # 当日出发

    with page.expect_download() as download:
        page.get_by_test_id("report-xlsx").click()
    body = download.value.path().read_bytes()
    rows = list(load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [town_a.name, "合计"] and rows[-1][4] == 3
    assert AuditEvent.objects.filter(action="report.export", actor=town_officer).count() == 1
