"""Service-team tests run on the planning tests' campaign: workers boarding in Anhui (34: 临泉,
颍泉) and Henan (41: 梁园). The Anhui team is the one at work; the Guizhou persona (52) is the
team of another province."""

from __future__ import annotations

import pytest

from tests.conftest import _persona, system_actor
from tests.planning.conftest import (  # noqa: F401  (fixtures)
    _planning_daytime,
    campaign,
    planned,
    planning_settings,
    resources,
)


@pytest.fixture
def anhui_team(db):
    from homeward.apps.teams.services import team_create

    return team_create(
        actor=system_actor(), province="34", name="安徽服务小分队", base_city="阜阳",
        members=[("王队", "hr", "13800000001"), ("李警官", "police", "13800000002")],
    )  # fmt: skip


@pytest.fixture
def anhui_member(anhui_team):
    return _persona("team_ah", "service_team", province_code="34")


@pytest.fixture
def henan_member(db):
    from homeward.apps.teams.services import team_create

    team_create(actor=system_actor(), province="41", name="河南服务小分队", base_city="商丘")
    return _persona("team_ha", "service_team", province_code="41")
