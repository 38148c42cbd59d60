"""The city demo, built once and served by real processes, for the browser tests of issue #12 that
must run on the city-scale demo (12,000 enterprises, 670,000 workers) and not on the small one.

``city_demo`` (package-scoped) builds it with ``homeward demo --scale city --seed 1 --reset`` into a
temporary data dir (an SQLite file), serves it with ``homeward serve`` on a free 127.0.0.1 port and
yields a :class:`CityDemo`: the base URL, the demo logins and the installation (to run ``homeward``
commands against it). The server is stopped and the data dir removed when this package's tests are
done (not at the end of the whole run), also when a test or the fixture itself fails. Every test of
this package shares that one build: a test that needs the city in another state (a planned campaign
day, more users) adds a fixture of its own here on top of ``city_demo`` (as ``city_town_officers``
does), never a second build.

``city_page`` is a Chromium page on the served city (zh-CN, the session's browser) and
``city_login(username)`` signs in through the login page.

Set ``HOMEWARD_CITY_DEMO_DIR`` to a data dir where the city demo is already built to skip the build
(it is then served from there and kept): for working on these tests, not for CI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.faults.harness import Deployment, free_port, serve

SEED = 1
BUILD_TIMEOUT = 900  # seconds; it took 76-111 s on a shared 2-core machine
TIMINGS: dict[str, float] = {}  # printed at the end of the run: what the city demo costs CI


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if TIMINGS:
        terminalreporter.section("city demo")
        for step, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{step}: {seconds:.1f} s")


@dataclass
class CityDemo:
    url: str
    logins: dict[str, str]  # username -> password, as `homeward demo` printed them
    roles: dict[str, str]  # username -> role
    installation: Deployment

    def username(self, role: str) -> str:
        """The first demo login of ``role`` (``taskforce``, ``enterprise``, ``dept_health``…)."""
        return next(u for u, r in self.roles.items() if r == role)

    def password(self, username: str) -> str:
        return self.logins[username]


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _parse_logins(out: str) -> tuple[dict[str, str], dict[str, str]]:
    """The table `homeward demo` prints: ``role  username  password  scope``, a header row first."""
    logins: dict[str, str] = {}
    roles: dict[str, str] = {}
    lines = out.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if line.split()[:3] == ["role", "username", "password"]), None
    )
    if start is None:
        return logins, roles
    for line in lines[start + 1 :]:
        cells = line.split()
        if len(cells) < 3 or not cells[1].startswith("demo-"):
            break
        roles[cells[1]] = cells[0]
        logins[cells[1]] = cells[2]
    return logins, roles


def _run(dep: Deployment, name: str, args: list[str], timeout: float) -> str:
    """``homeward ARGS`` to completion within ``timeout`` seconds; its output, or a failure that
    shows the tail of it."""
    log_path = dep.root / f"{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "homeward", *args], env=dep.env(), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(
                f"`homeward {' '.join(args)}` did not finish within {timeout:.0f} s; its output ended:\n"
                + _tail(dep.log(name)),
                pytrace=False,
            )
    if code != 0:
        pytest.fail(
            f"`homeward {' '.join(args)}` exited with {code}; its output ended:\n" + _tail(dep.log(name)),
            pytrace=False,
        )
    return dep.log(name)


@pytest.fixture(scope="package")
def city_demo() -> Iterator[CityDemo]:
    from django.conf import settings

    reuse = os.environ.get("HOMEWARD_CITY_DEMO_DIR", "")
    root = Path(reuse) if reuse else Path(tempfile.mkdtemp(prefix="homeward-citydemo-"))
    # the default lease (the faults harness shortens it): the city's heat-map build takes a while
    dep = Deployment(root=root, database_url=f"sqlite:///{root / 'homeward.sqlite3'}", lease=120)
    try:
        started = time.monotonic()
        if reuse:
            out = _run(dep, "logins", ["demo", "--logins"], timeout=120)
        else:
            args = ["demo", "--scale", "city", "--seed", str(SEED), "--reset"]
            out = _run(dep, "build", args, timeout=BUILD_TIMEOUT)
            TIMINGS["build (homeward demo --scale city)"] = time.monotonic() - started
        logins, roles = _parse_logins(out)
        assert "demo-taskforce" in logins, "no demo logins in the output of `homeward demo`:\n" + _tail(out)

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        try:
            serve(
                dep,
                port,
                # the permits' QR codes link to this server; the maps need the session's ECharts
                HOMEWARD_PUBLIC_URL=url,
                HOMEWARD_VENDOR_STATIC=str(settings.VENDOR_STATIC_DIR),
            )
        except AssertionError as exc:
            pytest.fail(f"{exc}; `homeward serve` said:\n{_tail(dep.log('serve'))}", pytrace=False)
        TIMINGS["homeward serve until /healthz"] = time.monotonic() - started
        yield CityDemo(url=url, logins=logins, roles=roles, installation=dep)
    finally:
        dep.stop_all()
        if not reuse:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="package")
def city_town_officers(city_demo: CityDemo) -> dict[str, str]:
    """A town officer for every town of the city (the demo has one): town name -> username, all with
    the demo password. Made by the accounts service in a ``homeward manage shell`` of the city."""
    code = """
