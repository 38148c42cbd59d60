"""The pages work under the Content-Security-Policy: no violation while a task-force user walks the
main pages and the admin, and the behaviour moved out of inline handlers still works."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""


def _violations(page) -> list[str]:
    return page.evaluate("window.__csp")


@pytest.fixture
def page(browser, live_server):
    """A page that enforces the CSP (the shared fixture bypasses it for Playwright's predicates)."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_no_csp_violations_on_the_main_pages(page, login, taskforce, workers_a):
    page.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    login("taskforce", PASSWORD)
    seen = {}
    for path in (
        "/",
        "/workers/",
        "/enterprises/",
        "/applications/",
        "/audit/",
        "/admin/",
        "/admin/audit/auditevent/",
    ):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        seen[path] = _violations(page)
    assert all(not v for v in seen.values()), seen
    assert console == []


def test_autosubmit_and_confirm_work_without_inline_handlers(page, login, enterprise_user, draft):
    page.add_init_script(RECORD_VIOLATIONS)
    login("ent_a", PASSWORD)
    page.goto("/applications/")
    page.select_option("select[name=state]", "draft")
    page.wait_for_url("**state=draft**")
    page.goto(f"/applications/{draft.pk}/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("text=取消申请")
    draft.refresh_from_db()
    assert draft.state == "draft"  # dismissed: not submitted
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=取消申请")
    page.wait_for_selector("[data-testid=state][data-state=cancelled]")  # the POST, then the page again
    draft.refresh_from_db()
    assert draft.state == "cancelled"
    page.select_option("select[name=language]", "en")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert _violations(page) == []
