"""Put a generated city into the database through the real import services, and create demo users.

Towns, enterprises (with industry, size, contact and key flag) and county risk levels are created
directly; the roster, police and carrier rows go through ``registry.services.imports`` exactly as an
uploaded file would. Worker status is then set from the synthetic truth (a later fusion step
computes it from the data). One login per role is created with a printed, deterministic password.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q

from homeward.apps.accounts.models import Profile
from homeward.apps.accounts.policy import DEMO
from homeward.apps.accounts.roles import Role
from homeward.apps.accounts.services import user_create_with_role
from homeward.apps.audit.services import audit_record
from homeward.apps.registry.models import CountyRisk, Enterprise, Town, Worker
from homeward.apps.registry.selectors import home_stations
from homeward.apps.registry.services.city import city_setup
from homeward.apps.registry.services.imports import carrier_import, police_import, roster_import
from homeward.core import regions
from homeward.core.errors import DomainError
from homeward.demo.generate import DemoCity
from homeward.demo.motion import Motion
from homeward.demo.teams import demo_teams_load

ACTOR = DEMO
PASSWORD = "homeward-demo"
USERNAME_PREFIX = "demo-"
TOWN_OFFICER_TOWN = "浒山街道"
SERVICE_TEAM_PROVINCE = "52"  # 贵州
STATUS_CHUNK = 900

Report = Callable[[str], None]


class DemoError(DomainError):
    pass


@dataclass(frozen=True, slots=True)
class Login:
    role: str
    username: str
    password: str
    scope: str


@dataclass
class DemoResult:
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[Login] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    motion: Motion | None = None  # the campaign day in motion (``campaign=True``)


def _numbered(rows: Iterable[Mapping[str, object]]) -> Iterator[tuple[int, Mapping[str, object]]]:
    """Rows numbered as in a file (the header is row 1)."""
    yield from enumerate(rows, start=2)


# The demo owns all city data: the registry and what is built on it (applications, heat maps, plans,
# the trips' tickets and scans, the service teams' records).
DEMO_DATA_APPS = ("teams", "trips", "planning", "heatmap", "applications", "registry")


def _registry_models_child_first() -> list[type[models.Model]]:
    """The demo data apps' models, ordered so that a model referring to another comes before it."""
    remaining = [m for label in DEMO_DATA_APPS for m in apps.get_app_config(label).get_models()]
    ordered: list[type[models.Model]] = []
    while remaining:
        for model in remaining:
            referred_by_remaining = any(
                f.is_relation and f.related_model is model and other is not model
                for other in remaining
                for f in other._meta.get_fields()
                if f.concrete
            )
            if not referred_by_remaining:
                ordered.append(model)
                remaining.remove(model)
                break
        else:  # a cycle: delete the rest in any order, the transaction checks the constraints
            ordered.extend(remaining)
            break
    return ordered


def demo_reset(*, report: Report | None = None) -> dict[str, int]:
    """Delete every registry row and the demo users, in one transaction. Refuses (DemoError
    ``demo_reset_blocked``) when users other than the demo ones are bound to towns or enterprises."""
    say = report or (lambda _msg: None)
    others = (
        Profile.objects.filter(Q(town__isnull=False) | Q(enterprise__isnull=False))
        .exclude(user__username__startswith=USERNAME_PREFIX)
        .values_list("user__username", flat=True)
    )
    blocking = list(others[:5])
    if blocking:
        raise DemoError(
            f"无法重置：用户 {', '.join(blocking)} 关联了镇街或企业 "
            f"(cannot reset: users {', '.join(blocking)} are bound to a town or an enterprise; remove them first)",
            "demo_reset_blocked",
        )
    deleted: dict[str, int] = {}
    q = connection.ops.quote_name
    try:
        with transaction.atomic():
            users = User.objects.filter(username__startswith=USERNAME_PREFIX)
            deleted["users"] = users.count()
            users.delete()
            with connection.cursor() as cursor:
                for model in _registry_models_child_first():
                    cursor.execute(f"DELETE FROM {q(model._meta.db_table)}")
                    deleted[model._meta.model_name or model.__name__] = max(cursor.rowcount, 0)
            audit_record(actor=ACTOR, action="demo.reset", data=deleted)
    except IntegrityError as exc:
        raise DemoError(
            f"无法重置：其他数据引用了名册数据 (cannot reset: other data refers to the registry: {exc})",
            "demo_reset_blocked",
        ) from exc
    say("reset: deleted " + ", ".join(f"{k} {v:,}" for k, v in deleted.items()))
    return deleted


