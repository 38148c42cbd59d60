"""The demo's campaign day in motion: what happened on the road up to the build's ``now``, played
through the real services (``trips.services.scans.scan_record``, ``self_service``, ``vehicle_dispatch``).

``motion_script`` decides it, a pure function of (seed, the plan's tickets, now): every scan's device
time comes from the ticket's schedule (a few minutes of jitter drawn from the seed and the seat), never
from the clock, and a scan is in the script only when its time is not after ``now``. So two builds of
the same seed at different hours have the same plan, the same exceptions, and the same scans relative
to the day's start — the later build has more of them (those of the hours between).

- boarding at the ticket's pickup (temperature read by the escort), then at each change of vehicle
  the next boarding, after the arrival at the destination station when the leg before is a train
  (train + shuttle; a feeder rider's bus, train at the origin station, shuttle), then the factory-gate
  handover at the last leg's arrival (which marks the worker returned and may close the application);
- the exceptions, chosen from the plan alone: a fever at the boarding of one of the day's first buses
  (observation, the worker goes no further), a no-show on another (no scan at all), and a declined seat
  on one of the last vehicles (declined on the worker's page, the ticket revoked);
- the vehicles whose departure is past are dispatched (a re-plan keeps them);
- some workers whose trip is still ahead confirm it, and some declare their health (while open).

``demo_in_motion`` applies it, as the demo's users: boarding by the task force (escorts have no login
yet), arrivals and shuttles at the demo station by the station login, gate handovers of the demo
enterprise's workers by its login. It also picks the demo worker: one of the demo enterprise's workers
holding a ticket, whose trip is still ahead when there is one.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from homeward.core import scans as rules

FEVER_C = Decimal("38.2")
EARLY_POOL = 12  # the fever and the no-show are on one of the day's first buses…
LATE_POOL = 12  # …the declined seat on one of its last vehicles
CONFIRM_SHARE = 0.7
DECLARE_SHARE = 0.5
DECLARE_CLOSES_BEFORE = timedelta(hours=2)  # as self_service.DECLARE_CLOSES_BEFORE

Report = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Rider:
    """One issued ticket, as the script reads it."""

    ticket_id: str
    worker: int  # the application worker row
    id_number: str
    enterprise: int
    legs: tuple[dict[str, Any], ...]

    def at(self, leg: int, key: str) -> datetime:
        return datetime.fromisoformat(self.legs[leg][key])

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(str(x["kind"]) for x in self.legs)

    @property
    def order(self) -> tuple[datetime, str, str, str]:
        """Stable across builds (row ids are not): the pickup time, the vehicle, the seat, the ID."""
        first = self.legs[0]
        return (self.at(0, "pickup_at"), str(first["vehicle_key"]), str(first["seat"]), self.id_number)


@dataclass(frozen=True, slots=True)
class Scan:
    at: datetime
    checkpoint: str
    rider: Rider
    place: str
    vehicle_key: str = ""
    temperature: Decimal | None = None
    leg: int = 0  # the ticket leg: a feeder rider boards twice (the feeder bus, then the train)


@dataclass
class Script:
    scans: list[Scan] = field(default_factory=list)
    dispatches: list[tuple[datetime, int]] = field(default_factory=list)  # (departs, vehicle row id)
    confirm: list[Rider] = field(default_factory=list)
    declare: list[tuple[Rider, Decimal]] = field(default_factory=list)
    fever: Rider | None = None
    no_show: Rider | None = None
    declined: Rider | None = None
    demo_worker: Rider | None = None


def _rng(seed: int, rider: Rider, what: str) -> random.Random:
    # the person, not the seat: a train's carriage seats may be handed out in another order by a build
    # at another hour while the plan (who rides what, when) is the same
    return random.Random(f"{seed}/{what}/{rider.id_number}")


def _journey(rider: Rider, seed: int, *, fever: bool) -> list[Scan]:
    """Every scan of ``rider``'s whole trip, in order (``now`` cuts it afterwards)."""
    r = _rng(seed, rider, "scan")
    first = rider.legs[0]
    temperature = FEVER_C if fever else Decimal(f"36.{r.randint(1, 8)}")
    at = rider.at(0, "pickup_at") - timedelta(minutes=r.randint(2, 25))
    out = [Scan(at, rules.BOARD, rider, str(first["pickup"]), str(first["vehicle_key"]), temperature)]
    if fever:  # observation: rear rows, then handed to a health post; not on to the factory
        return out

    def after(previous: datetime, scheduled: datetime, lo: int, hi: int) -> datetime:
        return max(previous + timedelta(minutes=1), scheduled + timedelta(minutes=r.randint(lo, hi)))

    for n in range(1, len(rider.legs)):  # each change of vehicle: off a train at its station, on the next
        before, leg = rider.legs[n - 1], rider.legs[n]
        if before["kind"] == "train":
            at = after(at, rider.at(n - 1, "arrives_at"), 3, 12)
            out.append(Scan(at, rules.STATION_ARRIVAL, rider, f"{before['destination']}站", leg=n - 1))
        at = after(at, rider.at(n, "pickup_at"), -12, -1)
        checkpoint = rules.boarding_checkpoint(str(leg["kind"]))
        place = f"{leg['pickup']}站" if checkpoint == rules.SHUTTLE_BOARD else str(leg["pickup"])
        out.append(Scan(at, checkpoint, rider, place, str(leg["vehicle_key"]), leg=n))
    at = after(at, rider.at(len(rider.legs) - 1, "arrives_at"), 3, 15)
    out.append(Scan(at, rules.GATE, rider, str(rider.legs[-1]["destination"])))
    return out


