"""Where the command dashboard places a vehicle (``core.tracking``): interpolation between stops by
time, the delay of the last scan shifting the schedule, and the bounds when scans stop coming."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeward.core import tracking
from homeward.core.tracking import Observation, Stop, scheduled_point, track

T0 = datetime(2020, 2, 12, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
# pickup A (08:00) → pickup B (09:00–09:10) → factory C (13:10)
STOPS = [
    Stop(100.0, 20.0, T0, T0),
    Stop(102.0, 20.0, T0 + H, T0 + H + timedelta(minutes=10)),
    Stop(102.0, 24.0, T0 + 5 * H + timedelta(minutes=10), T0 + 5 * H + timedelta(minutes=10)),
]


def test_it_interpolates_between_stops_by_time_and_stands_at_a_stop() -> None:
    assert scheduled_point(STOPS, T0 - H) == (100.0, 20.0, 1)
    assert scheduled_point(STOPS, T0 + timedelta(minutes=30)) == (101.0, 20.0, 1)
    assert scheduled_point(STOPS, T0 + H + timedelta(minutes=5)) == (102.0, 20.0, 2)
    assert scheduled_point(STOPS, T0 + 3 * H + timedelta(minutes=10)) == (102.0, 22.0, 2)
    assert scheduled_point(STOPS, T0 + 9 * H) == (102.0, 24.0, 3)


def test_the_last_scans_delay_shifts_the_position_and_the_eta() -> None:
    now = T0 + 3 * H + timedelta(minutes=40)
    scanned = Observation(at=T0 + H + timedelta(minutes=40), planned=T0 + H + timedelta(minutes=10))
    t = track(STOPS, now, boarded=True, last_scan=scanned)
    assert t.state == tracking.IN_TRANSIT and t.delay == timedelta(minutes=30) and t.late
    assert (t.lon, t.lat) == (102.0, 22.0)  # where the plan put it 30 minutes ago
    assert t.eta == STOPS[-1].arrive + timedelta(minutes=30)
    on_time = track(STOPS, now, boarded=True, last_scan=Observation(T0 - timedelta(minutes=5), T0))
    assert on_time.delay == timedelta(0) and not on_time.late  # early at a pickup: it waits


def test_a_vehicle_nobody_boarded_is_at_its_first_stop_and_late_by_the_wait() -> None:
    t = track(STOPS, T0 + timedelta(minutes=20), boarded=False)
    assert (t.state, t.lon, t.lat, t.delay, t.late) == (
        tracking.WAITING,
        100.0,
        20.0,
        timedelta(minutes=20),
        True,
    )
    assert not track(STOPS, T0 - H, boarded=False).late


def test_a_vehicle_is_not_at_its_destination_before_its_arrival_scan() -> None:
    now = STOPS[-1].arrive + H
    t = track(STOPS, now, boarded=True, last_scan=Observation(T0, T0))
    assert t.state == tracking.IN_TRANSIT and t.eta == now and t.delay == H
    arrived = track(STOPS, now, boarded=True, arrived_at=now - timedelta(minutes=50))
    assert arrived.state == tracking.ARRIVED and arrived.eta == now - timedelta(minutes=50)


def test_a_vehicle_without_stops_has_no_position() -> None:
    with pytest.raises(ValueError):
        track([], T0, boarded=False)


minutes = st.integers(min_value=-600, max_value=1500)


@given(now=minutes, scan_at=minutes, planned=minutes, boarded=st.booleans())
def test_the_estimate_stays_on_the_route_and_never_promises_the_past(
    now: int, scan_at: int, planned: int, boarded: bool
) -> None:
    at = T0 + timedelta(minutes=now)
    scan = Observation(T0 + timedelta(minutes=scan_at), T0 + timedelta(minutes=planned))
    t = track(STOPS, at, boarded=boarded, last_scan=scan)
    assert 100.0 <= t.lon <= 102.0 and 20.0 <= t.lat <= 24.0
    assert t.delay >= timedelta(0) and t.eta >= STOPS[-1].arrive
    assert t.eta >= at  # a vehicle still on the way is never expected in the past
    assert t.late == (t.delay >= tracking.LATE_AFTER)
