"""Where a vehicle is now, estimated from its planned schedule and its last scan (the command
dashboard, ``apps.trips.command``). Pure: no Django, no database.

The schedule is the plan's stops, each with an arrival and a departure time. Between two stops the
vehicle is placed on the straight line between them, in proportion to the time elapsed; at a stop
(between its arrival and departure) it is at the stop.

Delay: scans are the only facts the dashboard has about the road. The last scan on a vehicle says
where the vehicle was at the scan's device time, and the ticket it read says when the plan expected
it there (the worker's pickup time for a boarding, the leg's arrival time for an arrival). Their
difference, never below zero (a vehicle early at a pickup waits there), shifts the rest of the
schedule: the vehicle is where the plan put it ``delay`` ago, and its ETA is the planned arrival plus
``delay``. Two lower bounds keep the estimate honest when scans stop coming:

- a vehicle nobody has boarded yet is still at its first stop: it is late by the time since its
  planned departure;
- a vehicle boarded but not arrived is not at its destination before the arrival scan: once the
  shifted schedule runs out it waits at the last stop and its ETA is ``now``.

A vehicle is ``late`` once its delay reaches ``LATE_AFTER``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

LATE_AFTER: Final = timedelta(minutes=15)

WAITING: Final = "waiting"  # nobody has boarded it yet
IN_TRANSIT: Final = "in_transit"
ARRIVED: Final = "arrived"

_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class Stop:
    lon: float
    lat: float
    arrive: datetime
    depart: datetime


@dataclass(frozen=True, slots=True)
class Observation:
    """A scan on the vehicle: when it was made (device time) and when the plan expected it."""

    at: datetime
    planned: datetime

    @property
    def delay(self) -> timedelta:
        return max(self.at - self.planned, _ZERO)


@dataclass(frozen=True, slots=True)
class Track:
    state: str  # waiting / in_transit / arrived
    lon: float
    lat: float
    delay: timedelta
    eta: datetime  # the estimated arrival at the last stop
    next_stop: int  # the index of the next stop to reach (len(stops) once arrived)

    @property
    def late(self) -> bool:
        return self.delay >= LATE_AFTER


def scheduled_point(stops: Sequence[Stop], at: datetime) -> tuple[float, float, int]:
    """(lon, lat, next stop) where the schedule puts the vehicle at ``at``: at the first stop before
    its departure, at a stop while it stands there, on the line between two stops in proportion to
    the time elapsed, at the last stop after its arrival (next stop ``len(stops)``)."""
    if not stops:
        raise ValueError("a vehicle without stops has no position")
    first, last = stops[0], stops[-1]
    if at <= first.depart:
        return first.lon, first.lat, 1 if len(stops) > 1 else 0
    if at >= last.arrive:
        return last.lon, last.lat, len(stops)
    for i in range(1, len(stops)):
        prev, stop = stops[i - 1], stops[i]
        if at < stop.arrive:
            span = (stop.arrive - prev.depart).total_seconds()
            share = 0.0 if span <= 0 else min(max((at - prev.depart).total_seconds() / span, 0.0), 1.0)
            lon = prev.lon + (stop.lon - prev.lon) * share
            lat = prev.lat + (stop.lat - prev.lat) * share
            return lon, lat, i
        if at <= stop.depart:
            return stop.lon, stop.lat, i + 1
    return last.lon, last.lat, len(stops)  # pragma: no cover - at < last.arrive returned in the loop


def track(
    stops: Sequence[Stop],
    now: datetime,
    *,
    boarded: bool,
    arrived_at: datetime | None = None,
    last_scan: Observation | None = None,
) -> Track:
    """The vehicle's state, position, delay and ETA at ``now`` (see the module docstring).

    ``boarded``: some worker's boarding on it stands; ``arrived_at``: when it arrived (its arrival
    scans say so, the caller decides), or None; ``last_scan``: its latest scan, for the delay.

    Raises:
        ValueError: ``stops`` is empty.
    """
    if not stops:
        raise ValueError("a vehicle without stops has no position")
    planned_arrival = stops[-1].arrive
    last = stops[-1]
    if arrived_at is not None:
        delay = max(arrived_at - planned_arrival, _ZERO)
        return Track(ARRIVED, last.lon, last.lat, delay, arrived_at, len(stops))
    if not boarded:
        delay = max(now - stops[0].depart, _ZERO)
        first = stops[0]
        return Track(WAITING, first.lon, first.lat, delay, planned_arrival + delay, 0)
    delay = last_scan.delay if last_scan is not None else _ZERO
    delay = max(delay, now - planned_arrival)  # not there before its arrival scan
    lon, lat, next_stop = scheduled_point(stops, now - delay)
    return Track(IN_TRANSIT, lon, lat, delay, planned_arrival + delay, min(next_stop, len(stops) - 1))
