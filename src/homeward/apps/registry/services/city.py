"""Setting up the home city: ``city_setup`` records the city (one row), seeds its towns and streets
(乡镇/街道) from the national township list and picks its arrival stations from the curated table.

``homeward setup --city CODE``, the first-run page and ``homeward demo`` all call it. A second run
with the same arguments changes nothing and says so; stations and towns edited in the admin are kept.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from homeward.apps.accounts.policy import authorize
from homeward.apps.audit.services import audit_record
from homeward.apps.registry.models import Enterprise, HomeCity, HomeStation, Town
from homeward.core import regions
from homeward.core.errors import Conflict, DomainError

# Arrival stations: the curated ones within this distance of the city, nearest first.
STATION_RADIUS_KM = 60.0
STATION_LIMIT = 3
ORGANISER_SUFFIX = "企业复工复产返岗专班"
_FIELD_LABELS = {
    "code": "区县代码 (code)",
    "name": "名称 (name)",
    "full_name": "全称 (full name)",
    "lat": "纬度 (latitude)",
    "lon": "经度 (longitude)",
    "display_name": "显示名称 (display name)",
    "organiser": "组织单位 (organiser)",
}


@dataclass
class SetupReport:
    """What ``city_setup`` did; ``changes`` is empty when the run changed nothing."""

    city: HomeCity
    changes: list[str] = field(default_factory=list)
    town_kinds: dict[str, int] = field(default_factory=dict)  # 街道/镇/乡/其他 → count
    towns_approximate: int = 0  # placed at the county's point
    stations: list[HomeStation] = field(default_factory=list)  # in use, nearest first

    @property
    def towns(self) -> int:
        return sum(self.town_kinds.values())

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def county_for_setup(code: str) -> regions.Region:
    """The county-level unit a city is set up by, or DomainError ``unknown_city`` (unknown code) or
    ``not_a_county`` (a province, or a prefecture that has counties)."""
    code = code.strip()
    region = regions.get(code) if code.isdigit() else None
    if region is None:
        raise DomainError(
            f"未知的区县代码 {code!r}：请填写现行县级行政区划代码，如 330782 (义乌市) "
            f"(unknown county code {code!r}: give a current county-level code such as 330782)",
            "unknown_city",
        )
    if not regions.is_county(region.code):
        raise DomainError(
            f"{region.full_name} ({region.code}) 不是县级单位：请填写其下的县级代码 "
            f"({region.code} is a {region.level} with counties under it: give a county-level code)",
            "not_a_county",
        )
    return region


def _town_rows(region: regions.Region) -> list[regions.Town]:
    """The city's township-level units; a unit without a township level (e.g. 龙港市, which runs
    its communities directly) is one town of its own, so that its roster can still name it."""
    towns = list(regions.towns_of(region.code))
    if towns:
        return towns
    return [
        regions.Town(region.code + "000000", region.name, "其他", region.code, region.lat, region.lon, False)
    ]


def city_setup(
    *, actor: Any, code: str, display_name: str | None = None, organiser: str | None = None
) -> SetupReport:
    """Record ``code`` as the home city, seed its towns and pick its arrival stations.

    Task force only, and system actors granted ``city.setup``. ``display_name`` (page titles) defaults to the
    city's name and ``organiser`` (on permits) to "<name>企业复工复产返岗专班"; given as None they keep
    what an earlier run set. Replacing another city is refused (``home_city_in_use``) once the
    registry holds enterprises; before that the other city's towns and stations are removed.
    Raises DomainError ``unknown_city`` / ``not_a_county`` for a bad code, PermissionDenied
    ``forbidden`` for other roles (the denial is audited)."""
    authorize(actor, "city.setup")
    region = county_for_setup(code)
    display_name = (display_name or "").strip() or None
    organiser = (organiser or "").strip() or None
    with transaction.atomic():
        current = HomeCity.objects.select_for_update().filter(pk=1).first()
        changes: list[str] = []
        if current is not None and current.code != region.code:
            changes.append(_replace(current, region))
            current = None
        city, city_changes = _record_city(current, region, display_name, organiser)
        changes += city_changes
        towns = _town_rows(region)
        created_towns = _seed_towns(towns)
        if created_towns:
            changes.append(f"新建镇街 {created_towns} 个 ({created_towns} towns created)")
        stations = _pick_stations(city)
        if stations:
            changes.append(f"到达车站 (arrival stations): {'、'.join(stations)}")
        report = SetupReport(
            city=city,
            changes=changes,
            town_kinds=dict(Counter(Town.objects.values_list("kind", flat=True))),
            towns_approximate=Town.objects.filter(approximate_point=True).count(),
            stations=list(HomeStation.objects.filter(active=True).order_by("rank", "name")),
        )
        if changes:
            audit_record(
                actor=actor,
                action="city.setup",
                object_type="home_city",
                object_id=city.code,
                data={
                    "changes": changes,
                    "towns": report.towns,
                    "stations": [s.name for s in report.stations],
                },
            )
    return report


def _replace(current: HomeCity, region: regions.Region) -> str:
    enterprises = Enterprise.objects.count()
    if enterprises:
        raise Conflict(
            f"本系统已设置为 {current.name} ({current.code})，且已有 {enterprises:,} 家企业；"
            f"不能改为 {region.name} ({region.code}) "
            f"(already set up for {current.code} with {enterprises:,} enterprises: cannot switch cities)",
            "home_city_in_use",
        )
    Town.objects.all().delete()
    HomeStation.objects.all().delete()
    current.delete()
    return f"替换了 {current.name} ({current.code}) (replaced the city set up before)"


def _record_city(
    current: HomeCity | None, region: regions.Region, display_name: str | None, organiser: str | None
) -> tuple[HomeCity, list[str]]:
    wanted = {
        "code": region.code,
        "name": region.name,
        "full_name": region.full_name,
        "lat": region.lat,
        "lon": region.lon,
    }
    if current is None:
        city = HomeCity.objects.create(
            **wanted,
            display_name=display_name or region.name,
            organiser=organiser or region.name + ORGANISER_SUFFIX,
        )
        return city, [f"本市 (home city): {city.full_name} ({city.code})"]
    if display_name is not None:
        wanted["display_name"] = display_name
    if organiser is not None:
        wanted["organiser"] = organiser
    changed = [name for name, value in wanted.items() if getattr(current, name) != value]
    for name in changed:
        setattr(current, name, wanted[name])
    if changed:
        current.save(update_fields=changed)
    return current, [f"{_FIELD_LABELS[name]}: {getattr(current, name)}" for name in changed]


def _seed_towns(towns: list[regions.Town]) -> int:
    """Create the towns not there yet (by code or name); rows already there, perhaps edited in the
    admin, are kept as they are."""
    codes = set(Town.objects.values_list("code", flat=True))
    names = set(Town.objects.values_list("name", flat=True))
    new = [
        Town(code=t.code, name=t.name, kind=t.kind, lat=t.lat, lon=t.lon, approximate_point=t.approximate)
        for t in towns
        if t.code not in codes and t.name not in names
    ]
    Town.objects.bulk_create(new)
    return len(new)


def _pick_stations(city: HomeCity) -> list[str]:
    """The curated stations near the city, nearest first, the first time only (later edits in the
    admin are the task force's)."""
    if HomeStation.objects.exists():
        return []
    near = regions.stations_near(city.lat, city.lon, within_km=STATION_RADIUS_KM, limit=STATION_LIMIT)
    HomeStation.objects.bulk_create(
        HomeStation(
            name=s.name,
            telecode=s.telecode,
            lat=s.lat,
            lon=s.lon,
            distance_km=round(regions.great_circle_km(city.lat, city.lon, s.lat, s.lon), 1),
            rank=rank,
        )
        for rank, s in enumerate(near, start=1)
    )
    return [s.name for s in near]
