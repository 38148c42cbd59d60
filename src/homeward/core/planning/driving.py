"""Driver-hour rules (DESIGN §5): schedule driving legs and check a schedule against the rules.

Times are integer minutes after the plan's ``now``; ``clock0`` is ``now``'s wall-clock minute of the
day (China Standard Time) so that night and the 02:00–05:00 curfew can be placed.

Rules applied to each driver: at most ``day_continuous_min`` (4 h) of continuous driving, of which at
most ``night_continuous_min`` (2 h) at night (22:00–06:00); a block ends with a rest of at least
``break_min`` (20 min); at most ``daily_drive_min`` (8 h) in any 24 h; nobody drives 02:00–05:00.
With two drivers, they relay (a ``relay_min`` stop) instead of taking a break when the other is rested.
With ``relay_crews``, a crew whose every driver has used the daily limit hands the vehicle to a fresh
crew of the same size at a relay point (a ``crew_change_min`` stop, event ``crew_change``); the crew
that leaves drives no more. Drivers are numbered over the whole trip, crews one after another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from homeward.core.planning.model import Rules

DAY = 1440


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # break, relay, night_rest, daily_rest
    start: int
    end: int


@dataclass(slots=True)
class _Driver:
    spans: list[tuple[int, int]] = field(default_factory=list)
    block: int = 0  # minutes in the current continuous block
    block_night: int = 0
    last_end: int = -(10**9)
    total: int = 0  # minutes driven on the whole trip: the 24-hour sum needs reading only near the limit

    def driven_since(self, t0: int) -> int:
        total = 0
        for s, e in reversed(self.spans):  # chronological and disjoint: stop at the first old one
            if e <= t0:
                break
            total += e - max(s, t0)
        return total


def _tod(t: int, clock0: int) -> int:
    return (t + clock0) % DAY


def _in_window(tod: int, start_h: int, end_h: int) -> bool:
    s, e = start_h * 60, end_h * 60
    return s <= tod < e if s < e else (tod >= s or tod < e)


def _minutes_to_boundary(t: int, clock0: int, hours: tuple[int, ...]) -> int:
    return _to_boundary(_tod(t, clock0), hours)


@cache
def _to_boundary(tod: int, hours: tuple[int, ...]) -> int:
    """Minutes from the time of day ``tod`` to the next of ``hours`` (a day when ``tod`` is one):
    a few thousand distinct questions asked millions of times by the schedule, so remembered."""
    best = DAY
    for h in hours:
        d = (h * 60 - tod) % DAY
        if d == 0:
            d = DAY
        best = min(best, d)
    return best


@cache
def _day_table(
    curfew_start: int, curfew_end: int, night_start: int, night_end: int
) -> tuple[tuple[bool, int, bool, int], ...]:
    """For each minute of the day: whether it is in the curfew, the minutes to the curfew's end,
    whether it is night, and the minutes to the next clock boundary (curfew start, night start or
    end) — what a crew's every driving step reads, computed once per set of hours."""
    out = []
    for tod in range(DAY):
        out.append(
            (
                _in_window(tod, curfew_start, curfew_end),
                (curfew_end * 60 - tod) % DAY,
                _in_window(tod, night_start, night_end),
                _to_boundary(tod, (curfew_start, night_start, night_end)),
            )
        )
    return tuple(out)


