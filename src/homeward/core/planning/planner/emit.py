"""Step 4, emit: planned loads become vehicles — seats by boarding order, escorts and kits, a cost
ledger per vehicle, a road pass drafted for each bus — and the workers' assignments."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from homeward.core import regions
from homeward.core.planning.geo import road_km
from homeward.core.planning.model import (
    PLATE_PLACEHOLDER,
    REASON_NO_CAPACITY,
    Assignment,
    Coach,
    CostLedger,
    DriveSpan,
    Kit,
    Late,
    PermitDraft,
    Rules,
    Stop,
    Unassigned,
    Vehicle,
    VehicleKind,
)
from homeward.core.planning.planner.context import Context
from homeward.core.planning.planner.demand import Load, load_of
from homeward.core.planning.planner.schedule import Leg, Run, drivers_for, drop_legs, legs_km, simulate
from homeward.core.planning.planner.trains import TrainPlan


@dataclass(frozen=True, slots=True)
class Arrival:
    """When a worker reaches the factory, and on which vehicle."""

    worker_id: str
    application_id: str
    vehicle_id: str
    minute: int  # after ``now``


@dataclass(frozen=True, slots=True)
class Emitted:
    """Vehicles made by an emission step, their passengers' seats, the workers it could not seat,
    and when the passengers it drops at their factories arrive."""

    vehicles: tuple[Vehicle, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    unassigned: tuple[Unassigned, ...] = ()
    arrivals: tuple[Arrival, ...] = ()


@dataclass(slots=True)
class Plan:
    """The plan as the emission steps hand it in, in order."""

    vehicles: list[Vehicle] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    unassigned: list[Unassigned] = field(default_factory=list)
    arrivals: dict[str, Arrival] = field(default_factory=dict)  # by worker
    taken_ids: set[str] = field(default_factory=set)

    def add(self, part: Emitted) -> None:
        self.vehicles.extend(part.vehicles)
        self.assignments.extend(part.assignments)
        self.unassigned.extend(part.unassigned)
        for a in part.arrivals:
            self.arrivals[a.worker_id] = a

    def late(self, ctx: Context) -> list[Late]:
        """The workers who reach their factory after their application's deadline, by worker."""
        deadlines = {a.id: a.deadline for a in ctx.request.applications}
        out = []
        for w in sorted(self.arrivals):
            a = self.arrivals[w]
            due = ctx.due.get(a.application_id)
            if due is not None and a.minute > due:
                at = ctx.clock.at(a.minute)
                out.append(
                    Late(w, a.application_id, a.vehicle_id, at, deadlines[a.application_id], a.minute - due)
                )
        return out

    def fresh_id(self, vid: str) -> str:
        """``vid``, or ``vid-2``, ``vid-3``... if a kept vehicle already has it (re-planning)."""
        out, k = vid, 1
        while out in self.taken_ids:
            k += 1
            out = f"{vid}-{k}"
        self.taken_ids.add(out)
        return out


@dataclass(frozen=True, slots=True)
class VehicleSpec:
    """A bus or shuttle to emit: its loads as scheduled by ``run`` from ``base`` in ``coach``."""

    kind: VehicleKind
    vid: str
    loads: tuple[Load, ...]
    run: Run
    base: str
    coach: Coach | None
    cap_pct: int
    area: str = ""  # the origin area a bus serves
    feeds: str = ""  # the train a shuttle meets, or a feeder bus brings its passengers to
    fixed_seats: tuple[tuple[str, str], ...] = ()  # (worker, seat) kept from an earlier plan
    leg: int = 0  # which leg of its passengers' journey the vehicle is
    later: frozenset[str] = frozenset()  # passengers for whom it is one leg later (feeder riders)
    payers: tuple[tuple[str, int], ...] = ()  # (enterprise, passengers) when not the loads' own
    destination_province: str = ""  # where a bus ends, when not the home city


def seat_labels(seats: int, cap: int, rules: Rules) -> list[str]:
    """Seats 1..seats numbered front to back, ``row_size`` a row (``1A 1B 1C 1D 2A ...``); the last
    ``empty_rows`` rows' worth of seats stay empty; every other seat first so passengers spread out."""
    usable = max(0, seats - rules.empty_rows * rules.row_size)
    letters = "ABCDEFGH"
    numbers = list(range(1, usable + 1, 2)) + list(range(2, usable + 1, 2))
    labels = [f"{(k - 1) // rules.row_size + 1}{letters[(k - 1) % rules.row_size]}" for k in numbers]
    if len(labels) < cap:  # pragma: no cover - seat_cap never exceeds the usable seats
        raise RuntimeError("more passengers than usable seats")
    return labels[:cap]


