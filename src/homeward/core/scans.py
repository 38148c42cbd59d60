"""Door-to-door scans (家门→车门→厂门): the rules a scanner applies and the state derived from events.

Pure: no Django, no database. ``apps.trips.services.scans`` records events with these rules and
``apps.trips.selectors`` derives worker, seat and vehicle states with ``derive``.

Checkpoints and the ticket leg each one reads:

- ``board``            boarding a bus or a special train: its leg (leg 0 at the pickup; a feeder
                       rider boards the train at the origin station on leg 1)
- ``station_arrival``  arrival at the destination station: the train's leg
- ``shuttle_board``    boarding the station shuttle: the shuttle's leg
- ``gate``             factory-gate handover: the ticket's last leg

A ticket without a leg of the checkpoint's kind (a station arrival on a bus ticket) is refused
(``no_leg``); ``leg_of`` says which leg a scan reads.

Health rule (``health_outcome``): a temperature of 37.3 °C or more, or a health code that is not green,
routes the worker to ``observation`` (recorded; on a vehicle the rear rows kept empty as the
observation zone, then handed to a health post). Observation is not a refusal: the scan counts.

Conflict rule (``derive``): of the scans that were not refused for one worker, leg and checkpoint, the
first one wins, where first means the earliest device time (``client_at``), ties broken by the smaller
nonce. Every later one is a conflict (a second boarding, another vehicle), kept and shown to staff,
and changes nothing derived. As the rule reads only the events themselves, replaying a batch twice or
in another order derives the same state.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from homeward.core import regions

BOARD: Final = "board"
STATION_ARRIVAL: Final = "station_arrival"
SHUTTLE_BOARD: Final = "shuttle_board"
GATE: Final = "gate"
CHECKPOINTS: Final = (BOARD, STATION_ARRIVAL, SHUTTLE_BOARD, GATE)
# Checkpoints that take a seat on a vehicle (the seat cap is enforced there).
BOARDINGS: Final = frozenset({BOARD, SHUTTLE_BOARD})
# The vehicle kinds (``PlanVehicle.kind``) of the legs each checkpoint before the gate reads.
LEG_KINDS: Final = {BOARD: ("bus", "train"), STATION_ARRIVAL: ("train",), SHUTTLE_BOARD: ("shuttle",)}

OK: Final = "ok"
OBSERVATION: Final = "observation"
REFUSED: Final = "refused"

FEVER_C: Final = Decimal("37.3")
GREEN: Final = "green"

# A worker's stage, furthest first reached (a stage is reached by a winning scan).
STAGE_HOME: Final = "home"
STAGES: Final = {
    BOARD: "on_vehicle",
    STATION_ARRIVAL: "at_station",
    SHUTTLE_BOARD: "on_shuttle",
    GATE: "arrived",
}


def boarding_checkpoint(kind: str) -> str:
    """The checkpoint that boards a vehicle of ``kind`` (the inverse of ``LEG_KINDS`` for boardings)."""
    return SHUTTLE_BOARD if kind in LEG_KINDS[SHUTTLE_BOARD] else BOARD


def leg_of(checkpoint: str, legs: Sequence[tuple[str, str]], vehicles: Collection[str] = ()) -> int | None:
    """The ticket leg a scan at ``checkpoint`` reads, or None when the ticket has no such leg.

    ``legs``: the ticket's (vehicle kind, vehicle key) in leg order. The gate reads the last leg;
    the other checkpoints a leg of their vehicle kinds (``LEG_KINDS``): of those, the first that
    rides one of ``vehicles`` (the scanner's), else the first. A feeder rider's ticket reads bus,
    train, shuttle: boarding the train at the origin station is its leg 1, not the feeder bus."""
    if checkpoint == GATE:
        return len(legs) - 1 if legs else None
    kinds = LEG_KINDS.get(checkpoint, ())
    fitting = [i for i, (kind, _) in enumerate(legs) if kind in kinds]
    return next((i for i in fitting if legs[i][1] in vehicles), fitting[0] if fitting else None)


def checkpoint_place(checkpoint: str, leg: Mapping[str, object]) -> str:
    """Where ``checkpoint`` happens on ``leg`` (a ticket leg): a boarding at its pickup, the station
    arrival and the gate at its destination."""
    return str(leg.get("pickup" if checkpoint in BOARDINGS else "destination", ""))


def same_place(a: str, b: str) -> bool:
    """Whether two names are one place: a station is written with or without its trailing 站 (the
    plan's legs name a station without it, a station login's place with it)."""
    bare = regions.station_name(a)
    return bool(bare) and bare == regions.station_name(b)


def stops_at(place: str, stop_places: Iterable[str]) -> bool:
    """Whether a vehicle with these stops (its start, pickups, drops and destination) passes
    ``place``: the vehicles a station's staff can board or meet there."""
    return any(same_place(place, stop) for stop in stop_places)


def health_outcome(temperature_c: Decimal | None, health_code: str) -> tuple[str, str]:
    """(``ok`` or ``observation``, the reason): observation at 37.3 °C or more (``fever``) or with a
    health code that is given and not green (``health_code``). No reading: ok (nothing to route)."""
    if temperature_c is not None and temperature_c >= FEVER_C:
        return OBSERVATION, "fever"
    if health_code and health_code != GREEN:
        return OBSERVATION, "health_code"
    return OK, ""


@dataclass(frozen=True, slots=True)
class ScanFact:
    """One recorded scan, as the derivation reads it."""

    nonce: str
    worker: int | None  # the application worker row; None when the scan named nobody
    leg: int
    checkpoint: str
    vehicle_key: str
    client_at: datetime
    outcome: str  # ok / observation / refused

    @property
    def order(self) -> tuple[datetime, str]:
        return (self.client_at, self.nonce)


@dataclass(frozen=True, slots=True)
class Derived:
    """What the events say: per (worker, leg, checkpoint) the winning scan, the conflicts, each
    worker's furthest stage, and the workers on each vehicle (by its key and leg)."""

    winners: dict[tuple[int, int, str], ScanFact]
    conflicts: tuple[ScanFact, ...]
    stages: dict[int, str]
    riders: dict[str, frozenset[int]]
    observation: frozenset[int]

    def key(self) -> tuple[object, ...]:
        """A comparable digest (for tests: two derivations say the same)."""
        return (
            sorted((k, v.nonce) for k, v in self.winners.items()),
            sorted(f.nonce for f in self.conflicts),
            sorted(self.stages.items()),
            sorted((k, sorted(v)) for k, v in self.riders.items()),
            sorted(self.observation),
        )


_RANK: Final = {c: i for i, c in enumerate(CHECKPOINTS)}


def stage_step(leg: int, checkpoint: str) -> tuple[int, int]:
    """How far along the journey a winning scan at ``checkpoint`` on ``leg`` puts its worker (the
    larger the further; the gate is the end whatever its leg). ``stage_at`` names the stage."""
    return (leg, _RANK[checkpoint]) if checkpoint != GATE else (99, _RANK[GATE])


def stage_at(step: tuple[int, int]) -> str:
    """The stage a ``stage_step`` reaches."""
    return STAGES[CHECKPOINTS[step[1]]]


def derive(facts: Iterable[ScanFact]) -> Derived:
    """Apply the conflict rule to ``facts`` (any order, duplicates by nonce counted once)."""
    unique = {f.nonce: f for f in facts}
    winners: dict[tuple[int, int, str], ScanFact] = {}
    conflicts: list[ScanFact] = []
    for f in sorted(unique.values(), key=lambda f: f.order):
        if f.worker is None or f.outcome == REFUSED:
            continue
        key = (f.worker, f.leg, f.checkpoint)
        if key in winners:
            conflicts.append(f)
        else:
            winners[key] = f
    furthest: dict[int, tuple[int, int]] = {}
    riders: dict[str, set[int]] = {}
    observation: set[int] = set()
    for (worker, leg, checkpoint), f in winners.items():
        step = stage_step(leg, checkpoint)
        if worker not in furthest or step > furthest[worker]:
            furthest[worker] = step
        if checkpoint in BOARDINGS:
            riders.setdefault(f.vehicle_key, set()).add(worker)
        if f.outcome == OBSERVATION:
            observation.add(worker)
    stages = {w: stage_at(step) for w, step in furthest.items()}
    return Derived(
        winners=winners,
        conflicts=tuple(conflicts),
        stages=stages,
        riders={k: frozenset(v) for k, v in riders.items()},
        observation=frozenset(observation),
    )