import json
from homeward.apps.accounts.models import Profile
from homeward.apps.accounts.policy import ACTIONS, SystemActor
from homeward.apps.accounts.services import user_create_with_role
from homeward.apps.registry.models import Town
from homeward.demo.load import PASSWORD
actor = SystemActor("tests.citydemo", grants=frozenset(ACTIONS))
made = {}
for town in Town.objects.order_by("code"):
    username = f"citytest-town-{town.code}"
    if not Profile.objects.filter(user__username=username).exists():
        user_create_with_role(actor=actor, username=username, password=PASSWORD, role="town", town=town)
    made[town.name] = username
print(json.dumps(made, ensure_ascii=False))
"""
    officers: dict[str, str] = city_demo.installation.django(code)
    password = city_demo.password(city_demo.username("taskforce"))
    for username in officers.values():
        city_demo.logins[username] = password
        city_demo.roles[username] = "town"
    return officers


@pytest.fixture
def city_page(browser, city_demo: CityDemo):  # type: ignore[no-untyped-def]
    """A Chromium page on the served city demo, in Chinese; questions (data-confirm) are answered yes
    and kept in ``page.asked``."""
    # bypass_csp: Playwright's wait_for_function compiles its predicate with eval (see tests/conftest.py)
    context = browser.new_context(base_url=city_demo.url, locale="zh-CN", bypass_csp=True)
    context.set_default_timeout(30_000)  # city-scale pages on a shared CI machine
    page = context.new_page()
    asked: list[str] = []

    def answer_yes(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer_yes)
    page.asked = asked  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.fixture
def city_login(city_page, city_demo: CityDemo):  # type: ignore[no-untyped-def]
    """``city_login(username)``: sign out whoever is signed in, then sign in on the login page."""

    def sign_in(username: str) -> None:
        city_page.context.clear_cookies()
        city_page.goto("/login/")
        city_page.fill("#id_username", username)
        city_page.fill("#id_password", city_demo.password(username))
        city_page.click("button[type=submit]")
        city_page.wait_for_url(lambda url: "/login/" not in url)

    return sign_in


def api_json(page, path: str) -> object:  # type: ignore[no-untyped-def]
    """GET ``path`` of the API with the page's session (what the page's own scripts could fetch)."""
    response = page.request.get(path)
    assert response.ok, f"{path}: {response.status} {response.text()[:300]}"
    return json.loads(response.text())


@dataclass
class PlannedBusCase:
    application: int  # an application of the campaign day carried by plan buses, its transport task open
    vehicles: list[int]  # the plan buses carrying it (PlanVehicle ids)


@pytest.fixture(scope="package")
def city_planned(city_demo: CityDemo) -> PlannedBusCase:
    """The city's campaign day planned (``homeward plan --scale city --seed 1``: the demo's campaign
    of about 15,000 workers, its coaches and train slots, then the plan, as a newcomer would run it),
    and an application the plan carries on buses none of whose passes anyone has signed yet and
    none of whose passes has expired (the demo day is in motion: the day's own buses have arrived
    and their passes lapsed, whatever the hour of the build; the later pickups' have not)."""
    started = time.monotonic()
    city_demo.installation.homeward("plan", "--scale", "city", "--seed", str(SEED), "--json", timeout=900)
    TIMINGS["homeward plan --scale city"] = time.monotonic() - started
    code = """
import json
from datetime import timedelta
from django.utils import timezone
from homeward.apps.applications.models import DepartmentTask
from homeward.apps.planning.selectors import application_buses
open_ids = DepartmentTask.objects.filter(kind="vehicle_route_pass", state="open")
ids = sorted(open_ids.values_list("case__application_id", flat=True))
buses = application_buses(ids)
soon = timezone.now() + timedelta(hours=1)
def signable(bs):
    return bs and len(bs) <= 2 and not any(b.fixed or b.road_pass.valid_to <= soon for b in bs)
pick = next(a for a in ids if signable(buses.get(a)))
print(json.dumps({"application": pick, "vehicles": [b.vehicle.pk for b in buses[pick]]}))
"""
    found: dict[str, Any] = city_demo.installation.django(code)
    return PlannedBusCase(application=int(found["application"]), vehicles=list(found["vehicles"]))
