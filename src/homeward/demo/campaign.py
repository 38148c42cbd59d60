"""A campaign day for the demo city: accepted return applications, train slots and a coach fleet.

``campaign_ensure(scale=..., seed=...)`` is idempotent: applications are made once (they carry the
note ``CAMPAIGN_NOTE``), resources once (when there are no train slots, no coaches). Deterministic by
seed in whom it picks and where the trains go. The day starts at a fixed local time,
``campaign_start``: 08:00 Beijing time of the day before it is made, so that its trips are partly
done and partly on the road when a newcomer looks; every time in it (acceptances, deadlines, train
departures) is relative to that start, so the same seed gives the same plan at any hour.

- Small scale: accepted applications for ~2% of the away workers; city scale: ~15,000 workers in
  ~1,000 applications (heavy tail: a few big enterprises, many with a handful of workers), from the
  ~300 origin counties with the most workers away (the heat map's hotspots, as on the article's day).
  The enterprises with an enterprise login (the demo's) apply first, so their users see their
  workers on the day's trips. Some of the others, with a tenth of the workers, restart later
  (``LATER_PICKUPS``): their workers are picked up from 08:00 on the build's day or the morning
  after it (``pickup_from``), so whenever it is built some vehicles are on the road and some have
  not departed yet.
- ~16 train slots (2 at small scale) granted to the origin stations with the most demand within the
  train catchment; 3 of them town-level (周巷号, 观海卫号, 逍林号), the rest 慈溪号.
- Coaches: a Cixi fleet and origin-side operators at each origin prefecture, two drivers per coach,
  one medical escort per coach plus a train team, three kinds of prevention kit.

Applications are written in bulk (this is demo data, made as the services would leave it: accepted,
a case with one open task per department, one audit event per application).
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from homeward.core import regions
from homeward.core.planning import Point, Rules
from homeward.core.planning.geo import rail_min, road_km

CAMPAIGN_NOTE = "演示接返日 campaign day"
SCALES = ("small", "city")
CITY_WORKERS = 15_000
CAMPAIGN_COUNTIES = 300  # origin counties served on the day: those with the most workers away
SMALL_SHARE = 0.02
_DEST_STATIONS = ("余姚北", "宁波")
TOWN_TRAINS = ("周巷号", "观海卫号", "逍林号")
DAY_START = time(8, 0)  # Beijing time
# factories that restart later: the share of the day's workers who are picked up only from
# 08:00 on the day of the build (on the road or arrived when a newcomer looks late in the day) and
# from 08:00 the morning after it (not departed, at whatever hour it ran: 16 to 40 hours after the
# day's start)
LATER_PICKUPS = ((0.05, timedelta(hours=24)), (0.05, timedelta(hours=48)))
LATER_MIN_PER_COUNTY = 10  # the applications that restart later: this many workers per home county
_BEIJING = ZoneInfo("Asia/Shanghai")

Report = Callable[[str], None]


def campaign_reset() -> dict[str, int]:
    """Delete the campaign's applications, the resources, every plan run and what the day left on
    the trips (hand-overs, scans, health declarations, links, tickets) (demo and tests). An escort
    login loses its role with its medical escort (``Profile.escort``)."""
    from homeward.apps.applications.models import Permit, ReturnApplication
    from homeward.apps.planning.models import Coach, Driver, MedicalEscort, PlanRun, PreventionKit, TrainSlot
    from homeward.apps.trips.models import (
        HealthDeclaration,
        ObservationHandover,
        ScanEvent,
        Ticket,
        WorkerLink,
    )

    out: dict[str, int] = {}
    with transaction.atomic():
        # hand-overs protect their scans, scans their tickets
        for trips_model in (ObservationHandover, ScanEvent, HealthDeclaration, WorkerLink, Ticket):
            out[trips_model.__name__] = trips_model.objects.all().delete()[0]
        # road passes drafted from a plan hold on to its buses
        out["plan_permits"] = Permit.objects.filter(plan_vehicle__isnull=False).delete()[0]
        for model in (PlanRun, TrainSlot, Coach, Driver, MedicalEscort, PreventionKit):
            out[model.__name__] = model.objects.all().delete()[0]
        out["applications"] = ReturnApplication.objects.filter(notes=CAMPAIGN_NOTE).delete()[0]
    return out


def campaign_exists() -> bool:
    from homeward.apps.applications.models import ReturnApplication

    return ReturnApplication.objects.filter(notes=CAMPAIGN_NOTE).exists()


def campaign_time() -> datetime | None:
    """The campaign day's planning time: the latest acceptance among the campaign's applications."""
    from django.db.models import Max

    from homeward.apps.applications.models import ReturnApplication

    value: datetime | None = ReturnApplication.objects.filter(notes=CAMPAIGN_NOTE).aggregate(
        t=Max("accepted_at")
    )["t"]
    return value


def campaign_start(when: datetime) -> datetime:
    """08:00 Beijing time of the day before ``when`` (aware): the demo campaign day's start."""
    day = when.astimezone(_BEIJING).date() - timedelta(days=1)
    return datetime.combine(day, DAY_START, tzinfo=_BEIJING)


