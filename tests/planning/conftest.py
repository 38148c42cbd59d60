"""Planning fixtures: a tiny hand-made campaign (two enterprises, three origin counties, one train
slot, a few coaches) on the personas' enterprises, and settings that keep files in a temporary
directory and tasks in the dummy backend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings

from tests.conftest import system_actor


@pytest.fixture(autouse=True)
def planning_settings(tmp_path):
    with override_settings(
        MEDIA_ROOT=str(tmp_path / "media"),
        TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}},
    ):
        yield tmp_path / "media"


_SEQ = [0]


@pytest.fixture(autouse=True)
def _planning_daytime(time_machine):
    """Every planning test runs at 15:00 Beijing time today (the clock ticking on): a plan depends
    on the hour (no driving 02:00-05:00, which coach can arrive in time). The fixtures' expectations
    (one Cixi bus, one train, one shuttle) hold at 15:00 and 20:00 but not at 09:00, 12:00 or 23:00,
    where another coach or a second bus wins — found by a CI run at 23:00."""
    from django.utils import timezone

    time_machine.move_to(timezone.localtime().replace(hour=15, minute=0, second=0, microsecond=0), tick=True)


def make_application(enterprise, counties, *, hours=30, accepted_ago_min=30, health="green"):
    """An accepted application of ``enterprise`` with one worker per entry of ``counties``, and its
    case (as acceptance opens one)."""
    import datetime as dt

    from django.utils import timezone

    from homeward.apps.applications.models import ApplicationWorker, Case, ReturnApplication
    from tests.factories import make_ric

    now = timezone.now()
    accepted = now - timedelta(minutes=accepted_ago_min)
    app = ReturnApplication.objects.create(
        enterprise=enterprise, state="accepted", submitted_at=accepted, accepted_at=accepted,
        deadline_hours=hours, deadline_at=accepted + timedelta(hours=hours),
    )  # fmt: skip
    Case.objects.create(application=app)
    for county in counties:
        _SEQ[0] += 1
        n = _SEQ[0]
        ApplicationWorker.objects.create(
            application=app, id_number=make_ric(county, dt.date(1990, 1, 1) + timedelta(days=n), n),
            name=f"工人{n:03d}", phone=f"139{n:08d}", origin_code=county, pickup_county_code=county,
            health_code=health,
        )  # fmt: skip
    return app


@pytest.fixture
def resources(db):
    """Six Cixi coaches, origin-side coaches in Fuyang (341200) and Shangqiu (411400), and a train
    slot 阜阳 → 余姚北 leaving in 6 hours."""
    return make_resources()


def make_resources():
    """The ``resources`` fixture's fleet and train slot; returns the number of coaches."""
    from django.utils import timezone

    from homeward.apps.planning.models import HOME_BASE, Coach, Driver, MedicalEscort, TrainSlot

    now = timezone.now()
    TrainSlot.objects.create(
        name="慈溪号", origin_station="阜阳", origin_telecode="FYH", destination_station="余姚北",
        destination_telecode="CTH", departs=now + timedelta(hours=6), arrives=now + timedelta(hours=12),
        seats=60, load_cap_pct=50, state="granted",
    )  # fmt: skip

    for i in range(6):
        Coach.objects.create(plate=f"浙B{9000 + i}", seats=55, carrier="慈溪客运", base=HOME_BASE)
    for base in ("411400", "341200"):
        for i in range(3):
            Coach.objects.create(plate=f"{base}-{i}", seats=55, carrier=f"{base}客运", base=base)
    for i in range(4):
        Driver.objects.create(name=f"司机{i}", licence_no=f"L{i:06d}", base=HOME_BASE)
    MedicalEscort.objects.create(name="医生甲", phone="13800000001", base=HOME_BASE)
    return Coach.objects.count()


@pytest.fixture
def campaign(enterprise_a, enterprise_b, resources):
    """Three applications: A from 临泉 (18, near the 阜阳 train), B from 梁园 (9) and 颍泉 (3), and a
    late one of B from 临泉 (deadline 3 h away: nothing from Anhui can make it). (The core groups
    workers by county and factory with the earliest deadline of the group, so the late one is kept
    apart from A's 临泉 group on purpose.)"""
    a = make_application(enterprise_a, ["341221"] * 18)
    b = make_application(enterprise_b, ["411402"] * 9 + ["341204"] * 3)
    late = make_application(enterprise_b, ["341221"] * 2, hours=3, accepted_ago_min=0)
    return {"a": a, "b": b, "late": late}


def logged_in(client, user):
    """``client`` logged in as the persona ``user``."""
    from tests.conftest import PASSWORD

    client.login(username=user.username, password=PASSWORD)
    return client


def run_plan(actor=None, **kw):
    """Request a plan run and execute it here (no task worker); the run, refreshed."""
    from homeward.apps.planning.services import plan_run_execute_now, plan_run_request

    run = plan_run_request(actor=actor or system_actor(), enqueue=False, **kw)
    assert plan_run_execute_now(run.pk) == "done", run.__class__.objects.get(pk=run.pk).error
    run.refresh_from_db()
    return run


@pytest.fixture
def planned(campaign):
    """The campaign planned once (the plan in force)."""
    return run_plan()
