"""Pages in Debian's Chromium: login, the enterprise list and the worker list with masked IDs."""

from __future__ import annotations

import re

import pytest

from homeward.core.identity import mask_ric
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_rejects_a_wrong_password(page, enterprise_user):
    page.goto("/login/")
    page.fill("#id_username", "ent_a")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text().startswith("用户名或密码不正确")


def test_it_logs_in_and_shows_the_enterprise_list(
    page, login, enterprise_user, enterprise_a, enterprise_b, workers_a
):
    login("ent_a", PASSWORD)
    assert page.locator(".brand").inner_text().startswith("返岗通")
    page.click("nav >> text=企业")
    table = page.get_by_test_id("enterprise-table")
    assert enterprise_a.name in table.inner_text()
    assert enterprise_b.name not in table.inner_text()


def test_it_shows_workers_masked(page, login, enterprise_user, workers_a):
    login("ent_a", PASSWORD)
    page.goto("/workers/")
    ids = page.locator("[data-testid=worker-table] code.id-number").all_inner_texts()
    assert sorted(ids) == sorted(mask_ric(w.id_number) for w in workers_a)
    assert all(re.fullmatch(r"\d{4}\*{10}[\dX]{4}", i) for i in ids)


def test_it_reveals_an_id_for_the_health_department(page, login, health_officer, workers_a):
    login("health", PASSWORD)
    page.goto("/workers/")
    worker = workers_a[0]
    cell = page.locator(f"#contact-{worker.pk}")
    cell.get_by_role("button", name="显示").click()
    page.wait_for_function(
        f"document.querySelector('#contact-{worker.pk}').innerText.includes('{worker.id_number}')"
    )


def test_it_filters_workers_by_status_without_a_reload(page, login, taskforce, workers_a):
    from homeward.apps.registry.models import Worker

    Worker.objects.filter(pk=workers_a[0].pk).update(status=Worker.Status.RETURNED)
    login("taskforce", PASSWORD)
    page.goto("/workers/")
    page.select_option("select[name=status]", "returned")
    page.wait_for_function("document.querySelectorAll('[data-testid=worker-table] tbody tr').length === 1")
    assert workers_a[0].name in page.get_by_test_id("worker-table").inner_text()
