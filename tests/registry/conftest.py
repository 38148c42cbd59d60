"""Fixtures for the import tests: valid IDs and USCCs from two origin codes of the shipped history."""

from __future__ import annotations

import datetime as dt

import pytest

from homeward.core.identity import uscc_check_char
from tests.factories import make_ric as ric

AREA_A = "341221"  # 临泉县, current
AREA_B = "522401"  # 毕节市 (1993–2011), today 七星关区 520502


def uscc(n: int) -> str:
    first17 = f"91330282MA{n:07d}"[:17]
    return first17 + uscc_check_char(first17)


@pytest.fixture
def cixi_towns(home_city):
    from homeward.apps.registry.models import Town

    return [Town.objects.get(name=name) for name in ("浒山街道", "周巷镇", "观海卫镇")]


@pytest.fixture
def ids():
    """Ten valid ID numbers."""
    return [ric(AREA_A if i % 2 else AREA_B, dt.date(1985 + i, 3, 1 + i), 10 + i) for i in range(10)]
