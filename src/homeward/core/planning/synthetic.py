"""A synthetic campaign day for tests and the benchmark, deterministic by seed.

Shaped like the article: origins concentrated in Guizhou, Anhui, Henan, Sichuan, Jiangxi, Hunan,
Hubei, Yunnan, Chongqing and Guangxi, a few counties holding most workers (heavy tail), factories
around Cixi's 20 towns, each application from one enterprise with workers from a handful of
counties, a 30-hour deadline from acceptance, special-train slots from the origin stations to
余姚北/宁波, Cixi coaches and origin-side coaches at the main origin prefectures.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from homeward.core import regions
from homeward.core.planning.geo import rail_min, road_km
from homeward.core.planning.model import (
    Application,
    Coach,
    HomeCity,
    PlanRequest,
    Point,
    Rules,
    StopCriterion,
    TrainSlot,
    WorkerDemand,
)

ORIGIN_PROVINCES = ("52", "34", "41", "51", "36", "43", "42", "53", "50", "45")
_DEST_STATIONS = ("余姚北", "宁波")
_HOME_STATIONS = {s for s in _DEST_STATIONS}


def synthetic_home() -> HomeCity:
    """The demo city (``regions.DEMO_CITY_CODE``) as the synthetic day's home city."""
    city = regions.require(regions.DEMO_CITY_CODE)
    province = regions.province_of(city.code)
    return HomeCity(
        name=city.name,
        point=Point(city.lat, city.lon),
        province=province.code if province else city.code[:2] + "0000",
        stations=_DEST_STATIONS,
    )


