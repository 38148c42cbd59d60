"""Fixtures for applications: department personas, worker-list files, an application in each state."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.conftest import PASSWORD, _persona
from tests.factories import make_ric

HEADER = ["身份证号", "姓名", "手机号", "接送区县", "健康码"]
GOOD_COUNTY = "520502"  # 贵州省毕节市七星关区


def good_rows(n: int, start: int = 0) -> list[list[str]]:
    return [
        [
            make_ric("522401", dt.date(1990, 3, 1) + dt.timedelta(days=i), i),
            f"王{i}",
            f"139{i:08d}",
            GOOD_COUNTY,
            "绿码",
        ]
        for i in range(start, start + n)
    ]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def complete_health_task_by_search(page, app_id: int, *, escort: str, kit: str) -> None:  # type: ignore[no-untyped-def]
    """On the health department's queue (/tasks/, signed in): search the application's number, find
    its one open task and complete it with the escort and kit given; the page comes back to the same
    search with nothing left to do."""
    page.get_by_test_id("task-q").fill(str(app_id))
    page.get_by_test_id("task-search-button").click()
    page.wait_for_url(f"**/tasks/?q={app_id}*")
    assert page.get_by_test_id("task-total").inner_text() == "1"
    form = page.locator(f"form[data-task=escort_kit_checks][data-application='{app_id}']")
    form.locator("[name=medical_escort]").fill(escort)
    form.locator("[name=kit]").fill(kit)
    form.get_by_role("button", name="办结").click()
    page.get_by_test_id("no-tasks").wait_for()


ROSTER_SIZE = 100


def put_on_roster(enterprise, rows):
    """Workers with the ID numbers, names and phones of ``rows`` on ``enterprise``'s roster."""
    from homeward.apps.registry.models import Worker
    from tests.factories import WorkerFactory

    Worker.objects.bulk_create(
        [WorkerFactory.build(id_number=r[0], name=r[1], phone=r[2], employer=enterprise) for r in rows]
    )


@pytest.fixture
def enterprise_user(enterprise_user, enterprise_a):
    """Enterprise A's user, with ``good_rows(ROSTER_SIZE)`` on A's roster: an application holds only
    its enterprise's workers (or flagged new hires)."""
    put_on_roster(enterprise_a, good_rows(ROSTER_SIZE))
    return enterprise_user


@pytest.fixture
def other_town_officer(town_b):
    return _persona("town_b", "town", town=town_b)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def draft(enterprise_user):
    from homeward.apps.applications import services

    app = services.application_create_draft(actor=enterprise_user)
    services.application_workers_upload(
        actor=enterprise_user, application_id=app.pk, source=io.BytesIO(csv_bytes(good_rows(3)))
    )
    app.refresh_from_db()
    return app


@pytest.fixture
def submitted(draft, enterprise_user):
    from homeward.apps.applications import services

    return services.application_submit(actor=enterprise_user, application_id=draft.pk, idempotency_key="k1")


@pytest.fixture
def accepted(submitted, town_officer):
    from homeward.apps.applications import services

    return services.application_accept(actor=town_officer, application_id=submitted.pk)


TRANSPORT_DATA = {
    "plate": "贵F·D1234",
    "carrier": "毕节市汽车运输有限公司",
    "route": ["毕节", "G56 杭瑞高速", "G60 沪昆高速", "慈溪"],
    "provinces": "贵州、湖南、江西、浙江",
    "entry_station": "毕节东收费站",
    "exit_station": "慈溪收费站",
}
HEALTH_DATA = {
    "medical_escort": ["王医生"],
    "kit": [{"name": "医用口罩", "quantity": 100}],
    "health_checks": ["登车前测温"],
}


def task_of(app, kind):
    from homeward.apps.applications.models import DepartmentTask

    return DepartmentTask.objects.get(case__application=app, kind=kind)


@pytest.fixture
def permits_drafted(accepted, transport_officer, health_officer):
    from homeward.apps.applications import services

    services.department_task_complete(
        actor=transport_officer, task_id=task_of(accepted, "vehicle_route_pass").pk, data=TRANSPORT_DATA
    )
    services.department_task_complete(
        actor=health_officer, task_id=task_of(accepted, "escort_kit_checks").pk, data=HEALTH_DATA
    )
    return list(accepted.permits.order_by("permit_id"))


@pytest.fixture
def issued(permits_drafted, transport_officer, health_officer, hr_officer):
    from homeward.apps.applications import services

    for permit in permits_drafted:
        for officer in (hr_officer, transport_officer, health_officer):
            if selectors_signer(officer) in permit.signer_list:
                services.permit_sign(actor=officer, permit_id=permit.pk)
        permit.refresh_from_db()
    return permits_drafted


def selectors_signer(user):
    from homeward.apps.accounts.policy import ROLE_SIGNER

    return str(ROLE_SIGNER[user.profile.role])
