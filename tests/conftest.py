"""Personas as fixtures: one user per role of DESIGN §2, each bound to its scope.

Two enterprises in two towns so that every boundary test has someone on the other side.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time

import pytest

PASSWORD = "persona-pass-1"

# Imports of Django models stay inside fixtures: tests/core runs without Django (-p no:django).
# Playwright's sync API runs an event loop in the test thread; Django would refuse ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_password_hasher(request):
    """PBKDF2's deliberate slowness costs ~0.3 s per persona; tests don't need it."""
    if request.config.pluginmanager.hasplugin("django"):  # tests/core also runs with -p no:django
        request.getfixturevalue("settings").PASSWORD_HASHERS = [
            "django.contrib.auth.hashers.MD5PasswordHasher"
        ]


@pytest.fixture(autouse=True)
def _default_language(request):
    """Each test starts in the site's default language: a request through the test client in
    another language (LocaleMiddleware) leaves that language active in the thread, and a later
    test's messages came out in English (tests/teams/test_boarding_recognition.py after
    tests/access/test_page_language.py)."""
    yield
    if request.config.pluginmanager.hasplugin("django"):
        from django.utils import translation

        translation.deactivate()


@pytest.fixture
def home_city(db):
    """The demo city set up as ``homeward setup --city 330282`` leaves it: the row, 20 towns, stations."""
    from homeward.apps.registry.services.city import city_setup

    return city_setup(actor=system_actor(), code="330282").city


@pytest.fixture
def town_a(home_city):
    from homeward.apps.registry.models import Town

    return Town.objects.get(name="浒山街道")


@pytest.fixture
def town_b(home_city):
    from homeward.apps.registry.models import Town

    return Town.objects.get(name="周巷镇")


@pytest.fixture
def enterprise_a(town_a):
    from tests.factories import EnterpriseFactory

    return EnterpriseFactory(name="慈溪甲电器有限公司", town=town_a, is_key=True)


@pytest.fixture
def enterprise_b(town_b):
    from tests.factories import EnterpriseFactory

    return EnterpriseFactory(name="慈溪乙轴承有限公司", town=town_b)


@pytest.fixture
def workers_a(enterprise_a):
    from tests.factories import WorkerFactory

    return WorkerFactory.create_batch(3, employer=enterprise_a)


@pytest.fixture
def workers_b(enterprise_b):
    from tests.factories import WorkerFactory

    return WorkerFactory.create_batch(2, employer=enterprise_b, origin_code="341221")


def flush_database():
    """Empty a database that a package-scoped fixture filled outside the test transactions, with
    the role groups the data migration made put back."""
    from django.core.management import call_command

    from homeward.apps.accounts.services import roles_ensure_groups

    call_command("flush", interactive=False, verbosity=0)
    roles_ensure_groups()


def system_actor():
    """The tests' own system actor: granted every action of the policy, and nothing else."""
    from homeward.apps.accounts.policy import ACTIONS, SystemActor

    return SystemActor("test", grants=frozenset(ACTIONS))


def _persona(username: str, role: str, **scope):
    from homeward.apps.accounts.services import user_create_with_role

    return user_create_with_role(
        actor=system_actor(), username=username, password=PASSWORD, role=role, **scope
    )


@pytest.fixture
def taskforce(db):
    return _persona("taskforce", "taskforce", display_name="专班")


@pytest.fixture
def town_officer(town_a):
    return _persona("town_a", "town", town=town_a)


@pytest.fixture
def enterprise_user(enterprise_a):
    return _persona("ent_a", "enterprise", enterprise=enterprise_a)


@pytest.fixture
def other_enterprise_user(enterprise_b):
    return _persona("ent_b", "enterprise", enterprise=enterprise_b)


@pytest.fixture
def health_officer(db):
    return _persona("health", "dept_health")


@pytest.fixture
def hr_officer(db):
    return _persona("hr", "dept_hr")


@pytest.fixture
def transport_officer(db):
    return _persona("transport", "dept_transport")


@pytest.fixture
def service_team(db):
    return _persona("team_gz", "service_team", province_code="52")


@pytest.fixture
def station_staff(db):
    return _persona("station", "station", place="余姚北站")


@pytest.fixture
def worker_user(db):
    return _persona("worker", "worker")


# --- A real Chromium (Debian's) driven by Playwright, for the page tests. One session-wide browser:
# Playwright's sync API allows one instance per thread, so these fixtures live here and nowhere else.
CHROMIUM = os.environ.get("HOMEWARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def launch_chromium():
    """Launch Debian's Chromium with the usual arguments and ``extra`` ones; a test that needs other
    arguments than the shared browser's (a fake camera) launches its own through this and closes it."""
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        if os.environ.get("HOMEWARD_REQUIRE_BROWSER"):
            pytest.fail(f"browser tests are required but {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    profile_dir = tempfile.mkdtemp(prefix="homeward-chromium-")
    with sync_playwright() as playwright:

        def launch(*extra: str):
            return playwright.chromium.launch(
                executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra], headless=True
            )

        yield launch
    shutil.rmtree(profile_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(launch_chromium):
    launched = launch_chromium()
    yield launched
    launched.close()


def _serve_one_request_at_a_time() -> None:
    """The live server's threads share the test database connection (an in-memory SQLite database
    cannot be opened twice), so a page's parallel requests (map data, tables, partials) can collide
    inside sqlite3 ("bad parameter or other API misuse") on a busy machine. Requests are handled one
    at a time; connections stay keep-alive and the server stays threaded."""
    import threading

    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    class OneRequestAtATime(ThreadedWSGIServer):
        def set_app(self, application):  # type: ignore[no-untyped-def]
            lock = threading.Lock()

            def one_at_a_time(environ, start_response):  # type: ignore[no-untyped-def]
                with lock:
                    return application(environ, start_response)

            super().set_app(one_at_a_time)

    LiveServerThread.server_class = OneRequestAtATime


_serve_one_request_at_a_time()


@pytest.fixture
def page(browser, live_server):
    # Playwright compiles string predicates (wait_for_function) with eval, which the pages' CSP
    # forbids; tests/ops/test_csp_browser.py checks the policy in a context that does not bypass it.
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", bypass_csp=True)
    context.set_default_timeout(10_000)
    # Signing, accepting, removing and dispatching ask first (data-confirm / hx-confirm); Playwright
    # dismisses a question nobody answers, so a test that presses such a button answers it itself.
    page = context.new_page()
    # A test that moved the server's clock (time_machine) moves the browser's with it: pages send
    # their own time (a scan's client_at, a hand-over's handed_at) and the server refuses one from
    # its future, so out of step the outcome would depend on the hour the suite runs.
    moved = time.time()
    if abs(moved - page.evaluate("Date.now()") / 1000) > 60:
        page.clock.install(time=moved)
    yield page
    context.close()


@pytest.fixture
def login(page):
    def sign_in(username: str, password: str) -> None:
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)

    return sign_in


def export_workers(client, **filters) -> bytes:
    """The workers list exported as the client's user would: asked for on the page, built by the
    task (run here: tests do not commit, so nothing is enqueued), downloaded."""
    from django.urls import reverse

    from homeward.apps.registry.models import ExportRun
    from homeward.apps.registry.services.exports import export_run_execute_now

    asked = client.post(reverse("worker-export"), filters)
    assert asked.status_code == 202, asked.content[:300]
    run = ExportRun.objects.order_by("-pk").first()
    assert export_run_execute_now(run.pk) == "done"
    response = client.get(reverse("export-download", args=[run.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content