def seat_sort_key(label: str) -> tuple[tuple[int, int | str], ...]:
    """Seats in the order people find them: by the numbers in the label read as numbers (``1A``,
    ``1B`` … ``2A`` … ``10A``; ``01车012`` before ``02车001``), not as text (``10A`` before ``1A``)."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", label) if p)


def train_seat_labels(seats: int, cap: int) -> list[str]:
    step = max(1, seats // max(1, cap))
    out = []
    for k in range(cap):
        idx = k * step
        out.append(f"{idx // 100 + 1:02d}车{idx % 100 + 1:03d}")
    return out


def place(workers: list[str], labels: list[str], fixed: dict[str, str]) -> list[str]:
    """A seat label per worker, in order: a worker's ``fixed`` seat when it is one of ``labels``,
    else the next free label."""
    keep = {w: fixed[w] for w in workers if fixed.get(w) in labels}
    if len(set(keep.values())) != len(keep):  # pragma: no cover - seats come from one plan
        raise RuntimeError("two workers on one seat")
    free = iter(lb for lb in labels if lb not in set(keep.values()))
    return [keep[w] if w in keep else next(free) for w in workers]


def kit(passengers: int, hours: float, thermometers: int, rules: Rules, crew: int) -> Kit:
    blocks = max(1, math.ceil(hours / 4))
    return Kit(
        masks=(passengers + crew) * blocks * rules.masks_per_passenger_per_4h,
        thermometers=thermometers,
        disinfectant_ml=int(
            math.ceil(passengers * max(hours, 1.0) * rules.disinfectant_ml_per_passenger_hour)
        ),
    )


def ledger(total: int, loads: Iterable[tuple[str, int]], rules: Rules) -> CostLedger:
    """``total`` split into government, enterprise and worker shares; the enterprise share split
    by passengers (largest remainders)."""
    gov = total * rules.subsidy.government_pct // 100
    wrk = total * rules.subsidy.worker_pct // 100
    ent = total - gov - wrk
    per: Counter[str] = Counter()
    for ent_id, n in loads:
        per[ent_id] += n
    pax = sum(per.values())
    shares: list[tuple[str, int]] = []
    if pax:
        keys = sorted(per)
        raw = [ent * per[k] // pax for k in keys]
        rem = ent - sum(raw)
        fracs = sorted(range(len(keys)), key=lambda i: (-(ent * per[keys[i]] % pax), keys[i]))
        for i in fracs[:rem]:
            raw[i] += 1
        shares = list(zip(keys, raw, strict=True))
    return CostLedger(total, gov, ent, wrk, tuple(shares))


def _by_enterprise(loads: Iterable[Load]) -> list[tuple[str, int]]:
    return [(ld.group.enterprise_id, len(ld.workers)) for ld in loads]


def emit_train(train: TrainPlan, ctx: Context, plan: Plan) -> Emitted:
    """The train of ``train`` with its feeder buses before it and its station shuttles after."""
    rules, clock = ctx.rules, ctx.clock
    rail = train.rail
    slot = rail.slot
    parts: list[Emitted] = []
    vid = plan.fresh_id(f"T-{slot.id}")
    fed = frozenset(w for f in train.feeders for ld in f.route for w, _ in ld.workers)
    enterprise_of = {w: ld.group.enterprise_id for ld in train.loads for w, _ in ld.workers}
    station = regions.station_by_name(slot.origin_station)
    province = regions.province_of(station.city_code) if station else None
    for k, f in enumerate(train.feeders):
        spec = VehicleSpec(
            "bus",
            f"F-{slot.id}-{k + 1:03d}",
            f.route,
            f.trip.run,
            f.trip.option.base,
            f.trip.coach,
            f.route[0].group.cap_pct,
            area=f.route[0].group.area,
            feeds=vid,
            payers=tuple(Counter(enterprise_of[w] for ld in f.route for w, _ in ld.workers).items()),
            destination_province=province.code if province else "",
        )
        parts.append(finish_vehicle(spec, ctx, plan))
    manifest = [w for ld in train.loads for w, _ in ld.workers]
    labels = train_seat_labels(slot.seats, rail.cap)
    seats = place(manifest, labels, dict(train.fixed_seats))
    assignments = [
        Assignment(wid, vid, label, int(wid in fed)) for wid, label in zip(manifest, seats, strict=True)
    ]
    dep, arr = rail.departs, rail.arrives
    hours = max(0.0, (arr - dep) / 60)
    stops = (
        Stop(
            "station_depart",
            slot.origin_station,
            rail.origin,
            clock.at(dep),
            clock.at(dep),
            tuple(manifest),
            (),
        ),
        Stop(
            "station_arrive",
            slot.destination_station,
            rail.destination,
            clock.at(arr),
            clock.at(arr),
            (),
            tuple(manifest),
        ),
    )
    pax = len(manifest)
    vehicle = Vehicle(
        id=vid,
        kind="train",
        name=slot.name,
        base="rail",
        seats=slot.seats,
        seat_cap=rail.cap,
        origin_area=slot.origin_station,
        stops=stops,
        drive=(),
        drivers=0,
        escorts=max(1, math.ceil(pax / rules.train_passengers_per_escort)),
        kit=kit(pax, hours, max(1, math.ceil(pax / 100)) * rules.thermometers_per_vehicle, rules, 0),
        km=round(road_km(rail.origin, rail.destination, replace(rules, detour_factor=1.0)), 1),
        manifest=tuple(manifest),
        cost=ledger(pax * rules.train_fare_fen, _by_enterprise(train.loads), rules),
        deadline_met=True,
        load_cap_pct=slot.load_cap_pct,
    )
    parts.append(Emitted((vehicle,), tuple(assignments)))
    start = arr + rules.shuttle_wait_min
    for k, route in enumerate(train.shuttles):
        parts.append(emit_shuttle(f"S-{slot.id}-{k + 1:03d}", list(route), train, vid, fed, start, ctx, plan))
    return _joined(parts)


def emit_shuttle(
    vid: str,
    loads: list[Load],
    train: TrainPlan,
    train_id: str,
    fed: frozenset[str],
    start_min: int,
    ctx: Context,
    plan: Plan,
) -> Emitted:
    """A home-city coach from the arrival station to the factories of ``loads`` and back."""
    rules = ctx.rules
    slot = train.rail.slot
    station = train.rail.destination
    place_name = slot.destination_station
    run = Run((), (), 0, 0, 0.0, False, 1)
    for order in ("path", "given", "edf"):  # the short path; the solver's order; deadlines first
        legs = drop_legs(loads, station, rules, edf=order == "edf", given=order == "given")
        legs.append(Leg("end", place_name, station, 0))
        km = legs_km(station, legs, rules)
        trial = simulate(place_name, station, start_min, legs, drivers_for(km, rules), rules, ctx.clock)
        if order == "path" or trial.deadline_met:
            run = trial
        if run.deadline_met:
            break
    cap_pct = rules.shuttle_load_cap_pct
    home = ctx.request.home.base
    coach = ctx.pool.take(home, load_of(loads), cap_pct)
    if coach is None:
        ctx.tally.counts["shuttles_without_coach"] += 1
    spec = VehicleSpec(
        "shuttle", vid, tuple(loads), run, home, coach, cap_pct, feeds=train_id, leg=1, later=fed
    )
    return finish_vehicle(spec, ctx, plan)


def emit_bus(vid: str, loads: list[Load], area: str, cap_pct: int, ctx: Context, plan: Plan) -> Emitted:
    """A bus for ``loads`` on the fleet's decision, its coach taken from the pool; without a coach
    the workers are ``no_capacity``."""
    trip = ctx.fleet.trip(loads, take=True)
    if trip.coach is None:
        return Emitted(
            unassigned=tuple(
                Unassigned(w, app, REASON_NO_CAPACITY, "no coach left")
                for ld in loads
                for w, app in ld.workers
            )
        )
    spec = VehicleSpec("bus", vid, tuple(loads), trip.run, trip.option.base, trip.coach, cap_pct, area=area)
    return finish_vehicle(spec, ctx, plan)


def finish_vehicle(spec: VehicleSpec, ctx: Context, plan: Plan) -> Emitted:
    """The vehicle of ``spec``: seats (by boarding order on a bus), crew, escort, kit, cost ledger
    (per km and per day of the coach, relay crews), road pass for a bus. A feeder bus (a bus that
    feeds a train) drops its passengers at the station: their arrival is the shuttle's."""
    rules, clock, run, coach = ctx.rules, ctx.clock, spec.run, spec.coach
    vid = plan.fresh_id(spec.vid)
    seats = coach.seats if coach else ctx.request.shuttle_seats
    cap = rules.seat_cap(seats, spec.cap_pct)
    manifest = [w for ld in spec.loads for w, _ in ld.workers]
    if len(manifest) > cap:  # pragma: no cover - guarded by construction
        raise RuntimeError(f"{vid} over its cap")
    labels = seat_labels(seats, cap, rules)
    # seats in boarding order
    boarding = [w for s in run.stops for w in s.board] if spec.kind == "bus" else manifest
    if len(boarding) != len(manifest):  # pragma: no cover - every passenger boards once
        raise RuntimeError(f"{vid}: boarding list does not match the manifest")
    placed = place(boarding, labels, dict(spec.fixed_seats))
    assignments = tuple(
        Assignment(wid, vid, label, spec.leg + int(wid in spec.later))
        for wid, label in zip(boarding, placed, strict=True)
    )
    feeder = spec.kind == "bus" and bool(spec.feeds)
    arrivals: tuple[Arrival, ...] = ()
    if not feeder:
        at = {w: clock.minutes(s.arrive) for s in run.stops for w in s.alight}
        arrivals = tuple(Arrival(w, app, vid, at[w]) for ld in spec.loads for w, app in ld.workers)
    hours = (run.end - run.start) / 60
    per_km, per_day = rules.coach_cost(coach)
    total = (
        int(round(run.km * per_km))
        + max(1, math.ceil(hours / 24)) * per_day
        + run.crew_changes * rules.relay_crew_cost_fen
    )
    vehicle = Vehicle(
        id=vid,
        kind=spec.kind,
        name=coach.plate if coach else "",
        base=spec.base,
        seats=seats,
        seat_cap=cap,
        origin_area=spec.area,
        stops=run.stops,
        drive=tuple(DriveSpan(d, clock.at(s), clock.at(e)) for d, s, e in run.spans),
        drivers=run.drivers,
        escorts=rules.escorts_per_bus,
        kit=kit(
            len(manifest), hours, rules.thermometers_per_vehicle, rules, run.drivers + rules.escorts_per_bus
        ),
        km=round(run.km, 1),
        manifest=tuple(manifest),
        cost=ledger(total, spec.payers or _by_enterprise(spec.loads), rules),
        deadline_met=run.deadline_met
        if feeder
        else all(a.minute <= ctx.due[a.application_id] for a in arrivals),
        feeds=spec.feeds,
        load_cap_pct=spec.cap_pct,
        permit=permit(
            coach,
            list(spec.loads),
            run,
            len(manifest),
            spec.destination_province or ctx.request.home.province,
        )
        if spec.kind == "bus"
        else None,
    )
    return Emitted((vehicle,), assignments, (), arrivals)


