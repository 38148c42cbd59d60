"""The demo's Guizhou team (``homeward.demo.teams``): made once, with statuses for the workers away
in its province only, all recognised (the demo's campaign day boards them), none twice."""

from __future__ import annotations

import pytest
from django.utils import timezone

from homeward.apps.teams.models import HealthStatus, Team
from homeward.apps.teams.recognition import latest_statuses, recognise
from homeward.demo.teams import demo_teams_load
from tests.factories import WorkerFactory

pytestmark = pytest.mark.django_db


def test_it_makes_the_team_and_statuses_once_for_the_workers_away_there(enterprise_a) -> None:
    away = WorkerFactory.create_batch(100, employer=enterprise_a, status="away")
    WorkerFactory.create_batch(5, employer=enterprise_a, status="returned")
    WorkerFactory.create_batch(5, employer=enterprise_a, status="away", origin_code="341221")
    added = demo_teams_load("52")
    assert demo_teams_load("52") == 0 and Team.objects.get(province_code="52").members.count() == 4
    assert added == 100 and HealthStatus.objects.count() == added
    assert set(HealthStatus.objects.values_list("id_number", flat=True)) <= {w.id_number for w in away}
    latest = latest_statuses([w.id_number for w in away])
    recognised = sum(recognise(latest.get(w.id_number), timezone.now()).recognised for w in away)
    assert recognised == added  # the demo campaign's boardings are not refused for want of one


def test_it_posts_vacancies_and_registers_recruits_once(enterprise_a, enterprise_b) -> None:
    from homeward.apps.teams.models import Recruit, Vacancy
    from homeward.core.identity import inspect_ric

    WorkerFactory.create_batch(6, employer=enterprise_a, status="away", origin_code="520502")
    demo_teams_load("52")
    assert demo_teams_load("52") >= 0 and Vacancy.objects.count() == 2 and Recruit.objects.count() == 6
    assert all(inspect_ric(r.id_number).valid and r.county == "520502" for r in Recruit.objects.all())
