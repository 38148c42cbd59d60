"""Synthetic fusion inputs, deterministic by seed (numpy): the benchmark's city and the tests' towns.

The shape follows DESIGN §4: origins concentrated in 贵州 安徽 河南 四川 江西 湖南 湖北 云南 重庆 广西
(a heavy tail of prefectures, so that 20+ hold over 10,000 away at city scale), ~40% back by
``as_of`` (police arrivals), a few return intentions and declared locations, carrier counts per
county that roughly agree with the roster (a few deliberately off), risk levels by county.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from homeward.core import regions as _regions

from .schema import FusionInputs, FusionParams

ORIGIN_PROVINCES = ("52", "34", "41", "51", "36", "43", "42", "53", "50", "45")
ARTICLE_HUBS = ("520500", "511500", "411400")  # 贵州毕节, 四川宜宾, 河南商丘
HUBS = 28
AS_OF = date(2020, 2, 25)
WINDOW_START = date(2020, 1, 24)  # 除夕 2020: the holiday began


@dataclass(frozen=True, slots=True)
class Scale:
    roster: int
    police: int
    enterprises: int
    carrier_days: int


SCALES: dict[str, Scale] = {
    "city": Scale(roster=700_000, police=1_000_000, enterprises=12_000, carrier_days=20),
    "town": Scale(roster=20_000, police=30_000, enterprises=600, carrier_days=5),
    "tiny": Scale(roster=2_000, police=3_000, enterprises=60, carrier_days=3),
}


def default_params(**overrides: object) -> FusionParams:
    kwargs: dict[str, object] = {"as_of": AS_OF, "window_start": WINDOW_START}
    kwargs.update(overrides)
    return FusionParams(**kwargs)  # type: ignore[arg-type]


def _days(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("int32"), type=pa.int32()).cast(pa.date32())


def origin_weights(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every county code, the origin pool's county codes and each pool county's share of the workers."""
    counties = [r for r in _regions.all_regions("county")]
    all_codes = np.array([r.code for r in counties])
    pool = [r for r in counties if r.code[:2] in ORIGIN_PROVINCES]
    pool_codes = np.array([r.code for r in pool])
    units = np.array([(p.code if (p := _regions.prefecture_of(r.code)) else r.code) for r in pool])

    # Hubs: 28 prefecture-level units (the article's 毕节, 宜宾, 商丘 first) hold ~93% of the workers
    # with a gentle slope, so that 20+ of them have over 10,000 away at city scale; the rest share 7%.
    uniq = np.unique(units)
    named = [c for c in ARTICLE_HUBS if c in set(uniq.tolist())]
    others = rng.permutation(np.setdiff1d(uniq, np.array(named)))
    hubs = named + others[: HUBS - len(named)].tolist()
    unit_weight = dict.fromkeys(uniq.tolist(), 0.07 / max(1, len(uniq) - len(hubs)))
    hub_weight = np.linspace(2.5, 1.0, len(hubs))
    for code, hw in zip(hubs, hub_weight * 0.93 / hub_weight.sum(), strict=True):
        unit_weight[code] = float(hw)
    county_share = rng.uniform(0.3, 1.0, len(pool))
    unit_total: dict[str, float] = {}
    for u_code, cs in zip(units.tolist(), county_share.tolist(), strict=True):
        unit_total[u_code] = unit_total.get(u_code, 0.0) + cs
    w = np.array(
        [
            unit_weight[u] * cs / unit_total[u]
            for u, cs in zip(units.tolist(), county_share.tolist(), strict=True)
        ]
    )
    w /= w.sum()
    return all_codes, pool_codes, w


