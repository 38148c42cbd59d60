"""The planner's fast paths answer exactly what the plain rule answers: the city day asks them
millions of times, and a plan must not change when one of them is made faster."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from homeward.core.planning.driving import DAY, Crew, _day_table, _in_window, check_drive_spans
from homeward.core.planning.model import Coach, Rules
from homeward.core.planning.planner.fleet import Pool
from tests.core.planning_home import HOME

hours = st.integers(0, 23)


@given(hours, st.integers(1, 6), hours, hours, st.integers(0, DAY - 1))
def test_the_day_table_is_the_clock_rule_read_at_each_minute(
    curfew_start: int, curfew_hours: int, night_start: int, night_end: int, tod: int
) -> None:
    curfew_end = (curfew_start + curfew_hours) % 24
    in_curfew, curfew_left, night, edge = _day_table(curfew_start, curfew_end, night_start, night_end)[tod]
    assert in_curfew == _in_window(tod, curfew_start, curfew_end)
    assert night == _in_window(tod, night_start, night_end)
    if in_curfew:  # resting until the curfew ends lands outside it
        assert not _in_window((tod + curfew_left) % DAY, curfew_start, curfew_end)
        assert all(_in_window((tod + k) % DAY, curfew_start, curfew_end) for k in range(curfew_left))
    # the next boundary: the first minute from now on that starts the curfew or starts/ends night
    starts = {curfew_start * 60, night_start * 60, night_end * 60}
    assert 0 < edge <= DAY
    assert (tod + edge) % DAY in starts
    assert not any((tod + k) % DAY in starts for k in range(1, edge))


@given(
    st.integers(0, 1439),
    st.integers(0, 23),
    st.integers(1, 5),
    st.integers(18, 23),
    st.integers(4, 8),
    st.lists(st.integers(1, 900), min_size=1, max_size=5),
    st.integers(1, 2),
)
def test_driving_keeps_the_rules_whatever_the_hours_of_night_and_curfew(
    clock0: int,
    curfew_start: int,
    curfew_hours: int,
    night_start: int,
    night_end: int,
    legs: list[int],
    crew_size: int,
) -> None:
    rules = Rules(
        curfew_start_hour=curfew_start,
        curfew_end_hour=(curfew_start + curfew_hours) % 24,
        night_start_hour=night_start,
        night_end_hour=night_end,
    )
    crew = Crew(rules=rules, clock0=clock0, t=0, size=crew_size)
    for leg in legs:
        crew.drive(leg)
        crew.stop(15)
    assert sum(e - s for _, s, e in crew.spans) == sum(legs)
    assert check_drive_spans(crew.spans, clock0, rules) == []


@given(
    st.lists(st.integers(8, 70), max_size=12),
    st.integers(1, 70),
    st.sampled_from([50, 70, 90, 100]),
    st.integers(0, 4),
)
def test_whether_a_base_has_a_coach_is_whether_any_of_its_coaches_seats_the_load(
    seats: list[int], load: int, cap_pct: int, taken: int
) -> None:
    rules = Rules()
    coaches = [Coach(f"浙B{n:05d}", s, "carrier", HOME.base) for n, s in enumerate(seats)]
    pool = Pool.of(coaches, rules, HOME)
    for _ in range(taken):  # coaches leave the pool as buses take them
        pool.take(HOME.base, 1, cap_pct)
    left = pool.coaches(HOME.base)
    expected = any(rules.seat_cap(c.seats, cap_pct) >= load for c in left)
    assert pool.has_coach(HOME.base, load, cap_pct) == expected
