"""The worker's own trip page in Debian's Chromium on a phone (390×844), in Chinese and in English,
signed in through the one-time link or the short code as a worker does (no account): the door's
page, then the trip page (legs, the e-ticket QR, confirm / decline, the health declaration) and the
page after each answer widen nothing past the screen (tests/web/phone.py's check, the one the
access-matrix pages get in tests/web/test_phone_browser.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from homeward.apps.trips.services.self_service import worker_link_issue
from tests.conftest import system_actor
from tests.trips.test_worker_page import _later_ticket
from tests.web.phone import PHONE, too_wide

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_by_link(page, url: str, wide: dict[str, list[str]] | None = None) -> None:
    """Open a one-time link as the worker's phone does and press its button (noting in ``wide``
    what sticks out of the button's page)."""
    parts = urlsplit(url)
    page.goto(f"{parts.path}?{parts.query}")
    if wide is not None and (culprits := too_wide(page)):
        wide["start"] = culprits
    page.get_by_test_id("worker-start").locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=trip], [data-testid=trip-none], [data-testid=trip-declined]")


def sign_in_by_code(page, code: str, last4: str, wide: dict[str, list[str]] | None = None) -> None:
    """The short-code form, filled in and sent (noting in ``wide`` what sticks out of the form)."""
    page.goto("/w/")
    if wide is not None and (culprits := too_wide(page)):
        wide["sign-in form"] = culprits
    form = page.get_by_test_id("worker-signin")
    form.locator("input[name=code]").fill(code)
    form.locator("input[name=last4]").fill(last4)
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=trip], [data-testid=trip-none], [data-testid=trip-declined]")


def _on_screen(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


@pytest.mark.parametrize(("language", "door"), [("zh-hans", "link"), ("en", "code")])
def test_the_signed_in_trip_page_fits_a_phone(page, live_server, planned, language, door) -> None:
    ticket = _later_ticket()  # declarations still open: the health form is on the page
    issued = worker_link_issue(actor=system_actor(), worker_id=ticket.worker_id)
    page.set_viewport_size(PHONE)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    wide: dict[str, list[str]] = {}
    if door == "link":
        sign_in_by_link(page, issued.url, wide)
    else:
        sign_in_by_code(page, issued.code, ticket.worker.id_number[-4:], wide)
    assert page.evaluate("document.documentElement.lang") == language
    assert page.get_by_test_id("trip-leg").count() == len(ticket.legs)
    for selector in (
        ".ticket-qr svg",
        "[data-testid=confirm]",
        "[data-testid=decline]",
        "[data-testid=declare]",
    ):
        assert page.locator(selector).is_visible() and _on_screen(page, selector), selector
    if culprits := too_wide(page):
        wide["trip"] = culprits

    page.get_by_test_id("confirm").click()
    page.wait_for_selector("[data-testid=trip-confirmed]")
    page.locator("input[name=health_code][value=yellow]").check()
    page.locator("input[name=temperature]").fill("38.2")
    page.get_by_test_id("declare").click()
    page.wait_for_selector("[data-testid=declared]")
    assert page.locator("[data-testid=health] .invalid").is_visible()  # routed to observation
    if culprits := too_wide(page):
        wide["confirmed and declared unwell"] = culprits

    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_test_id("decline").click()
    page.wait_for_selector("[data-testid=trip-declined]")
    assert len(asked) == 1  # it asks first: the ticket goes and the seat is given to someone else
    if culprits := too_wide(page):
        wide["declined"] = culprits
    assert not wide, "\n".join(f"{state}: {', '.join(c)}" for state, c in wide.items())
