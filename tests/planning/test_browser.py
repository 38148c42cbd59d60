"""The plan board in Debian's Chromium: the KPIs against the baseline, the routes drawn on the map."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, system_actor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_board_shows_the_kpis_and_draws_the_routes(page, login, taskforce, campaign):
    from homeward.apps.planning.services import plan_run_execute_now, plan_run_request

    run = plan_run_request(actor=system_actor(), enqueue=False)
    assert plan_run_execute_now(run.pk) == "done"
    login("taskforce", PASSWORD)
    page.goto("/planning/")
    kpis = page.get_by_test_id("plan-kpis")
    assert "逐企包车基线" in kpis.inner_text() and "包车" in kpis.inner_text()
    page.wait_for_function("document.querySelector('#plan-map').dataset.ready === '1'")
    page.wait_for_selector("#plan-map canvas")
    # ECharts animates the first draw: wait for the pixels rather than a fixed time.
    page.wait_for_function(
        """() => { const c = document.querySelector('#plan-map canvas');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n > 2000; }"""
    )
    series = page.evaluate(
        "echarts.getInstanceByDom(document.querySelector('#plan-map')).getOption().series.map(s => [s.name, s.data.length])"
    )
    assert ["专列", 1] in series and ["包车", 1] in series and ["接驳车", 1] in series
    page.wait_for_selector("[data-testid=plan-vehicles]")
    assert page.locator("[data-testid=plan-vehicles] .pl-bar").count() == 3
    page.get_by_test_id("tab-train").click()
    page.wait_for_function("document.querySelectorAll('[data-testid=plan-vehicles] .pl-bar').length === 1")


def test_the_board_fits_1280_px_in_english_with_late_workers_and_train_requests(
    page, login, live_server, taskforce, campaign
):
    """At 1280 px and in English the KPI table is not clipped (nothing to scroll sideways, the
    table inside its card); the late workers are listed with their hours over; a proposed train is
    entered as a slot from its row."""
    from datetime import timedelta

    from django.utils import timezone

    from homeward.apps.planning.models import TrainSlot
    from homeward.apps.planning.services import plan_run_execute_now, plan_run_request
    from tests.planning.test_pages import _shangqiu_train

    run = plan_run_request(actor=taskforce, enqueue=False)
    assert plan_run_execute_now(run.pk) == "done"
    run.refresh_from_db()
    _shangqiu_train(run, (timezone.now() + timedelta(hours=6)).replace(second=0, microsecond=0))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    login("taskforce", PASSWORD)
    page.goto("/planning/")
    kpis = page.get_by_test_id("plan-kpis")
    assert "Per-enterprise baseline" in kpis.inner_text() and "Late arrivals" in kpis.inner_text()
    card = page.locator("section.pl-kpis")
    sizes = card.evaluate(
        """el => { const t = el.querySelector('table').getBoundingClientRect(), c = el.getBoundingClientRect();
                   return [el.scrollWidth, el.clientWidth, t.right, c.right, document.documentElement.scrollWidth]; }"""
    )
    scroll, client, table_right, card_right, page_width = sizes
    assert scroll <= client and table_right <= card_right and page_width <= 1280
    late = page.get_by_test_id("plan-late")
    late.wait_for()
    hours = late.locator("[data-hours-over]").all_inner_texts()
    assert len(hours) == 2 and all(float(h) > 1 for h in hours)
    row = page.get_by_test_id("train-request-0")
    assert "商丘 → 余姚北" in row.inner_text()
    row.get_by_test_id("train-request-accept").click()
    page.get_by_test_id("train-request-state").wait_for()
    assert TrainSlot.objects.get(name="加开专列").state == "requested"
