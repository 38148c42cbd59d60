"""The scan rules of ``core.scans``: the health rule, and the conflict rule's derivation, which must
not depend on the order events arrive in nor on how often each is uploaded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from homeward.core import scans as rules

T0 = datetime(2026, 2, 20, 8, 0, tzinfo=UTC)


def test_fever_or_a_code_that_is_not_green_routes_to_observation() -> None:
    assert rules.health_outcome(Decimal("37.2"), "green") == ("ok", "")
    assert rules.health_outcome(Decimal("37.3"), "green") == ("observation", "fever")
    assert rules.health_outcome(None, "yellow") == ("observation", "health_code")
    assert rules.health_outcome(None, "") == ("ok", "")


def test_the_earliest_device_time_wins_and_later_scans_are_conflicts() -> None:
    late = rules.ScanFact("n-late", 1, 0, "board", "bus-1", T0 + timedelta(minutes=5), "ok")
    early = rules.ScanFact("n-early", 1, 0, "board", "bus-2", T0, "ok")
    refused = rules.ScanFact("n-0", 1, 0, "board", "bus-3", T0 - timedelta(minutes=5), "refused")
    derived = rules.derive([late, refused, early])
    assert derived.winners[(1, 0, "board")] is early
    assert derived.conflicts == (late,)
    assert derived.riders == {"bus-2": frozenset({1})} and derived.stages == {1: "on_vehicle"}


facts = st.builds(
    rules.ScanFact,
    nonce=st.text("abcdef0123", min_size=8, max_size=8),
    worker=st.sampled_from([1, 2, 3, None]),
    leg=st.integers(0, 1),
    checkpoint=st.sampled_from(rules.CHECKPOINTS),
    vehicle_key=st.sampled_from(["bus-1", "bus-2", "train-1"]),
    client_at=st.integers(0, 5).map(lambda m: T0 + timedelta(minutes=m)),
    outcome=st.sampled_from(["ok", "observation", "refused"]),
)


@given(st.lists(facts, max_size=20, unique_by=lambda f: f.nonce), st.randoms(use_true_random=False))
def test_replaying_twice_or_in_another_order_derives_the_same_state(batch, random) -> None:
    replay = batch + batch[: len(batch) // 2]  # a partial re-upload
    random.shuffle(replay)
    assert rules.derive(replay).key() == rules.derive(batch).key()


BUS, TRAIN, SHUTTLE = ("bus", "B-1"), ("train", "T-1"), ("shuttle", "S-1")


def test_each_checkpoint_reads_the_leg_of_its_vehicle_kind() -> None:
    feeder = [("bus", "F-1"), TRAIN, SHUTTLE]
    # a feeder rider boards the feeder bus at home and the train at the origin station (by its key)
    assert rules.leg_of("board", feeder) == 0
    assert rules.leg_of("board", feeder, {"T-1"}) == 1
    assert [rules.leg_of(c, feeder) for c in ("station_arrival", "shuttle_board", "gate")] == [1, 2, 2]
    assert [rules.leg_of(c, [TRAIN, SHUTTLE]) for c in rules.CHECKPOINTS] == [0, 0, 1, 1]
    # a bus ticket has no station arrival nor shuttle: refused as no_leg, not read as the bus
    assert [rules.leg_of(c, [BUS]) for c in rules.CHECKPOINTS] == [0, None, None, 0]
    assert rules.leg_of("board", [BUS], {"another bus"}) == 0  # then refused as wrong_vehicle
    assert rules.leg_of("gate", []) is None


legs_st = st.lists(st.sampled_from([BUS, ("bus", "F-1"), TRAIN, SHUTTLE, ("", "X")]), max_size=4)


@given(legs_st, st.sampled_from(rules.CHECKPOINTS), st.sets(st.sampled_from(["B-1", "F-1", "T-1", "S-1"])))
def test_a_scan_reads_a_leg_of_its_kind_preferring_the_scanners_vehicle(legs, checkpoint, vehicles) -> None:
    leg = rules.leg_of(checkpoint, legs, vehicles)
    if checkpoint == rules.GATE:
        assert leg == (len(legs) - 1 if legs else None)
        return
    fitting = [i for i, (kind, _) in enumerate(legs) if kind in rules.LEG_KINDS[checkpoint]]
    assert (leg is None) == (not fitting)
    if fitting:
        assert leg in fitting
        mine = [i for i in fitting if legs[i][1] in vehicles]
        assert leg == (mine or fitting)[0]


def test_the_boarding_checkpoint_of_each_vehicle_kind_reads_a_leg_of_that_kind() -> None:
    from homeward.core.scans import BOARD, SHUTTLE_BOARD, boarding_checkpoint, leg_of

    assert [boarding_checkpoint(k) for k in ("bus", "train", "shuttle")] == [BOARD, BOARD, SHUTTLE_BOARD]
    feeder = [("bus", "b1"), ("train", "t1"), ("shuttle", "s1")]
    for n, (kind, key) in enumerate(feeder):
        assert leg_of(boarding_checkpoint(kind), feeder, {key}) == n


def test_a_checkpoint_happens_at_its_legs_pickup_or_destination() -> None:
    leg = {"kind": "train", "pickup": "阜阳", "destination": "余姚北"}
    assert rules.checkpoint_place(rules.BOARD, leg) == "阜阳"
    assert rules.checkpoint_place(rules.SHUTTLE_BOARD, {"pickup": "余姚北"}) == "余姚北"
    assert rules.checkpoint_place(rules.STATION_ARRIVAL, leg) == "余姚北"
    assert rules.checkpoint_place(rules.GATE, {"destination": "某厂"}) == "某厂"


@given(st.text(min_size=1, max_size=8).filter(lambda s: s.strip() and not s.strip().endswith("站")))
def test_a_station_is_the_same_place_with_or_without_its_suffix(name: str) -> None:
    assert rules.same_place(name, f"{name}站") and rules.same_place(f"{name}站", name)
    assert not rules.same_place(name, f"{name}东站") and not rules.same_place("", "站")
