"""Fixtures for the import tests: valid IDs and USCCs, the region history they resolve through."""

from __future__ import annotations

import datetime as dt

import pytest

from homeward.core import regions
from homeward.core.identity import ric_check_char, uscc_check_char

AREA_A = "341221"  # 临泉县, current
AREA_B = "522401"  # 毕节市 (1993–2011), today 七星关区 520502


def ric(area: str, birth: dt.date, seq: int) -> str:
    first17 = f"{area}{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + ric_check_char(first17)


def uscc(n: int) -> str:
    first17 = f"91330282MA{n:07d}"[:17]
    return first17 + uscc_check_char(first17)


def _history_available() -> bool:
    try:
        return bool(regions.area_code_spans(AREA_A)) and bool(regions.area_code_spans(AREA_B))
    except Exception:  # noqa: BLE001 - data absent or being rebuilt
        return False


@pytest.fixture(autouse=True)
def region_history(monkeypatch):
    """Use the shipped code history when it is installed, else a two-code stand-in."""
    if _history_available():
        return
    from homeward.core.identity import ric as ric_module

    fake = {
        AREA_A: (regions.AreaCodeSpan(AREA_A, "临泉县", 1980, None, AREA_A),),
        AREA_B: (regions.AreaCodeSpan(AREA_B, "毕节市", 1993, 2011, "520502"),),
    }
    monkeypatch.setattr(ric_module, "_default_spans", lambda code: fake.get(code, ()))
    monkeypatch.setattr(ric_module, "_default_region", lambda code: None)


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
