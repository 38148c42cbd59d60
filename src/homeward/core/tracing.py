"""Contact tracing: who was a close contact of a case on one vehicle (DESIGN §5).

Pure: no Django, no database. ``apps.trips.tracing`` gathers the riders of each leg the case rode
(from the boarding scans, else from the plan's seats) and applies :func:`close_contacts` per leg.

The rule:

- a bus or shuttle that is **sealed** (air-conditioned, windows shut: the default, the safe side):
  everyone on board, riders and crew;
- a **ventilated** bus or shuttle: the riders within ``ROWS_AROUND`` (3) rows of the case, in front
  or behind, and the crew (drivers and the escort move through the bus);
- a **train**: the riders of the case's carriage (the train's crew is not named by the rule).

Seats and rows. A bus seat label is the planner's (``core.planning.planner.emit.seat_labels``):
``"3A"`` is row 3 (the digits before the letter), seat A; a bare number ``"12"`` is the 12th seat
counted front to back, ``row_size`` (4) a row, so row ``(12 - 1) // 4 + 1 = 3``. A train seat is
``"01车012"``: carriage 01, seat 012; the carriage is the number before ``车``.

A rider whose seat cannot be read (no seat, an unknown label) is a contact on every bus (we cannot
say they sat far away); when the case's own seat cannot be read, every rider is. On a train an
unreadable carriage counts as the case's carriage, for the same reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

VehicleKind = Literal["bus", "shuttle", "train"]

ROWS_AROUND: Final = 3
ROW_SIZE: Final = 4

# Why a person is a contact (a stable code; the page and the export show a label for it).
SEALED: Final = "sealed"  # 密闭空调车：全车
NEAR_ROWS: Final = "near_rows"  # 通风车：前后三排内
SEAT_UNKNOWN: Final = "seat_unknown"  # 座位不明：按同车
SAME_CARRIAGE: Final = "same_carriage"  # 同一车厢
CREW: Final = "crew"  # 司乘人员
BASES: Final = (SEALED, NEAR_ROWS, SEAT_UNKNOWN, SAME_CARRIAGE, CREW)

_BUS_SEAT = re.compile(r"^(\d+)([A-Za-z]?)$")
_TRAIN_SEAT = re.compile(r"^(\d+)车(\d+)$")


@dataclass(frozen=True, slots=True)
class Rider:
    """Someone on board: ``who`` identifies them (an application worker row id), ``seat`` their seat
    label ("" when unknown)."""

    who: int
    seat: str = ""


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One leg's vehicle: its kind, whether a bus was ventilated, who rode and its crew (names)."""

    kind: VehicleKind
    riders: tuple[Rider, ...]
    crew: tuple[str, ...] = ()
    ventilated: bool = False


@dataclass(frozen=True, slots=True)
class Contact:
    """A close contact: a rider (``who``, ``seat``) or a crew member (``who`` None, ``crew`` name)."""

    basis: str
    who: int | None = None
    seat: str = ""
    crew: str = ""


def bus_row(seat: str, row_size: int = ROW_SIZE) -> int | None:
    """The row of a bus seat label (``"3A"`` → 3, ``"12"`` → 3 with 4 a row), None if unreadable."""
    m = _BUS_SEAT.match(seat.strip())
    if m is None:
        return None
    number = int(m.group(1))
    if m.group(2):
        return number
    return (number - 1) // row_size + 1 if number > 0 else None


def carriage(seat: str) -> int | None:
    """The carriage of a train seat label (``"01车012"`` → 1), None if unreadable."""
    m = _TRAIN_SEAT.match(seat.strip())
    return int(m.group(1)) if m else None


def close_contacts(case: Rider, vehicle: Vehicle, *, row_size: int = ROW_SIZE) -> tuple[Contact, ...]:
    """The close contacts of ``case`` on ``vehicle`` by the rule above, riders in the order given,
    then the crew. The case is never its own contact (a rider with the case's ``who`` is skipped).

    Parameters:
        case: the case, with their seat on this vehicle ("" when unknown).
        vehicle: the vehicle, its riders (the case among them or not) and crew.
        row_size: seats a bus row, to read bare seat numbers.

    Returns:
        One ``Contact`` per rider or crew member who is a close contact.
    """
    others = _others(case, vehicle.riders)
    if vehicle.kind == "train":
        mine = carriage(case.seat)
        return tuple(
            Contact(SAME_CARRIAGE, r.who, r.seat)
            for r in others
            if mine is None or carriage(r.seat) in (None, mine)
        )
    crew = tuple(Contact(CREW, crew=name) for name in vehicle.crew)
    if not vehicle.ventilated:
        return tuple(Contact(SEALED, r.who, r.seat) for r in others) + crew
    mine = bus_row(case.seat, row_size)
    out = []
    for r in others:
        row = bus_row(r.seat, row_size)
        if mine is None or row is None:
            out.append(Contact(SEAT_UNKNOWN, r.who, r.seat))
        elif abs(row - mine) <= ROWS_AROUND:
            out.append(Contact(NEAR_ROWS, r.who, r.seat))
    return tuple(out) + crew


def _others(case: Rider, riders: Sequence[Rider]) -> list[Rider]:
    seen: set[int] = {case.who}
    out = []
    for r in riders:
        if r.who not in seen:
            seen.add(r.who)
            out.append(r)
    return out
