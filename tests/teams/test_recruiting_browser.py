"""Recruiting in Debian's Chromium: the Henan team registers a recruit, the enterprise posts a
vacancy and offers it to the recruit ranked there, the team records the acceptance, and the recruit
is on the manifest of a planned bus from their area (the task force's vehicle page)."""

from __future__ import annotations

import datetime as dt

import pytest

from homeward.apps.teams.models import Offer
from tests.conftest import PASSWORD
from tests.factories import make_ric

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _switch(page, login, user) -> None:
    page.context.clear_cookies()
    login(user.username, PASSWORD)


def test_a_registered_recruit_is_matched_offered_accepted_and_on_a_manifest(
    planned, page, login, henan_member, other_enterprise_user, taskforce
) -> None:
    recruit_id = make_ric("411402", dt.date(2000, 4, 4), 321)
    login(henan_member.username, PASSWORD)
    page.goto("/team/")
    page.get_by_test_id("recruits-link").click()
    form = page.get_by_test_id("recruit-form")
    form.locator("[name=id_number]").fill(recruit_id)
    form.locator("[name=name]").fill("赵新工")
    form.locator("[name=phone]").fill("13955500123")
    form.locator("[name=county]").fill("411402")
    form.locator("[name=skills]").fill("焊工, 电工")
    form.locator("[name=pay_wanted]").fill("5000")
    form.locator("button[type=submit]").click()
    page.locator("[data-testid=recruits] article", has_text="赵新工").wait_for()

    _switch(page, login, other_enterprise_user)
    page.goto("/vacancies/")
    form = page.get_by_test_id("vacancy-form")
    form.locator("[name=role]").fill("焊工")
    form.locator("[name=count]").fill("2")
    form.locator("[name=pay_min]").fill("4500")
    form.locator("[name=pay_max]").fill("6500")
    form.locator("[name=skills]").fill("焊工")
    form.locator("[name=start_date]").fill("2026-03-01")
    form.locator("button[type=submit]").click()
    row = page.locator("[data-testid=vacancies] tr", has_text="赵新工")
    assert recruit_id not in row.inner_text()  # the enterprise sees the recruit masked
    row.get_by_test_id("make-offer").click()
    page.locator("[data-testid=vacancies] tr", has_text="赵新工").get_by_text("已发出").wait_for()

    _switch(page, login, henan_member)
    page.goto("/team/recruits/")
    page.get_by_test_id("accept-offer").click()
    page.get_by_text("已安排车辆座位").wait_for()
    offer = Offer.objects.get(recruit__id_number=recruit_id)
    assert offer.state == "accepted" and offer.vehicle_key

    _switch(page, login, taskforce)
    vehicle = planned.vehicles.get(key=offer.vehicle_key)
    page.goto(f"/planning/vehicles/{vehicle.pk}/")
    page.get_by_text("赵新工").first.wait_for()