@dataclass(slots=True)
class Crew:
    """A vehicle's crew driving through a sequence of legs; ``drive`` advances the clock."""

    rules: Rules
    clock0: int
    t: int
    size: int = 1
    drivers: list[_Driver] = field(default_factory=list)
    current: int = 0
    events: list[Event] = field(default_factory=list)
    spans: list[tuple[int, int, int]] = field(default_factory=list)  # (driver, start, end)
    crew_start: int = 0  # drivers[crew_start:] are on board; earlier crews have left

    _day: tuple[tuple[bool, int, bool, int], ...] = field(init=False, default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.drivers:
            self.drivers = [_Driver() for _ in range(self.size)]
        r = self.rules
        self._day = _day_table(r.curfew_start_hour, r.curfew_end_hour, r.night_start_hour, r.night_end_hour)

    @property
    def crew_changes(self) -> int:
        return self.crew_start // max(1, self.size)

    def _rest_all(self, kind: str, until: int) -> None:
        if until <= self.t:
            return
        self.events.append(Event(kind, self.t, until))
        self.t = until
        self._refresh()

    def _refresh(self) -> None:
        for d in self.drivers:
            if self.t - d.last_end >= self.rules.break_min:
                d.block = 0
                d.block_night = 0

    def _change_crew(self) -> None:
        self.events.append(Event("crew_change", self.t, self.t + self.rules.crew_change_min))
        self.t += self.rules.crew_change_min
        self.crew_start = len(self.drivers)
        self.drivers.extend(_Driver() for _ in range(self.size))
        self.current = self.crew_start

    def stop(self, minutes: int) -> None:
        """A stop that is not driving (boarding, alighting): the clock runs, drivers rest."""
        self.t += max(0, minutes)
        self._refresh()

    def _limit(self, d: _Driver) -> int:
        _, _, night, edge = self._day[(self.t + self.clock0) % DAY]
        return self._room(d, night, edge)

    def _room(self, d: _Driver, night: bool, edge: int) -> int:
        """Minutes ``d`` may drive on from now, the time of day's facts (``_day_table``) already
        read (the schedule's innermost step: millions of calls on a city-scale day)."""
        r = self.rules
        room = r.day_continuous_min - d.block
        if night and r.night_continuous_min - d.block_night < room:
            room = r.night_continuous_min - d.block_night
        if r.daily_drive_min - d.total < room:  # else the 24-hour sum (at most the total) cannot bind
            room = min(room, r.daily_drive_min - d.driven_since(self.t - DAY))
        # chunks end at clock boundaries so that night/curfew limits are re-read there
        if edge < room:
            room = edge
        return room if room > 0 else 0

    def drive(self, minutes: int) -> None:
        r = self.rules
        day = self._day
        left = minutes
        guard = 0
        while left > 0:
            guard += 1
            if guard > 10_000:  # pragma: no cover - defensive
                raise RuntimeError("driver scheduling did not converge")
            curfew, curfew_left, night, edge = day[(self.t + self.clock0) % DAY]
            if curfew:
                self._rest_all("night_rest", self.t + curfew_left)
                continue
            d = self.drivers[self.current]
            room = self._room(d, night, edge)
            if room <= 0:
                # relay to a rested driver, else everyone rests
                other = next(
                    (
                        i
                        for i in range(self.crew_start, len(self.drivers))
                        if i != self.current
                        and self.t - self.drivers[i].last_end >= r.break_min
                        and self._limit(self.drivers[i]) > 0
                    ),
                    None,
                )
                if other is not None:
                    self.events.append(Event("relay", self.t, self.t + r.relay_min))
                    self.t += r.relay_min
                    self.current = other
                    self._refresh()
                    continue
                on_board = self.drivers[self.crew_start :]
                if all(
                    o.total >= r.daily_drive_min and o.driven_since(self.t - DAY) >= r.daily_drive_min
                    for o in on_board
                ):
                    if r.relay_crews:
                        self._change_crew()
                        continue
                    # stop-only: wait in 30 min steps until a driver may drive again
                    until = self.t
                    while all(o.driven_since(until - DAY) >= r.daily_drive_min - 30 for o in on_board):
                        until += 30
                    self._rest_all("daily_rest", until)
                else:
                    self._rest_all("break", self.t + r.break_min)
                continue
            chunk = min(left, room)
            self.spans.append((self.current, self.t, self.t + chunk))
            if d.spans and d.spans[-1][1] == self.t:  # contiguous: one span (same driven_since)
                d.spans[-1] = (d.spans[-1][0], self.t + chunk)
            else:
                d.spans.append((self.t, self.t + chunk))
            d.block += chunk
            d.total += chunk
            if night:
                d.block_night += chunk
            self.t += chunk
            d.last_end = self.t
            left -= chunk
            # after a chunk that ended at a boundary, the next loop re-reads the clock


def check_drive_spans(spans: list[tuple[int, int, int]], clock0: int, rules: Rules) -> list[str]:
    """Problems with driving spans (driver, start, end) in minutes; empty when all rules hold."""
    problems: list[str] = []
    r = rules
    by_driver: dict[int, list[tuple[int, int]]] = {}
    for drv, s, e in spans:
        if e < s:
            problems.append(f"negative span {s}-{e}")
        by_driver.setdefault(drv, []).append((s, e))
        # curfew: check minute by minute boundaries cheaply — the span must not intersect 02:00–05:00
        t = s
        while t < e:
            tod = _tod(t, clock0)
            if _in_window(tod, r.curfew_start_hour, r.curfew_end_hour):
                problems.append(f"driver {drv} drives at {tod // 60:02d}:{tod % 60:02d}")
                break
            t += min(e - t, _minutes_to_boundary(t, clock0, (r.curfew_start_hour,)))
    for drv, ss in by_driver.items():
        ss.sort()
        # continuous blocks: spans separated by less than a break
        block = 0
        night = 0
        for i, (s, e) in enumerate(ss):
            if i > 0 and s - ss[i - 1][1] >= r.break_min:
                block, night = 0, 0
            block += e - s
            night += sum(
                1 for m in range(s, e) if _in_window(_tod(m, clock0), r.night_start_hour, r.night_end_hour)
            )
            if block > r.day_continuous_min:
                problems.append(f"driver {drv} drives {block} min without a break")
            if night > r.night_continuous_min:
                problems.append(f"driver {drv} drives {night} min at night without a break")
        for s, _ in ss:
            total = sum(max(0, min(e2, s + DAY) - max(s2, s)) for s2, e2 in ss)
            if total > r.daily_drive_min:
                problems.append(f"driver {drv} drives {total} min in 24 h from minute {s}")
    return problems
