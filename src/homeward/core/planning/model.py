"""The planner's own types: frozen dataclasses in (``PlanRequest``), frozen dataclasses out (``PlanResult``).

Units, chosen on purpose (DESIGN §6):

- distances inside the solver are integers in **100 m units** (``DIST_UNIT_M``); metres made PyVRP
  return overloaded long-haul solutions. Reported distances are km (floats, 0.1 km resolution).
- times inside the planner are integer **minutes after ``PlanRequest.now``**; datetimes in and out.
  Naive datetimes are China Standard Time wall-clock; aware ones are read in UTC+8 for the
  02:00–05:00 and night rules.
- money is integer **fen** (分, 0.01 yuan).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

DIST_UNIT_M = 100  # one solver distance unit, in metres

VehicleKind = Literal["train", "bus", "shuttle"]
FleetBase = str  # the home city's base key (``HomeCity.base``) or an origin-side operator's region code
TrainSlotState = Literal["requested", "granted", "cancelled"]
RiskLevel = Literal["low", "medium", "high", "closed"]
DeadlineRule = Literal["soft", "hard"]

#: Stable reason codes for a worker who gets no seat.
REASON_HEALTH = "health"  # health code not green / fever: must not travel
REASON_ORIGIN_RISK = "origin_risk"  # origin county closed (risk level not allowed to travel)
# no legal schedule reaches the factory by the deadline (``deadline="hard"``) or at all within the
# planning horizon (``deadline="soft"``)
REASON_NO_LEGAL_WAY = "no_legal_way_in_time"
REASON_NO_CAPACITY = "no_capacity"  # no coach (or seat) left
REASON_UNKNOWN_ORIGIN = "unknown_origin"  # pickup county not a current county code
REASONS = (REASON_HEALTH, REASON_ORIGIN_RISK, REASON_NO_LEGAL_WAY, REASON_NO_CAPACITY, REASON_UNKNOWN_ORIGIN)


@dataclass(frozen=True, slots=True)
class Point:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class WorkerDemand:
    worker_id: str
    pickup_county: str  # 6-digit current county code
    health_ok: bool = True


@dataclass(frozen=True, slots=True)
class Application:
    id: str
    enterprise_id: str
    enterprise_name: str
    destination: Point  # the factory gate
    deadline: datetime  # acceptance + 30 h in the article
    workers: tuple[WorkerDemand, ...]
    # the workers can be picked up from then on (the enterprise's restart, their stated return
    # date); None: as soon as a vehicle can reach them
    pickup_from: datetime | None = None


@dataclass(frozen=True, slots=True)
class TrainSlot:
    id: str
    name: str  # the train's name as the railway and the city call it
    origin_station: str  # station name as in core.regions.stations()
    destination_station: str
    departs: datetime
    arrives: datetime
    seats: int
    load_cap_pct: int = 50  # alternate seats sold
    state: TrainSlotState = "granted"


@dataclass(frozen=True, slots=True)
class Coach:
    plate: str
    seats: int
    carrier: str
    base: FleetBase  # ``HomeCity.base`` for the home city's fleet, else an origin region code
    cost_per_km_fen: int | None = None  # None: ``Rules.coach_cost_per_km_fen``
    cost_per_day_fen: int | None = None  # None: ``Rules.coach_cost_per_day_fen``


@dataclass(frozen=True, slots=True)
class HomeCity:
    """The city the workers return to: where its own coaches start and end (one way, they stay
    there), its name on timetables, its province on road passes, its arrival stations."""

    name: str
    point: Point  # where the home fleet's coaches start
    province: str  # 6-digit province code, the road pass's last province
    stations: tuple[str, ...] = ()  # arrival stations (names as in core.regions.stations())
    base: FleetBase = "home"  # the ``Coach.base`` of the home city's own coaches


@dataclass(frozen=True, slots=True)
class SubsidyRule:
    """Shares of a trip's cost, in percent; the enterprise pays the rest (Ningbo 50%, Huzhou 100%)."""

    government_pct: int = 50
    worker_pct: int = 0