def motion_script(
    riders: Iterable[Rider],
    vehicles: Iterable[tuple[int, datetime]],
    *,
    seed: int,
    start: datetime,
    now: datetime,
    demo_enterprise: int | None = None,
) -> Script:
    """What happened up to ``now`` (see the module docstring). ``vehicles``: (row id, departs) of the
    plan's vehicles; ``start``: the campaign day's start (the fever and the no-show are on buses
    picking up within its first twelve hours, so every build, at whatever hour, has them)."""
    ordered = sorted(riders, key=lambda x: x.order)
    rng = random.Random(f"motion/{seed}")
    script = Script()
    buses = [x for x in ordered if x.kinds == ("bus",)]
    early = [x for x in buses if x.at(0, "pickup_at") < start + timedelta(hours=12)][:EARLY_POOL]
    if early:
        script.fever = rng.choice(early)
        others = [x for x in early if x.legs[0]["vehicle_key"] != script.fever.legs[0]["vehicle_key"]]
        others = others or [x for x in early if x is not script.fever]
        script.no_show = rng.choice(others) if others else None
    taken = {id(script.fever), id(script.no_show)}
    late = [x for x in reversed(ordered) if id(x) not in taken][:LATE_POOL]
    script.declined = rng.choice(late) if late else None
    taken.add(id(script.declined))
    own = [x for x in ordered if x.enterprise == demo_enterprise and id(x) not in taken]
    ahead = [x for x in own if x.at(0, "pickup_at") - DECLARE_CLOSES_BEFORE > now]
    script.demo_worker = next(iter(ahead or own), None)
    taken.add(id(script.demo_worker))
    for rider in ordered:
        if rider is script.declined or rider is script.no_show:
            continue
        script.scans += [s for s in _journey(rider, seed, fever=rider is script.fever) if s.at <= now]
        if rider.at(0, "pickup_at") > now and id(rider) not in taken:
            r = _rng(seed, rider, "self")
            if r.random() < CONFIRM_SHARE:
                script.confirm.append(rider)
            if rider.at(0, "pickup_at") - DECLARE_CLOSES_BEFORE > now and r.random() < DECLARE_SHARE:
                script.declare.append((rider, Decimal(f"36.{r.randint(2, 7)}")))
    script.scans.sort(key=lambda s: (s.at, s.checkpoint, s.rider.order))
    script.dispatches = sorted((departs, pk) for pk, departs in vehicles if departs <= now)
    return script


# ------------------------------------------------------------------------------------- applying it


@dataclass
class Motion:
    """What the build did, for its summary line and the tests."""

    scans: Counter[str] = field(default_factory=Counter)  # by answer
    boarded: int = 0
    arrived: int = 0  # gate handovers
    on_the_road: int = 0  # boarded, not at the gate yet
    not_departed: int = 0  # holders of a ticket with no scan yet
    dispatched: int = 0
    confirmed: int = 0
    declared: int = 0
    exceptions: dict[str, str] = field(default_factory=dict)  # fever / no_show / declined → ticket id
    demo_worker: int | None = None  # the application worker row of the demo worker
    worker_code: str = ""
    worker_last4: str = ""

    def summary(self) -> str:
        exc = ", ".join(f"{k} {v}" for k, v in self.exceptions.items()) or "none"
        return (
            f"in motion: boarded {self.boarded:,}, arrived {self.arrived:,}, on the road {self.on_the_road:,}, "
            f"not departed {self.not_departed:,}; vehicles dispatched {self.dispatched:,}; "
            f"confirmed {self.confirmed:,}, health declared {self.declared:,}; exceptions: {exc}"
        )


def _riders(run: Any) -> list[Rider]:
    from homeward.apps.trips.models import Ticket, TicketState

    rows = Ticket.objects.filter(run=run, state=TicketState.ISSUED).values_list(
        "ticket_id", "worker_id", "worker__id_number", "worker__application__enterprise_id", "legs"
    )
    return [Rider(t, w, idn, e, tuple(legs)) for t, w, idn, e, legs in rows.iterator(chunk_size=2000)]