def permit(
    coach: Coach | None, loads: list[Load], run: Run, passengers: int, last_province: str
) -> PermitDraft:
    """The bus's road pass as drafted: route, provinces of the pickups in order then the province
    where it ends (the home city's, a feeder's station's), the time window from departure to the
    last drop."""
    county_of = {w: ld.group.county for ld in loads for w, _ in ld.workers}
    route = tuple(s.place for s in run.stops if s.kind in ("pickup", "drop"))
    provinces: list[str] = []
    for s in run.stops:
        if s.kind != "pickup" or not s.board:
            continue
        prov = regions.province_of(county_of[s.board[0]])
        code = prov.code if prov else county_of[s.board[0]][:2] + "0000"
        if code not in provinces:
            provinces.append(code)
    if last_province not in provinces:
        provinces.append(last_province)
    pickups = [s for s in run.stops if s.kind == "pickup"]
    drops = [s for s in run.stops if s.kind == "drop"]
    return PermitDraft(
        plate=coach.plate if coach else PLATE_PLACEHOLDER,
        carrier=coach.carrier if coach else "",
        origin=pickups[0].place if pickups else "",
        destination=drops[-1].place if drops else "",
        route=route,
        provinces_crossed=tuple(provinces),
        window_start=run.stops[0].depart if run.stops else datetime.min,
        window_end=drops[-1].depart if drops else (run.stops[-1].arrive if run.stops else datetime.min),
        passengers=passengers,
    )


def _joined(parts: list[Emitted]) -> Emitted:
    return Emitted(
        tuple(v for p in parts for v in p.vehicles),
        tuple(a for p in parts for a in p.assignments),
        tuple(u for p in parts for u in p.unassigned),
        tuple(a for p in parts for a in p.arrivals),
    )
