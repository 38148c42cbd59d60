"""Re-planning (issue 5 item 3): new and changed applications go into free seats or new vehicles;
nobody on a dispatched vehicle moves. Hypothesis properties on small generated campaigns, plus a
worked example (tiny solver limits, no Django)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeward.core.planning import (
    Application,
    Coach,
    PlanRequest,
    PlanResult,
    Point,
    StopCriterion,
    TrainSlot,
    WorkerDemand,
    check_plan,
    plan_campaign,
    replan,
)
from tests.core.planning_home import HOME

TINY = StopCriterion(max_iterations=100, no_improvement=50, max_seconds=5)
COUNTIES = ("330281", "341221", "341222", "361121", "411421", "520502", "999999")
FACTORIES = (Point(30.20, 121.25), Point(30.15, 121.40), Point(30.25, 121.10))
NOW = datetime(2020, 2, 20, 8, 0)


def _app(
    aid: str, ent: int, factory: Point, deadline_h: int, workers: list[tuple[str, str, bool]]
) -> Application:
    return Application(
        aid,
        f"E{ent}",
        "企业",
        factory,
        NOW + timedelta(hours=deadline_h),
        tuple(WorkerDemand(w, c, ok) for w, c, ok in workers),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[PlanRequest, PlanRequest, frozenset[int]]:
    wid = 0

    def workers(n: int, tag: str) -> list[tuple[str, str, bool]]:
        nonlocal wid
        out = []
        for _ in range(n):
            wid += 1
            out.append((f"{tag}{wid:04d}", draw(st.sampled_from(COUNTIES)), draw(st.integers(0, 9)) > 0))
        return out

    apps = [
        _app(
            f"A{a}",
            draw(st.integers(0, 2)),
            draw(st.sampled_from(FACTORIES)),
            draw(st.integers(10, 40)),
            workers(draw(st.integers(1, 30)), "W"),
        )
        for a in range(draw(st.integers(1, 4)))
    ]
    slots = []
    if draw(st.booleans()):
        dep = NOW + timedelta(hours=draw(st.integers(3, 12)))
        slots.append(TrainSlot("T1", "慈溪号", "毕节", "余姚北", dep, dep + timedelta(hours=11), 40, 50))
    coaches = [
        Coach(f"浙B{i:05d}", draw(st.sampled_from((49, 55))), "慈溪客运", "cixi")
        for i in range(draw(st.integers(1, 8)))
    ]
    coaches.append(Coach("贵F00001", 55, "毕节客运", "520500"))
    first = PlanRequest(
        home=HOME,
        now=NOW,
        applications=tuple(apps),
        train_slots=tuple(slots),
        coaches=tuple(coaches),
        origin_risk=(("341222", "medium"),),
        seed=draw(st.integers(0, 3)),
        stop=TINY,
    )
    # later: some applications withdrawn, one changed (another factory), new ones arrive
    later = list(apps)
    for i in sorted(draw(st.sets(st.integers(0, len(apps) - 1), max_size=len(apps) // 2)), reverse=True):
        later.pop(i)
    if later and draw(st.booleans()):
        k = draw(st.integers(0, len(later) - 1))
        later[k] = replace(later[k], destination=draw(st.sampled_from(FACTORIES)))
    for n in range(draw(st.integers(0, 3))):
        later.append(
            _app(
                f"N{n}",
                draw(st.integers(0, 3)),
                draw(st.sampled_from(FACTORIES)),
                draw(st.integers(10, 40)),
                workers(draw(st.integers(1, 25)), "N"),
            )
        )
    second = replace(first, applications=tuple(later), now=NOW + timedelta(minutes=draw(st.integers(0, 90))))
    picks = frozenset(draw(st.sets(st.integers(0, 40), max_size=12)))
    return first, second, picks


def _dispatched(result: PlanResult, picks: frozenset[int]) -> frozenset[str]:
    return frozenset(v.id for i, v in enumerate(result.vehicles) if i in picks)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_replanning_never_moves_workers_on_dispatched_vehicles(
    scenario: tuple[PlanRequest, PlanRequest, frozenset[int]],
) -> None:
    first, second, picks = scenario
    before = plan_campaign(first)
    dispatched = _dispatched(before, picks)
    after = replan(before, second, dispatched)
    # the plan's invariants: no worker in two seats, no vehicle above its cap, driver hours kept,
    # every worker of the new request on a vehicle or given a reason
    assert check_plan(second, after) == []
    for v in after.vehicles:
        assert len(v.manifest) <= v.seat_cap
    # dispatched vehicles (with a train's shuttles) are kept as they were, everyone on the same seat
    kept_ids = dispatched | {v.id for v in before.vehicles if v.kind == "shuttle" and v.feeds in dispatched}
    after_vehicles = {v.id: v for v in after.vehicles}
    seats_after = set(after.assignments)
    for v in before.vehicles:
        if v.id in kept_ids:
            assert after_vehicles[v.id] == v
    for a in before.assignments:
        if a.vehicle_id in kept_ids:
            assert a in seats_after
    explained = {u.worker_id for u in after.unassigned}
    on_board = {w for v in before.vehicles if v.id in kept_ids for w in v.manifest}
    assert not on_board & explained
    assert after.kpis["assigned"] + after.kpis["unassigned"] == after.kpis["workers"]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_replanning_is_repeatable(scenario: tuple[PlanRequest, PlanRequest, frozenset[int]]) -> None:
    first, second, picks = scenario
    before = plan_campaign(first)
    dispatched = _dispatched(before, picks)
    a, b = replan(before, second, dispatched), replan(before, second, dispatched)
    assert (a.assignments, a.vehicles, a.unassigned) == (b.assignments, b.vehicles, b.unassigned)


def test_new_workers_fill_free_seats_of_an_undispatched_bus() -> None:
    county = "341221"  # 临泉县 (Anhui)
    first = PlanRequest(
        home=HOME,
        now=NOW,
        applications=(_app("A1", 1, FACTORIES[0], 30, [(f"W{i:02d}", county, True) for i in range(20)]),),
        coaches=tuple(Coach(f"浙B{i:05d}", 55, "慈溪客运", "cixi") for i in range(4)),
        stop=TINY,
    )
    before = plan_campaign(first)
    assert before.kpis["buses"] == 1
    bus = before.vehicles[0]
    newcomers = _app("A2", 2, FACTORIES[0], 30, [(f"N{i:02d}", county, True) for i in range(10)])
    second = replace(first, applications=(*first.applications, newcomers))
    # not dispatched: the newcomers take free seats on the same bus; nobody already on it moves
    after = replan(before, second, frozenset())
    assert check_plan(second, after) == []
    assert after.kpis["buses"] == 1 and after.kpis["replan_filled"] == 10
    assert {a for a in before.assignments} <= set(after.assignments)
    # dispatched: the bus is kept as it was and the newcomers get a bus of their own
    after = replan(before, second, frozenset({bus.id}))
    assert check_plan(second, after) == []
    assert after.vehicles[0] == bus and after.kpis["buses"] == 2
    assert {a.vehicle_id for a in after.assignments if a.worker_id.startswith("N")} != {bus.id}
    # a withdrawn application frees its seats on an undispatched bus only
    third = replace(first, applications=(newcomers,))
    after = replan(before, third, frozenset())
    assert {a.worker_id for a in after.assignments} == {f"N{i:02d}" for i in range(10)}
    after = replan(before, third, frozenset({bus.id}))
    assert {a.worker_id for a in after.assignments if a.vehicle_id == bus.id} == set(bus.manifest)


def test_new_workers_fill_free_seats_of_an_undispatched_train() -> None:
    county = "520502"  # 七星关区 (毕节), by the 毕节 station
    dep = NOW + timedelta(hours=6)
    slot = TrainSlot("T1", "慈溪号", "毕节", "余姚北", dep, dep + timedelta(hours=11), 40, 50)  # 20 seats
    first = PlanRequest(
        home=HOME,
        now=NOW,
        applications=(_app("A1", 1, FACTORIES[0], 30, [(f"W{i:02d}", county, True) for i in range(15)]),),
        train_slots=(slot,),
        coaches=tuple(Coach(f"浙B{i:05d}", 55, "慈溪客运", "cixi") for i in range(4)),
        stop=TINY,
    )
    before = plan_campaign(first)
    train = next(v for v in before.vehicles if v.kind == "train")
    assert len(train.manifest) == 15
    newcomers = _app("A2", 2, FACTORIES[1], 30, [(f"N{i:02d}", county, True) for i in range(10)])
    second = replace(first, applications=(*first.applications, newcomers))
    after = replan(before, second, frozenset())
    assert check_plan(second, after) == []
    on_train = next(v for v in after.vehicles if v.kind == "train")
    assert len(on_train.manifest) == 20 and after.kpis["replan_filled"] >= 5
    kept = {(a.worker_id, a.seat) for a in before.assignments if a.vehicle_id == train.id}
    assert kept <= {(a.worker_id, a.seat) for a in after.assignments if a.vehicle_id == on_train.id}
    # dispatched, the train is kept as it was: the newcomers go another way
    after = replan(before, second, frozenset({train.id}))
    assert check_plan(second, after) == []
    assert next(v for v in after.vehicles if v.kind == "train") == train
