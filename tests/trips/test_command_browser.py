"""The command dashboard in Debian's Chromium: the map and the counters come up, and a worker's
boarding and gate handover, recorded through the scan service meanwhile, move the counters
without the page being reloaded (the page polls ``/api/v1/command/board``)."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from homeward.apps.trips.models import Ticket
from homeward.apps.trips.services.scans import scan_record
from tests.conftest import PASSWORD, system_actor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _scan(ticket: Ticket, checkpoint: str) -> None:
    result = scan_record(
        actor=system_actor(), nonce=str(uuid.uuid4()), token_or_id=ticket.token, checkpoint=checkpoint,
        client_at=timezone.now(), temperature_c="36.5", health_code="green",
    )  # fmt: skip
    assert result.answer == "recorded", result


def test_the_counters_follow_a_scan_without_a_reload(planned, page, login, taskforce, settings) -> None:
    if not (settings.VENDOR_STATIC_DIR / "echarts" / "echarts.min.js").is_file():
        pytest.fail(f"ECharts is missing from {settings.VENDOR_STATIC_DIR} (make install copies it there)")
    ticket = next(
        t for t in Ticket.objects.filter(state="issued").order_by("pk") if t.legs[0]["kind"] == "bus"
    )
    login(taskforce.username, PASSWORD)
    page.goto("/command/?refresh=2")
    page.locator("#cmd-map[data-ready='1']").wait_for()
    assert page.locator("#cmd-map canvas").count() >= 1  # ECharts drew the map
    assert page.get_by_test_id("cmd-workers-total").inner_text() == "0"
    assert page.locator("#cmd-stages").get_attribute("data-vehicle") == "0"
    assert page.get_by_test_id("cmd-towns").locator("tr").count() >= 2  # the towns and the total
    page.evaluate("window.notReloaded = true")

    _scan(ticket, "board")
    page.locator("#cmd-stages[data-vehicle='1']").wait_for(timeout=15_000)
    _scan(ticket, "gate")
    page.wait_for_function("document.getElementById('cmd-workers-total').textContent === '1'", timeout=15_000)
    assert page.get_by_test_id("cmd-workers-today").inner_text() == "1"
    assert page.evaluate("window.notReloaded") is True
    assert int(page.locator("body").get_attribute("data-polls")) >= 2


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_panel_scrolls_sideways_on_a_1280_screen(
    planned, page, login, taskforce, live_server, language
) -> None:
    # found by a Chromium walk: in English the deadlines-at-risk table (headers kept on one line)
    # was 672 px wide in a 598 px panel, its status column reached only by scrolling the panel
    page.set_viewport_size({"width": 1280, "height": 800})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(taskforce.username, PASSWORD)
    page.goto("/command/")
    page.get_by_test_id("cmd-at-risk").locator("tr").first.wait_for()
    wide = page.evaluate(
        "[...document.querySelectorAll('.panel')].filter(p => p.scrollWidth > p.clientWidth + 1)"
        ".map(p => [p.querySelector('h2') && p.querySelector('h2').innerText, p.clientWidth, p.scrollWidth])"
    )
    assert wide == [], wide
