"""Hypothesis properties of the planner on small generated campaigns (tiny solver limits), under
soft and hard deadlines: no worker in two seats, no vehicle above its cap, driver-hour rules and
the 02:00–05:00 curfew kept, every worker assigned or given a reason, late workers assigned and
flagged once with their minutes over, journeys whose legs connect (a train boarded only after its
feeder bus arrives at the station, a shuttle after the train), and the same seed gives the same
plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeward.core.planning import (
    Application,
    Coach,
    PlanRequest,
    Point,
    StopCriterion,
    TrainSlot,
    WorkerDemand,
    check_plan,
    plan_campaign,
)
from homeward.core.planning.driving import Crew, check_drive_spans
from homeward.core.planning.model import Rules
from tests.core.planning_home import HOME

TINY = StopCriterion(max_iterations=100, no_improvement=50, max_seconds=5)
# near Cixi, mid-distance (Anhui, Jiangxi, Henan), far (Guizhou, near the 毕节 station; Zunyi, beyond
# its catchment but within a feeder bus's reach), and unknown
COUNTIES = ("330281", "341221", "341222", "361121", "411421", "520502", "520521", "520302", "999999")
FACTORIES = (Point(30.20, 121.25), Point(30.15, 121.40), Point(30.25, 121.10))
RISKS = ("low", "medium", "high", "closed")

settings.register_profile(
    "planning", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def requests(draw: st.DrawFn, feeders: bool = False) -> PlanRequest:
    """A small campaign; with ``feeders``, also Zunyi workers a bus brings late, a Zunyi coach and
    a train from 毕节 that a feeder bus from Zunyi can make."""
    now = datetime(2020, 2, 20) + timedelta(minutes=draw(st.integers(0, 24 * 60 - 1)))
    apps = []
    wid = 0
    if feeders:
        n = draw(st.integers(1, 40))
        apps.append(
            Application(
                "AZ",
                "EZ",
                "企业",
                draw(st.sampled_from(FACTORIES)),
                now + timedelta(hours=draw(st.integers(20, 28))),
                tuple(WorkerDemand(f"Z{i:04d}", "520302") for i in range(n)),
            )  # fmt: skip
        )
    for a in range(draw(st.integers(1, 4))):
        workers = []
        for _ in range(draw(st.integers(1, 30))):
            wid += 1
            workers.append(
                WorkerDemand(
                    f"W{wid:04d}", draw(st.sampled_from(COUNTIES)), draw(st.booleans()) or draw(st.booleans())
                )
            )
        # some applications' workers are ready only later (``pickup_from``), their deadline after it
        later = draw(st.one_of(st.none(), st.integers(1, 36 * 60)))
        start = now if later is None else now + timedelta(minutes=later)
        apps.append(
            Application(
                f"A{a}",
                f"E{draw(st.integers(0, 2))}",
                "企业",
                draw(st.sampled_from(FACTORIES)),
                start + timedelta(hours=draw(st.integers(6, 40))),
                tuple(workers),
                pickup_from=None if later is None else start,
            )
        )
    slots = []
    if feeders or draw(st.booleans()):
        dep = now + timedelta(hours=draw(st.integers(7, 10) if feeders else st.integers(2, 12)))
        slots.append(
            TrainSlot(
                "T1", "慈溪号", "毕节", "余姚北", dep, dep + timedelta(hours=11), draw(st.integers(4, 60)), 50
            )
        )
    coaches = [
        Coach(f"浙B{i:05d}", draw(st.sampled_from((35, 49, 55))), "慈溪客运", "cixi")
        for i in range(draw(st.integers(0, 6)))
    ]
    if draw(st.booleans()):
        coaches.append(Coach("贵F00001", 55, "毕节客运", "520500"))
    if feeders or draw(st.booleans()):
        coaches.extend(Coach(f"贵C{i:05d}", 55, "遵义客运", "520300") for i in range(draw(st.integers(1, 2))))
    risk = tuple((c, draw(st.sampled_from(RISKS))) for c in COUNTIES[:6] if draw(st.booleans()))
    return PlanRequest(
        home=HOME,
        now=now,
        applications=tuple(apps),
        train_slots=tuple(slots),
        coaches=tuple(coaches),
        origin_risk=risk,
        rules=Rules(deadline=draw(st.sampled_from(("soft", "hard")))),
        seed=draw(st.integers(0, 3)),
        stop=TINY,
    )


@settings(settings.get_profile("planning"))
@given(requests())
def test_every_plan_keeps_the_invariants(request: PlanRequest) -> None:
    result = plan_campaign(request)
    assert check_plan(request, result) == []
    # KPI sums add up
    k = result.kpis
    assert k["assigned"] + k["unassigned"] == k["workers"]
    assert k["late_workers"] == len(result.late)
    assert k["buses"] >= k["buses_lower_bound"] or k["unassigned_no_capacity"] > 0


@settings(settings.get_profile("planning"), max_examples=15)
@given(requests(feeders=True))
def test_plans_with_feeder_buses_keep_the_invariants(request: PlanRequest) -> None:
    """Workers beyond the train's catchment reach it on feeder buses that arrive before it leaves
    (``check_plan``), or go by bus when no feeder can."""
    result = plan_campaign(request)
    assert check_plan(request, result) == []
    county = {w.worker_id: w.pickup_county for a in request.applications for w in a.workers}
    feeders = [v for v in result.vehicles if v.kind == "bus" and v.feeds]
    trains = {v.id: v for v in result.vehicles if v.kind == "train"}
    for f in feeders:  # riders of the train from beyond its catchment: Zunyi, not Bijie
        assert set(f.manifest) <= set(trains[f.feeds].manifest)
        assert {county[w] for w in f.manifest} == {"520302"}


@settings(settings.get_profile("planning"), max_examples=8)
@given(requests())
def test_the_same_seed_gives_the_same_plan(request: PlanRequest) -> None:
    a, b = plan_campaign(request), plan_campaign(request)
    assert (a.assignments, a.vehicles, a.unassigned) == (b.assignments, b.vehicles, b.unassigned)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 1439),
    st.lists(st.integers(1, 900), min_size=1, max_size=6),
    st.lists(st.integers(0, 90), min_size=6, max_size=6),
    st.integers(1, 2),
    st.booleans(),
)
def test_driving_keeps_the_driver_hour_rules(
    clock0: int, legs: list[int], stops: list[int], crew_size: int, relay_crews: bool
) -> None:
    rules = Rules(relay_crews=relay_crews)
    crew = Crew(rules=rules, clock0=clock0, t=0, size=crew_size)
    for leg, stop in zip(legs, stops, strict=False):
        crew.drive(leg)
        crew.stop(stop)
    assert sum(e - s for _, s, e in crew.spans) == sum(legs)
    assert check_drive_spans(crew.spans, clock0, rules) == []
    # a crew that has handed over never drives again; without relay crews there is one crew
    changes = [e.start for e in crew.events if e.kind == "crew_change"]
    assert relay_crews or not changes
    for n, at in enumerate(changes):
        leaving = range(n * crew_size, (n + 1) * crew_size)
        assert all(e <= at for d, _, e in crew.spans if d in leaving)
    assert len(crew.drivers) == crew_size * (1 + len(changes))


def test_workers_ready_tomorrow_are_picked_up_tomorrow_and_the_rest_today() -> None:
    """An application whose workers can be picked up only from tomorrow morning gets its own bus
    that leaves for them then (not one that waits at the pickup all night), and ``check_plan``
    reports any worker picked up before their ``pickup_from``."""
    now = datetime(2020, 2, 20, 8, 0)
    tomorrow = now + timedelta(hours=24)
    today = tuple(WorkerDemand(f"T{i}", "341221") for i in range(20))
    later = tuple(WorkerDemand(f"L{i}", "341221") for i in range(20))
    request = PlanRequest(
        home=HOME,
        now=now,
        applications=(
            Application("A1", "E1", "企业", FACTORIES[0], now + timedelta(hours=30), today),
            Application(
                "A2", "E1", "企业", FACTORIES[0], tomorrow + timedelta(hours=30), later, pickup_from=tomorrow
            ),
        ),
        train_slots=(),
        coaches=tuple(Coach(f"浙B{i:05d}", 55, "慈溪客运", "cixi") for i in range(4)),
        rules=Rules(),
        seed=1,
        stop=TINY,
    )
    result = plan_campaign(request)
    assert check_plan(request, result) == []
    by_worker = {w: v for v in result.vehicles for w in v.manifest}
    assert by_worker["T0"].id != by_worker["L0"].id
    pickup = next(s for s in by_worker["L0"].stops if "L0" in s.board)
    # not before, and soon after: the drive there is timed from the pickup back (breaks and the
    # 02:00–05:00 stop on the way make it later, never earlier)
    assert tomorrow <= pickup.depart <= tomorrow + timedelta(hours=5)
    assert by_worker["L0"].stops[0].depart > now + timedelta(hours=12)  # it leaves later, not waits
    assert next(s for s in by_worker["T0"].stops if "T0" in s.board).depart < now + timedelta(hours=12)
    # the check catches a plan that picks the later workers up today
    early = replace(
        request, applications=(request.applications[0], replace(request.applications[1], pickup_from=None))
    )
    assert any("before" in p for p in check_plan(request, plan_campaign(early)))


def test_the_planning_horizon_counts_from_the_pickup_time() -> None:
    """Soft deadlines carry a late group unless it arrives beyond the horizon; for workers picked up
    later the horizon runs from their ``pickup_from``, so a day-after-tomorrow pickup is not
    'no legal way' for being 48 hours away."""
    now = datetime(2020, 2, 20, 8, 0)
    later = now + timedelta(hours=48)
    workers = tuple(WorkerDemand(f"L{i}", "341221") for i in range(10))
    request = PlanRequest(
        home=HOME,
        now=now,
        applications=(
            Application(
                "A1", "E1", "企业", FACTORIES[0], later + timedelta(hours=2), workers, pickup_from=later
            ),
        ),
        train_slots=(),
        coaches=tuple(Coach(f"浙B{i:05d}", 55, "慈溪客运", "cixi") for i in range(2)),
        rules=Rules(horizon_hours=30),
        seed=1,
        stop=TINY,
    )
    result = plan_campaign(request)
    assert check_plan(request, result) == [] and not result.unassigned
    assert {x.worker_id for x in result.late} == {w.worker_id for w in workers}  # carried, flagged late
