"""Sample permits and deterministic demo keys, for tests and the demo city. Never for real use.

``demo_signing_keys(seed)`` derives each department's Ed25519 seed from SHA-256 of a public string,
so anyone can recompute them: they exist so that the demo and the tests are repeatable.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from homeward.core import regions
from homeward.core.permits.keys import Keyring, SigningKey
from homeward.core.permits.model import Department, KitItem, PreventionPermit, RoadPass
from homeward.core.permits.token import SignedPermit, cosign

DEMO_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
TRIP_START = datetime(2020, 2, 12, 0, 0, tzinfo=UTC)  # 08:00 Beijing time, 12 Feb 2020
_CITY = regions.require(regions.DEMO_CITY_CODE)  # the samples travel to the demo city
_SHORT = regions.short_name(_CITY.name)
_ORGANISER = f"{_CITY.name}企业复工复产返岗专班"


def demo_signing_keys(seed: int = 0, valid_from: datetime = DEMO_EPOCH) -> dict[Department, SigningKey]:
    """One key per department, derived from ``seed`` (public, repeatable: demo and tests only)."""
    return {
        dept: SigningKey(
            dept, hashlib.sha256(f"homeward-demo-permit-key/{seed}/{dept}".encode()).digest(), valid_from
        )
        for dept in Department
    }


def demo_keyring(keys: dict[Department, SigningKey]) -> Keyring:
    return Keyring(tuple(key.public for key in keys.values()))


def sample_road_pass(permit_id: str = "RP-20200212-0001", start: datetime = TRIP_START) -> RoadPass:
    return RoadPass(
        permit_id=permit_id,
        valid_from=start,
        valid_to=start + timedelta(hours=48),
        trip_id="T-20200212-042",
        plate="贵F·D1234",
        carrier="毕节市汽车运输有限公司",
        origin="贵州省毕节市七星关区",
        destination=f"{_CITY.full_name}周巷镇",
        route=("毕节", "G56 杭瑞高速", "G60 沪昆高速", "杭州湾跨海大桥", _SHORT),
        provinces=("贵州", "湖南", "江西", "浙江"),
        entry_station="毕节东收费站",
        exit_station=f"{_SHORT}收费站",
        passengers=26,
        organiser=_ORGANISER,
    )


def sample_prevention_permit(
    permit_id: str = "PP-20200212-0001", start: datetime = TRIP_START
) -> PreventionPermit:
    return PreventionPermit(
        permit_id=permit_id,
        valid_from=start,
        valid_to=start + timedelta(hours=48),
        trip_id="T-20200212-042",
        vehicles=("贵F·D1234", "贵F·D5678"),
        passengers=52,
        medical_escort=(f"王医生 ({_CITY.name}人民医院)", "李护士 (周巷镇卫生院)"),
        kit=(KitItem("医用口罩", 300), KitItem("额温枪", 2), KitItem("消毒液 (升)", 10)),
        health_checks=("登车前测温", "健康码绿码", "途中每 4 小时测温", "到达后测温"),
        organiser=_ORGANISER,
    )


def issue(
    permit: RoadPass | PreventionPermit, keys: dict[Department, SigningKey], at: datetime | None = None
) -> SignedPermit:
    """Sign ``permit`` by every required department, an hour apart, ending at ``at``."""
    end = at if at is not None else permit.valid_from - timedelta(hours=1)
    signed = SignedPermit(permit)
    for i, dept in enumerate(reversed(permit.signers)):
        signed = cosign(signed, keys[dept], end - timedelta(hours=i))
    return signed
