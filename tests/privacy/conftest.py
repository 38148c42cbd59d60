"""A small world with people everywhere they can be shown: registry workers of two enterprises (one
with a retired area code, several origin provinces and ages), police arrivals, and the planning
campaign (applications, their worker rows, a plan with a train, buses and shuttles)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.planning.conftest import campaign, planned, planning_settings, resources  # noqa: F401

# (area code at issue, today's county, birth date, sequence) for the registry's workers
PEOPLE_A = [
    ("520502", "520502", dt.date(1990, 3, 15), 101),
    ("522401", "520502", dt.date(1985, 11, 2), 202),  # 毕节地区's retired code, today 七星关区
    ("520102", "520102", dt.date(2004, 6, 30), 303),
    ("341221", "341221", dt.date(1968, 1, 9), 404),
    ("411402", "411402", dt.date(1999, 12, 31), 505),
    ("510102", "510104", dt.date(1979, 2, 28), 606),  # 成都 东城区 (retired), today 锦江区
]
PEOPLE_B = [
    ("520103", "520103", dt.date(1993, 7, 7), 707),
    ("341204", "341204", dt.date(1975, 5, 5), 808),
    ("429004", "429004", dt.date(2001, 9, 9), 909),
]


@pytest.fixture
def people(enterprise_a, enterprise_b):
    """The registry workers and police arrivals of ``PEOPLE_A`` / ``PEOPLE_B``."""
    from homeward.apps.registry.models import PoliceArrival
    from tests.factories import WorkerFactory, make_ric

    workers = []
    for employer, rows in ((enterprise_a, PEOPLE_A), (enterprise_b, PEOPLE_B)):
        for area, origin, born, seq in rows:
            workers.append(
                WorkerFactory(
                    id_number=make_ric(area, born, seq),
                    origin_code=origin,
                    birth_date=born,
                    employer=employer,
                )
            )
    for w in workers[:2]:
        PoliceArrival.objects.create(id_number=w.id_number, arrived_on=dt.date(2020, 2, 10), place="余姚北站")
    return workers


@pytest.fixture
def everyone(
    taskforce, town_officer, enterprise_user, other_enterprise_user, health_officer, hr_officer,
    transport_officer, service_team, station_staff, worker_user,
):  # fmt: skip
    """One user per role (two enterprises), by persona name."""
    return {
        "taskforce": taskforce, "town": town_officer, "enterprise": enterprise_user,
        "other_enterprise": other_enterprise_user, "health": health_officer, "hr": hr_officer,
        "transport": transport_officer, "service_team": service_team, "station": station_staff,
        "worker": worker_user,
    }  # fmt: skip


@pytest.fixture
def world(people, planned, everyone):  # noqa: F811 (the fixture imported above)
    """Everything at once: the registry's people, the planned campaign, a case with its department
    tasks (an application of A's roster workers, submitted and accepted) and the plan's road passes."""
    from homeward.apps.applications import services
    from homeward.apps.planning.permits import plan_permits_draft

    ent, town, tf = everyone["enterprise"], everyone["town"], everyone["taskforce"]
    app = services.application_create_draft(actor=ent)
    mine = [w.pk for w in people if w.employer_id == ent.profile.enterprise_id]
    services.application_workers_add_from_roster(actor=ent, application_id=app.pk, worker_ids=mine[:3])
    services.application_submit(actor=ent, application_id=app.pk)
    services.application_accept(actor=town, application_id=app.pk)
    plan_permits_draft(actor=tf, run_id=planned.pk)
    _exports(everyone)
    return everyone


def _exports(everyone):
    """Each role that may export the workers list has one built (the crawl downloads every one as
    every role: its own is an .xlsx to read, the others' a 404)."""
    from homeward.apps.accounts.policy import allows
    from homeward.apps.registry.services.exports import export_run_execute_now, export_run_request

    for user in everyone.values():
        if allows(user, "registry.export"):
            run = export_run_request(actor=user, filters={})
            export_run_execute_now(run.pk)
