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
def cixi_towns(db):
    from homeward.apps.registry.models import Town

    return [
        Town.objects.get_or_create(code="330282001", defaults={"name": "浒山街道", "kind": "街道"})[0],
        Town.objects.get_or_create(code="330282106", defaults={"name": "周巷镇", "kind": "镇"})[0],
        Town.objects.get_or_create(code="330282103", defaults={"name": "观海卫镇", "kind": "镇"})[0],
    ]


@pytest.fixture
def ids():
    """Ten valid ID numbers."""
    return [ric(AREA_A if i % 2 else AREA_B, dt.date(1985 + i, 3, 1 + i), 10 + i) for i in range(10)]
