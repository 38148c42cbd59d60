"""``homeward plan --scale small --seed 1 --json`` on the small demo city: the campaign day is
generated once (idempotent), planned, and the KPIs are the last line of the output."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

KEYS = {
    "workers", "assigned", "unassigned", "trains", "buses", "buses_lower_bound", "baseline_buses",
    "vehicle_km", "baseline_vehicle_km", "deadline_met_share", "seconds",
}  # fmt: skip


def test_homeward_plan_plans_the_small_demo_city(capsys):
    from homeward.apps.applications.models import ReturnApplication
    from homeward.apps.planning.models import Coach, PlanRun, TrainSlot
    from homeward.cli.plan_cmd import main
    from homeward.demo.campaign import CAMPAIGN_NOTE, campaign_ensure
    from homeward.demo.generate import generate_city
    from homeward.demo.load import load_city

    load_city(generate_city("small", 1))
    assert main(["plan", "--scale", "small", "--seed", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(out) >= KEYS
    apps = ReturnApplication.objects.filter(notes=CAMPAIGN_NOTE)
    workers = sum(a.workers.count() for a in apps)
    assert out["workers"] >= workers > 40  # ~2% of the away workers (plus the demo's accepted ones)
    assert out["assigned"] + out["unassigned"] == out["workers"]
    assert out["buses"] >= out["buses_lower_bound"] and out["baseline_buses"] >= out["buses"]
    assert out["vehicle_km"] <= out["baseline_vehicle_km"]
    assert TrainSlot.objects.filter(state="granted").count() == 2 and Coach.objects.exists()
    # the campaign's cases open with the tasks acceptance opens: destination, origin, passengers given
    from homeward.apps.applications.models import DepartmentTask

    transport = DepartmentTask.objects.filter(case__application__in=apps, kind="vehicle_route_pass")
    assert transport.count() == apps.count()
    assert all(t.data["destination"] and t.data["origin"] and t.data["passengers"] for t in transport)
    assert PlanRun.objects.get().state == "done"
    # idempotent: nothing is generated twice, and a second plan is a new run of the same day
    assert campaign_ensure(scale="small", seed=1) == {}
    assert main(["plan", "--scale", "small", "--seed", "1", "--json"]) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert again["workers"] == out["workers"] and again["buses"] == out["buses"]
    assert PlanRun.objects.count() == 2


def test_homeward_plan_needs_the_demo_city(capsys):
    from homeward.cli.plan_cmd import main

    assert main(["plan", "--scale", "small", "--json"]) == 1
    assert "homeward demo" in capsys.readouterr().err


def test_the_demo_campaign_day_gives_the_same_plan_at_any_hour():
    """The small demo city planned at 03:17 on one day and at 15:41 three days later (both Beijing
    time, frozen clock ticking): the campaign day starts at 08:00 of the day before each run, and
    every KPI but the timings is the same."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from homeward.cli.plan_cmd import run_plan
    from homeward.demo.campaign import campaign_reset, campaign_time
    from homeward.demo.generate import generate_city
    from homeward.demo.load import load_city

    beijing = ZoneInfo("Asia/Shanghai")
    load_city(generate_city("small", 1))
    runs = []
    for moment in (
        datetime(2020, 2, 20, 3, 17, tzinfo=beijing),
        datetime(2020, 2, 23, 15, 41, tzinfo=beijing),
    ):
        with time_machine.travel(moment, tick=True):
            campaign_reset()
            out = run_plan(scale="small", seed=1)
            start = campaign_time()
        assert start is not None
        local = start.astimezone(beijing)
        assert local.date() == moment.date() - timedelta(days=1) and 4 <= local.hour <= 8
        runs.append({k: v for k, v in out.items() if "seconds" not in k and k not in ("run", "generated")})
    assert runs[0]["workers"] > 40
    assert runs[0] == runs[1]


def test_bench_plan_plans_the_stored_city_day_as_the_plan_run_does():
    """``homeward bench plan`` puts the demo city's figure beside the synthetic one: the core plans
    the stored campaign day (on the machine's processes) as the plan run did, and stores nothing."""
    from homeward.apps.planning.models import PlanRun
    from homeward.cli.plan_cmd import main
    from homeward.cli.plan_cmds import CITY_KEYS, bench_city
    from homeward.demo.generate import generate_city
    from homeward.demo.load import load_city

    assert "skipped" in bench_city(seed=1)  # no campaign day yet
    load_city(generate_city("small", 1))
    assert main(["plan", "--scale", "small", "--seed", "1", "--json"]) == 0
    run = PlanRun.objects.get()
    city = bench_city(seed=1)
    assert {k: city[k] for k in CITY_KEYS} == {k: run.kpis.get(k) for k in CITY_KEYS}
    assert city["seconds"] > 0 and city["cpu_seconds"] > 0
    assert PlanRun.objects.count() == 1
