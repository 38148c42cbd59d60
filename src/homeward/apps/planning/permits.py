"""Road passes from a plan: every bus of the plan in force gets its 农民工返岗包车通行证, drafted from
the planner's ``PermitDraft`` (kept on the vehicle row as ``detail["permit"]``) and stored the way an
application's road pass is (``applications.services.permit_store``): drafted, awaiting the same
departments' signatures (``core.permits.REQUIRED_SIGNERS``). A pooled bus carries the workers of
several applications, so the pass belongs to the vehicle, not to an application.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from homeward.apps.accounts.policy import authorized, signer_of
from homeward.apps.applications.models import Permit, PermitState, ReturnApplication
from homeward.apps.applications.services import permit_store
from homeward.apps.planning import selectors
from homeward.apps.planning.models import PlanRun, PlanVehicle
from homeward.apps.planning.road_pass import drafted_road_pass, vehicle_draft
from homeward.apps.planning.services import latest_done_run
from homeward.apps.registry.selectors import require_home_city
from homeward.core import permits as core_permits
from homeward.core.errors import Conflict


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
            draft = vehicle_draft(vehicle)
            if vehicle.key in have or draft is None:
                continue
            road_pass = drafted_road_pass(vehicle, draft, organiser)
            created.append(permit_store(actor=actor, drafted=road_pass, plan_vehicle=vehicle))
    return created


def plan_route_passes_sign(
    *, actor: Any, application: ReturnApplication, data: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Transport's task for an application whose workers the plan in force carries on its buses:
    for each of those buses, draft its road pass if nobody has yet, fill in what transport confirms
    (plate, carrier, toll stations; ``PlannedRoutePassData``), and sign it as the actor's department
    — the plan's pass, not a second one beside it (a pooled bus already signed for another
    application is just recorded). Returns the task's data (the buses, their permits and the trip
    they make, for the prevention permit), or None when no plan bus carries the application (the
    enterprise's own vehicles: the typed-in form). Call inside the task's transaction."""
    from homeward.apps.applications.services import FILLABLE_FIELDS, core_permit, permit_fill, permit_sign
    from homeward.apps.applications.services.task_data import PlannedRoutePassData, validated

    buses = selectors.application_buses([application.pk]).get(application.pk)
    if not buses:
        return None
    clean = validated(PlannedRoutePassData, data)
    given = {b.vehicle: b for b in clean.buses}
    strangers = sorted(set(given) - {b.vehicle.pk for b in buses})
    if strangers:
        raise Conflict(
            f"车辆 {strangers[0]} 不在本申请的计划车辆中 (not a plan bus of this application)", "stale_plan"
        )
    dept = signer_of(actor)
    vehicles: list[dict[str, Any]] = []
    passes = []
    for bus in buses:
        permit = bus.permit or permit_store(actor=actor, drafted=bus.road_pass, plan_vehicle=bus.vehicle)
        confirmed = given.get(bus.vehicle.pk)
        changes = {
            f: value
            for f in FILLABLE_FIELDS
            if confirmed is not None
            and (value := getattr(confirmed, f))
            and value != str(getattr(bus.road_pass, f))
        }
        if changes:
            permit = permit_fill(actor=actor, permit_id=permit.pk, values=changes)
        signs = dept is not None and str(dept) in permit.signer_list and str(dept) not in bus.signed
        if signs and permit.state == PermitState.DRAFTED:
            permit = permit_sign(actor=actor, permit_id=permit.pk)
        road_pass = core_permit(permit)
        assert isinstance(road_pass, core_permits.RoadPass)
        passes.append(road_pass)
        vehicles.append(
            {"vehicle": bus.vehicle.key, "permit_id": permit.permit_id, "plate": road_pass.plate,
             "carrier": road_pass.carrier, "passengers": bus.riders}
        )  # fmt: skip
    first, last = passes[0], passes[-1]
    start = min(p.valid_from for p in passes)
    end = max(p.valid_to for p in passes)
    return {
        "source": "plan",
        "plan_run": buses[0].vehicle.run_id,
        "vehicles": vehicles,
        "origin": first.origin,
        "destination": last.destination,
        "route": list(first.route),
        "provinces": list(first.provinces),
        "entry_station": first.entry_station,
        "exit_station": first.exit_station,
        "departure": start.isoformat(),
        "window_hours": max(1, min(240, -(-int((end - start).total_seconds()) // 3600))),
    }