def campaign_ensure(
    *, scale: str = "small", seed: int = 1, now: datetime | None = None, report: Report | None = None
) -> dict[str, int]:
    """Make the campaign day's applications and resources unless they are there. Returns counts of
    what was created (zeros when everything existed). The day starts at ``campaign_start(now)``
    (``now`` defaults to the clock)."""
    from homeward.apps.planning.models import Coach, TrainSlot
    from homeward.apps.registry.models import Enterprise

    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}")
    say = report or (lambda _m: None)
    if not Enterprise.objects.exists():
        from homeward.core.errors import DomainError

        raise DomainError(
            "数据库中没有演示城市，请先运行 homeward demo (no demo city: run `homeward demo` first)",
            "no_demo_city",
        )
    now = campaign_start(now or timezone.now())
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    if not campaign_exists():
        counts.update(_applications(scale, rng, now))
        say(f"campaign: {counts.get('applications', 0):,} applications, {counts.get('workers', 0):,} workers")
    start = campaign_time() or now
    if not TrainSlot.objects.exists() and not Coach.objects.exists():
        counts.update(_resources(scale, rng, start))
        say(
            f"campaign: {counts.get('train_slots', 0)} train slots, {counts.get('coaches', 0):,} coaches, "
            f"{counts.get('drivers', 0):,} drivers, {counts.get('escorts', 0):,} escorts"
        )
    return counts


