"""A plan bus's road pass as the permit machinery wants it (``core.permits.RoadPass``), built from
the planner's ``PermitDraft`` (kept on the vehicle row as ``detail["permit"]``): what the bus's
pass says before it is stored, what transport's task shows to confirm, and the toll stations to
choose from along its route.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from homeward.apps.planning.models import PlanVehicle
from homeward.apps.planning.serialize import permit_draft_from_dict
from homeward.core import permits as core_permits
from homeward.core import regions
from homeward.core.errors import DomainError
from homeward.core.planning import PermitDraft

# The pass is valid a little before the bus leaves its base and well after its last drop: a late
# start or a slow road must not leave a bus full of workers without a valid pass.
VALID_BEFORE = timedelta(hours=2)
VALID_AFTER = timedelta(hours=6)
# The planner has no road network, so it cannot name toll stations; transport confirms them (a pass
# with them still 待定 cannot be signed: ``core.permits.placeholder_fields``).
TO_BE_ASSIGNED = core_permits.TO_BE_ASSIGNED
# Naive planner times are China Standard Time wall-clock (core.planning.model).
_CHINA = ZoneInfo("Asia/Shanghai")


def road_pass_id(vehicle: PlanVehicle) -> str:
    """Stable per run and vehicle, so drafting twice finds what the first call stored."""
    return f"RP-P{vehicle.run_id}-{vehicle.key}"


def vehicle_draft(vehicle: PlanVehicle) -> PermitDraft | None:
    """The planner's draft of the bus's pass; none for a dispatched bus carried over from a plan
    stored before drafts were kept."""
    draft = vehicle.detail.get("permit")
    return permit_draft_from_dict(draft) if draft else None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=_CHINA)


def _province_names(codes: tuple[str, ...]) -> tuple[str, ...]:
    names = []
    for code in codes:
        region = regions.get(code)
        names.append(region.name if region is not None else code)
    return tuple(names)


def drafted_road_pass(vehicle: PlanVehicle, draft: PermitDraft, organiser: str) -> core_permits.RoadPass:
    """The pass as drafted for ``vehicle``: what the planner knew, 待定 where it could not know."""
    origin = draft.origin or vehicle.origin_name
    destination = draft.destination or vehicle.destination_name
    stations = draft.toll_stations or (TO_BE_ASSIGNED,)
    fields: dict[str, Any] = {
        "permit_id": road_pass_id(vehicle),
        "valid_from": _aware(draft.window_start).astimezone(UTC) - VALID_BEFORE,
        "valid_to": _aware(draft.window_end).astimezone(UTC) + VALID_AFTER,
        "trip_id": f"P{vehicle.run_id}-{vehicle.key}",
        "plate": draft.plate,
        "carrier": draft.carrier or TO_BE_ASSIGNED,
        "origin": origin,
        "destination": destination,
        "provinces": _province_names(draft.provinces_crossed),
        "entry_station": stations[0],
        "exit_station": stations[-1],
        "passengers": draft.passengers,
        "organiser": organiser,
    }
    try:
        return core_permits.fitted_road_pass(draft.route or (origin, destination), **fields)
    except core_permits.PermitTooLarge as exc:
        raise DomainError(
            f"车辆 {vehicle.name} 的通行证无法起草 (the road pass of {vehicle.key} cannot be drafted): "
            f"{exc.message}",
            exc.code,
        ) from exc


def _toll_station(place: str) -> str:
    """How most expressway stations are named: after the county or city (义乌收费站 for 义乌市)."""
    name = regions.short_name(regions.station_name(place))
    return f"{name}收费站" if name else ""


def toll_choices(
    pickup_counties: list[str], road_pass: core_permits.RoadPass, home_city: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Toll stations to offer: entry where the bus joins the expressway (its pickup counties, most
    riders first), exit where it leaves it (the home city's, or the origin station's city for a
    feeder bus that ends at a station). A suggestion to choose from or type over: the planner has
    no road network, and transport knows the real station."""
    entry = []
    for code in pickup_counties:
        region = regions.get(code)
        if region is not None:
            entry.append(_toll_station(region.name))
    station = regions.station_by_name(road_pass.destination)
    if station is None:
        exits = [_toll_station(home_city)]
    else:  # named after the station's city, or after the county it stands in
        county = regions.get(station.city_code)
        exits = [_toll_station(station.name), _toll_station(county.name if county is not None else "")]
    return tuple(dict.fromkeys(e for e in entry if e)), tuple(dict.fromkeys(e for e in exits if e))