def generate(scale: str | Scale = "city", seed: int = 2020) -> FusionInputs:
    """The inputs of a synthetic city at ``scale`` ("city", "town", "tiny" or a :class:`Scale`)."""
    sc = SCALES[scale] if isinstance(scale, str) else scale
    rng = np.random.default_rng(seed)
    all_codes, pool_codes, w = origin_weights(rng)

    n = sc.roster
    origin = rng.choice(pool_codes, size=n, p=w)
    elsewhere = rng.random(n) < 0.03
    origin[elsewhere] = rng.choice(all_codes, size=int(elsewhere.sum()))
    worker_key = np.arange(1, n + 1, dtype=np.int64)
    id_number = np.char.add(origin.astype("U6"), np.char.zfill(worker_key.astype("U12"), 12))
    declared = rng.choice(pool_codes, size=n).astype(object)
    declared[rng.random(n) >= 0.04] = None
    if n > 10:
        declared[:2] = ["999999", "441900"]  # an unresolvable code and a prefecture without counties

    ent_size = 1.0 / (np.arange(1, sc.enterprises + 1) ** 1.1)
    ent_size /= ent_size.sum()
    enterprise_id = rng.choice(np.arange(1, sc.enterprises + 1, dtype=np.int64), size=n, p=ent_size)
    town_codes = np.array([t.code for t in _regions.towns()])
    ent_town = rng.choice(town_codes, size=sc.enterprises + 1)
    ent_key = np.zeros(sc.enterprises + 1, dtype=bool)
    ent_key[1 : max(2, sc.enterprises // 40)] = True  # the biggest 2.5% are key enterprises

    ws, asof = _days(WINDOW_START), _days(AS_OF)
    insured = rng.integers(_days(date(2012, 1, 1)), ws - 30, size=n)
    late = rng.random(n) < 0.04
    insured[late] = rng.integers(ws + 1, asof + 10, size=int(late.sum()))
    insured_since = _dates(insured)
    insured_since = pa.array(
        [None if i % 97 == 0 else v for i, v in enumerate(insured_since.to_pylist())], type=pa.date32()
    )

    roster = pa.table(
        {
            "worker_key": worker_key,
            "id_number": id_number,
            "origin_code": origin,
            "declared_code": pa.array(declared, type=pa.string()),
            "enterprise_id": enterprise_id,
            "town_code": ent_town[enterprise_id],
            "is_key": ent_key[enterprise_id],
            "insured_since": insured_since,
        }
    )

    # Police: ~40% of the roster arrived in the window (some twice), plus arrivals before the window
    # and of people not on any roster.
    back = rng.random(n) < 0.40
    back_idx = np.flatnonzero(back)
    twice = back_idx[rng.random(len(back_idx)) < 0.1]
    in_window = np.concatenate([back_idx, twice])
    n_rest = max(0, sc.police - len(in_window))
    before = rng.choice(n, size=n_rest // 3)
    strangers = np.char.add(
        "330", np.char.zfill(rng.integers(0, 10**14, size=n_rest - len(before)).astype("U15"), 15)
    )
    police_ids = np.concatenate([id_number[in_window], id_number[before], strangers])
    police_days = np.concatenate(
        [
            rng.integers(ws + 5, asof + 1, size=len(in_window)),
            rng.integers(ws - 60, ws, size=len(before)),
            rng.integers(ws - 60, asof + 5, size=len(strangers)),
        ]
    )
    places = np.array(_demo_places())
    police = pa.table(
        {
            "id_number": police_ids,
            "arrived_on": _dates(police_days),
            "place": rng.choice(places, size=len(police_ids)),
        }
    )

    # Return intentions from ~5% of the roster (letters home), a third with a declared county.
    ni = max(1, n // 20)
    who = rng.choice(n, size=ni)
    states = rng.choice(np.array(["returned", "away", "will_return"]), size=ni, p=[0.2, 0.3, 0.5])
    intentions = pa.table(
        {
            "id_number": id_number[who],
            "date": _dates(rng.integers(ws, asof + 3, size=ni)),
            "state": states,
            "county_code": pa.array(
                rng.choice(pool_codes, size=ni), type=pa.string(), mask=rng.random(ni) >= 0.33
            ),
        }
    )

    # Carrier: every county × the last days up to as_of; roughly the roster's away count, some off.
    away_origin = origin[~back]
    codes, counts = np.unique(away_origin, return_counts=True)
    expected = dict(zip(codes.tolist(), counts.tolist(), strict=True))
    base = np.array([expected.get(c, 0) for c in all_codes], dtype=np.float64)
    base = np.where(base == 0, rng.integers(0, 30, size=len(all_codes)), base)
    off = rng.random(len(all_codes)) < 0.03
    base = np.where(off, base * 2.5, base)
    days = np.arange(asof - sc.carrier_days + 1, asof + 1)
    car_codes = np.tile(all_codes, len(days))
    car_days = np.repeat(days, len(all_codes))
    car_count = np.round(np.tile(base, len(days)) * rng.lognormal(0.0, 0.1, size=len(car_codes))).astype(
        np.int64
    )
    carrier = pa.table({"date": _dates(car_days), "county_code": car_codes, "count": car_count})

    # Risk: every pool county listed; ~0.5% high, ~10% medium.
    u = rng.random(len(pool_codes))
    level = np.where(u < 0.005, "high", np.where(u < 0.10, "medium", "low"))
    risk = pa.table({"county_code": pool_codes, "level": level})

    return FusionInputs.of(roster=roster, police=police, carrier=carrier, risk=risk, intentions=intentions)


def _demo_places() -> list[str]:
    """Where the demo city's police register arrivals: its two nearest stations, its coach station
    and its motorway toll gate."""
    city = _regions.require(_regions.DEMO_CITY_CODE)
    short = _regions.short_name(city.name)
    near = _regions.stations_near(city.lat, city.lon, within_km=60, limit=2)
    return [f"{s.name}站" for s in near] + [f"{short}汽车站", f"收费站 G15 {short}"]
