"""The demo city's service team in Guizhou (the demo's ``team52`` login) and the origin-side health
statuses it has recorded for the workers away there, so that its workspace and the boarding check
of mutual recognition (``apps.teams``) have something to show.

Also the job demand a team sees: a vacancy at each of the largest enterprises, and a few recruits
registered in the province's counties with the most workers away (so the ranking has something to
rank).

Idempotent: the team is created once (``team_create``), statuses once per worker (their nonce).
Every worker away in the province has a verified green code and a negative test, recorded the day
before the demo's campaign day starts (``campaign_start``): the campaign day in motion
(``demo.motion``) boards its passengers through the boarding check of mutual recognition, which
reads the status recorded by each scan's time, and none of them should be refused for want of one.
The team's own work on the page (recording a status, verifying, refusals) starts from there.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count
from django.utils import timezone

from homeward.apps.accounts.policy import DEMO
from homeward.apps.registry.models import Enterprise, Worker
from homeward.apps.teams.models import HealthStatus, Recruit, Vacancy
from homeward.apps.teams.services import team_create
from homeward.core import regions
from homeward.core.identity import ric_check_char
from homeward.demo.campaign import campaign_start

MEMBERS = [
    ("杨晓红", "hr", "13908510001"),
    ("吴建国", "police", "13908510002"),
    ("罗丽", "health", "13908510003"),
    ("陈志强", "town", "13908510004"),
]
CHUNK = 5000


def demo_teams_load(province: str) -> int:
    """The team of ``province`` and its statuses; returns how many statuses were added."""
    region = regions.get(province.ljust(6, "0"))
    province_name = region.name if region is not None else province
    team_create(
        actor=DEMO, province=province, name=f"{province_name}服务小分队", base_city="毕节", members=MEMBERS
    )
    now = timezone.now()
    recorded = campaign_start(now) - timedelta(days=1)
    tested = recorded - timedelta(hours=6)
    away = Worker.objects.filter(origin_code__startswith=province, status=Worker.Status.AWAY)
    before = HealthStatus.objects.filter(province=province).count()
    rows: list[HealthStatus] = []
    for id_number in away.order_by("pk").values_list("id_number", flat=True).iterator(chunk_size=CHUNK):
        rows.append(
            HealthStatus(
                id_number=id_number, province=province, health_code="green", code_province=province,
                test_result="negative", tested_at=tested, recorded_at=recorded, verified_at=recorded,
                nonce=f"demo-{id_number}",
            )
        )  # fmt: skip
        if len(rows) >= CHUNK:
            HealthStatus.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    HealthStatus.objects.bulk_create(rows, ignore_conflicts=True)
    demo_jobs_load(province)
    return HealthStatus.objects.filter(province=province).count() - before


JOBS = [("焊工", ["焊工"], 5500, 7500), ("电工", ["电工"], 6000, 8000), ("注塑工", ["注塑"], 4800, 6200),
        ("缝纫工", ["缝纫"], 4500, 6000), ("叉车司机", ["叉车"], 5500, 7000), ("普工", [], 4200, 5200)]  # fmt: skip
RECRUITS = [("龙小兵", ["焊工"], 5000), ("杨春梅", ["缝纫"], 4500), ("吴海", ["电工", "焊工"], 6000),
            ("潘丽", [], 4200), ("罗军", ["叉车"], 5500), ("王芳", ["注塑"], 4800)]  # fmt: skip


def demo_jobs_load(province: str) -> tuple[int, int]:
    """Vacancies at the largest enterprises and recruits in ``province`` (once: by their nonce and ID
    number); returns (vacancies, recruits) added."""
    now = timezone.now()
    start = now.date() + timedelta(days=7)
    biggest = list(Enterprise.objects.order_by("-is_key", "pk")[: len(JOBS)])
    vacancies = [
        Vacancy(
            enterprise=e, role=role, count=5 + 5 * k, pay_min=low, pay_max=high, skills=skills, town_id=e.town_id,
            start_date=start, created_at=now, nonce=f"demo-vacancy-{e.pk}-{k}",
        )
        for k, (e, (role, skills, low, high)) in enumerate(zip(biggest, JOBS, strict=False))
    ]  # fmt: skip
    before = (Vacancy.objects.count(), Recruit.objects.count())
    Vacancy.objects.bulk_create(vacancies, ignore_conflicts=True)
    counties = [
        c for c, _n in Worker.objects.filter(origin_code__startswith=province, status=Worker.Status.AWAY)
        .values_list("origin_code").annotate(n=Count("pk")).order_by("-n", "origin_code")[:3]
    ]  # fmt: skip
    recruits = []
    for k, (name, skills, pay) in enumerate(RECRUITS):
        if not counties:
            break
        county = counties[k % len(counties)]
        first17 = f"{county}{date(1998 + k % 5, 1 + k, 10 + k):%Y%m%d}{800 + k:03d}"
        recruits.append(
            Recruit(
                province=province, id_number=first17 + ric_check_char(first17), name=name,
                phone=f"1398510{k:04d}", county=county, skills=skills, pay_wanted=pay, created_at=now,
            )
        )  # fmt: skip
    Recruit.objects.bulk_create(recruits, ignore_conflicts=True)
    return Vacancy.objects.count() - before[0], Recruit.objects.count() - before[1]
