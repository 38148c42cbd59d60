"""Letters home in Debian's Chromium, on a small world: the task force writes to the workers of one
origin prefecture; a worker answers through the link in their letter on their phone; the employer's
intention list (and the heat map's intention layer) change; the employer turns the intention into a
return application with one action."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from homeward.apps.applications.models import ApplicationWorker
from homeward.apps.heatmap.services import heatmap_rebuild_request
from homeward.apps.letters.models import Campaign, Intention
from tests.conftest import PASSWORD
from tests.factories import WorkerFactory
from tests.letters.conftest import outbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_campaign_to_one_prefecture_its_reply_and_the_application_made_from_it(
    page, login, browser, live_server, taskforce, enterprise_user, enterprise_a, settings, tmp_path
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.HOMEWARD_LETTERS_DIR = tmp_path / "letters"
    bijie = WorkerFactory.create_batch(3, employer=enterprise_a, origin_code="520502")  # 毕节 5205
    WorkerFactory.create_batch(2, employer=enterprise_a, origin_code="341202")  # 阜阳: not written to

    login(taskforce.username, PASSWORD)
    page.goto("/letters/")
    form = page.get_by_test_id("campaign-form")
    form.locator("input[name=name]").fill("毕节家书")
    form.locator("input[name=hotline]").fill("0574-63000000")
    form.locator("input[name=origin]").fill("520500")
    form.locator("button[type=submit]").click()
    assert page.get_by_test_id("audience-size").inner_text() == "3"
    assert "慈溪甲电器有限公司" in page.get_by_test_id("letter-preview").inner_text()
    page.get_by_test_id("campaign-send").click()
    status = page.locator("[data-testid=campaign-status][data-state=done]")
    status.wait_for()
    assert status.locator("[data-count=delivered]").inner_text() == "3"
    letters = outbox(settings.HOMEWARD_LETTERS_DIR)
    assert sorted(x["worker"] for x in letters) == sorted(w.pk for w in bijie)

    # the first worker opens the link in their letter on their phone and replies
    phone = browser.new_context(base_url=live_server.url, locale="zh-CN", bypass_csp=True).new_page()
    worker = bijie[0]
    text = next(x["text"] for x in letters if x["worker"] == worker.pk)
    url = next(word for word in text.replace("：", " ").split() if "/w/start/?k=" in word)
    parts = urlsplit(url)
    phone.goto(f"{parts.path}?{parts.query}")
    phone.get_by_test_id("worker-start").locator("button[type=submit]").click()
    reply = phone.get_by_test_id("reply-form")
    reply.locator("input[name=kind][value=returning]").check()
    when = timezone.localdate() + timedelta(days=3)
    reply.locator("input[name=return_date]").fill(when.isoformat())
    reply.locator("input[name=county]").fill("520521")
    reply.locator("input[name=needs_transport]").check()
    reply.locator("select[name=health_code]").select_option("green")
    reply.locator("button[type=submit]").click()
    phone.get_by_test_id("reply-thanks").wait_for()
    assert Intention.objects.get(person=worker).county_code == "520521"

    # the heat map's intention layer counts them by origin county (the task force reads personal data)
    page.goto("/heatmap/")
    layer = page.locator("[data-testid=intentions-by-origin] tr[data-origin='520502']")
    assert layer.locator("td").nth(1).inner_text() == "1"
    # … and, once the heat map is rebuilt, as a bubble on its map when the layer is switched on
    settings.MEDIA_ROOT = str(tmp_path / "media")
    snapshot = heatmap_rebuild_request(actor=taskforce)  # run at once (immediate tasks)
    snapshot.refresh_from_db()
    assert snapshot.state == "done"
    page.goto("/heatmap/")
    chart = page.get_by_test_id("heatmap-map")
    page.wait_for_function("document.getElementById('heatmap-chart').dataset.rows > 0")
    assert chart.get_attribute("data-intention-bubbles") == "0"
    page.get_by_test_id("intentions-toggle").check()
    assert chart.get_attribute("data-intention-bubbles") == "1"

    # the employer sees the intention and turns it into an application
    office = browser.new_context(base_url=live_server.url, locale="zh-CN", bypass_csp=True).new_page()
    office.goto("/login/")
    office.fill("#id_username", enterprise_user.username)
    office.fill("#id_password", PASSWORD)
    office.click("button[type=submit]")
    office.wait_for_url(lambda u: "/login/" not in u)
    office.goto("/letters/intentions/")
    row = office.locator(f"[data-testid=intention-table] tr[data-person='{worker.pk}']")
    assert "打算返岗" in row.inner_text()
    row.locator("input[name=person]").check()
    office.get_by_test_id("intention-apply").click()
    office.wait_for_url(lambda u: "/applications/" in u)
    added = ApplicationWorker.objects.get(id_number=worker.id_number, active=True)
    assert added.pickup_county_code == "520521" and added.application.state == "draft"
    office.goto("/letters/intentions/")
    assert office.locator(f"tr[data-person='{worker.pk}']").count() == 0

    # the campaign page counts the reply and the conversion
    campaign = Campaign.objects.get()
    page.goto(f"/letters/{campaign.pk}/")
    assert page.locator("[data-count=replied]").inner_text() == "1"
    assert page.locator("[data-count=converted]").inner_text() == "1"
