"""The demo city's service team in Guizhou (the demo's ``team52`` login) and the origin-side health
statuses it has recorded for the workers away there, so that its workspace and the boarding check
of mutual recognition (``apps.teams``) have something to show.

Also the job demand a team sees: a vacancy at each of the largest enterprises, and a few recruits
registered in the province's counties with the most workers away (so the ranking has something to
rank).

Idempotent: the team is created once (``team_create``), statuses once per worker (their nonce).
Deterministic: which workers have which status follows their roster row id. Of the workers away
in the province: ~92% a verified green code with a negative test a day old, ~4% recorded but not
yet verified, ~2% a green code without a test, ~2% nothing (they are refused at boarding until the
team records one).
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
    tested = now - timedelta(days=1)
    away = Worker.objects.filter(origin_code__startswith=province, status=Worker.Status.AWAY)
    before = HealthStatus.objects.filter(province=province).count()
    rows: list[HealthStatus] = []
    for pk, id_number in away.order_by("pk").values_list("pk", "id_number").iterator(chunk_size=CHUNK):
        kind = pk % 50
        if kind == 0:  # ~2%: nothing recorded yet
            continue
        rows.append(
            HealthStatus(
                id_number=id_number, province=province, health_code="green", code_province=province,
                test_result="" if kind == 1 else "negative", tested_at=None if kind == 1 else tested,
                recorded_at=now, verified_at=None if kind in (2, 3) else now, nonce=f"demo-{id_number}",
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
