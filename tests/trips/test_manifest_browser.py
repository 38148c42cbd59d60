"""The scanner page's passenger list in Debian's Chromium at phone width (390 px): an escort sees
their train's riders with the counts by state, hands a feverish rider to a health post, and without
a network still sees the last list fetched, with its time."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from homeward.apps.trips.models import ObservationHandover, Ticket
from homeward.apps.trips.services.scans import scan_record
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_escort_sees_the_manifest_and_hands_over_a_feverish_rider(
    planned, escort_user, page, login
) -> None:
    train = [
        t
        for t in Ticket.objects.filter(state="issued").select_related("worker").order_by("pk")
        if t.legs[0]["kind"] == "train"
    ]
    boarded, feverish = train[0], train[1]
    for ticket, temperature in ((boarded, "36.5"), (feverish, "38.2")):
        scan_record(
            actor=escort_user, nonce=str(uuid.uuid4()), token_or_id=ticket.worker.id_number, manual=True,
            checkpoint="board", client_at=timezone.now(), temperature_c=temperature, health_code="green",
        )  # fmt: skip
    page.set_viewport_size({"width": 390, "height": 844})
    login(escort_user.username, PASSWORD)
    page.goto("/scan/")
    riders = page.get_by_test_id("manifest-list").locator("li[data-state]")
    riders.first.wait_for()
    assert riders.count() == len(train)
    counts = page.get_by_test_id("manifest-counts").inner_text()
    assert f"共 {len(train)} 人" in counts and "已上车 1" in counts and "留观 1" in counts
    row = page.locator(f"li[data-worker='{feverish.worker_id}']")
    assert row.get_attribute("data-state") == "observation"
    assert feverish.worker.name not in page.content()  # masked: 张＊ and the ID's last four
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    form = row.get_by_test_id("handover-form")
    form.locator("[name=rear_seat]").fill("末排1")
    form.locator("[name=health_post]").fill("余姚北站健康点")
    form.locator("[name=received_by]").fill("王医生")
    form.locator("button[type=submit]").click()
    page.locator(f"li[data-worker='{feverish.worker_id}'][data-state=handed_over]").wait_for()
    assert "余姚北站健康点" in page.locator(f"li[data-worker='{feverish.worker_id}']").inner_text()
    assert "：末排1 → 余姚北站健康点" in page.locator(f"li[data-worker='{feverish.worker_id}']").inner_text()
    handover = ObservationHandover.objects.get()
    assert (handover.worker_id, handover.received_by, handover.handed_by) == (
        feverish.worker_id,
        "王医生",
        "escort",
    )
    assert "已交健康点 1" in page.get_by_test_id("manifest-counts").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.context.set_offline(True)  # the next refresh fails: the kept list is shown, marked, with its time
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator("[data-manifest-offline]:not([hidden])").wait_for()
    kept = page.get_by_test_id("manifest-fetched").inner_text()
    assert "离线" in kept and "北京时间" in kept  # when the list shown was fetched
    assert riders.count() == len(train)
    # (left offline: back online the page would fetch again while the test database is torn down)
