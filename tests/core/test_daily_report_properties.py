"""The daily report's arithmetic (``core.daily_report``): named cases for each figure's definition,
and properties over random event histories (town rows add up to the total, arrivals never exceed
departures, shares in [0, 1], a worker counted once however many scans, days add up to the
running totals, the report of a day does not move when later days are scanned)."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from homeward.core import scans
from homeward.core.daily_report import (
    BEIJING,
    Figures,
    TownRef,
    WorkerRef,
    daily_report,
    day_window,
)

DAY = date(2026, 2, 20)
START, END = day_window(DAY)
TOWNS = (TownRef(1, "浒山街道"), TownRef(2, "周巷镇"), TownRef(3, "观海卫镇"))
KINDS = {"bus-1": "bus", "bus-2": "bus", "train-1": "train", "shuttle-1": "shuttle"}


def fact(
    nonce: str, worker: int, checkpoint: str, at: datetime, outcome: str = "ok", vehicle: str = ""
) -> scans.ScanFact:
    leg = 1 if checkpoint == scans.SHUTTLE_BOARD else 0
    return scans.ScanFact(nonce, worker, leg, checkpoint, vehicle, at, outcome)


def test_the_day_is_beijing_local_midnight_to_midnight() -> None:
    start, end = day_window(DAY)
    assert start.isoformat() == "2026-02-20T00:00:00+08:00" and end - start == timedelta(days=1)
    assert start.utcoffset() == timedelta(hours=8)


def test_each_figure_as_the_docstring_defines_it() -> None:
    at = START + timedelta(hours=8)
    deadline = START + timedelta(hours=20)
    workers = {
        1: WorkerRef(1, deadline),  # boards, arrives on time
        2: WorkerRef(1, START + timedelta(hours=9)),  # boards, arrives late
        3: WorkerRef(2, deadline),  # fever at boarding: observation, not arrived
        4: WorkerRef(2, None),  # set off yesterday, arrives today; no deadline: not on time
    }
    facts = [
        fact("a1", 1, "board", at, vehicle="bus-1"),
        fact("a2", 1, "board", at + timedelta(minutes=3), vehicle="bus-1"),  # a second boarding: a conflict
        fact("a3", 1, "gate", at + timedelta(hours=10)),
        fact("b1", 2, "board", at, vehicle="bus-1"),
        fact("b2", 2, "gate", at + timedelta(hours=10)),
        fact("c1", 3, "board", at, outcome="observation", vehicle="bus-1"),
        fact("d1", 4, "board", START - timedelta(hours=2), vehicle="train-1"),
        fact("d2", 4, "shuttle_board", at, vehicle="shuttle-1"),
        fact("d3", 4, "gate", at + timedelta(hours=1)),
        fact("e1", 4, "gate", END + timedelta(hours=1), outcome="observation"),  # tomorrow: ignored
    ]
    report = daily_report(DAY, facts, workers, TOWNS, KINDS)
    one, two, three = (r.figures for r in report.rows)
    # bus-1 carried two riders of town 1 and one of town 2: it is town 1's
    assert (one.buses, one.trains, one.shuttles) == (1, 0, 0)
    # the train boarded yesterday; the shuttle today, with town 2's rider
    assert (two.buses, two.trains, two.shuttles) == (0, 0, 1)
    assert (one.moved, one.arrived, one.arrived_on_time) == (2, 2, 1)
    assert one.share_on_time == 0.5
    assert (two.moved, two.moved_to_date, two.arrived, two.arrived_on_time) == (1, 2, 1, 0)
    assert (two.new_observation, two.in_observation) == (1, 1)
    assert three == Figures() and three.share_on_time is None
    assert report.total == one + two + three


def test_a_normal_check_after_observation_ends_it() -> None:
    at = START + timedelta(hours=8)
    facts = [
        fact("a1", 1, "board", at, outcome="observation", vehicle="bus-1"),
        fact("a2", 1, "gate", at + timedelta(hours=5)),
    ]
    figures = daily_report(DAY, facts, {1: WorkerRef(1, None)}, TOWNS, KINDS).total
    assert (figures.new_observation, figures.in_observation) == (1, 0)


def test_a_tied_pooled_bus_goes_to_the_first_town_in_the_report() -> None:
    at = START + timedelta(hours=8)
    facts = [fact("a", 1, "board", at, vehicle="bus-2"), fact("b", 2, "board", at, vehicle="bus-2")]
    workers = {1: WorkerRef(3, None), 2: WorkerRef(2, None)}
    report = daily_report(DAY, facts, workers, TOWNS, KINDS)
    assert [r.figures.buses for r in report.rows] == [0, 1, 0]


def test_a_town_officer_sees_their_rows_and_their_sum() -> None:
    at = START + timedelta(hours=8)
    facts = [fact("a", 1, "board", at, vehicle="bus-1"), fact("b", 2, "board", at, vehicle="bus-2")]
    report = daily_report(DAY, facts, {1: WorkerRef(1, None), 2: WorkerRef(2, None)}, TOWNS, KINDS)
    mine = report.only([2])
    assert [r.town.name for r in mine.rows] == ["周巷镇"]
    assert mine.total == Figures(buses=1, moved=1, moved_to_date=1)


# ------------------------------------------------------------------------------------- properties

WORKERS = {w: WorkerRef(town=1 + w % 3, deadline_at=START + timedelta(hours=6 * w)) for w in range(1, 7)}
WORKERS[7] = WorkerRef(town=2, deadline_at=None)
# device times over four days around DAY, in half-hour steps
times = st.integers(-48, 4 * 48).map(lambda n: START - timedelta(days=1) + timedelta(minutes=30 * n))
facts = st.builds(
    scans.ScanFact,
    nonce=st.text("abcdef0123", min_size=8, max_size=8),
    worker=st.sampled_from(sorted(WORKERS)),
    leg=st.integers(0, 1),
    checkpoint=st.sampled_from(scans.CHECKPOINTS),
    vehicle_key=st.sampled_from([*KINDS, "unplanned-1", ""]),
    client_at=times,
    outcome=st.sampled_from(["ok", "observation", "refused"]),
)
histories = st.lists(facts, max_size=30, unique_by=lambda f: f.nonce)


def report_of(history: list[scans.ScanFact], day: date = DAY):
    return daily_report(day, history, WORKERS, TOWNS, KINDS)


@settings(deadline=None)  # timing on a shared 2-core machine is not what is tested
@given(histories)
def test_town_rows_add_up_to_the_total(history) -> None:
    report = report_of(history)
    assert sum((r.figures for r in report.rows), Figures()) == report.total


@settings(deadline=None)
@given(histories)
def test_arrivals_never_exceed_departures_and_shares_are_proportions(history) -> None:
    for row in report_of(history).rows:
        f = row.figures
        assert f.arrived_to_date <= f.moved_to_date and f.arrived <= f.arrived_to_date
        assert f.moved <= f.moved_to_date and f.arrived_on_time <= f.arrived
        assert f.on_time_to_date <= f.arrived_to_date and f.in_observation <= f.moved_to_date
        for share in (f.share_on_time, f.share_on_time_to_date):
            assert share is None or 0 <= share <= 1


@settings(deadline=None)
@given(histories)
def test_no_figure_counts_a_worker_twice(history) -> None:
    total = report_of(history).total
    people = len({f.worker for f in history if f.outcome != "refused" and f.client_at < END})
    assert (
        max(getattr(total, f.name) for f in fields(total) if f.name not in ("buses", "trains", "shuttles"))
        <= people
    )
    vehicles = {f.vehicle_key for f in history if f.checkpoint in scans.BOARDINGS and f.outcome != "refused"}
    assert total.buses + total.trains + total.shuttles <= len(vehicles - {""})


@settings(deadline=None)
@given(histories, st.randoms(use_true_random=False))
def test_repeated_scans_and_upload_order_change_nothing(history, random) -> None:
    # every scan uploaded again, and a later scan of the same handover (a conflict) for each
    again = [replace(f, nonce=f.nonce + "-x", client_at=f.client_at + timedelta(minutes=1)) for f in history]
    replay = history + history + again
    random.shuffle(replay)
    assert report_of(replay) == report_of(history)


@settings(deadline=None)
@given(histories)
def test_the_days_add_up_to_the_running_totals(history) -> None:
    days = [DAY + timedelta(days=n) for n in range(-2, 4)]  # every day a scan can fall on
    reports = [report_of(history, d) for d in days]
    last = reports[-1].total
    assert sum(r.total.moved for r in reports) == last.moved_to_date
    assert sum(r.total.arrived for r in reports) == last.arrived_to_date
    assert sum(r.total.arrived_on_time for r in reports) == last.on_time_to_date


@settings(deadline=None)
@given(histories, histories)
def test_a_past_day_does_not_move_when_later_days_are_scanned(history, later) -> None:
    after = [replace(f, nonce="later-" + f.nonce, client_at=max(f.client_at, END)) for f in later]
    assert report_of(history + after) == report_of(history)


def test_a_worker_of_an_unknown_town_is_refused() -> None:
    at = datetime(2026, 2, 20, 9, 0, tzinfo=BEIJING)
    try:
        daily_report(DAY, [fact("a", 9, "board", at)], {9: WorkerRef(99, None)}, TOWNS, KINDS)
    except ValueError as exc:
        assert "town 99" in str(exc)
    else:
        raise AssertionError("a town outside the report was accepted")