def synthetic_campaign(
    workers: int = 15_000,
    applications: int = 1_000,
    counties: int = 300,
    train_slots: int = 16,
    seed: int = 0,
    *,
    now: datetime | None = None,
    stop: StopCriterion | None = None,
    health_fail_share: float = 0.01,
    closed_share: float = 0.01,
    home: HomeCity | None = None,
) -> PlanRequest:
    """A campaign day of ``workers`` in ``applications`` from ``counties`` origin counties, with
    ``train_slots`` granted slots, returning to ``home`` (by default ``synthetic_home()``)."""
    rng = random.Random(seed)
    now = now or datetime(2020, 2, 20, 8, 0)
    rules = Rules()
    # origin counties, heavier near the origin stations so that trains have clusters
    pool = [c for c in regions.all_regions("county") if c.code[:2] in ORIGIN_PROVINCES]
    pool.sort(key=lambda c: c.code)
    stations = [
        s for s in regions.stations() if s.name not in _HOME_STATIONS and s.city_code[:2] in ORIGIN_PROVINCES
    ]
    near: list[regions.Region] = []
    far: list[regions.Region] = []
    for c in pool:
        d = min(road_km(Point(c.lat, c.lon), Point(s.lat, s.lon), rules) for s in stations)
        (near if d <= rules.train_catchment_km else far).append(c)
    # by bus, ~1,300 road km is what two drivers can legally cover in a 30-hour window; a few
    # counties beyond that are kept so that "no legal way in time" shows up
    home_city = home or synthetic_home()
    reachable = [c for c in far if road_km(Point(c.lat, c.lon), home_city.point, rules) <= 1_300]
    beyond = [c for c in far if road_km(Point(c.lat, c.lon), home_city.point, rules) > 1_300]
    n_near = min(len(near), counties * 3 // 5)
    n_beyond = min(len(beyond), counties // 30)
    n_reach = min(len(reachable), counties - n_near - n_beyond)
    chosen = rng.sample(near, n_near) + rng.sample(reachable, n_reach) + rng.sample(beyond, n_beyond)
    chosen.sort(key=lambda c: c.code)
    rng.shuffle(chosen)
    weights = [1.0 / (i + 1) ** 0.8 for i in range(len(chosen))]  # heavy tail by county
    risk: list[tuple[str, str]] = []
    for rank, c in enumerate(chosen):
        r = rng.random()
        if rank < 30 and r < closed_share:  # keep the big clusters open
            continue
        level = "closed" if r < closed_share else "high" if r < 0.05 else "medium" if r < 0.15 else "low"
        if level != "low":
            risk.append((c.code, level))
    # factories around the towns
    towns = regions.towns()
    n_ent = max(1, applications * 7 // 10)
    ents: list[tuple[str, str, Point]] = []
    for i in range(n_ent):
        t = towns[rng.randrange(len(towns))]
        p = Point(round(t.lat + rng.uniform(-0.03, 0.03), 5), round(t.lon + rng.uniform(-0.03, 0.03), 5))
        ents.append((f"E{i + 1:05d}", f"{t.name}企业{i + 1:05d}", p))
    # application sizes: heavy tail, summing to ``workers``
    raw = [rng.paretovariate(1.6) for _ in range(applications)]
    scale = workers / sum(raw)
    sizes = [max(1, int(x * scale)) for x in raw]
    diff = workers - sum(sizes)
    i = 0
    while diff != 0:
        j = i % applications
        if diff > 0:
            sizes[j] += 1
            diff -= 1
        elif sizes[j] > 1:
            sizes[j] -= 1
            diff += 1
        i += 1
    apps: list[Application] = []
    wid = 0
    for a in range(applications):
        ent = ents[a % n_ent] if a < n_ent else ents[rng.randrange(n_ent)]
        k = 1 + min(5, int(rng.expovariate(0.8)))
        origins = rng.choices(chosen, weights=weights, k=k)
        accepted = now - timedelta(minutes=rng.randrange(0, 240))
        ws: list[WorkerDemand] = []
        for _ in range(sizes[a]):
            wid += 1
            county = origins[min(k - 1, int(rng.expovariate(1.2)))]
            ws.append(WorkerDemand(f"W{wid:06d}", county.code, rng.random() >= health_fail_share))
        apps.append(
            Application(
                id=f"A{a + 1:05d}",
                enterprise_id=ent[0],
                enterprise_name=ent[1],
                destination=ent[2],
                deadline=accepted + timedelta(hours=30),
                workers=tuple(ws),
            )
        )
    # train slots where the demand is: each slot goes to the station with the most workers within
    # its catchment not yet covered by an earlier slot
    demand: dict[str, int] = {st.name: 0 for st in stations}
    cache: dict[str, list[str]] = {}
    for app in apps:
        for w in app.workers:
            names = cache.get(w.pickup_county)
            if names is None:
                cr = regions.get(w.pickup_county)
                names = (
                    [
                        st.name
                        for st in stations
                        if road_km(Point(cr.lat, cr.lon), Point(st.lat, st.lon), rules)
                        <= rules.train_catchment_km
                    ]
                    if cr
                    else []
                )
                cache[w.pickup_county] = names
            for name in names[:1]:
                demand[name] += 1
    slots: list[TrainSlot] = []
    by_load: list[regions.Station] = []
    left = dict(demand)
    for _ in range(train_slots):
        best = max(sorted(left), key=lambda k: left[k])
        by_load.append(next(st for st in stations if st.name == best))
        left[best] -= 530
    for i in range(train_slots):
        s = by_load[i % max(1, len(by_load))]
        dest = _DEST_STATIONS[i % 2 if i % 5 == 4 else 0]
        dst = regions.station_by_name(dest)
        assert dst is not None
        departs = now + timedelta(hours=6 + (i % 6) * 1.5)
        arrives = departs + timedelta(minutes=rail_min(Point(s.lat, s.lon), Point(dst.lat, dst.lon), rules))
        name = ("慈溪号", "周巷号", "观海卫号")[i % 3]
        slots.append(TrainSlot(f"TS{i + 1:02d}", name, s.name, dest, departs, arrives, 1060, 50, "granted"))
    # coaches: Cixi fleet and origin-side operators at the origin prefectures
    coaches: list[Coach] = []
    for i in range(450):
        coaches.append(Coach(f"浙B{10000 + i}", 55 if i % 5 else 49, "慈溪客运", home_city.base))
    per_pref: dict[str, int] = {}
    for app in apps:
        for w in app.workers:
            cw = regions.get(w.pickup_county)
            if cw is None:
                continue
            pref = regions.prefecture_of(cw.code)
            key = pref.code if pref else (cw.parent or cw.code)
            per_pref[key] = per_pref.get(key, 0) + 1
    for code in sorted(per_pref):
        for j in range(math.ceil(per_pref[code] / 20) + 2):
            coaches.append(Coach(f"{code}-{j + 1:03d}", 55, f"{code}客运", code, 700, 90_000))
    return PlanRequest(
        now=now,
        applications=tuple(apps),
        train_slots=tuple(slots),
        coaches=tuple(coaches),
        origin_risk=tuple(sorted(risk)),
        rules=rules,
        seed=seed,
        stop=stop or StopCriterion(),
        home=home_city,
    )
