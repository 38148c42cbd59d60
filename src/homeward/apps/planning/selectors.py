"""Reads for the plan board, the manifests and an enterprise's own seats, scoped to the actor.

- The board, the map and the unassigned list: the task force.
- Manifests (乘客信息登记表): the task force and the health and transport departments, masked; the
  full copy (it travels with the vehicle and goes to the health authority) only for roles with
  personal-data rights, on explicit request. Every read is audited once.
- An enterprise sees the seats of its own workers only (masked).
- A bus's road pass and its signatures: whoever may see the bus's page (signing and the PDF go
  through ``applications``, whose selectors scope permits).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from homeward.apps.accounts.policy import allows, authorize, authorized
from homeward.apps.accounts.roles import profile_of
from homeward.apps.applications.models import Permit, PermitSignature, PermitState, TaskDepartment
from homeward.apps.applications.selectors import fill_panel, permits_to_sign
from homeward.apps.applications.services import FILLABLE_FIELDS
from homeward.apps.audit.runs import ACTIVE_STATES
from homeward.apps.planning.models import (
    Coach,
    Dispatch,
    Driver,
    MedicalEscort,
    PlanRun,
    PlanSeat,
    PlanVehicle,
    PreventionKit,
    TrainSlot,
)
from homeward.apps.planning.road_pass import drafted_road_pass, toll_choices, vehicle_draft
from homeward.apps.planning.services import KIND_LABELS, REASON_LABELS, TRAIN_REQUEST_NAME, latest_done_run
from homeward.apps.registry.personal_data import PersonOut, audit_list_read, people_reveal, person_out
from homeward.apps.registry.selectors import require_home_city
from homeward.apps.teams.boarding import boarding_recognitions
from homeward.core import permits as core_permits
from homeward.core import regions
from homeward.core.permits import Department
from homeward.core.planning.planner.emit import seat_sort_key


def board_run(*, actor: Any, run_id: int | None = None) -> PlanRun | None:
    """The done run ``run_id``, or the plan in force, for the board and its parts (``plan.read``)."""
    authorize(actor, "plan.read")
    if run_id:
        return PlanRun.objects.filter(pk=run_id, state=PlanRun.State.DONE).first()
    return latest_done_run()


def status_run(*, actor: Any) -> PlanRun | None:
    """The run queued or running, else the last one (``plan.read``)."""
    authorize(actor, "plan.read")
    active = PlanRun.objects.filter(state__in=ACTIVE_STATES).order_by("pk").first()
    return active or PlanRun.objects.order_by("-pk").first()


def resource_counts(*, actor: Any) -> dict[str, int]:
    """How many of each planning resource there are (the resource import page)."""
    authorize(actor, "plan.resources")
    return {
        "train_slots": TrainSlot.objects.count(),
        "coaches": Coach.objects.count(),
        "drivers": Driver.objects.count(),
        "escorts": MedicalEscort.objects.count(),
        "kits": PreventionKit.objects.count(),
    }


# ------------------------------------------------------------------------------------------ KPIs


@dataclass(frozen=True)
class KpiRow:
    label: str
    plan: Any
    baseline: Any = None
    bound: Any = None
    note: str = ""


def kpi_rows(run: PlanRun) -> list[KpiRow]:
    k = run.kpis or {}

    def pct(v: Any) -> str:
        return f"{float(v) * 100:.1f}%" if v is not None else "—"

    yuan = (k.get("cost_fen") or 0) / 100
    reasons = [
        KpiRow(
            "  " + _("未安排：%(reason)s") % {"reason": REASON_LABELS.get(r, r)}, k.get(f"unassigned_{r}", 0)
        )
        for r in REASON_LABELS
        if k.get(f"unassigned_{r}")
    ]
    return [
        KpiRow(_("务工人员"), k.get("workers")),
        KpiRow(_("已安排"), k.get("assigned")),
        KpiRow(_("未安排"), k.get("unassigned")),
        *reasons,
        KpiRow(_("专列"), k.get("trains"), note=_("%(n)s 人") % {"n": k.get("train_passengers", 0)}),
        KpiRow(
            _("包车"),
            k.get("buses"),
            k.get("baseline_buses"),
            k.get("buses_lower_bound"),
            _("基线同口径 %(n)s") % {"n": k.get("baseline_buses_same_split", "—")},
        ),  # fmt: skip
        *(
            [
                KpiRow(
                    _("接站车"),
                    k["feeder_buses"],
                    note=_("%(n)s 人换乘专列") % {"n": k.get("feeder_passengers", 0)},
                )
            ]
            if k.get("feeder_buses")
            else []
        ),
        KpiRow(_("接驳车"), k.get("shuttles"), None, k.get("shuttles_lower_bound")),
        KpiRow(
            _("车公里"),
            k.get("vehicle_km"),
            k.get("baseline_vehicle_km"),
            None,
            _("基线同口径 %(n)s") % {"n": k.get("baseline_vehicle_km_same_split", "—")},
        ),  # fmt: skip
        KpiRow(_("包车上座率"), pct(k.get("seats_filled_share"))),
        KpiRow(_("费用(元)"), f"{yuan:,.0f}"),
        KpiRow(_("按时到厂"), pct(k.get("deadline_met_share"))),
        KpiRow(
            _("超时到厂"),
            k.get("late_workers", 0),
            note=_("超时小时 中位 %(p50)s · P95 %(p95)s · 最多 %(max)s")
            % {
                "p50": k.get("late_hours_p50", 0),
                "p95": k.get("late_hours_p95", 0),
                "max": k.get("late_hours_max", 0),
            }
            if k.get("late_workers")
            else "",
        ),
        KpiRow(_("建议申请专列"), k.get("train_requests", 0)),
        KpiRow(_("计算用时(秒)"), k.get("seconds_total", k.get("seconds"))),
    ]


# -------------------------------------------------------------------------------------- vehicles


def legend(run: PlanRun) -> list[tuple[str, str, int]]:
    """(kind, label, how many) for each vehicle kind of the run, in ``KIND_LABELS`` order."""
    counts = dict(run.vehicles.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    return [(k, str(label), counts.get(k, 0)) for k, label in KIND_LABELS.items()]


def vehicles(run: PlanRun, kind: str = "") -> QuerySet[PlanVehicle]:
    qs = PlanVehicle.objects.filter(run=run).select_related("dispatch")
    if kind in KIND_LABELS:
        qs = qs.filter(kind=kind)
    return qs.order_by("kind", "departs", "key")


def window(run: PlanRun) -> tuple[datetime, datetime] | None:
    agg = PlanVehicle.objects.filter(run=run).aggregate(lo=Min("departs"), hi=Max("arrives"))
    if agg["lo"] is None:
        return None
    return agg["lo"], agg["hi"]


def timeline_bar(v: PlanVehicle, span: tuple[datetime, datetime] | None) -> dict[str, float]:
    """Left and width (percent of the plan's time window) of a vehicle's bar."""
    if span is None:
        return {"left": 0.0, "width": 100.0}
    lo, hi = span
    total = max(1.0, (hi - lo).total_seconds())
    left = (v.departs - lo).total_seconds() / total * 100
    width = max(0.5, (v.arrives - v.departs).total_seconds() / total * 100)
    return {"left": round(left, 2), "width": round(min(width, 100 - left), 2)}


def vehicle_for(actor: Any, vehicle_id: int) -> PlanVehicle:
    """A vehicle of a plan, for its page and manifest (``plan.manifest``)."""
    return authorized(actor, "plan.manifest", PlanVehicle.objects.select_related("run"), vehicle_id)


# Stop kinds of the core planner (core.planning.model.Stop.kind) as the timetable shows them.
STOP_KIND_LABELS = {
    "start": pgettext_lazy("stop kind", "出发"),
    "pickup": pgettext_lazy("stop kind", "上客"),
    "drop": pgettext_lazy("stop kind", "下客"),
    "station_depart": pgettext_lazy("stop kind", "始发站"),
    "station_arrive": pgettext_lazy("stop kind", "到达站"),
    "break": pgettext_lazy("stop kind", "休息"),
    "relay": pgettext_lazy("stop kind", "换驾"),
    "crew_change": pgettext_lazy("stop kind", "接驳换班"),
    "night_rest": pgettext_lazy("stop kind", "夜间停驶 (02:00–05:00)"),
    "daily_rest": pgettext_lazy("stop kind", "日驾驶时限休息"),
    "end": pgettext_lazy("stop kind", "终点/返回"),
}


def timetable(vehicle: PlanVehicle) -> list[dict[str, Any]]:
    """The vehicle's stops with a label for their kind (an unknown kind shows as it is) and their
    times as datetimes (stored as ISO text in UTC; the page shows them in local time)."""
    return [
        {
            **s,
            "label": STOP_KIND_LABELS.get(s["k"], s["k"]),
            "arrive": datetime.fromisoformat(s["a"]),
            "depart": datetime.fromisoformat(s["d"]),
        }
        for s in vehicle.detail.get("stops", [])
    ]


# ------------------------------------------------------------------------------------ road passes


def road_passes(run: PlanRun, keys: Collection[str] | None = None) -> dict[str, Permit]:
    """The road pass of each bus of ``run`` by vehicle key: the one drafted for it, or, for a bus a
    re-plan kept because it was dispatched, the one drafted for that same trip under an earlier run
    (same vehicle key, same dispatch time: re-plans copy the dispatch)."""
    own = Permit.objects.filter(kind=Permit.Kind.ROAD_PASS, plan_vehicle__run=run)
    sent = Dispatch.objects.filter(vehicle__run=run, vehicle__kind=PlanVehicle.Kind.BUS)
    if keys is not None:
        own = own.filter(plan_vehicle__key__in=list(keys))
        sent = sent.filter(vehicle__key__in=list(keys))
    passes = {_bus(p).key: p for p in own.select_related("plan_vehicle")}
    sent_at = {k: at for k, at in sent.values_list("vehicle__key", "dispatched_at") if k not in passes}
    if sent_at:
        earlier = Permit.objects.filter(
            kind=Permit.Kind.ROAD_PASS,
            plan_vehicle__key__in=list(sent_at),
            plan_vehicle__run_id__lt=run.pk,
            plan_vehicle__dispatch__isnull=False,
        ).select_related("plan_vehicle__dispatch")
        for p in earlier.order_by("-plan_vehicle__run_id"):
            bus = _bus(p)
            if bus.dispatch.dispatched_at == sent_at[bus.key]:
                passes.setdefault(bus.key, p)
    return passes


def _bus(permit: Permit) -> PlanVehicle:
    assert permit.plan_vehicle is not None  # a plan's road pass
    return permit.plan_vehicle


def road_pass_panel(actor: Any, vehicle: PlanVehicle) -> dict[str, Any] | None:
    """What a bus's page shows of its road pass: the pass and who has signed it, whether the actor
    signs it now, and whether the actor may draft the passes of the plan in force (no pass yet)."""
    if vehicle.kind != PlanVehicle.Kind.BUS:
        return None
    permit = road_passes(vehicle.run, [vehicle.key]).get(vehicle.key)
    if permit is None:
        latest = latest_done_run()
        in_force = latest is not None and latest.pk == vehicle.run_id
        return {"permit": None, "can_draft": in_force and allows(actor, "plan.permits", vehicle.run)}
    signed = set(permit.signatures.values_list("department", flat=True))
    return {
        "permit": permit,
        "signers": [(department_label(d), d in signed) for d in permit.signer_list],
        "can_sign": permits_to_sign(actor=actor).filter(pk=permit.pk).exists(),
        **fill_panel(actor, permit),
    }


def department_label(department: str) -> str:
    """A signing department as the UI names it (translated), not as the permit prints it."""
    if department in TaskDepartment.values:
        return str(TaskDepartment(department).label)
    return Department(department).label


@dataclass(frozen=True)
class PlannedBus:
    """A bus of the plan in force that carries workers of an application, as transport's task shows
    it: what its road pass says (stored, or as it will be drafted), who has signed it, and the toll
    stations to choose from along its route. ``values`` are the fields transport confirms, blank
    where still 待定."""

    vehicle: PlanVehicle
    riders: int  # the application's workers on it
    permit: Permit | None
    road_pass: core_permits.RoadPass
    signed: tuple[str, ...]
    values: dict[str, str]
    entry_choices: tuple[str, ...]
    exit_choices: tuple[str, ...]

    @property
    def fixed(self) -> bool:
        """Signed by someone already: its fields can no longer change."""
        return bool(self.signed)

    @property
    def signed_labels(self) -> list[str]:
        return [department_label(d) for d in self.signed]


def application_buses(app_ids: Collection[int]) -> dict[int, list[PlannedBus]]:
    """The plan in force's buses carrying each of ``app_ids`` (first legs), in departure order, with
    their road passes: a fixed number of queries whatever the number of applications and buses."""
    run = latest_done_run()
    if run is None or not app_ids:
        return {}
    riders = (
        PlanSeat.objects.filter(
            run=run, leg=0, application_id__in=list(app_ids), vehicle__kind=PlanVehicle.Kind.BUS
        )
        .values_list("application_id", "vehicle_id")
        .annotate(n=Count("pk"))
    )
    by_app: dict[int, dict[int, int]] = {}
    for app_id, vehicle_id, n in riders:
        by_app.setdefault(app_id, {})[vehicle_id] = n
    vehicle_ids = {v for counts in by_app.values() for v in counts}
    vehicles = {v.pk: v for v in PlanVehicle.objects.filter(pk__in=vehicle_ids)}
    passes = road_passes(run, [v.key for v in vehicles.values()])
    signed: dict[int, tuple[str, ...]] = {p.pk: () for p in passes.values()}
    for permit_pk, dept in PermitSignature.objects.filter(permit__in=list(passes.values())).values_list(
        "permit_id", "department"
    ):
        signed[permit_pk] = (*signed[permit_pk], dept)
    counties: dict[int, Counter[str]] = {}
    for vehicle_id, county in PlanSeat.objects.filter(vehicle_id__in=vehicle_ids, leg=0).values_list(
        "vehicle_id", "worker__pickup_county_code"
    ):
        counties.setdefault(vehicle_id, Counter())[county] += 1
    home = require_home_city()
    buses: dict[int, PlannedBus] = {}
    for vehicle in vehicles.values():
        permit = passes.get(vehicle.key)
        draft = vehicle_draft(vehicle)
        if permit is not None:
            rp = core_permits.permit_from_body(permit.body.encode("utf-8"))
        elif draft is not None:
            rp = drafted_road_pass(vehicle, draft, home.organiser)
        else:  # an old dispatched bus with neither: nothing to confirm or sign here
            continue
        assert isinstance(rp, core_permits.RoadPass)
        unready = core_permits.placeholder_fields(rp)
        pickups = [c for c, _ in counties.get(vehicle.pk, Counter()).most_common()]
        entry, exit_ = toll_choices(pickups, rp, home.name)
        buses[vehicle.pk] = PlannedBus(
            vehicle=vehicle, riders=0, permit=permit, road_pass=rp,
            signed=signed.get(permit.pk, ()) if permit is not None else (),
            values={f: "" if f in unready else str(getattr(rp, f)) for f in FILLABLE_FIELDS},
            entry_choices=entry, exit_choices=exit_,
        )  # fmt: skip
    return {
        app_id: sorted(
            (dataclasses.replace(buses[v], riders=n) for v, n in counts.items() if v in buses),
            key=lambda b: (b.vehicle.departs, b.vehicle.key),
        )
        for app_id, counts in by_app.items()
    }


def road_pass_counts(run: PlanRun) -> dict[str, int]:
    passes = road_passes(run).values()
    return {
        "buses": PlanVehicle.objects.filter(run=run, kind=PlanVehicle.Kind.BUS).count(),
        "passes": len(passes),
        "issued": sum(p.state == PermitState.ISSUED for p in passes),
    }


# ------------------------------------------------------------------------------------- manifests

MANIFEST_HEADERS = ["座位", "姓名", "身份证号", "手机号", "上车地点", "目的企业", "健康码", "返岗互认"]


@dataclass(frozen=True)
class ManifestRow:
    """One passenger of a 乘客信息登记表: ``person`` is masked unless the full list was asked for."""

    seat: str
    name: str
    person: PersonOut
    pickup: str
    enterprise: str
    health: str
    application_id: int
    # the boarding check's view of the passenger (``teams.boarding``): 已互认, the refusal's reason
    # or 无需互认 where boarding does not check
    recognition: str = ""
    recognised: bool = True

    def cells(self) -> list[str]:
        """The row under ``MANIFEST_HEADERS`` (the .xlsx and the PDF)."""
        p = self.person
        return [
            self.seat, self.name, p.id_number, p.phone, self.pickup, self.enterprise, self.health,
            self.recognition,
        ]  # fmt: skip


def manifest(
    actor: Any, vehicle: PlanVehicle, *, full: bool = False, export: bool = False
) -> list[ManifestRow]:
    """The vehicle's 乘客信息登记表 for an actor ``vehicle_for`` let through: masked, or with ``full``
    the copy that travels with the vehicle and goes to the health authority (roles with personal-data
    rights only; a refusal is audited and raised). One audit event per read, with the row count."""
    authorize(actor, "plan.manifest", vehicle)
    seats = sorted(
        PlanSeat.objects.filter(vehicle=vehicle).select_related("worker", "application__enterprise"),
        key=lambda s: (seat_sort_key(s.seat), s.pk),
    )
    workers = [s.worker for s in seats]
    if full:
        people = people_reveal(
            actor=actor, records=workers, object_type="plan_manifest", object_id=vehicle.pk,
            data={"run": vehicle.run_id},
        )  # fmt: skip
    else:
        people = [person_out(w) for w in workers]
        audit_list_read(
            actor=actor, what="plan_manifest", rows=len(seats), filters={"run": vehicle.run_id},
            export=export, object_id=vehicle.pk,
        )  # fmt: skip
    # as the boarding scan would judge them at departure (now, once the vehicle has left)
    recognitions = boarding_recognitions(workers, max(vehicle.departs, timezone.now()))
    return [
        ManifestRow(
            seat=s.seat,
            name=s.worker.name,
            person=person,
            pickup=(
                vehicle.origin_name
                if vehicle.kind == "shuttle"
                else regions.full_name_or_code(s.worker.pickup_county_code)
            ),
            enterprise=s.application.enterprise.name,
            health=s.worker.get_health_code_display(),
            application_id=s.application_id,
            recognition=recognitions[s.worker_id].label,
            recognised=recognitions[s.worker_id].recognised,
        )
        for s, person in zip(seats, people, strict=True)
    ]


# ------------------------------------------------------------------------------------ unassigned


def unassigned(
    actor: Any, run: PlanRun, limit: int = 200, *, export: bool = False
) -> tuple[list[dict[str, Any]], int]:
    """The workers of ``run`` without a seat and why (names: the read is audited once)."""
    qs = (
        PlanSeat.objects.filter(run=run, vehicle__isnull=True)
        .select_related("worker", "application__enterprise")
        .order_by("reason", "application_id", "pk")
    )
    total = qs.count()
    rows = []
    for s in qs[:limit]:
        rows.append(
            {
                "name": s.worker.name,
                "application": s.application_id,
                "enterprise": s.application.enterprise.name,
                "county": regions.full_name_or_code(s.worker.pickup_county_code),
                "reason": s.reason,
                "reason_label": REASON_LABELS.get(s.reason, s.reason),
                "detail": s.detail,
            }
        )
    audit_list_read(
        actor=actor,
        what="plan_unassigned",
        rows=len(rows),
        total=total,
        filters={"run": run.pk},
        export=export,
    )
    return rows, total


# ------------------------------------------------------------------------------------------ late


def late_workers(actor: Any, run: PlanRun, limit: int = 200) -> tuple[list[dict[str, Any]], int]:
    """The workers the plan carries but brings after their application's deadline, most hours
    over first (names: the read is audited once)."""
    qs = (
        PlanSeat.objects.filter(run=run, leg=0, minutes_late__gt=0)
        .select_related("worker", "application__enterprise", "vehicle")
        .order_by("-minutes_late", "application_id", "pk")
    )
    total = qs.count()
    rows = []
    for s in qs[:limit]:
        v = s.vehicle
        rows.append(
            {
                "name": s.worker.name,
                "application": s.application_id,
                "enterprise": s.application.enterprise.name,
                "county": regions.full_name_or_code(s.worker.pickup_county_code),
                "vehicle": v,
                "vehicle_label": vehicle_label(v) if v else "",
                "arrives": s.arrives,
                "deadline": s.application.deadline_at,
                "hours_over": round(s.minutes_late / 60, 1),
            }
        )
    audit_list_read(actor=actor, what="plan_late", rows=len(rows), total=total, filters={"run": run.pk})
    return rows, total


def vehicle_label(v: PlanVehicle) -> str:
    """A vehicle's kind as a passenger's leg: a feeder bus (to a train) is 接站车, not 包车."""
    if v.kind == PlanVehicle.Kind.BUS and v.feeds:
        return f"{_('接站车')} {v.name} → {v.feeds}"
    return f"{KIND_LABELS.get(v.kind, v.kind)} {v.name}"


def train_requests(run: PlanRun) -> list[dict[str, Any]]:
    """The special trains the plan proposes to request, with their times as datetimes, and
    whether each is already entered as a train slot."""
    entered = set(
        TrainSlot.objects.filter(name=TRAIN_REQUEST_NAME).values_list("origin_station", "departs", "state")
    )
    out = []
    for i, t in enumerate(run.train_requests or []):
        departs = datetime.fromisoformat(t["departs_earliest"])
        state = next((st for o, d, st in entered if o == t["origin_station"] and d == departs), "")
        out.append(
            {
                **t,
                "index": i,
                "departs_earliest": departs,
                "departs_latest": datetime.fromisoformat(t["departs_latest"]),
                "journey_hours": round(t["journey_min"] / 60, 1),
                "slot_state": state,
            }
        )
    return out


# ----------------------------------------------------------------------------------- enterprise


# What happens next to a worker the plan leaves out or brings late, and what the enterprise can do.
NEXT_STEPS: dict[str, tuple[Any, Any]] = {
    "health": (
        gettext_lazy("本次不安排出行"),
        gettext_lazy("健康码转绿、体温正常后，移除该员工并另行申请"),
    ),
    "origin_risk": (
        gettext_lazy("出发地风险等级降低前不安排出行"),
        gettext_lazy("移除该员工，出发地降为低风险后另行申请"),
    ),
    "no_legal_way_in_time": (
        gettext_lazy("专班处理：申请加开专列、与企业商定延长时限或接受超时"),
        gettext_lazy("联系专班商定到厂时间，或移除该员工"),
    ),
    "no_capacity": (
        gettext_lazy("下一次排班时优先安排"),
        gettext_lazy("无需操作；如急需到岗请联系专班"),
    ),
    "unknown_origin": (
        gettext_lazy("无法排班"),
        gettext_lazy("在名单中改正接送区县后重新上传"),
    ),
    "late": (
        gettext_lazy("按计划出行，预计超过时限到厂；专班会接受超时或另行安排"),
        gettext_lazy("与专班确认到厂时间，安排好厂门接收"),
    ),
}


def enterprise_seats(actor: Any) -> tuple[PlanRun | None, list[dict[str, Any]]]:
    """An enterprise user's own workers in the latest plan (masked): each seat with its vehicle's
    departure (dispatched or not); each worker left out or late with what happens next and what the
    enterprise can do (``NEXT_STEPS``)."""
    authorize(actor, "plan.seats")
    profile = profile_of(actor)
    run = latest_done_run()
    if run is None:
        return None, []
    seats = (
        PlanSeat.objects.filter(run=run, enterprise_id=profile.enterprise_id)
        .select_related("worker", "vehicle", "vehicle__dispatch")
        .order_by("worker__name", "leg")
    )
    rows = []
    for s in seats:
        v = s.vehicle
        dispatch = getattr(v, "dispatch", None) if v else None
        step = s.reason or ("late" if s.minutes_late else "")
        nxt, can_do = NEXT_STEPS.get(step, ("", ""))
        rows.append(
            {
                "name": s.worker.name,
                "id_number": person_out(s.worker).id_number,
                "application_id": s.application_id,
                "leg": s.leg + 1 if v else "",
                "vehicle": vehicle_label(v) if v else "",
                "seat": s.seat,
                "departs": v.departs if v else None,
                "arrives": v.arrives if v else None,
                "dispatched_at": dispatch.dispatched_at if dispatch else None,
                "reason": REASON_LABELS.get(s.reason, s.reason) if s.reason else "",
                "hours_late": round(s.minutes_late / 60, 1) if s.minutes_late else 0,
                "next": nxt,
                "can_do": can_do,
            }
        )
    audit_list_read(actor=actor, what="plan_seat", rows=len(rows), filters={"run": run.pk})
    return run, rows


# ------------------------------------------------------------------------------------------ map


def map_data(run: PlanRun) -> dict[str, Any]:
    """Route lines by kind, ``[lon, lat]`` per stop, for the ECharts map."""
    lines: dict[str, list[dict[str, Any]]] = {"train": [], "bus": [], "shuttle": []}
    for v in (
        PlanVehicle.objects.filter(run=run)
        .order_by("kind", "key")
        .only("key", "kind", "name", "passengers", "origin_name", "destination_name", "detail")
    ):
        stops = v.detail.get("stops", [])
        coords = [[s["lon"], s["lat"]] for s in stops]
        if len(coords) < 2:
            continue
        lines.setdefault(v.kind, []).append(
            {
                "id": v.pk,
                "name": f"{KIND_LABELS.get(v.kind, v.kind)} {v.name}",
                "from": v.origin_name,
                "to": v.destination_name,
                "value": v.passengers,
                "coords": coords,
            }
        )
    city = require_home_city()
    stations = [{"name": s.name, "value": [s.lon, s.lat]} for s in regions.stations()]
    return {
        "city": {"name": city.display_name, "coord": [city.lon, city.lat]},
        "lines": lines,
        "stations": stations,
    }
