"""Issue #14's letters home on the city demo (670,000 workers; the build this package shares), in
Debian's Chromium, signed in through the login page: the task force writes to the away workers of
one origin prefecture and the background run sends them (the file channel: one JSON line a letter in
the data dir); a worker of the demo enterprise opens the link in their letter and answers through the
reply form; the heat map's intention layer and the enterprise's intention list show the answer; the
enterprise turns it into a return application with one action.

The intention layer is read live from the replies (no heat-map rebuild needed); the map's bubbles
come from the same rows once the layer is switched on.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SEND_TIMEOUT = 180_000  # ms: the background run writes the whole prefecture on a shared machine

# The demo enterprise's away worker to write to, and the prefecture of their origin county: of the
# prefectures its free workers come from, the one with the fewest away workers in the whole city (a
# campaign that sends in seconds, yet a city-wide audience, not the enterprise's own workers only).
# Free: no return intention yet (a rerun on a kept build), on no active application, from a county
# that is not high risk (else the application would refuse them).
FIND_WORKER = """
import json
from django.db.models import Count
from django.db.models.functions import Substr
from homeward.apps.accounts.models import Profile
from homeward.apps.applications.models import ApplicationWorker
from homeward.apps.letters.models import Intention
from homeward.apps.registry.models import CountyRisk, Worker
from homeward.core import regions
enterprise = Profile.objects.get(user__username=USERNAME).enterprise
away = Worker.objects.filter(status="away", opt_out__isnull=True)
by_prefecture = dict(
    away.annotate(p=Substr("origin_code", 1, 4)).values_list("p").annotate(n=Count("pk")).values_list("p", "n")
)
risky = set(CountyRisk.objects.filter(level="high").values_list("county_code", flat=True))
held = set(ApplicationWorker.objects.filter(active=True).values_list("id_number", flat=True))
answered = set(Intention.objects.values_list("person_id", flat=True))
free = [
    w for w in away.filter(employer=enterprise).order_by("pk")
    if w.origin_code not in risky and w.id_number not in held and w.pk not in answered
    and regions.get(w.origin_code[:4] + "00") is not None and regions.get(w.origin_code) is not None
]
worker = min(free, key=lambda w: (by_prefecture[w.origin_code[:4]], w.pk))
print(json.dumps({
    "worker": worker.pk, "name": worker.name, "id_number": worker.id_number,
    "origin": worker.origin_code, "prefecture": worker.origin_code[:4] + "00",
    "away_in_prefecture": by_prefecture[worker.origin_code[:4]], "enterprise": enterprise.name,
}, ensure_ascii=False))
"""

APPLICATION_OF = """
import json
from homeward.apps.applications.models import ApplicationWorker
rows = ApplicationWorker.objects.filter(id_number=ID_NUMBER, active=True).select_related("application")
print(json.dumps([
    {"application": r.application_id, "state": r.application.state, "pickup": r.pickup_county_code,
     "enterprise": r.application.enterprise.name, "worker": r.worker_id}
    for r in rows
], ensure_ascii=False))
"""


def _count(text: str) -> int:
    digits = re.sub(r"[,\s]", "", text)
    assert digits.isdigit(), f"not a count: {text!r}"
    return int(digits)


def _outbox(directory: Path) -> list[dict[str, Any]]:
    """The letters the file channel wrote for one campaign (its directory), over all its batches."""
    return [
        json.loads(line)
        for path in sorted(directory.glob("batch-*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line
    ]


def _returning(page, county: str) -> int:  # type: ignore[no-untyped-def]
    """The heat map's intention layer: how many from origin ``county`` said they are coming back."""
    page.goto("/heatmap/")
    page.get_by_test_id("intention-layer").wait_for()
    row = page.locator(f"[data-testid=intentions-by-origin] tr[data-origin='{county}']")
    return _count(row.locator("td").nth(1).inner_text()) if row.count() else 0