def demo_in_motion(*, seed: int, now: datetime, report: Report | None = None) -> Motion:
    """Play the campaign day's plan in force up to ``now`` through the services (module docstring).
    Needs the demo users (``load.py``) and a done plan run with its tickets."""
    from django.contrib.auth.models import User

    from homeward.apps.accounts.policy import WorkerSession
    from homeward.apps.accounts.roles import Role
    from homeward.apps.planning.models import PlanVehicle
    from homeward.apps.planning.services import latest_done_run, vehicle_dispatch
    from homeward.apps.trips.models import Ticket
    from homeward.apps.trips.services import self_service
    from homeward.apps.trips.services.scans import scan_record
    from homeward.demo.campaign import campaign_start

    say = report or (lambda _m: None)
    run = latest_done_run()
    if run is None:
        raise RuntimeError("no plan in force to set in motion")
    users = {u.profile.role: u for u in User.objects.filter(username__startswith="demo-").select_related("profile").order_by("-username")}  # fmt: skip
    taskforce, station, enterprise = (
        users[Role.TASKFORCE],
        users.get(Role.STATION),
        users.get(Role.ENTERPRISE),
    )
    riders = _riders(run)
    vehicles = PlanVehicle.objects.filter(run=run).values_list("pk", "departs")
    script = motion_script(
        riders, vehicles, seed=seed, start=campaign_start(now), now=now,
        demo_enterprise=enterprise.profile.enterprise_id if enterprise else None,
    )  # fmt: skip
    motion = Motion()
    if script.declined is not None:
        self_service.trip_decline(actor=WorkerSession(script.declined.worker))
    for rider in script.confirm:
        self_service.trip_confirm(actor=WorkerSession(rider.worker))
    for rider, temperature in script.declare:
        self_service.health_declare(
            actor=WorkerSession(rider.worker), health_code="green", temperature=str(temperature),
            nonce=f"demo-{rider.ticket_id}",
        )  # fmt: skip
    tokens = dict(Ticket.objects.filter(run=run).values_list("ticket_id", "token"))
    dispatches = iter(script.dispatches)
    pending = next(dispatches, None)
    for scan in script.scans:
        while pending is not None and pending[0] <= scan.at:  # a vehicle leaves, then its riders' scans
            vehicle_dispatch(actor=taskforce, vehicle_id=pending[1], note="演示 demo")
            motion.dispatched += 1
            pending = next(dispatches, None)
        actor = taskforce
        if scan.checkpoint in (rules.STATION_ARRIVAL, rules.SHUTTLE_BOARD) and station is not None:
            actor = station if scan.place == station.profile.place else taskforce
        elif scan.checkpoint == rules.GATE and enterprise is not None:
            actor = enterprise if scan.rider.enterprise == enterprise.profile.enterprise_id else taskforce
        result = scan_record(
            actor=actor, nonce=f"demo-{scan.checkpoint}-{scan.rider.ticket_id}" + (f"-{scan.leg}" if scan.leg else ""),
            token_or_id=tokens[scan.rider.ticket_id], checkpoint=scan.checkpoint, client_at=scan.at,
            vehicle_key=scan.vehicle_key, place=scan.place,
            temperature_c=scan.temperature, health_code="green" if scan.temperature is not None else "",
        )  # fmt: skip
        motion.scans[result.answer] += 1
    for pending_dispatch in [pending, *dispatches]:
        if pending_dispatch is not None:
            vehicle_dispatch(actor=taskforce, vehicle_id=pending_dispatch[1], note="演示 demo")
            motion.dispatched += 1
    boarded = {s.rider.ticket_id for s in script.scans if s.checkpoint == rules.BOARD}
    arrived = {s.rider.ticket_id for s in script.scans if s.checkpoint == rules.GATE}
    motion.boarded, motion.arrived = len(boarded), len(arrived)
    motion.on_the_road = len(boarded - arrived) - (
        script.fever is not None and script.fever.ticket_id in boarded
    )
    gone = {x.ticket_id for x in (script.declined, script.no_show) if x is not None}
    motion.not_departed = len({x.ticket_id for x in riders} - boarded - gone)
    motion.confirmed, motion.declared = len(script.confirm), len(script.declare)
    for name in ("fever", "no_show", "declined"):
        rider = getattr(script, name)
        if rider is not None:
            motion.exceptions[name] = rider.ticket_id
    if script.demo_worker is not None:
        motion.demo_worker = script.demo_worker.worker
        link = self_service.worker_link_issue(actor=taskforce, worker_id=script.demo_worker.worker)
        motion.worker_code, motion.worker_last4 = link.code, script.demo_worker.id_number[-4:]
    say(motion.summary())
    return motion
