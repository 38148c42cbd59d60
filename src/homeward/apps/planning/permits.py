"""Road passes from a plan: every bus of the plan in force gets its 农民工返岗包车通行证, drafted from
the planner's ``PermitDraft`` (kept on the vehicle row as ``detail["permit"]``) and stored the way an
application's road pass is (``applications.services.permit_store``): drafted, awaiting the same
departments' signatures (``core.permits.REQUIRED_SIGNERS``). A pooled bus carries the workers of
several applications, so the pass belongs to the vehicle, not to an application.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from homeward.apps.accounts.policy import authorized
from homeward.apps.applications.models import Permit
from homeward.apps.applications.services import permit_store
from homeward.apps.planning import selectors
from homeward.apps.planning.models import PlanRun, PlanVehicle
from homeward.apps.planning.serialize import permit_draft_from_dict
from homeward.apps.planning.services import latest_done_run
from homeward.apps.registry.selectors import require_home_city
from homeward.core import permits as core_permits
from homeward.core import regions
from homeward.core.errors import Conflict, DomainError
from homeward.core.planning import PermitDraft

# The pass is valid a little before the bus leaves its base and well after its last drop: a late
# start or a slow road must not leave a bus full of workers without a valid pass.
VALID_BEFORE = timedelta(hours=2)
VALID_AFTER = timedelta(hours=6)
# The planner has no road network, so it cannot name toll stations; the carrier reports them (a pass
# with them still 待定 cannot be signed: ``core.permits.placeholder_fields``).
TO_BE_ASSIGNED = core_permits.TO_BE_ASSIGNED
# Naive planner times are China Standard Time wall-clock (core.planning.model).
_CHINA = ZoneInfo("Asia/Shanghai")


def road_pass_id(vehicle: PlanVehicle) -> str:
    """Stable per run and vehicle, so drafting twice finds what the first call stored."""
    return f"RP-P{vehicle.run_id}-{vehicle.key}"


def plan_permits_draft(*, actor: Any, run_id: int) -> list[Permit]:
    """Draft the road pass of every bus of the plan in force that has none yet (task force or
    transport department); returns the permits this call created. Idempotent: a second call creates
    nothing. A bus kept by a re-plan because it was dispatched keeps the pass drafted for it
    before."""
    run = authorized(actor, "plan.permits", PlanRun.objects.all(), run_id)
    if run.state != PlanRun.State.DONE:
        raise Conflict("该计划尚未完成 (the plan is not done)", "bad_state")
    latest = latest_done_run()
    if latest is None or latest.pk != run.pk:
        raise Conflict("只能为最新计划起草通行证 (only for the plan in force)", "stale_plan")
    created: list[Permit] = []
    organiser = require_home_city().organiser
    with transaction.atomic():
        # one drafter per run at a time; the unique permit id is the last guard
        PlanRun.objects.select_for_update().filter(pk=run.pk).first()
        have = selectors.road_passes(run)
        for vehicle in run.vehicles.filter(kind=PlanVehicle.Kind.BUS).order_by("key"):
            # no draft: a dispatched bus carried over from a plan stored before drafts were kept
            draft = vehicle.detail.get("permit")
            if vehicle.key in have or not draft:
                continue
            road_pass = _road_pass(vehicle, permit_draft_from_dict(draft), organiser)
            created.append(permit_store(actor=actor, drafted=road_pass, plan_vehicle=vehicle))
    return created


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=_CHINA)


def _province_names(codes: tuple[str, ...]) -> tuple[str, ...]:
    names = []
    for code in codes:
        region = regions.get(code)
        names.append(region.name if region is not None else code)
    return tuple(names)


def _route_candidates(route: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """The full route, then shorter ones keeping the first places and the last, saying how many they
    leave out: a permit must fit a scannable QR code (``core.permits`` caps the body), and the
    bus's whole timetable travels with it anyway (一车一方案)."""
    yield route
    for keep in range(len(route) - 2, 0, -1):
        yield (*route[:keep], f"…另 {len(route) - 1 - keep} 处", route[-1])


def _road_pass(vehicle: PlanVehicle, draft: PermitDraft, organiser: str) -> core_permits.RoadPass:
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
    problem: DomainError | None = None
    for route in _route_candidates(draft.route or (origin, destination)):
        try:
            return core_permits.RoadPass(route=route, **fields)
        except core_permits.InvalidPermit as exc:  # too long: try a shorter route
            problem = exc
    assert problem is not None
    raise DomainError(
        f"车辆 {vehicle.name} 的通行证无法起草 (the road pass of {vehicle.key} cannot be drafted): "
        f"{problem.message}",
        problem.code,
    )
