"""Plan runs: request (task force, idempotent, enqueued on commit), execute (claimed once), dispatch.

A run maps the accepted (and already planned) return applications, the resources and the rules to a
``core.planning.PlanRequest``, calls ``plan_campaign`` (or ``replan`` around the vehicles an earlier
run has dispatched), stores the vehicles and seats as rows and the whole ``PlanResult`` as gzipped
JSON, marks the applications with a seat ``planned`` and flags the ones whose workers have no legal
way to arrive in time (``applications.services.application_flag_at_risk``). Once the run is done,
its workers' e-tickets are issued (``trips.services.tickets.tickets_issue``, re-issuing only what
changed).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from homeward.apps.accounts.policy import PLANNER, authorize, authorized, user_of
from homeward.apps.applications.models import (
    ApplicationState,
    ApplicationWorker,
    DepartmentTask,
    ReturnApplication,
    TaskKind,
)
from homeward.apps.audit.runs import (
    ACTIVE_STATES,
    RunLease,
    run_claim,
    run_enqueue,
    run_fail,
    run_finish_or_abandon,
    run_lease,
    runs_expire,
)
from homeward.apps.audit.services import audit_record
from homeward.apps.planning import serialize
from homeward.apps.planning.models import (
    HOME_BASE,
    Coach,
    Dispatch,
    Driver,
    MedicalEscort,
    PlanRun,
    PlanSeat,
    PlanVehicle,
    TrainSlot,
)
from homeward.apps.registry.models import Enterprise, HomeCity
from homeward.apps.registry.selectors import home_stations, require_home_city
from homeward.core import planning as core
from homeward.core import regions
from homeward.core.errors import Conflict, DomainError, NotFound
from homeward.core.planning.model import REASON_NO_LEGAL_WAY

if TYPE_CHECKING:
    from homeward.core.planning.model import TrainSlotState

log = logging.getLogger(__name__)

# in_transit: its dispatched vehicles are kept as they are, its other workers still need seats
PLAN_STATES = (ApplicationState.ACCEPTED, ApplicationState.PLANNED, ApplicationState.IN_TRANSIT)
DEFAULT_STOP = core.StopCriterion()
REASON_LABELS = {
    "health": gettext_lazy("健康码非绿码 / 发热，不能出行"),
    "origin_risk": gettext_lazy("出发地风险等级不允许出行"),
    "no_legal_way_in_time": gettext_lazy("无法在时限内合法到达"),
    "no_capacity": gettext_lazy("车辆或座位不足"),
    "unknown_origin": gettext_lazy("接送区县不是现行区县代码"),
}
# A crew place the pools could not fill, as stored in a plan's vehicles (pages show it translated).
UNSTAFFED = "待派"
KIND_LABELS = {str(kind): label for kind, label in PlanVehicle.Kind.choices}  # 专列, Train …
_HOUR = timedelta(hours=1)


def latest_done_run() -> PlanRun | None:
    """The plan in force: the last run that finished."""
    return PlanRun.objects.in_force_first().first()


# ------------------------------------------------------------------------------------------ request


def plan_run_request(
    *,
    actor: Any,
    seed: int = 0,
    stop: core.StopCriterion | None = None,
    now: datetime | None = None,
    reason: str = "manual",
    enqueue: bool = True,
) -> PlanRun:
    """Queue a plan run (task force only). Idempotent: while a run is queued or running, that run is
    returned — unless its lease expired, then it is failed as abandoned and a new one starts. The
    task is enqueued once the transaction commits (``enqueue=False``: the caller runs
    ``plan_run_execute_now`` itself, as the CLI does)."""
    authorize(actor, "plan.request")
    if not -(2**31) <= seed < 2**31:
        raise DomainError("种子超出范围 (seed out of range)", "plan_bad_seed")
    stop = stop or DEFAULT_STOP
    runs_expire(PlanRun, actor=actor)
    with transaction.atomic():
        active = PlanRun.objects.select_for_update().filter(state__in=ACTIVE_STATES).order_by("pk").first()
        if active is not None:
            return active
        run = PlanRun.objects.create(
            seed=seed,
            stop=serialize.stop_dict(stop),
            plan_time=now,
            reason=reason[:50],
            created_by=user_of(actor),
        )
        audit_record(
            actor=actor, action="plan.request", object_type="plan_run", object_id=run.pk,
            data={"seed": seed, "stop": run.stop, "reason": reason[:50]},
        )  # fmt: skip
        if enqueue:
            run_id = run.pk
            transaction.on_commit(lambda: _enqueue(run_id))
    return run


def _enqueue(run_id: int) -> None:
    from homeward.apps.planning.tasks import plan_run_execute

    run_enqueue(PlanRun, run_id, plan_run_execute)


# ---------------------------------------------------------------------------------------- the input


def enterprise_point(enterprise: Enterprise, home: HomeCity) -> core.Point:
    """The factory gate: the enterprise's town seat (the city's point when the town has none),
    spread by a stable hash of its credit code (the registry has no addresses yet)."""
    town = enterprise.town if enterprise.town_id else None
    if town is not None and town.lat is not None and town.lon is not None:
        lat, lon = town.lat, town.lon
    else:
        lat, lon = home.lat, home.lon
    h = hashlib.sha256(f"{enterprise.pk}:{enterprise.uscc}".encode()).digest()
    dlat = (int.from_bytes(h[:4], "big") / 2**32 - 0.5) * 0.05
    dlon = (int.from_bytes(h[4:8], "big") / 2**32 - 0.5) * 0.05
    return core.Point(round(lat + dlat, 5), round(lon + dlon, 5))


def core_home(home: HomeCity) -> core.HomeCity:
    """The set-up home city as the planner sees it: its point (where its own coaches start), its
    province (the road pass's last) and its arrival stations in use, the default first."""
    province = regions.province_of(home.code)
    return core.HomeCity(
        name=home.display_name,
        point=core.Point(home.lat, home.lon),
        province=province.code if province else home.code[:2] + "0000",
        stations=tuple(s.name for s in home_stations()),
        base=HOME_BASE,
    )


@dataclass
class PlanInput:
    request: core.PlanRequest
    worker_app: dict[str, tuple[int, int]]  # worker row id → (application id, enterprise id)
    applications: int
    workers: int
    home: HomeCity


def build_request(
    *,
    now: datetime,
    seed: int,
    stop: core.StopCriterion,
    rules: core.Rules | None = None,
    as_planned: bool = False,
) -> PlanInput:
    """Accepted and planned applications with their active workers (not those who declined), granted train slots, active
    coaches, county risk levels and the home city → ``PlanRequest``. Conflict ``home_city_not_set``
    before the city is set up. A plan as of ``now`` knows only the applications accepted by then
    (within its minute): a plan of a past day, such as the demo's campaign day, leaves out what was
    accepted after it. ``as_planned``: the day as it stood then, also with the applications whose
    workers have all arrived since (``homeward bench plan`` plans the whole demo day, whatever hour
    it was built at)."""
    from homeward.apps.registry.models import CountyRisk

    home = require_home_city()
    known_by_now = Q(accepted_at__isnull=True) | Q(accepted_at__lt=now + timedelta(minutes=1))
    states = (*PLAN_STATES, ApplicationState.COMPLETED) if as_planned else PLAN_STATES
    apps = list(
        ReturnApplication.objects.filter(known_by_now, state__in=states)
        .select_related("enterprise", "enterprise__town")
        .order_by("pk")
    )
    rows: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for pk, app_id, county, health in (
        # a worker who declined the trip on their own page is left out (their seat goes to others)
        ApplicationWorker.objects.filter(application__state__in=states, active=True, declined_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "application_id", "pickup_county_code", "health_code")
    ):
        rows[app_id].append((pk, county, health))
    applications: list[core.Application] = []
    worker_app: dict[str, tuple[int, int]] = {}
    for app in apps:
        ws = rows.get(app.pk)
        if not ws:
            continue
        ent = app.enterprise
        deadline = app.deadline_at or (now + (app.deadline_hours or 30) * _HOUR)
        for pk, _, _ in ws:
            worker_app[str(pk)] = (app.pk, ent.pk)
        applications.append(
            core.Application(
                id=str(app.pk),
                enterprise_id=str(ent.pk),
                enterprise_name=ent.name,
                destination=enterprise_point(ent, home),
                deadline=deadline,
                workers=tuple(
                    core.WorkerDemand(str(pk), county, health == "green") for pk, county, health in ws
                ),
                pickup_from=app.pickup_from,
            )
        )
    slots = tuple(
        core.TrainSlot(
            id=str(s.pk),
            name=s.name,
            origin_station=s.origin_station,
            destination_station=s.destination_station,
            departs=s.departs,
            arrives=s.arrives,
            seats=s.seats,
            load_cap_pct=s.load_cap_pct,
            state=cast("TrainSlotState", s.state),
        )  # fmt: skip
        for s in TrainSlot.objects.filter(state=TrainSlot.State.GRANTED).order_by("departs", "pk")
    )
    coaches = tuple(
        core.Coach(c.plate, c.seats, c.carrier, c.base, c.cost_per_km_fen, c.cost_per_day_fen)
        for c in Coach.objects.filter(active=True).order_by("pk")
    )
    risk = tuple(
        sorted(
            (code, level)
            for code, level in CountyRisk.objects.exclude(level="low").values_list("county_code", "level")
        )
    )
    request = core.PlanRequest(
        now=now,
        applications=tuple(applications),
        train_slots=slots,
        coaches=coaches,
        origin_risk=risk,
        rules=rules or core.Rules(),
        seed=seed,
        stop=stop,
        home=core_home(home),
    )
    return PlanInput(request, worker_app, len(applications), len(worker_app), home)


# ---------------------------------------------------------------------------------------- execution


def _progress(lease: RunLease, lo: int, hi: int) -> Callable[[int, str], None]:
    """The core's ``progress(percent, stage)`` as the run's progress, ``lo``..``hi`` percent, and its
    stage (written by the lease's thread)."""

    def progress(percent: int, stage: str) -> None:
        done = max(0, min(100, percent))
        lease.progress(stage=f"solve: {stage}"[:50], progress=lo + (hi - lo) * done // 100)

    return progress


def plans_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "plans"


def _dispatches(run: PlanRun | None) -> dict[str, Dispatch]:
    """The dispatched vehicles of ``run`` by vehicle key (a re-plan keeps them)."""
    if run is None:
        return {}
    return {d.vehicle.key: d for d in Dispatch.objects.filter(vehicle__run=run).select_related("vehicle")}


def plan_run_execute_now(run_id: int) -> str:
    """queued → running (claimed once by a conditional UPDATE, under a lease) → done/failed. Returns
    the final state, or ``"skipped"`` when the run was not queued."""
    if not run_claim(PlanRun, run_id, progress=1, stage="input"):
        return "skipped"
    run = PlanRun.objects.get(pk=run_id)
    with run_lease(PlanRun, run_id) as lease:
        try:
            summary = _execute(run, lease)
        except Exception as exc:
            log.exception("plan run %s failed", run_id)
            run_fail(PlanRun, run_id, exc)
            audit_record(
                actor=PLANNER, action="plan.failed", object_type="plan_run", object_id=run_id,
                data={"reason": getattr(exc, "code", "internal")},
            )  # fmt: skip
            return PlanRun.State.FAILED.value
    audit_record(actor=PLANNER, action="plan.done", object_type="plan_run", object_id=run_id, data=summary)
    _issue_tickets(run_id)
    return PlanRun.State.DONE.value


def _issue_tickets(run_id: int) -> None:
    """Tickets for the plan now in force (``trips.services.tickets``), after the run is stored: a
    failure to issue leaves the plan done and is audited (``tickets_issue`` again repairs it)."""
    from homeward.apps.trips.services.tickets import tickets_issue

    try:
        tickets_issue(actor=PLANNER, run_id=run_id)
    except DomainError as exc:
        log.warning("tickets of plan run %s not issued: %s", run_id, exc.code)
        audit_record(
            actor=PLANNER, action="tickets.failed", object_type="plan_run", object_id=run_id,
            data={"reason": exc.code},
        )  # fmt: skip


def _basis(last: PlanRun | None, dispatched: dict[str, Dispatch]) -> dict[str, Any]:
    """What a run reads of the dispatch register: the plan in force and the ids of its dispatches."""
    return {"run": last.pk if last else None, "dispatches": sorted(d.pk for d in dispatched.values())}


def _require_same_basis(run: PlanRun, basis: dict[str, Any]) -> None:
    """In the storing transaction: the plan in force and its dispatches are still what the run read
    (``vehicle_dispatch`` locks the same plan row, so none can slip in before the commit)."""
    last = latest_done_run()
    if last is not None:
        PlanRun.objects.select_for_update().filter(pk=last.pk).first()
    if _basis(last, _dispatches(last)) != basis:
        raise Conflict(
            f"排班 #{run.pk} 运行期间有车辆登记发车，结果已作废，请重新排班 (vehicles were dispatched "
            "while the plan ran; its result was discarded — request a new plan)",
            "stale",
        )


def _execute(run: PlanRun, lease: RunLease) -> dict[str, Any]:
    t0 = time.perf_counter()
    # whole minutes: the planner counts in minutes after ``now``, and a re-plan's carried vehicles
    # must land on the same minute grid as the run that planned them
    now = (run.plan_time or timezone.now()).replace(second=0, microsecond=0)
    stop = core.StopCriterion(**run.stop) if run.stop else DEFAULT_STOP
    last = latest_done_run()
    dispatched = _dispatches(last)
    basis = _basis(last, dispatched)
    PlanRun.objects.filter(pk=run.pk).update(plan_time=now, basis=basis)
    data = build_request(now=now, seed=run.seed, stop=stop)
    request = data.request
    t_input = time.perf_counter() - t0
    lease.progress(stage="solve", progress=10)
    previous = last if dispatched else None  # re-plan around what is already on the road
    progress = _progress(lease, 10, 85)
    if previous is not None:
        result = _replan(previous, request, frozenset(dispatched), progress)
    else:
        result = core.plan_campaign(request, progress=progress)
    t_solve = time.perf_counter() - t0 - t_input
    problems = core.check_plan(request, result)
    if problems:
        raise DomainError(f"计划未通过检查 (plan failed its checks): {problems[:3]}", "plan_unsound")
    lease.progress(stage="store", progress=88)
    path = plans_dir() / f"run-{run.pk}.json.gz"
    try:
        with transaction.atomic():
            _require_same_basis(run, basis)
            serialize.write_result(path, result)
            _store(run, data, result, dispatched)
            planned, flagged, cleared = _mark_applications(run, data, result)
            kpis = dict(result.kpis)
            kpis["seconds_total"] = round(time.perf_counter() - t0, 3)
            kpis["seconds_input"] = round(t_input, 3)
            kpis["seconds_solve"] = round(t_solve, 3)
            kpis["applications"] = data.applications
            run_finish_or_abandon(
                PlanRun,
                run.pk,
                state=PlanRun.State.DONE,
                progress=100,
                stage="done",
                kpis=kpis,
                baseline=_baseline(kpis),
                solver=result.solver[:40],
                result_path=str(path.relative_to(settings.MEDIA_ROOT)),
                train_requests=[serialize.train_request_dict(t) for t in result.train_requests],
                previous=previous,
            )
    except BaseException:
        path.unlink(missing_ok=True)  # nothing of a run that did not store stays behind
        raise
    return {
        "workers": int(kpis.get("workers", 0)),
        "assigned": int(kpis.get("assigned", 0)),
        "buses": int(kpis.get("buses", 0)),
        "trains": int(kpis.get("trains", 0)),
        "planned_applications": planned,
        "at_risk": flagged,
        "at_risk_cleared": cleared,
        "replanned_around": len(dispatched),
    }


def _baseline(kpis: dict[str, Any]) -> dict[str, Any]:
    return {
        "buses": kpis.get("baseline_buses"),
        "vehicle_km": kpis.get("baseline_vehicle_km"),
        "buses_same_split": kpis.get("baseline_buses_same_split"),
        "vehicle_km_same_split": kpis.get("baseline_vehicle_km_same_split"),
    }


# ----------------------------------------------------------------------------------------- re-plan


def _replan(
    previous: PlanRun,
    request: core.PlanRequest,
    dispatched: frozenset[str],
    progress: Callable[[int, str], None],
) -> core.PlanResult:
    """Plan around the dispatched vehicles of ``previous``: they keep every worker on the same seat."""
    prev = serialize.read_result(Path(settings.MEDIA_ROOT) / previous.result_path)
    return core.replan(prev, request, dispatched, progress=progress)


# -------------------------------------------------------------------------------------------- store


def _place_name(code: str) -> str:
    r = regions.get(code) if code and code.isdigit() else None
    return r.name if r is not None else code


def _stops_json(v: core.Vehicle, home: HomeCity) -> list[dict[str, Any]]:
    return [
        {
            "k": s.kind,
            "place": s.place,
            "lat": round(s.point.lat, 4),
            "lon": round(s.point.lon, 4),
            "a": s.arrive.isoformat(),
            "d": s.depart.isoformat(),
            "on": len(s.board),
            "off": len(s.alight),
        }  # fmt: skip
        for s in v.stops
    ]


def _names_by_base(model: type[Driver | MedicalEscort]) -> dict[str, list[str]]:
    pool: dict[str, list[str]] = defaultdict(list)
    for name, base in model.objects.filter(active=True).order_by("pk").values_list("name", "base"):
        pool[base].append(name)
    return pool


def _crew(runs: list[core.Vehicle]) -> dict[str, dict[str, list[str]]]:
    """Named drivers and escorts from the pools, by base then from the home city's, first come first
    served; a vehicle the pools cannot staff shows "待派" (to be assigned)."""
    drivers, escorts = _names_by_base(Driver), _names_by_base(MedicalEscort)

    def take(pool: dict[str, list[str]], base: str, n: int) -> list[str]:
        out: list[str] = []
        for key in (base, HOME_BASE):
            while len(out) < n and pool.get(key):
                out.append(pool[key].pop())
        return out + [UNSTAFFED] * (n - len(out))

    crew: dict[str, dict[str, list[str]]] = {}
    for v in runs:
        base = HOME_BASE if v.kind in ("shuttle", "train") else v.base
        crew[v.id] = {"drivers": take(drivers, base, v.drivers), "escorts": take(escorts, base, v.escorts)}
    return crew


def _store(run: PlanRun, data: PlanInput, result: core.PlanResult, dispatched: dict[str, Dispatch]) -> None:
    crew = _crew(list(result.vehicles))
    rows = []
    for v in result.vehicles:
        first = v.stops[0] if v.stops else None
        # where the passengers get off (an origin-side coach then drives back to its base)
        last = next((s for s in reversed(v.stops) if s.kind in ("drop", "station_arrive")), None)
        last = last or (v.stops[-1] if v.stops else None)
        origin = (
            v.stops[0].place
            if v.kind == "train" and v.stops
            else _place_name(v.origin_area) or data.home.name
        )
        rows.append(
            PlanVehicle(
                run=run,
                key=v.id,
                kind=v.kind,
                name=v.name[:40],
                base=v.base[:8],
                origin_area=v.origin_area[:6] if v.origin_area.isdigit() else "",
                origin_name=origin[:60],
                destination_name=(last.place if last else "")[:60],
                seats=v.seats,
                seat_cap=v.seat_cap,
                passengers=len(v.manifest),
                km=v.km,
                departs=first.depart if first else data.request.now,
                arrives=last.arrive if last else data.request.now,
                drivers=v.drivers,
                escorts=v.escorts,
                deadline_met=v.deadline_met,
                feeds=v.feeds[:40],
                cost_fen=v.cost.total_fen,
                detail={
                    "stops": _stops_json(v, data.home),
                    "drive": [[d.driver, d.start.isoformat(), d.end.isoformat()] for d in v.drive],
                    "kit": {
                        "masks": v.kit.masks,
                        "thermometers": v.kit.thermometers,
                        "disinfectant_ml": v.kit.disinfectant_ml,
                    },
                    "cost": {
                        "total_fen": v.cost.total_fen,
                        "government_fen": v.cost.government_fen,
                        "enterprise_fen": v.cost.enterprise_fen,
                        "worker_fen": v.cost.worker_fen,
                    },
                    "crew": crew.get(v.id, {}),
                    # the bus's road pass as the planner drafted it; ``permits.plan_permits_draft``
                    # turns it into a permit awaiting the departments' signatures
                    **({"permit": serialize.permit_draft_dict(v.permit)} if v.permit is not None else {}),
                },
            )
        )
    PlanVehicle.objects.bulk_create(rows, batch_size=500)
    by_key = dict(PlanVehicle.objects.filter(run=run).values_list("key", "pk"))
    late = {x.worker_id: x for x in result.late}
    seats = []
    for a in result.assignments:
        app_id, ent_id = data.worker_app.get(a.worker_id, (0, 0))
        if not app_id:  # a worker carried on a dispatched vehicle who left the application since
            continue
        over = late.get(a.worker_id) if a.leg == 0 else None
        seats.append(
            PlanSeat(
                run=run,
                vehicle_id=by_key[a.vehicle_id],
                leg=a.leg,
                seat=a.seat[:16],
                worker_id=int(a.worker_id),
                application_id=app_id,
                enterprise_id=ent_id,
                arrives=over.arrives if over else None,
                minutes_late=over.minutes_over if over else 0,
            )  # fmt: skip
        )
    for u in result.unassigned:
        app_id, ent_id = data.worker_app[u.worker_id]
        seats.append(
            PlanSeat(
                run=run,
                vehicle=None,
                leg=0,
                worker_id=int(u.worker_id),
                application_id=app_id,
                enterprise_id=ent_id,
                reason=u.reason[:24],
                detail=u.detail[:200],
            )  # fmt: skip
        )
    PlanSeat.objects.bulk_create(seats, batch_size=2000)
    # the re-plan carried the dispatched vehicles over: so does their dispatch
    Dispatch.objects.bulk_create(
        [
            Dispatch(
                vehicle_id=by_key[k],
                dispatched_at=d.dispatched_at,
                dispatched_by_id=d.dispatched_by_id,
                note=d.note,
            )
            for k, d in dispatched.items()
            if k in by_key
        ]
    )


def _mark_applications(run: PlanRun, data: PlanInput, result: core.PlanResult) -> tuple[int, int, int]:
    """accepted → planned for every application with a seat (conditional UPDATE, one audit event
    each); at-risk flags set for applications with workers who cannot make it in time, cleared for
    the others that had one."""
    from homeward.apps.applications.services import application_flag_at_risk, case_late_task_sync

    seated = {
        data.worker_app[a.worker_id][0]
        for a in result.assignments
        if a.leg == 0 and a.worker_id in data.worker_app
    }
    to_plan = list(
        ReturnApplication.objects.filter(pk__in=seated, state=ApplicationState.ACCEPTED).values_list(
            "pk", flat=True
        )
    )
    planned = 0
    for chunk in range(0, len(to_plan), 500):
        ids = to_plan[chunk : chunk + 500]
        planned += ReturnApplication.objects.filter(pk__in=ids, state=ApplicationState.ACCEPTED).update(
            state=ApplicationState.PLANNED
        )
    for pk in to_plan:
        audit_record(
            actor=PLANNER, action="application.planned", object_type="application", object_id=pk,
            data={"from": "accepted", "plan_run": run.pk},
        )  # fmt: skip
    no_way: Counter[int] = Counter()
    for u in result.unassigned:
        if u.reason == REASON_NO_LEGAL_WAY:
            no_way[data.worker_app[u.worker_id][0]] += 1
    late: dict[int, list[int]] = defaultdict(list)  # application → minutes over, per late worker
    for x in result.late:
        if x.worker_id in data.worker_app:
            late[data.worker_app[x.worker_id][0]].append(x.minutes_over)
    flagged = 0
    for app_id in sorted(set(no_way) | set(late)):
        parts = []
        if late.get(app_id):
            hours = max(late[app_id]) / 60
            parts.append(
                f"{len(late[app_id])} 人预计超时到达，最多 {hours:.1f} 小时 (late, up to {hours:.1f} h)"
            )
        if no_way.get(app_id):
            parts.append(f"{no_way[app_id]} 人无法在时限内合法到达 (no legal way in time)")
        application_flag_at_risk(
            actor=PLANNER,
            application_id=app_id,
            at_risk=True,
            reason=f"计划 #{run.pk}: " + "；".join(parts),
        )
        flagged += 1
    in_plan = {app_id for app_id, _ in data.worker_app.values()}
    # a task for the task force where the plan makes workers late or leaves them out; an open one
    # where it no longer does is cancelled
    open_tasks = set(
        DepartmentTask.objects.filter(
            kind=TaskKind.LATE_ARRIVAL, state=DepartmentTask.State.OPEN, case__application_id__in=in_plan
        ).values_list("case__application_id", flat=True)
    )
    for app_id in sorted(set(no_way) | set(late) | open_tasks):
        minutes = late.get(app_id, [])
        what = {
            "plan_run": run.pk, "late_workers": len(minutes),
            "hours_over_max": round(max(minutes) / 60, 1) if minutes else 0, "no_legal_way": no_way.get(app_id, 0),
        }  # fmt: skip
        case_late_task_sync(
            actor=PLANNER, application_id=app_id, late=what if minutes or no_way.get(app_id) else None
        )
    cleared = 0
    for app_id in (
        ReturnApplication.objects.filter(pk__in=in_plan, at_risk=True)
        .exclude(pk__in=list(set(no_way) | set(late)))
        .values_list("pk", flat=True)
    ):
        application_flag_at_risk(actor=PLANNER, application_id=app_id, at_risk=False, reason="")
        cleared += 1
    return planned, flagged, cleared


# ----------------------------------------------------------------------------------- train requests

TRAIN_REQUEST_NAME = "加开专列"


def train_request_accept(*, actor: Any, run_id: int, index: int, granted: bool = False) -> TrainSlot:
    """Enter the plan's proposed special train ``index`` (0-based) as a train slot (task force):
    requested from the railway, or ``granted`` when the railway has agreed — a later plan then
    uses it. Departs at the start of the proposed window, with a special train's seats and load
    cap. Once only: accepting it again returns the same slot."""
    run = authorized(actor, "plan.train_request", PlanRun.objects.filter(state=PlanRun.State.DONE), run_id)
    asks = run.train_requests or []
    if not 0 <= index < len(asks):
        raise NotFound("找不到该建议专列 (no such proposed train)", "not_found")
    ask = serialize.train_request_from_dict(asks[index])
    origin = regions.station_by_name(ask.origin_station)
    dest = regions.station_by_name(ask.destination_station)
    rules = core.Rules()
    with transaction.atomic():
        slot, created = TrainSlot.objects.get_or_create(
            name=TRAIN_REQUEST_NAME,
            origin_station=ask.origin_station,
            departs=ask.departs_earliest,
            defaults={
                "origin_telecode": origin.telecode if origin else "",
                "destination_station": ask.destination_station,
                "destination_telecode": dest.telecode if dest else "",
                "arrives": ask.departs_earliest + timedelta(minutes=ask.journey_min),
                "seats": rules.train_request_seats,
                "load_cap_pct": rules.train_request_load_cap_pct,
                "state": TrainSlot.State.GRANTED if granted else TrainSlot.State.REQUESTED,
                "notes": f"计划 #{run.pk} 建议 (proposed by plan #{run.pk})"[:200],
            },
        )
        if created:
            audit_record(
                actor=actor, action="plan.train_request.accept", object_type="train_slot", object_id=slot.pk,
                data={"run": run.pk, "index": index, "granted": granted, **asks[index]},
            )  # fmt: skip
    return slot


# ----------------------------------------------------------------------------------------- dispatch


def vehicle_dispatch(*, actor: Any, vehicle_id: int, note: str = "") -> Dispatch:
    """Mark a vehicle of the latest done run as sent (task force); re-plans keep it. Once only. The
    planned applications with workers on it go to in_transit (``applications_depart``)."""
    from homeward.apps.applications.services.transit import applications_depart

    vehicle = authorized(actor, "plan.dispatch", PlanVehicle.objects.select_related("run"), vehicle_id)
    if vehicle.run.state != PlanRun.State.DONE:
        raise Conflict("该计划尚未完成 (the plan is not done)", "bad_state")
    with transaction.atomic():
        # the plan's row is locked before checking that it is in force: a plan run storing its result
        # locks it too, so a dispatch lands either before it (the run fails as stale) or after (here
        # refused as not of the latest plan), never lost between them
        PlanRun.objects.select_for_update().filter(pk=vehicle.run_id).first()
        latest = latest_done_run()
        if latest is None or latest.pk != vehicle.run_id:
            raise Conflict("只能登记最新计划的车辆 (only vehicles of the latest plan)", "stale_plan")
        dispatch, created = Dispatch.objects.get_or_create(
            vehicle=vehicle,
            defaults={
                "dispatched_at": timezone.now(),
                "dispatched_by": user_of(actor),
                "note": note[:200],
            },
        )
        if created:
            audit_record(
                actor=actor, action="plan.dispatch", object_type="plan_vehicle", object_id=vehicle.pk,
                data={"run": vehicle.run_id, "key": vehicle.key, "name": vehicle.name},
            )  # fmt: skip
            # the applications it carries are on the road (接返途中)
            applications_depart(actor=actor, vehicle=vehicle)
    return dispatch