def test_a_campaign_to_one_prefecture_of_the_city_its_reply_and_the_application_made_from_it(
    city_page, city_login, city_demo, browser
):
    page = city_page
    taskforce, enterprise = city_demo.username("taskforce"), city_demo.username("enterprise")
    found: dict[str, Any] = city_demo.installation.django(f"USERNAME = {enterprise!r}\n{FIND_WORKER}")
    origin, prefecture = found["origin"], found["prefecture"]

    # the task force writes to everyone away from that prefecture, sees how many, and sends
    city_login(taskforce)
    before = _returning(page, origin)
    page.goto("/letters/")
    form = page.get_by_test_id("campaign-form")
    form.locator("input[name=name]").fill(f"城市演示家书 {prefecture}")
    form.locator("input[name=hotline]").fill("0574-63000000")
    form.locator("input[name=origin]").fill(prefecture)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/letters/\d+/$"))
    campaign = int(re.search(r"/letters/(\d+)/$", page.url).group(1))  # type: ignore[union-attr]
    size = _count(page.get_by_test_id("audience-size").inner_text())
    assert size == found["away_in_prefecture"], (size, found)
    assert size > 1  # a prefecture of the city, not one enterprise's worker
    page.get_by_test_id("campaign-send").click()
    status = page.locator("[data-testid=campaign-status][data-state=done]")  # the page polls the run
    status.wait_for(timeout=SEND_TIMEOUT)
    assert _count(status.locator("[data-count=delivered]").inner_text()) == size
    letters = _outbox(city_demo.installation.root / "letters" / f"campaign-{campaign}")
    assert len(letters) == size
    assert len({x["worker"] for x in letters}) == size

    # the worker opens the link in their letter on their phone and replies: coming back, picked up
    # at home
    text = next(x["text"] for x in letters if x["worker"] == found["worker"])
    assert found["enterprise"] in text
    url = next(word for word in text.replace("：", " ").split() if "/w/start/?k=" in word)
    parts = urlsplit(url)
    phone = browser.new_context(base_url=city_demo.url, locale="zh-CN", bypass_csp=True)
    phone.set_default_timeout(30_000)
    worker_page = phone.new_page()
    worker_page.goto(f"{parts.path}?{parts.query}")
    worker_page.get_by_test_id("worker-start").locator("button[type=submit]").click()
    reply = worker_page.get_by_test_id("reply-form")
    reply.locator("input[name=kind][value=returning]").check()
    reply.locator("input[name=return_date]").fill((date.today() + timedelta(days=3)).isoformat())
    reply.locator("input[name=county]").fill(origin)
    reply.locator("input[name=needs_transport]").check()
    reply.locator("select[name=health_code]").select_option("green")
    reply.locator("button[type=submit]").click()
    worker_page.get_by_test_id("reply-thanks").wait_for()
    phone.close()

    # the heat map's intention layer counts the reply by origin county, and as a bubble on the map
    assert _returning(page, origin) == before + 1
    layer = json.loads(page.locator("#heatmap-intentions").text_content() or "[]")
    assert origin in {row["key"] for row in layer}
    page.wait_for_function("document.getElementById('heatmap-chart').dataset.rows > 0")
    chart = page.get_by_test_id("heatmap-map")
    assert chart.get_attribute("data-intention-bubbles") == "0"
    page.get_by_test_id("intentions-toggle").check()
    assert _count(chart.get_attribute("data-intention-bubbles") or "") >= 1

    # the enterprise sees the intention and turns it into a draft application with one action
    city_login(enterprise)
    page.goto("/letters/intentions/")
    row = page.locator(f"[data-testid=intention-table] tr[data-person='{found['worker']}']")
    assert "打算返岗" in row.inner_text()
    row.locator("input[name=person]").check()
    page.get_by_test_id("intention-apply").click()
    page.wait_for_url(re.compile(r"/applications/\d+/$"))
    app_id = int(re.search(r"/applications/(\d+)/$", page.url).group(1))  # type: ignore[union-attr]
    made = city_demo.installation.django(f"ID_NUMBER = {found['id_number']!r}\n{APPLICATION_OF}")
    assert made == [
        {"application": app_id, "state": "draft", "pickup": origin,
         "enterprise": found["enterprise"], "worker": found["worker"]}
    ]  # fmt: skip
    page.goto("/letters/intentions/")
    page.get_by_test_id("intention-layer").wait_for()
    assert page.locator(f"tr[data-person='{found['worker']}']").count() == 0

    # the campaign's page counts the reply and the conversion
    city_login(taskforce)
    page.goto(f"/letters/{campaign}/")
    assert page.locator("[data-count=replied]").inner_text() == "1"
    assert page.locator("[data-count=converted]").inner_text() == "1"