def campaign_plan(*, seed: int = 1, iterations: int | None = None) -> Any:
    """Plan the campaign day as the command line does: a plan run requested by ``CLI`` as of the
    day's planning time (``campaign_time``), executed here, its tickets issued as every run's are.
    Returns the run, done. RuntimeError when another run is active or this one did not finish."""
    from homeward.apps.accounts.policy import CLI
    from homeward.apps.planning.models import PlanRun
    from homeward.apps.planning.services import plan_run_execute_now, plan_run_request
    from homeward.core.planning import StopCriterion

    stop = None
    if iterations is not None:
        stop = StopCriterion(max_iterations=iterations, no_improvement=max(1, iterations // 4))
    run = plan_run_request(actor=CLI, seed=seed, stop=stop, now=campaign_time(), reason="cli", enqueue=False)
    if run.state != PlanRun.State.QUEUED:
        raise RuntimeError(f"plan run #{run.pk} is already {run.state}; wait for it to finish")
    state = plan_run_execute_now(run.pk)
    run.refresh_from_db()
    if state != PlanRun.State.DONE:
        raise RuntimeError(f"plan run #{run.pk} {state}: {run.error}")
    return run


def _sizes(rng: random.Random, total: int) -> list[int]:
    sizes: list[int] = []
    while sum(sizes) < total:
        sizes.append(max(1, min(200, int(rng.paretovariate(1.6) * 6))))
    sizes[-1] -= sum(sizes) - total
    return [s for s in sizes if s > 0]


def _restarts(plan: list[tuple[int, Any]], with_login: set[int], rng: random.Random) -> dict[int, timedelta]:
    """Which applications (by index in ``plan``) have their workers picked up later, and how long
    after the day's start: each of ``LATER_PICKUPS`` takes its share of the day's workers (at least
    one application), from those whose workers come from few counties (they fill buses of their own),
    never a demo login's enterprise's."""
    free = [i for i, (emp, _) in enumerate(plan) if emp not in with_login]

    def per_county(i: int) -> float:
        return len(plan[i][1]) / len({w[4] for w in plan[i][1]})

    # whose workers come from few counties: buses of their own on another day fill up
    big = [i for i in free if per_county(i) >= LATER_MIN_PER_COUNTY] or free
    rng.shuffle(big)
    big.sort(key=per_county)  # stable: the densest last, popped first
    total = sum(len(picked) for _, picked in plan)
    out: dict[int, timedelta] = {}
    for share, after in LATER_PICKUPS:
        taken = 0
        while big and (taken == 0 or taken < share * total) and len(out) < len(free) - 1:
            i = big.pop()  # one application stays on the day, whatever the scale
            out[i] = after
            taken += len(plan[i][1])
    return out


def _applications(scale: str, rng: random.Random, now: datetime) -> dict[str, int]:
    from homeward.apps.accounts.policy import DEMO
    from homeward.apps.accounts.roles import Role
    from homeward.apps.applications.models import (
        ApplicationState,
        ApplicationWorker,
        Case,
        DepartmentTask,
        ReturnApplication,
    )
    from homeward.apps.applications.services.tasks import case_tasks
    from homeward.apps.audit.models import AuditEvent
    from homeward.apps.registry.models import CountyRisk, Enterprise, Worker

    high = set(CountyRisk.objects.filter(level=CountyRisk.Level.HIGH).values_list("county_code", flat=True))
    taken = set(ApplicationWorker.objects.filter(active=True, live=True).values_list("id_number", flat=True))
    eligible: list[tuple[int, tuple[int, str, str, str, str]]] = []
    away = 0
    for pk, idn, name, phone, origin, employer_id in (
        Worker.objects.filter(status=Worker.Status.AWAY, employer__isnull=False)
        .order_by("pk")
        .values_list("pk", "id_number", "name", "phone", "origin_code", "employer_id")
        .iterator(chunk_size=20_000)
    ):
        away += 1
        if idn in taken or origin in high or regions.get(origin) is None or not phone:
            continue
        eligible.append((employer_id, (pk, idn, name, phone, origin)))
    # the day serves the hot counties of the heat map first, as the task force did
    hot = {c for c, _ in Counter(w[4] for _, w in eligible).most_common(CAMPAIGN_COUNTIES)}
    by_employer: dict[int, list[tuple[int, str, str, str, str]]] = defaultdict(list)
    for employer_id, w in eligible:
        if w[4] in hot:
            by_employer[employer_id].append(w)
    target = CITY_WORKERS if scale == "city" else max(10, round(away * SMALL_SHARE))
    employers = sorted(by_employer)
    rng.shuffle(employers)
    # the enterprises with a login apply first (the demo's enterprise users see their own day)
    with_login = set(Enterprise.objects.filter(users__role=Role.ENTERPRISE).values_list("pk", flat=True))
    employers = [e for e in employers if e in with_login] + [e for e in employers if e not in with_login]
    # biggest applications first, each from an enterprise (in shuffled order) with that many away
    sizes = sorted(_sizes(rng, target), reverse=True)
    plan: list[tuple[int, list[tuple[int, str, str, str, str]]]] = []
    used: set[int] = set()
    for size in sizes:
        emp: int | None = next((e for e in employers if e not in used and len(by_employer[e]) >= size), None)
        if emp is None:
            emp = max(
                (e for e in employers if e not in used), key=lambda e: len(by_employer[e]), default=None
            )
        if emp is None:
            break
        used.add(emp)
        pool = by_employer[emp]
        # workers of one enterprise come from a few home counties: take the biggest ones first
        by_county = Counter(w[4] for w in pool)
        top = {c for c, _ in by_county.most_common(3)}
        near = [w for w in pool if w[4] in top]
        rest = [w for w in pool if w[4] not in top]
        picked = (rng.sample(near, min(size, len(near))) + rest)[:size]
        plan.append((emp, picked))
    plan.sort(key=lambda p: p[0])
    workers = 0
    later_of = _restarts(plan, with_login, random.Random(f"restarts/{rng.random()}"))
    with transaction.atomic():
        apps = []
        for i, (emp, _picked) in enumerate(plan):
            accepted = now - timedelta(minutes=rng.randrange(0, 240))
            later = later_of.get(i)
            apps.append(
                ReturnApplication(
                    enterprise_id=emp,
                    state=ApplicationState.ACCEPTED,
                    notes=CAMPAIGN_NOTE,
                    submitted_at=accepted - timedelta(minutes=30 + rng.randrange(0, 120)),
                    accepted_at=accepted,
                    pickup_from=None if later is None else now + later,
                    deadline_at=(accepted if later is None else now + later) + timedelta(hours=30),
                    idempotency_key=f"campaign-{i}",
                )  # fmt: skip
            )
        ReturnApplication.objects.bulk_create(apps, batch_size=500)
        created = list(ReturnApplication.objects.filter(notes=CAMPAIGN_NOTE).order_by("pk"))
        key_to_app = {a.idempotency_key: a for a in created}
        rows = []
        for i, (_emp, picked) in enumerate(plan):
            app = key_to_app[f"campaign-{i}"]
            for j, (wpk, idn, name, phone, origin) in enumerate(picked, start=2):
                health = "yellow" if rng.random() < 0.01 else "green"
                rows.append(
                    ApplicationWorker(
                        application=app,
                        worker_id=wpk,
                        id_number=idn,
                        name=name,
                        phone=phone,
                        origin_code=origin,
                        pickup_county_code=origin,
                        health_code=health,
                        source_row=j,
                    )  # fmt: skip
                )
            workers += len(picked)
        ApplicationWorker.objects.bulk_create(rows, batch_size=2000)
        Case.objects.bulk_create([Case(application=a) for a in created], batch_size=500)
        cases = dict(Case.objects.filter(application__in=created).values_list("application_id", "pk"))
        sizes_by_app = Counter(r.application_id for r in rows)
        # the tasks acceptance opens, starting from what the enterprise gave (destination, origin, ...)
        DepartmentTask.objects.bulk_create(
            [t for a in created for t in case_tasks(Case(pk=cases[a.pk], application=a), a)], batch_size=2000
        )
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    actor=None,
                    actor_label=DEMO.name,
                    action="application.accept",
                    object_type="application",
                    object_id=str(a.pk),
                    data={"campaign": True, "workers": sizes_by_app[a.pk]},
                )  # fmt: skip
                for a in created
            ],
            batch_size=2000,
        )
    return {"applications": len(plan), "workers": workers, "away": away}


