"""Phone-sized pages (issue 12, item 6): at 390×844, in Chinese and in English, every page a role can
open fits the screen — nothing widens the page sideways (wide tables scroll inside their own box) —
and the folded menu opens to show the language switcher and 退出 on screen. At 1280 px the whole
menu stands in the bar.

The pages are the access matrix's page rows (tests/access/matrix.py) that the role may GET, called on
the matrix world's own side; answers that are not whole pages (htmx fragments, files) are skipped.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.access.matrix import PAGES, Row
from tests.web.phone import PHONE, too_wide

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PERSONAS = (
    "enterprise", "dept_hr", "dept_transport", "dept_health", "station", "escort", "worker", "town",
    "taskforce",
)  # fmt: skip
FILES = re.compile(r"(\.(xlsx|csv|pdf|json|<str:fmt>)|export/|download/)$")  # downloads


def _within_screen(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    width = page.evaluate("window.innerWidth")
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def _url(row: Row, world: Any) -> str:
    params: dict[str, object] = {**row.params, **(world.params(row.obj, "own") if row.obj else {})}
    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(params[m.group(1)]), row.path)
    query = row.query(world, "own") if callable(row.query) else (row.query or {})
    if query:
        from urllib.parse import urlencode

        path += "?" + urlencode(query)
    return path


def _pages_of(role: str, world: Any) -> list[str]:
    return [
        _url(row, world)
        for row in PAGES
        if row.method == "GET" and row.ok == 200 and role in row.allow and not FILES.search(row.path)
    ]


@pytest.fixture
def world(settings, tmp_path):
    from tests.access.world import build_world

    settings.MEDIA_ROOT = str(tmp_path)
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    return build_world()


def _sign_in(page, base_url: str, username: str, language: str) -> None:
    from tests.access.world import PASSWORD

    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_fits_a_phone_and_its_menu_opens(page, live_server, world, language):
    page.set_viewport_size(PHONE)
    wide: dict[str, list[str]] = {}
    menu_trouble: dict[str, str] = {}
    checked: dict[str, int] = {}
    for role in PERSONAS:
        _sign_in(page, live_server.url, f"m-{role}", language)
        checked[role] = 0
        for url in _pages_of(role, world):
            response = page.goto(url)
            assert response is not None and response.status == 200, (role, url, response and response.status)
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            if not page.evaluate("document.doctype !== null"):
                continue  # an htmx fragment, not a page
            page.wait_for_load_state("networkidle")
            assert page.evaluate("document.documentElement.lang") == language
            checked[role] += 1
            key = f"{role} {url[:60]}"
            if culprits := too_wide(page):
                wide[key] = culprits
            if not page.locator(".menu-toggle").count():
                continue  # a page without the site's bar (the big screen)
            if page.locator(".who select[name=language]").is_visible():
                menu_trouble[key] = "the menu is not folded"
                continue
            page.click(".menu-toggle")
            for name, selector in (
                ("language", ".who select[name=language]"),
                ("logout", ".who form[action='/logout/'] button"),
            ):
                if not (page.locator(selector).is_visible() and _within_screen(page, selector)):
                    menu_trouble[key] = f"{name} is not on screen with the menu open"
            if culprits := too_wide(page):
                wide[key + " (menu open)"] = culprits
    assert not wide, "\n".join(f"{page}: {', '.join(culprits)}" for page, culprits in wide.items())
    assert not menu_trouble, menu_trouble
    # Every persona saw its home page at least; the department and enterprise ones their queues too.
    assert all(n >= 1 for n in checked.values()), checked
    assert checked["enterprise"] >= 5 and checked["dept_health"] >= 5, checked


def test_the_phone_menu_closes_again(page, login, enterprise_user):
    from tests.conftest import PASSWORD

    page.set_viewport_size(PHONE)
    login("ent_a", PASSWORD)
    toggle = page.locator(".menu-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("nav").is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("nav a").first.is_visible()
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("nav").is_visible()


def test_the_desktop_shows_the_whole_menu_on_one_line_each(page, login, taskforce):
    from tests.conftest import PASSWORD

    page.set_viewport_size(DESKTOP)
    login("taskforce", PASSWORD)
    assert not page.locator(".menu-toggle").is_visible()
    links = page.locator("nav a")
    assert links.count() >= 8
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('nav a')).lineHeight)")
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert links.nth(i).is_visible() and box is not None
        assert box["height"] < 1.5 * line, links.nth(i).inner_text()  # no word broken over lines
    for selector in (".who select[name=language]", ".who form[action='/logout/'] button"):
        assert page.locator(selector).is_visible() and _within_screen(page, selector)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_brand_is_named_once_and_the_icon_is_served(page, login, live_server, enterprise_user):
    from tests.conftest import PASSWORD

    login("ent_a", PASSWORD)
    assert page.locator(".brand").inner_text() == "返岗通 Homeward"
    page.select_option("select[name=language]", "en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator(".brand").inner_text() == "Homeward"
    assert page.title().count("Homeward") == 1
    icon = page.request.get(f"{live_server.url}/favicon.ico")
    assert icon.ok and icon.headers["content-type"].startswith("image/svg+xml")
    assert page.evaluate("document.querySelector('link[rel=icon]').href").endswith("favicon.svg")
