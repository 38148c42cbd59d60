"""The demo city's service team in Guizhou (the demo's ``team52`` login) and the origin-side health
statuses it has recorded for the workers away there, so that its workspace and the boarding check
of mutual recognition (``apps.teams``) have something to show.

Idempotent: the team is created once (``team_create``), statuses once per worker (their nonce).
Deterministic: which workers have which status follows their roster row id. Of the workers away
in the province: ~92% a verified green code with a negative test a day old, ~4% recorded but not
yet verified, ~2% a green code without a test, ~2% nothing (they are refused at boarding until the
team records one).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from homeward.apps.accounts.policy import DEMO
from homeward.apps.registry.models import Worker
from homeward.apps.teams.models import HealthStatus
from homeward.apps.teams.services import team_create
from homeward.core import regions

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
    return HealthStatus.objects.filter(province=province).count() - before