def _resources(scale: str, rng: random.Random, now: datetime) -> dict[str, int]:
    from homeward.apps.applications.models import ApplicationWorker
    from homeward.apps.planning.models import (
        HOME_BASE,
        Coach,
        Driver,
        MedicalEscort,
        PreventionKit,
        TrainSlot,
    )

    rules = Rules()
    demand_by_county = Counter(
        ApplicationWorker.objects.filter(
            active=True, application__state__in=("accepted", "planned")
        ).values_list("pickup_county_code", flat=True)
    )
    workers = sum(demand_by_county.values())
    stations = [s for s in regions.stations() if s.name not in _DEST_STATIONS]
    demand: Counter[str] = Counter()
    for code, n in demand_by_county.items():
        c = regions.get(code)
        if c is None:
            continue
        p = Point(c.lat, c.lon)
        best = min(stations, key=lambda s: road_km(p, Point(s.lat, s.lon), rules))
        if road_km(p, Point(best.lat, best.lon), rules) <= rules.train_catchment_km:
            demand[best.name] += n
    n_slots = 16 if scale == "city" else 2
    slots: list[Any] = []
    left = Counter(demand)
    chosen = []
    for _ in range(n_slots):
        if not left:
            break
        name = max(sorted(left), key=lambda k: left[k])
        chosen.append(name)
        left[name] -= 530
    town_names = iter(TOWN_TRAINS)
    for i, station_name in enumerate(chosen):
        st = regions.station_by_name(station_name)
        dest = regions.station_by_name(_DEST_STATIONS[1 if i % 5 == 4 else 0])
        assert st is not None and dest is not None
        departs = now + timedelta(hours=6 + (i % 6) * 1.5, minutes=20 * (i // 6))
        arrives = departs + timedelta(
            minutes=rail_min(Point(st.lat, st.lon), Point(dest.lat, dest.lon), rules)
        )
        town = i in (3, 7, 11)
        slots.append(
            TrainSlot(
                name=next(town_names, "慈溪号") if town else "慈溪号",
                level=TrainSlot.Level.TOWN if town else TrainSlot.Level.CITY,
                origin_station=st.name,
                origin_telecode=st.telecode,
                destination_station=dest.name,
                destination_telecode=dest.telecode,
                departs=departs,
                arrives=arrives,
                seats=1060,
                load_cap_pct=50,
                state=TrainSlot.State.GRANTED,
                notes="演示 demo",
            )  # fmt: skip
        )
    TrainSlot.objects.bulk_create(slots)
    cixi_n = 450 if scale == "city" else max(10, math.ceil(workers / 20) + 5)
    coaches = [
        Coach(plate=f"浙B{10000 + i}", seats=55 if i % 5 else 49, carrier="慈溪客运", base=HOME_BASE)
        for i in range(cixi_n)
    ]
    per_pref: Counter[str] = Counter()
    for code, n in demand_by_county.items():
        pref = regions.prefecture_of(code)
        per_pref[pref.code if pref else code] += n
    # origin-side operators had coaches to spare in February 2020: one per ten workers of the
    # prefecture (a late worker often rides a bus with few others)
    operators: Counter[str] = Counter()  # origin-side operators so far, by province
    for code in sorted(per_pref):
        k = operators[code[:2]]
        operators[code[:2]] += 1
        for j in range(math.ceil(per_pref[code] / 10) + 2):
            coaches.append(
                Coach(
                    plate=_origin_plate(code, k, j),
                    seats=55,
                    carrier=f"{_name(code)}客运",
                    base=code,
                    cost_per_km_fen=700,
                    cost_per_day_fen=90_000,
                )  # fmt: skip
            )
    Coach.objects.bulk_create(coaches, batch_size=1000)
    drivers = []
    for k, coach in enumerate(coaches):
        for d in range(2):
            n = k * 2 + d
            drivers.append(
                Driver(
                    name=f"驾驶员{n + 1:04d}",
                    licence_no=f"DEMO{n + 1:08d}",
                    phone=f"139{n:08d}",
                    carrier=coach.carrier,
                    base=coach.base,
                )  # fmt: skip
            )
    Driver.objects.bulk_create(drivers, batch_size=2000)
    escorts = [
        MedicalEscort(
            name=f"医护{i + 1:04d}", phone=f"138{i:08d}", organisation="慈溪市人民医院", base=HOME_BASE
        )
        for i in range(len(coaches) // 2 + 20 * len(slots))
    ]
    MedicalEscort.objects.bulk_create(escorts, batch_size=2000)
    PreventionKit.objects.bulk_create(
        [
            PreventionKit(
                name="包车防疫包", masks=120, thermometers=2, disinfectant_ml=2000, stock=len(coaches)
            ),
            PreventionKit(
                name="专列防疫包", masks=1500, thermometers=20, disinfectant_ml=20000, stock=len(slots)
            ),
            PreventionKit(
                name="接驳车防疫包", masks=60, thermometers=1, disinfectant_ml=500, stock=len(coaches)
            ),
        ]
    )
    del rng
    return {
        "train_slots": len(slots),
        "coaches": len(coaches),
        "drivers": len(drivers),
        "escorts": len(escorts),
    }


def _name(code: str) -> str:
    r = regions.get(code)
    return r.name if r else code


# The one-character abbreviation on a plate, by the first two digits of a region code.
_PLATE_PROVINCE = dict(
    zip(
        [
            "11",
            "12",
            "13",
            "14",
            "15",
            "21",
            "22",
            "23",
            "31",
            "32",
            "33",
            "34",
            "35",
            "36",
            "37",
            "41",
            "42",
            "43",
            "44",
            "45",
            "46",
            "50",
            "51",
            "52",
            "53",
            "54",
            "61",
            "62",
            "63",
            "64",
            "65",
        ],
        "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新",
        strict=True,
    )
)


_OFFICE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O on a plate


def _origin_plate(code: str, k: int, j: int) -> str:
    """A plate in the real format for the ``j``-th coach of the ``k``-th origin-side operator of
    ``code``'s province: the province's abbreviation, an office letter, and six characters (like a
    new-energy plate) — unique across the demo (a prefecture's code is not: counties directly under
    a province, or a municipality's districts, share their middle digits) and accepted by a
    checkpoint's plate check."""
    letter, block = _OFFICE_LETTERS[k % len(_OFFICE_LETTERS)], k // len(_OFFICE_LETTERS)
    return f"{_PLATE_PROVINCE.get(code[:2], '贵')}{letter}·{block:02d}{j + 1:04d}"
