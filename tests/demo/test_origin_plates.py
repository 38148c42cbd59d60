"""Origin-side coaches get real-format plates, unique over every operator the demo could make (a
prefecture-derived plate collided where counties sit directly under a province: 湖北's 仙桃, 潜江
…, or in a municipality's districts; the demo then failed on the plate's unique constraint)."""

from __future__ import annotations

from collections import Counter

from homeward.core import regions
from homeward.core.permits.model import PLATE_RE
from homeward.demo.campaign import _origin_plate


def test_every_operator_of_every_county_or_prefecture_gets_its_own_valid_plates() -> None:
    units = sorted(
        {(regions.prefecture_of(r.code) or r).code for r in regions.all_regions("county")}
        | {r.code for r in regions.all_regions("county")}
    )
    operators: Counter[str] = Counter()
    plates = []
    for code in units:
        k = operators[code[:2]]
        operators[code[:2]] += 1
        plates += [_origin_plate(code, k, j) for j in (0, 1, 9_998)]
    assert len(plates) > 9_000  # some 3,000 units, three coaches each
    assert len(set(plates)) == len(plates)
    assert all(PLATE_RE.match(p) for p in plates), [p for p in plates if not PLATE_RE.match(p)][:5]