def _progress(say: Report, label: str, total: int) -> Callable[[int], None]:
    """Progress lines at most every five seconds; ``total`` is the expected row count."""
    last = [0.0]

    def progress(done: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 5.0:
            last[0] = now
            say(f"{label} {done:,}/{max(total, done):,}")

    return progress


def load_city(
    city: DemoCity, *, reset: bool = False, campaign: bool = False, report: Report | None = None
) -> DemoResult:
    """Load ``city`` into an empty registry (or after ``reset``). With ``campaign``, also the campaign
    day, planned and in motion up to now (``_campaign_in_motion``). Raises DemoError
    ``demo_not_empty`` when the database already has enterprises and ``reset`` is False."""
    say = report or (lambda _msg: None)
    result = DemoResult()
    clock = time.monotonic()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.monotonic()
        result.seconds[step] = round(now - clock, 2)
        clock = now

    existing = Enterprise.objects.count()
    if existing and not reset:
        raise DemoError(
            f"数据库已有 {existing:,} 家企业；加 --reset 先删除名册数据和演示用户 "
            f"(the database already has {existing:,} enterprises; run with --reset to delete the registry "
            f"data and the demo users first)",
            "demo_not_empty",
        )
    if reset:
        demo_reset(report=say)
        lap("reset")

    scale = city.scale
    with transaction.atomic():
        # the same path as `homeward setup --city 330282`: the home city, its towns and stations
        setup = city_setup(actor=ACTOR, code=regions.DEMO_CITY_CODE)
        say("; ".join(setup.changes) or "home city already set up")
        town_ids = dict(Town.objects.values_list("code", "id"))
        Enterprise.objects.bulk_create(
            [
                Enterprise(
                    uscc=e.uscc,
                    name=e.name,
                    town_id=town_ids[e.town_code],
                    industry=e.industry,
                    size=e.size,
                    contact_name=e.contact_name,
                    contact_phone=e.contact_phone,
                    is_key=e.is_key,
                )
                for e in city.enterprises
            ],
            batch_size=2000,
        )
        CountyRisk.objects.bulk_create(
            [CountyRisk(county_code=code, level=level) for code, level in city.risk_levels], batch_size=2000
        )
    say(
        f"towns {len(city.towns)}, enterprises {len(city.enterprises):,}, county risk levels {len(city.risk_levels):,}"
    )
    lap("towns_enterprises")

    roster = roster_import(
        actor=ACTOR,
        source=_numbered(city.roster_rows()),
        progress=_progress(say, "roster", scale.workers),
        source_name=f"demo-{scale.name}-{city.seed}-roster",
    )
    _require_clean(roster, "roster")
    say(f"roster {roster.accepted:,} workers imported")
    lap("roster")

    truth = city.truth
    with transaction.atomic():
        Worker.objects.update(status=Worker.Status.AWAY)
        ids = truth.returned_ids
        for start in range(0, len(ids), STATUS_CHUNK):
            Worker.objects.filter(id_number__in=ids[start : start + STATUS_CHUNK]).update(
                status=Worker.Status.RETURNED
            )
    say(f"status: {truth.returned_total:,} returned, {truth.away_total:,} away")
    lap("status")

    police_total = round(truth.returned_total * 1.4 * (1 + scale.police_noise))
    police = police_import(
        actor=ACTOR,
        source=_numbered(city.police_rows()),
        progress=_progress(say, "police", police_total),
        source_name=f"demo-{scale.name}-{city.seed}-police",
    )
    _require_clean(police, "police")
    say(f"police {police.accepted:,} rows imported")
    lap("police")

    carrier = carrier_import(
        actor=ACTOR,
        source=_numbered(city.carrier_rows()),
        source_name=f"demo-{scale.name}-{city.seed}-carrier",
    )
    _require_clean(carrier, "carrier")
    say(f"carrier {carrier.accepted:,} rows imported")
    lap("carrier")

    result.logins = _create_users(city)
    lap("users")
    demo_teams_load(SERVICE_TEAM_PROVINCE)  # the Guizhou service team (homeward.demo.teams)
    from homeward.demo.applications import demo_applications_load

    demo_applications_load(seed=city.seed)
    lap("applications")
    if campaign:  # before the heat map: the day's gate handovers return workers
        result.motion = campaign_in_motion(scale=city.scale.name, seed=city.seed, report=say, lap=lap)
    # The map should show the city at once, not after the worker picks up a queued rebuild.
    from homeward.apps.heatmap.services import heatmap_rebuild_execute_now, heatmap_rebuild_request

    snapshot = heatmap_rebuild_request(actor=ACTOR, force_new=True)
    heatmap_rebuild_execute_now(snapshot.pk)
    say("heat map built")
    lap("heatmap")
    result.counts = {
        "towns": Town.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "workers": roster.accepted + roster.updated + roster.unchanged,
        "returned": truth.returned_total,
        "away": truth.away_total,
        "police_rows": police.accepted,
        "carrier_rows": carrier.accepted,
        "county_risks": len(city.risk_levels),
        "users": len(result.logins),
    }
    audit_record(
        actor=ACTOR,
        action="demo.load",
        data={"scale": scale.name, "seed": city.seed, **result.counts},
    )
    return result


def campaign_in_motion(
    *, scale: str, seed: int, report: Report | None = None, lap: Callable[[str], None] | None = None
) -> Motion:
    """The campaign day (``demo.campaign``) as ``homeward plan`` makes and plans it, then played up to
    now (``demo.motion``); the demo worker login is named after the worker it picked. Needs the
    demo city and users; ``lap(step)`` is called after each step (timings)."""
    from django.utils import timezone

    from homeward.demo.campaign import campaign_ensure, campaign_plan
    from homeward.demo.motion import demo_in_motion

    say = report or (lambda _msg: None)
    lap = lap or (lambda _step: None)
    now = timezone.now()
    campaign_ensure(scale=scale, seed=seed, now=now, report=say)
    lap("campaign")
    run = campaign_plan(seed=seed)
    k = run.kpis
    say(f"plan #{run.pk}: {k.get('assigned', 0):,}/{k.get('workers', 0):,} workers on {k.get('trains', 0)} trains, {k.get('buses', 0)} buses, {k.get('shuttles', 0)} shuttles")  # fmt: skip
    lap("plan")
    motion = demo_in_motion(seed=seed, now=now, report=say)
    if motion.demo_worker is not None:
        from homeward.apps.applications.models import ApplicationWorker

        name = ApplicationWorker.objects.values_list("name", flat=True).get(pk=motion.demo_worker)
        Profile.objects.filter(user__username=USERNAME_PREFIX + "worker").update(display_name=name)
    lap("motion")
    return motion


def _require_clean(report: Any, kind: str) -> None:
    if report.rejected:
        first = report.rejected[:3]
        raise DemoError(
            f"演示数据导入有 {len(report.rejected)} 行被拒 (demo {kind} import rejected "
            f"{len(report.rejected)} rows, e.g. {first})",
            "demo_rejected_rows",
        )


def _create_users(city: DemoCity) -> list[Login]:
    by_size = sorted(city.enterprises, key=lambda e: (-e.workers, e.uscc))
    first = by_size[0]
    second = next((e for e in by_size[1:] if e.town_code != first.town_code), by_size[1])
    ent_first = Enterprise.objects.get(uscc=first.uscc)
    ent_second = Enterprise.objects.get(uscc=second.uscc)
    town = Town.objects.filter(name=TOWN_OFFICER_TOWN).first() or Town.objects.order_by("code").first()
    worker = (
        Worker.objects.filter(employer=ent_first, status=Worker.Status.AWAY).order_by("id").first()
        or Worker.objects.order_by("id").first()
    )
    province = regions.get(SERVICE_TEAM_PROVINCE + "0000")
    province_name = province.name if province else SERVICE_TEAM_PROVINCE
    station_place = f"{home_stations()[0].name}站"
    specs: list[tuple[Role, str, dict[str, Any]]] = [
        (Role.TASKFORCE, "taskforce", {"display_name": "用工保障专班"}),
        (Role.TOWN, "town", {"town": town, "display_name": f"{town.name if town else ''}干部"}),
        (Role.ENTERPRISE, "enterprise", {"enterprise": ent_first, "display_name": first.contact_name}),
        (Role.ENTERPRISE, "enterprise2", {"enterprise": ent_second, "display_name": second.contact_name}),
        (Role.DEPT_HR, "hr", {"display_name": "市人社局"}),
        (Role.DEPT_TRANSPORT, "transport", {"display_name": "市交通局"}),
        (Role.DEPT_HEALTH, "health", {"display_name": "市卫健局"}),
        (Role.STATION, "station", {"place": station_place, "display_name": f"{station_place}接站"}),
        (
            Role.SERVICE_TEAM,
            "team52",
            {"province_code": SERVICE_TEAM_PROVINCE, "display_name": f"{province_name}服务小分队"},
        ),
        (Role.WORKER, "worker", {"display_name": worker.name if worker else ""}),
    ]
    for role, short, kwargs in specs:
        user_create_with_role(
            actor=ACTOR, username=USERNAME_PREFIX + short, password=PASSWORD, role=role, **kwargs
        )
    return demo_logins()


ROLE_ORDER = [role.value for role in Role]


def demo_logins() -> list[Login]:
    """The demo users already in the database, with their (deterministic) password and scope."""
    logins: list[Login] = []
    profiles = Profile.objects.filter(user__username__startswith=USERNAME_PREFIX).select_related(
        "user", "town", "enterprise"
    )
    for p in sorted(profiles, key=lambda p: (ROLE_ORDER.index(p.role), p.user.username)):
        if p.role == Role.TASKFORCE:
            scope = "全市 whole city"
        elif p.town is not None:
            scope = p.town.name
        elif p.enterprise is not None:
            scope = p.enterprise.name
        elif p.province_code:
            province = regions.get(p.province_code.ljust(6, "0"))
            scope = f"{province.name if province else ''} ({p.province_code})"
        elif p.role == Role.WORKER:
            scope = f"{p.display_name} (务工人员 worker)"
        else:
            scope = p.place or p.display_name or p.get_role_display()
        logins.append(Login(p.role, p.user.username, PASSWORD, scope))
    return logins