@dataclass(frozen=True, slots=True)
class Rules:
    """DESIGN §5 defaults; every one configurable.

    Seat cap of a coach: ``min(seats * load_cap_pct(risk) // 100, seats - empty_rows * row_size)``
    (the last ``empty_rows`` rows stay empty as the on-board observation zone; the escort sits in the
    crew seat and is not counted). 55 seats at 50% → 27 passengers.
    """

    load_cap_pct_by_risk: tuple[tuple[str, int], ...] = (("low", 90), ("medium", 70), ("high", 50))
    blocked_risks: frozenset[str] = frozenset({"closed"})
    empty_rows: int = 2
    row_size: int = 4
    shuttle_load_cap_pct: int = 50
    # roads
    detour_factor: float = 1.3
    highway_kmh: float = 85.0
    local_kmh: float = 40.0
    local_leg_km: float = 40.0  # legs shorter than this run at local_kmh
    # driver hours (general road-passenger rules)
    day_continuous_min: int = 240
    night_continuous_min: int = 120
    night_start_hour: int = 22
    night_end_hour: int = 6
    break_min: int = 20
    daily_drive_min: int = 480  # per driver, any 24 h
    curfew_start_hour: int = 2  # no driving 02:00–05:00
    curfew_end_hour: int = 5
    two_drivers_over_km: float = 600.0  # a second driver on longer trips
    relay_min: int = 5
    # 接驳运输 (relay transport): when every driver on board has driven the 8 h of the last 24 h, a
    # fresh crew takes over at a relay point instead of the bus standing still for hours; the
    # curfew still stops every bus. ``relay_crews=False`` plans stop-only, the stricter reading.
    relay_crews: bool = True
    crew_change_min: int = 30  # leave the route to the relay point and hand over
    relay_crew_cost_fen: int = 60_000  # per crew change: the relay crew's wages and travel
    # stops and lead times
    dispatch_lead_min: int = 60  # a home-city coach can leave this long after planning
    origin_dispatch_lead_min: int = 120  # an origin-side coach
    pickup_service_min: int = 20  # boarding, temperature check, passenger list
    drop_service_min: int = 10
    station_margin_min: int = 60  # be at the origin station this long before departure
    shuttle_wait_min: int = 30  # from train arrival to shuttle departure
    train_catchment_km: float = 200.0  # road km from a county to the train's origin station
    # feeders: train seats go first to workers a bus would bring late, and those beyond a station's
    # catchment (up to ``feeder_reach_km``) reach it on an origin-side feeder bus; False: trains
    # take the largest clusters of their catchment only (the planner before feeders)
    feeders: bool = True
    feeder_reach_km: float = 450.0
    origin_fleet_radius_km: float = 300.0  # an origin-side coach serves areas this close to its base
    # the deadline: "soft" carries every worker who can legally travel, on the option that arrives
    # earliest, and flags the late ones with their hours over; "hard" leaves out who cannot make it
    deadline: DeadlineRule = "soft"
    # after ``now`` (or the application's ``pickup_from``): a worker no legal trip brings in by then
    # is not planned
    horizon_hours: int = 72
    late_pooling_min: int = 120  # how much later than its earliest arrival a late group may arrive
    # when it shares a bus
    # trains the plan proposes to request from the railway
    rail_detour_factor: float = 1.15  # rail km ≈ great-circle km × this
    rail_kmh: float = 180.0
    rail_extra_min: int = 30  # stops and slow sections
    train_request_seats: int = 1060  # a special train's seats (sold at its load cap)
    train_request_load_cap_pct: int = 50
    train_requests_max: int = 5
    train_request_min_workers: int = 100  # not worth a train below this
    train_request_bus_km: float = 1000.0  # a bus trip this long is worth replacing by a train
    # escorts and kits
    escorts_per_bus: int = 1
    train_passengers_per_escort: int = 100
    masks_per_passenger_per_4h: int = 1
    thermometers_per_vehicle: int = 2
    disinfectant_ml_per_passenger_hour: int = 10
    # costs
    train_fare_fen: int = 30_000
    coach_cost_per_km_fen: int = 800  # a coach that states no cost of its own
    coach_cost_per_day_fen: int = 100_000
    subsidy: SubsidyRule = field(default_factory=SubsidyRule)

    def load_cap_pct(self, risk: str) -> int:
        for level, pct in self.load_cap_pct_by_risk:
            if level == risk:
                return pct
        return min(pct for _, pct in self.load_cap_pct_by_risk)

    def seat_cap(self, seats: int, cap_pct: int) -> int:
        return max(0, min(seats * cap_pct // 100, seats - self.empty_rows * self.row_size))

    def coach_cost(self, coach: Coach | None) -> tuple[int, int]:
        """(fen per km, fen per day) of ``coach``, the rules' defaults where it states none."""
        per_km = coach.cost_per_km_fen if coach is not None else None
        per_day = coach.cost_per_day_fen if coach is not None else None
        return (
            self.coach_cost_per_km_fen if per_km is None else per_km,
            self.coach_cost_per_day_fen if per_day is None else per_day,
        )


@dataclass(frozen=True, slots=True)
class StopCriterion:
    """When the solver stops, per sub-problem. Iteration and no-improvement limits make plans
    repeatable (same seed, same plan); ``max_seconds`` is only a safety net and, if it is ever hit,
    the plan may differ between runs (``PlanResult.kpis['time_limit_hits']`` says so)."""

    max_iterations: int = 2_000
    no_improvement: int = 500
    max_seconds: float = 60.0  # far above what a sub-problem needs on a busy 2-core machine


@dataclass(frozen=True, slots=True)
class PlanRequest:
    now: datetime
    applications: tuple[Application, ...]
    train_slots: tuple[TrainSlot, ...] = ()
    coaches: tuple[Coach, ...] = ()
    origin_risk: tuple[tuple[str, str], ...] = ()  # (county code, risk level); absent = "low"
    rules: Rules = field(default_factory=Rules)
    seed: int = 0
    stop: StopCriterion = field(default_factory=StopCriterion)
    shuttle_seats: int = 55
    home: HomeCity = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class Stop:
    kind: (
        str  # start, pickup, drop, station_depart, station_arrive, break, relay, crew_change, night_rest,
        # daily_rest, end
    )
    place: str
    point: Point
    arrive: datetime
    depart: datetime
    board: tuple[str, ...] = ()  # worker ids boarding here
    alight: tuple[str, ...] = ()  # worker ids alighting here


@dataclass(frozen=True, slots=True)
class DriveSpan:
    driver: int  # 0 or 1 within the vehicle's crew
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Kit:
    masks: int
    thermometers: int
    disinfectant_ml: int


@dataclass(frozen=True, slots=True)
class CostLedger:
    total_fen: int
    government_fen: int
    enterprise_fen: int
    worker_fen: int
    by_enterprise_fen: tuple[tuple[str, int], ...]  # the enterprise share split by passengers


PLATE_PLACEHOLDER = "待定 (to be assigned)"


@dataclass(frozen=True, slots=True)
class PermitDraft:
    """The road pass (农民工返岗包车通行证, DESIGN §5) drafted for signature, one per bus.

    ``provinces_crossed`` holds the province codes (core.regions) of the pickup counties in route
    order, then the destination province; provinces passed between them are not known without a
    road network and are left to the carrier. Toll stations and the organiser's seal are filled in
    when the permit is signed."""

    plate: str  # the coach's plate, or PLATE_PLACEHOLDER
    carrier: str
    origin: str  # the first pickup
    destination: str  # the last drop
    route: tuple[str, ...]  # pickup and drop places in order
    provinces_crossed: tuple[str, ...]  # 6-digit province codes, e.g. ("340000", "330000")
    window_start: datetime
    window_end: datetime
    passengers: int
    toll_stations: tuple[str, ...] = ()
    seal: str = ""


@dataclass(frozen=True, slots=True)
class Vehicle:
    id: str
    kind: VehicleKind
    name: str  # plate, or the train's name
    base: str  # ``HomeCity.base``, an origin region code, or "rail"
    seats: int
    seat_cap: int
    origin_area: str  # region code the vehicle serves ("" for shuttles)
    stops: tuple[Stop, ...]
    drive: tuple[DriveSpan, ...]
    drivers: int
    escorts: int
    kit: Kit
    km: float
    manifest: tuple[str, ...]  # worker ids on board
    cost: CostLedger
    deadline_met: bool
    feeds: str = ""  # for a shuttle: the train id it meets
    load_cap_pct: int = 0  # the load cap (percent of seats) the vehicle runs under
    permit: PermitDraft | None = None  # buses only


@dataclass(frozen=True, slots=True)
class Assignment:
    worker_id: str
    vehicle_id: str
    seat: str
    leg: int = 0  # 0 = main leg (train or bus), 1 = station shuttle after a train


@dataclass(frozen=True, slots=True)
class Unassigned:
    worker_id: str
    application_id: str
    reason: str  # one of REASONS
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Late:
    """A worker carried but expected at the factory after the application's deadline."""

    worker_id: str
    application_id: str
    vehicle_id: str  # the vehicle that brings the worker to the factory
    arrives: datetime
    deadline: datetime
    minutes_over: int


@dataclass(frozen=True, slots=True)
class TrainRequest:
    """An extra special train the plan proposes to request from the railway: the workers a bus
    brings late (or on a long, costly trip) near ``origin_station`` whom it would bring in time."""

    origin_station: str
    destination_station: str
    departs_earliest: datetime  # the departure window that brings all of them in time
    departs_latest: datetime
    journey_min: int  # station to station, as the planner estimates it
    workers: int  # it would carry
    late_in_time: int  # of them, workers a bus brings late whom it would bring in time
    hours_late_saved: float  # their hours over the deadline, summed
    buses_saved: int  # buses whose every passenger it would carry


@dataclass(frozen=True, slots=True)
class PlanResult:
    assignments: tuple[Assignment, ...]
    vehicles: tuple[Vehicle, ...]
    unassigned: tuple[Unassigned, ...]
    kpis: dict[str, float]
    seed: int
    stop: StopCriterion
    solver: str  # "pyvrp 0.14.1"
    late: tuple[Late, ...] = ()  # by worker
    train_requests: tuple[TrainRequest, ...] = ()  # most useful first
