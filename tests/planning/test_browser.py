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
