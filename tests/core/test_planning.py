"""homeward.core.planning: tiny named CVRP instances with brute-forced optima, CVRPLIB parsing, the
driver-hour scheduler, and a small campaign checked against the plan's invariants (no Django)."""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from homeward.cli import plan_cmds
from homeward.core.errors import DomainError
from homeward.core.planning import (
    Application,
    Coach,
    PlanRequest,
    PlanResult,
    Point,
    Rules,
    StopCriterion,
    TrainSlot,
    WorkerDemand,
    check_plan,
    cvrplib,
    plan_campaign,
    synthetic_campaign,
)
from homeward.core.planning._pyvrp_adapter import (
    check_budgets,
    check_latest,
    check_routes,
    route_distance,
    solve_cvrp,
    solver_version,
)
from homeward.core.planning.driving import Crew, check_drive_spans
from tests.core.planning_home import HOME

TINY = StopCriterion(max_iterations=300, no_improvement=150, max_seconds=5)

# Tiny named instances made for these tests (coordinates chosen here, not a published instance).
INSTANCES: dict[str, tuple[int, list[tuple[int, int]], list[int]]] = {
    # name: (capacity, coordinates depot first, demands depot first)
    "hw-line-5": (10, [(0, 0), (10, 0), (20, 0), (30, 0), (-10, 0), (-20, 0)], [0, 4, 3, 3, 5, 5]),
    "hw-star-6": (
        15,
        [(50, 50), (10, 10), (90, 10), (90, 90), (10, 90), (50, 95), (95, 50)],
        [0, 7, 6, 5, 8, 4, 9],
    ),
    "hw-clusters-7": (
        12,
        [(0, 0), (40, 40), (42, 38), (39, 44), (-30, 35), (-33, 31), (5, -45), (8, -47)],
        [0, 5, 4, 3, 6, 6, 7, 5],
    ),
    "hw-tight-8": (
        10,
        [(0, 0), (5, 9), (-7, 3), (12, -4), (-2, -11), (9, 9), (-10, -8), (14, 6), (-13, 12)],
        [0, 3, 4, 5, 6, 2, 7, 3, 4],
    ),
}


def _vrp_text(name: str, capacity: int, coords: list[tuple[int, int]], demands: list[int]) -> str:
    lines = [
        f"NAME : {name}",
        "COMMENT : made for the Homeward tests",
        "TYPE : CVRP",
        f"DIMENSION : {len(coords)}",
        "EDGE_WEIGHT_TYPE : EUC_2D",
        f"CAPACITY : {capacity}",
        "NODE_COORD_SECTION",
        *[f"{i + 1} {x} {y}" for i, (x, y) in enumerate(coords)],
        "DEMAND_SECTION",
        *[f"{i + 1} {d}" for i, d in enumerate(demands)],
        "DEPOT_SECTION",
        "1",
        "-1",
        "EOF",
    ]
    return "\n".join(lines) + "\n"


def _brute_force(instance: cvrplib.CvrpInstance) -> int:
    """Optimal CVRP cost by enumerating set partitions and, per route, every visiting order."""
    m = instance.matrix
    clients = list(range(1, len(instance.demands)))

    def tsp(route: tuple[int, ...]) -> int:
        best = math.inf
        for perm in itertools.permutations(route):
            nodes = (0, *perm, 0)
            best = min(best, sum(int(m[a, b]) for a, b in itertools.pairwise(nodes)))
        return int(best)

    def partitions(items: list[int]) -> list[list[list[int]]]:
        if not items:
            return [[]]
        first, rest = items[0], items[1:]
        out: list[list[list[int]]] = []
        for part in partitions(rest):
            out.append([[first], *part])
            for i in range(len(part)):
                out.append([*part[:i], [first, *part[i]], *part[i + 1 :]])
        return out

    cache: dict[tuple[int, ...], int] = {}
    best = math.inf
    for part in partitions(clients):
        if any(sum(instance.demands[c] for c in r) > instance.capacity for r in part):
            continue
        cost = 0
        for r in part:
            key = tuple(sorted(r))
            if key not in cache:
                cache[key] = tsp(key)
            cost += cache[key]
        best = min(best, cost)
    return int(best)


@pytest.mark.parametrize("name", sorted(INSTANCES))
def test_it_finds_the_optimum_of_tiny_named_instances(name: str) -> None:
    capacity, coords, demands = INSTANCES[name]
    instance = cvrplib.parse(_vrp_text(name, capacity, coords, demands))
    assert instance.name == name
    optimum = _brute_force(instance)
    answer = cvrplib.solve(instance, seconds=5, seed=1, max_iterations=500)
    assert answer.feasible
    assert not check_routes(answer.routes, instance.demands, instance.capacity)
    assert answer.cost == optimum


def test_it_reads_explicit_matrices() -> None:
    text = """NAME : hw-explicit-3
TYPE : CVRP
DIMENSION : 4
EDGE_WEIGHT_TYPE : EXPLICIT
EDGE_WEIGHT_FORMAT : LOWER_ROW
CAPACITY : 5
EDGE_WEIGHT_SECTION
3
4 5
6 7 2
DEMAND_SECTION
1 0
2 3
3 2
4 4
DEPOT_SECTION
1
-1
EOF
"""
    inst = cvrplib.parse(text)
    assert inst.matrix.tolist() == [[0, 3, 4, 6], [3, 0, 5, 7], [4, 5, 0, 2], [6, 7, 2, 0]]
    assert _brute_force(inst) == cvrplib.solve(inst, seconds=2, seed=0, max_iterations=200).cost


def test_it_rejects_bad_files() -> None:
    with pytest.raises(DomainError) as exc:
        cvrplib.parse("NAME : x\nTYPE : CVRP\n")
    assert exc.value.code == "bad_cvrplib"


def test_it_prints_cost_routes_seconds_on_the_last_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capacity, coords, demands = INSTANCES["hw-star-6"]
    path = tmp_path / "hw-star-6.vrp"
    path.write_text(_vrp_text("hw-star-6", capacity, coords, demands))
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    plan_cmds.register(sub)
    args = parser.parse_args(["cvrp", str(path), "--seconds", "2", "--seed", "3", "--iterations", "300"])
    assert args.func(args) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    data = json.loads(last)
    assert set(data) == {"cost", "routes", "seconds"}
    assert data["cost"] == _brute_force(cvrplib.parse(path.read_text()))
    assert sorted(c for r in data["routes"] for c in r) == list(range(1, len(demands)))


def test_it_falls_back_when_the_solver_answer_is_infeasible() -> None:
    m = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]], dtype=np.int64)
    sol = solve_cvrp(m, [0, 3, 3], 3, seed=0, stop=TINY)
    assert not check_routes(sol.routes, [0, 3, 3], 3)
    assert len(sol.routes) == 2
    with pytest.raises(ValueError):
        solve_cvrp(m, [0, 4, 3], 3, seed=0, stop=TINY)


def test_it_names_the_solver_version() -> None:
    assert solver_version() == "pyvrp 0.14.1"


# --- driver hours ------------------------------------------------------------------------------------


def test_it_stops_for_the_night_curfew_and_breaks() -> None:
    rules = Rules()
    crew = Crew(rules=rules, clock0=22 * 60, t=0, size=1)  # 22:00
    crew.drive(10 * 60)
    kinds = [e.kind for e in crew.events]
    assert "night_rest" in kinds and "break" in kinds
    assert not check_drive_spans(crew.spans, 22 * 60, rules)
    # nothing driven between 02:00 and 05:00 (minutes 240..420 after 22:00)
    assert all(e <= 240 or s >= 420 for _, s, e in crew.spans)


def test_it_relays_between_two_drivers() -> None:
    rules = Rules()
    crew = Crew(rules=rules, clock0=8 * 60, t=0, size=2)
    crew.drive(14 * 60)
    assert {d for d, _, _ in crew.spans} == {0, 1}
    assert "relay" in [e.kind for e in crew.events]
    assert not check_drive_spans(crew.spans, 8 * 60, rules)


def test_a_relay_crew_takes_over_when_both_drivers_are_spent() -> None:
    # 20 h at the wheel from 06:00: two drivers may drive 16 h in 24 h between them
    relayed = Crew(rules=Rules(), clock0=6 * 60, t=0, size=2)
    relayed.drive(20 * 60)
    stopped = Crew(rules=Rules(relay_crews=False), clock0=6 * 60, t=0, size=2)
    stopped.drive(20 * 60)
    assert [e.kind for e in relayed.events].count("crew_change") == 1
    assert {d for d, _, _ in relayed.spans} == {0, 1, 2, 3}
    assert "crew_change" not in [e.kind for e in stopped.events]
    assert "daily_rest" in [e.kind for e in stopped.events]
    assert {d for d, _, _ in stopped.spans} == {0, 1}
    assert relayed.t < stopped.t
    for crew in (relayed, stopped):
        assert not check_drive_spans(crew.spans, 6 * 60, crew.rules)


def test_the_checker_catches_violations() -> None:
    rules = Rules()
    assert check_drive_spans([(0, 0, 300)], 8 * 60, rules)  # 5 h without a break
    assert check_drive_spans([(0, 0, 60)], 2 * 60 + 30, rules)  # drives at 02:30
    assert check_drive_spans([(0, 0, 100)], 23 * 60, rules) == []
    assert check_drive_spans([(0, 0, 130)], 22 * 60, rules)  # 2 h 10 at night


# --- a small campaign --------------------------------------------------------------------------------

NOW = datetime(2020, 2, 20, 8, 0)
FACTORY = Point(30.20, 121.25)


def _small_request(seed: int = 0) -> PlanRequest:
    apps = (
        Application(
            "A1",
            "E1",
            "周巷企业",
            FACTORY,
            NOW + timedelta(hours=30),
            tuple(WorkerDemand(f"W1{i:02d}", "341221") for i in range(30)),  # 临泉县 (Anhui)
        ),
        Application(
            "A2",
            "E2",
            "观海卫企业",
            Point(30.15, 121.40),
            NOW + timedelta(hours=30),
            (
                *(WorkerDemand(f"W2{i:02d}", "341222") for i in range(12)),  # 太和县
                WorkerDemand("W2-sick", "341222", health_ok=False),
                WorkerDemand("W2-closed", "411421"),
                WorkerDemand("W2-nowhere", "999999"),
            ),
        ),
        Application(
            "A3",
            "E3",
            "浒山企业",
            Point(30.17, 121.27),
            NOW + timedelta(hours=30),
            tuple(
                WorkerDemand(f"W3{i:02d}", "520502") for i in range(8)
            ),  # 七星关区 (Guizhou): train or nothing
        ),
    )
    slots = (
        TrainSlot(
            "T1", "慈溪号", "毕节", "余姚北", NOW + timedelta(hours=6), NOW + timedelta(hours=17), 20, 50
        ),
    )
    coaches = tuple(Coach(f"浙B{i:05d}", 55, "慈溪客运", "cixi") for i in range(6))
    return PlanRequest(
        home=HOME,
        now=NOW,
        applications=apps,
        train_slots=slots,
        coaches=coaches,
        origin_risk=(("411421", "closed"), ("341222", "medium")),
        seed=seed,
        stop=TINY,
    )


def test_it_plans_a_small_campaign() -> None:
    req = _small_request()
    res = plan_campaign(req)
    assert check_plan(req, res) == []
    reasons = {u.worker_id: u.reason for u in res.unassigned}
    assert reasons["W2-sick"] == "health"
    assert reasons["W2-closed"] == "origin_risk"
    assert reasons["W2-nowhere"] == "unknown_origin"
    k = res.kpis
    assert k["workers"] == 53
    assert k["trains"] == 1 and k["train_passengers"] == 8
    assert k["shuttles"] >= 1
    # 30 low-risk workers (cap 47) and 12 medium-risk (cap 38): two buses, at the lower bound
    assert k["buses"] == k["buses_lower_bound"] == 2
    assert k["baseline_buses"] >= k["buses"]
    assert res.solver == "pyvrp 0.14.1" and res.seed == 0 and res.stop == TINY
    bus = next(v for v in res.vehicles if v.kind == "bus")
    changes = sum(1 for s in bus.stops if s.kind == "crew_change")
    assert bus.escorts == 1 and bus.kit.masks > 0 and bus.drivers == 2 * (1 + changes)  # > 600 km
    assert bus.cost.total_fen == bus.cost.government_fen + bus.cost.enterprise_fen + bus.cost.worker_fen
    assert sum(x for _, x in bus.cost.by_enterprise_fen) == bus.cost.enterprise_fen
    kinds = [s.kind for s in bus.stops]
    assert kinds[0] == "start" and "pickup" in kinds and kinds[-1] in ("drop", "end")


def test_it_explains_when_coaches_run_out() -> None:
    req = _small_request()
    res = plan_campaign(replace(req, coaches=req.coaches[:1]))
    assert check_plan(req, res) == []
    assert any(u.reason == "no_capacity" for u in res.unassigned)


def test_hard_deadlines_leave_out_who_cannot_make_it() -> None:
    req = _small_request()
    res = plan_campaign(replace(req, train_slots=(), rules=Rules(deadline="hard")))
    assert {u.reason for u in res.unassigned if u.worker_id.startswith("W3")} == {"no_legal_way_in_time"}
    assert res.late == () and res.kpis["late_workers"] == 0


def test_soft_deadlines_carry_the_late_and_say_by_how_much() -> None:
    """Without the train, the eight workers from 七星关 (Guizhou) cannot reach Cixi in 30 hours by
    bus: by default they are carried on the earliest bus and flagged with their hours over."""
    req = replace(_small_request(), train_slots=())
    res = plan_campaign(req)
    assert check_plan(req, res) == []
    late = {x.worker_id: x for x in res.late}
    assert set(late) == {f"W3{i:02d}" for i in range(8)}
    assert not any(u.reason == "no_legal_way_in_time" for u in res.unassigned)
    bus = next(v for v in res.vehicles if v.id == late["W300"].vehicle_id)
    assert bus.kind == "bus" and not bus.deadline_met and set(bus.manifest) == set(late)
    drop = next(s for s in bus.stops if s.kind == "drop")
    assert all(x.arrives == drop.arrive and x.deadline == NOW + timedelta(hours=30) for x in late.values())
    minutes = late["W300"].minutes_over
    assert minutes == (drop.arrive - late["W300"].deadline).total_seconds() // 60 > 0
    k = res.kpis
    assert k["late_workers"] == 8 and k["late_hours_p50"] == k["late_hours_max"] == round(minutes / 60, 2)
    assert k["deadline_met_share"] == round((k["assigned"] - 8) / k["assigned"], 4)


def _feeder_request(**rules: object) -> PlanRequest:
    """The small campaign plus four workers from 红花岗 (Zunyi), 211 road km from the 毕节 station:
    beyond its catchment, too far for a bus to Cixi in 24 hours, near a Zunyi coach; the train
    leaves 8 hours after planning with 20 passenger seats."""
    req = _small_request()
    zunyi = Application(
        "A4", "E4", "新浦企业", Point(30.25, 121.10), NOW + timedelta(hours=24),
        tuple(WorkerDemand(f"W4{i:02d}", "520302") for i in range(4)),
    )  # fmt: skip
    slot = replace(
        req.train_slots[0], seats=40, departs=NOW + timedelta(hours=8), arrives=NOW + timedelta(hours=19)
    )
    return replace(
        req,
        applications=(*req.applications, zunyi),
        train_slots=(slot,),
        coaches=(*req.coaches, Coach("贵C00001", 55, "遵义客运", "520300")),
        rules=Rules(**rules),  # type: ignore[arg-type]
    )


def test_a_feeder_bus_brings_workers_beyond_the_catchment_to_the_train() -> None:
    req = _feeder_request()
    res = plan_campaign(req)
    assert check_plan(req, res) == []
    train = next(v for v in res.vehicles if v.kind == "train")
    feeder = next(v for v in res.vehicles if v.kind == "bus" and v.feeds)
    assert feeder.feeds == train.id and feeder.base == "520300" and feeder.name == "贵C00001"
    assert set(feeder.manifest) == {f"W4{i:02d}" for i in range(4)} <= set(train.manifest)
    pickup, drop = [s for s in feeder.stops if s.kind in ("pickup", "drop")]
    assert "红花岗" in pickup.place and drop.place == "毕节" and drop.arrive <= train.stops[0].depart
    legs = {(a.worker_id, a.leg): res.vehicles[[v.id for v in res.vehicles].index(a.vehicle_id)].kind
            for a in res.assignments if a.worker_id.startswith("W4")}  # fmt: skip
    assert legs == {
        (f"W4{i:02d}", leg): kind for i in range(4) for leg, kind in enumerate(("bus", "train", "shuttle"))
    }
    assert not any(x.worker_id.startswith("W4") for x in res.late)
    assert feeder.permit is not None and feeder.permit.provinces_crossed == ("520000",)
    # without feeders they go all the way by bus, late
    alone = plan_campaign(replace(req, rules=Rules(feeders=False)))
    assert {x.worker_id for x in alone.late} >= {f"W4{i:02d}" for i in range(4)}
    assert not any(v.feeds for v in alone.vehicles if v.kind == "bus")


def test_the_checker_catches_a_train_boarded_before_its_feeder_arrives() -> None:
    req = _feeder_request()
    res = plan_campaign(req)
    feeder = next(v for v in res.vehicles if v.kind == "bus" and v.feeds)
    late_stops = tuple(
        replace(s, arrive=s.arrive + timedelta(hours=6)) if s.kind == "drop" else s for s in feeder.stops
    )
    broken = replace(
        res, vehicles=tuple(replace(v, stops=late_stops) if v is feeder else v for v in res.vehicles)
    )
    assert any("reaches the station after train" in p for p in check_plan(req, broken))
    skipped = replace(
        res, assignments=tuple(a for a in res.assignments if not (a.worker_id == "W400" and a.leg == 1))
    )
    assert any("W400 rides legs [0, 2]" in p for p in check_plan(req, skipped))


def test_it_proposes_a_train_and_accepting_it_brings_the_late_in_time() -> None:
    """Without a train the eight workers from 七星关 are late by bus; the plan proposes a special
    train from 毕节 that would bring them in time; granted as a slot, the next plan does."""
    req = replace(_small_request(), train_slots=(), rules=Rules(train_request_min_workers=5))
    before = plan_campaign(req)
    assert (
        before.kpis["late_workers"] == 8 and before.kpis["train_requests"] == len(before.train_requests) >= 1
    )
    ask = before.train_requests[0]
    assert ask.origin_station == "毕节" and ask.destination_station in HOME.stations
    assert ask.workers == ask.late_in_time == 8 and ask.departs_earliest <= ask.departs_latest
    assert ask.buses_saved == 1 and ask.hours_late_saved == round(
        sum(x.minutes_over for x in before.late) / 60, 1
    )
    slot = TrainSlot(
        "ASK1", "加开专列", ask.origin_station, ask.destination_station, ask.departs_earliest,
        ask.departs_earliest + timedelta(minutes=ask.journey_min), 40, 50,
    )  # fmt: skip
    after = plan_campaign(replace(req, train_slots=(slot,)))
    assert check_plan(req, after) == []
    assert (
        after.kpis["late_workers"] == 0 and after.kpis["trains"] == 1 and after.kpis["train_passengers"] == 8
    )
    assert after.kpis["buses"] == before.kpis["buses"] - ask.buses_saved
    # what is left to propose brings nobody late (a train for long bus trips, to save buses)
    assert all(a.late_in_time == 0 and a.buses_saved > 0 for a in after.train_requests)


def test_workers_beyond_the_horizon_have_no_legal_way() -> None:
    req = replace(_small_request(), train_slots=(), rules=Rules(horizon_hours=20))
    res = plan_campaign(req)
    far = {u.worker_id: u for u in res.unassigned if u.worker_id.startswith("W3")}
    assert len(far) == 8 and {u.reason for u in far.values()} == {"no_legal_way_in_time"}
    assert "horizon +1200 min" in far["W300"].detail


def test_same_seed_same_plan() -> None:
    req = synthetic_campaign(workers=400, applications=30, counties=12, train_slots=2, seed=5, stop=TINY)
    a, b = plan_campaign(req), plan_campaign(req)
    assert a.assignments == b.assignments
    assert a.vehicles == b.vehicles
    assert a.unassigned == b.unassigned
    assert check_plan(req, a) == []


_TWO_PROCESSES_SCRIPT = """
import json, threading
from homeward.core.planning import StopCriterion, plan_campaign, synthetic_campaign
from homeward.core.planning.planner import parallel

pools = []
real = parallel.ProcessPoolExecutor
def counted(*args, **kwargs):
    pools.append(1)
    return real(*args, **kwargs)
parallel.ProcessPoolExecutor = counted
stop = StopCriterion(max_iterations=300, no_improvement=150, max_seconds=5)
req = synthetic_campaign(workers=1_500, applications=100, counties=40, train_slots=3, seed=2, stop=stop)
threads = threading.active_count()
one = plan_campaign(req, processes=1)
pools_after_one = len(pools)
two = plan_campaign(req, processes=2)
def plain(r):
    kpis = {k: v for k, v in r.kpis.items() if "seconds" not in k}
    return repr((r.assignments, r.vehicles, r.unassigned, r.late, r.train_requests, sorted(kpis.items())))
print(json.dumps({"threads": threads, "pools_after_one": pools_after_one, "pools": len(pools),
                  "same": plain(one) == plain(two)}))
"""


def test_two_processes_plan_what_one_does() -> None:
    """Direct trips, station shuttles and origin areas computed on forked processes and merged in
    order give the plan that one process gives. Run in a fresh interpreter: the test session has
    other threads (live servers), and the planner rightly refuses to fork a multi-threaded process."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _TWO_PROCESSES_SCRIPT], capture_output=True, text=True, timeout=300, check=True
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["threads"] == 1  # else the work would run in turn, not on processes
    assert out["pools_after_one"] == 0  # one process: no pool
    assert out["pools"] == 3  # two processes: direct trips, shuttles, origin areas each on a pool
    assert out["same"], "the forked plan differs from the one-process plan"


_BESIDE_A_HEARTBEAT_SCRIPT = """
import json, threading
from homeward.core.forking import mark_fork_safe
from homeward.core.planning import StopCriterion, plan_campaign, synthetic_campaign
from homeward.core.planning.planner import parallel

pools = []
real = parallel.ProcessPoolExecutor
def counted(*args, **kwargs):
    pools.append(1)
    return real(*args, **kwargs)
parallel.ProcessPoolExecutor = counted
stop = StopCriterion(max_iterations=300, no_improvement=150, max_seconds=5)
req = synthetic_campaign(workers=1_500, applications=100, counties=40, train_slots=3, seed=2, stop=stop)
one = plan_campaign(req, processes=1)
quit_beating = threading.Event()
beat = mark_fork_safe(threading.Thread(target=quit_beating.wait, daemon=True))
beat.start()
two = plan_campaign(req, processes=2)
pools_beside_beat = len(pools)
other = threading.Thread(target=quit_beating.wait, daemon=True)
other.start()
again = plan_campaign(req, processes=2)
quit_beating.set()
def plain(r):
    kpis = {k: v for k, v in r.kpis.items() if "seconds" not in k}
    return repr((r.assignments, r.vehicles, r.unassigned, r.late, r.train_requests, sorted(kpis.items())))
print(json.dumps({"pools_beside_beat": pools_beside_beat, "pools": len(pools),
                  "same": plain(one) == plain(two) == plain(again)}))
"""


def test_a_heartbeat_thread_does_not_keep_the_plan_on_one_process() -> None:
    """A plan run beats its lease on a thread (``apps.audit.runs.Beater``, marked fork-safe): the
    planner still forks beside it, and the plan is the one-process plan; beside a thread not so
    marked (a web server's), it runs in turn and plans the same."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _BESIDE_A_HEARTBEAT_SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["pools_beside_beat"] == 3  # direct trips, shuttles, origin areas on processes
    assert out["pools"] == 3  # beside an unmarked thread: no pool
    assert out["same"], "the plan depends on the processes or the threads beside them"


def test_a_synthetic_day_pools_better_than_the_baseline() -> None:
    req = synthetic_campaign(workers=1_500, applications=100, counties=40, train_slots=3, seed=2, stop=TINY)
    res = plan_campaign(req)
    assert check_plan(req, res) == []
    k = res.kpis
    assert k["workers"] == 1_500
    assert k["buses"] < k["baseline_buses_same_split"]
    assert k["bus_vehicle_km"] < k["baseline_vehicle_km_same_split"]
    assert k["buses"] >= k["buses_lower_bound"]


def plan_digest(result: PlanResult) -> str:
    """A short hash of everything a plan decides: seats, vehicles with their stops, drive spans
    and costs, and the reasons of the workers left out."""
    body = {
        "assignments": [[a.worker_id, a.vehicle_id, a.seat, a.leg] for a in result.assignments],
        "unassigned": [[u.worker_id, u.reason, u.detail] for u in result.unassigned],
        "vehicles": [
            [
                v.id, v.kind, v.name, v.base, v.km, list(v.manifest), v.cost.total_fen, v.deadline_met,
                [[s.kind, s.place, s.arrive.isoformat(), s.depart.isoformat()] for s in v.stops],
                [[d.driver, d.start.isoformat(), d.end.isoformat()] for d in v.drive],
            ]
            for v in result.vehicles
        ],
    }  # fmt: skip
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


# Digests of two synthetic days (1,500 workers, 3 train slots) planned by the single-module planner
# of commit 8ad0619, before it became a package of steps: the package must plan them identically
# under hard deadlines and without feeders (the planner's only mode then).
# A deliberate change of the plans updates these, saying why in its commit.
PLAN_DIGESTS = {2: "cb972a8089d0ddbb", 4: "a0d201b6a0f0b5c6"}


@pytest.mark.parametrize("seed", sorted(PLAN_DIGESTS))
def test_the_planner_plans_stored_days_as_before_under_hard_deadlines(seed: int) -> None:
    stop = StopCriterion(max_iterations=300, no_improvement=150, max_seconds=60)
    req = synthetic_campaign(
        workers=1_500, applications=100, counties=40, train_slots=3, seed=seed, stop=stop, home=HOME
    )
    res = plan_campaign(replace(req, rules=replace(req.rules, deadline="hard", feeders=False)))
    assert res.kpis["unassigned_no_legal_way_in_time"] > 0 and res.kpis["trains"] == 3
    assert plan_digest(res) == PLAN_DIGESTS[seed]


def test_the_invariant_checker_catches_a_broken_plan() -> None:
    req = _small_request()
    res = plan_campaign(req)
    first = res.assignments[0]
    doubled = replace(res, assignments=(*res.assignments, replace(first, seat="99Z")))
    assert any("holds 2 seats" in p for p in check_plan(req, doubled))
    bus = next(v for v in res.vehicles if v.kind == "bus")
    squeezed = replace(res, vehicles=tuple(replace(v, seat_cap=1) if v is bus else v for v in res.vehicles))
    assert any("cap 1" in p for p in check_plan(req, squeezed))
    forgotten = replace(res, unassigned=res.unassigned[1:])
    assert any("neither assigned nor explained" in p for p in check_plan(req, forgotten))


# --- the public X-n101-k25 instance ------------------------------------------------------------------

X_N101_K25 = Path(__file__).resolve().parents[2] / "benchmarks" / "cvrplib" / "X-n101-k25.vrp"
# A route set costing the published best-known 27,591 (found by ``homeward cvrp ... --seconds 60
# --seed 1``); client numbering as in CVRPLIB ``.sol`` files (1..100, depot excluded).
X_N101_K25_ROUTES = (
    (3, 77, 63), (7, 2, 45, 43, 29, 36, 72, 57), (17, 8), (18, 10, 39), (19, 97, 27),
    (20, 41, 22, 15), (23, 61, 100), (24, 95, 73, 53, 33, 32), (28, 42, 78, 65, 25), (31, 46, 35),
    (34, 64, 96, 48, 26, 47, 38), (44, 88, 67, 40), (50, 91, 52), (54, 70, 1), (58, 12, 5),
    (59, 60, 82), (68, 90, 84, 66), (69, 16, 55, 76), (74, 13, 4), (79, 11, 85, 30), (80, 94, 56, 21),
    (83, 51, 81), (87, 37, 6, 49, 14), (89, 98, 99, 62, 71), (92, 9, 86), (93, 75),
)  # fmt: skip


def test_it_reads_x_n101_k25_with_cvrplib_rounding() -> None:
    inst = cvrplib.read(X_N101_K25)
    assert inst.name == "X-n101-k25" and inst.capacity == 206 and len(inst.demands) == 101
    assert inst.demands[0] == 0 and sum(inst.demands) > 24 * 206
    assert cvrplib.lower_bound_vehicles(inst) == 25
    # EUC_2D, rounded to the nearest integer: depot (365, 689) → node 2 (146, 180) is 554.1 → 554
    assert inst.coords[0] == (365.0, 689.0) and inst.coords[1] == (146.0, 180.0)
    assert int(inst.matrix[0, 1]) == 554
    assert (inst.matrix == inst.matrix.T).all() and int(inst.matrix.trace()) == 0
    # the known route set: every client once, within capacity, costing the best-known 27,591
    assert not check_routes(X_N101_K25_ROUTES, inst.demands, inst.capacity)
    assert sum(route_distance(inst.matrix, r) for r in X_N101_K25_ROUTES) == 27_591
    # truncating instead of rounding would give a different (wrong) cost
    xy = np.array(inst.coords)
    trunc = np.floor(np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))).astype(np.int64)
    assert sum(route_distance(trunc, r) for r in X_N101_K25_ROUTES) < 27_591


# --- progress and permits ----------------------------------------------------------------------------


def test_it_reports_progress_from_0_to_100() -> None:
    seen: list[tuple[int, str]] = []
    plan_campaign(_small_request(), progress=lambda pct, stage: seen.append((pct, stage)))
    pcts = [p for p, _ in seen]
    assert pcts[0] == 0 and pcts[-1] == 100 and pcts == sorted(pcts)
    assert {"demand", "trains", "buses", "done"} <= {s for _, s in seen}


def test_every_bus_carries_a_draft_permit() -> None:
    req = _small_request()
    res = plan_campaign(req)
    buses = [v for v in res.vehicles if v.kind == "bus"]
    assert buses and all(v.permit is not None for v in buses)
    assert all(v.permit is None for v in res.vehicles if v.kind != "bus")
    for v in buses:
        p = v.permit
        assert p is not None
        assert p.plate == v.name and p.carrier == "慈溪客运" and p.passengers == len(v.manifest)
        assert p.provinces_crossed[0] == "340000" and p.provinces_crossed[-1] == "330000"  # Anhui → Zhejiang
        assert p.route[0] == p.origin and p.route[-1] == p.destination
        assert p.window_start < p.window_end and p.seal == ""


# --- deadline-aware pooling in the adapter --------------------------------------------------------------


def test_route_budgets_keep_tight_clients_off_long_routes() -> None:
    # three clients at the same spot; sharing costs 50 minutes per step. Client 3 tolerates only 60.
    m = np.array([[0, 10, 10, 10], [10, 0, 1, 1], [10, 1, 0, 1], [10, 1, 1, 0]], dtype=np.int64)
    dur = np.array([[0, 0, 0, 0], [0, 0, 50, 50], [0, 50, 0, 50], [0, 50, 50, 0]], dtype=np.int64)
    free = solve_cvrp(m, [0, 1, 1, 1], 10, seed=0, stop=TINY)
    assert len(free.routes) == 1  # without budgets, one route
    sol = solve_cvrp(m, [0, 1, 1, 1], 10, seed=0, stop=TINY, durations=dur, budgets=[0, 200, 200, 60])
    assert sol.solver_feasible and not sol.fallback
    assert not check_budgets(sol.routes, dur, [0, 200, 200, 60])
    assert len(sol.routes) == 2 and all(len(r) < 3 for r in sol.routes)
    with pytest.raises(ValueError):
        solve_cvrp(m, [0, 1, 1, 1], 10, seed=0, stop=TINY, durations=dur)


def test_time_windows_put_urgent_drops_first() -> None:
    # drops on a line 10, 20, 30 minutes from the station, 5 minutes each; the farthest is due by
    # minute 30, so the one shuttle must go there first and come back (same length either way)
    xs = [0, 10, 20, 30]
    m = np.array([[abs(a - b) for b in xs] for a in xs], dtype=np.int64)
    latest = [0, 200, 200, 30]
    assert check_latest([(1, 2, 3)], m, latest, 5)  # the other direction is late
    sol = solve_cvrp(m, [0, 1, 1, 1], 10, seed=0, stop=TINY, durations=m, latest=latest, service=5)
    assert sol.solver_feasible and sol.routes == ((3, 2, 1),)
    assert not check_latest(sol.routes, m, latest, 5)


def test_the_lateness_decision_agrees_with_the_scheduled_trip() -> None:
    """``Fleet.decide`` answers lazily (stops at the first on-time option with a coach, calls a
    route late from an option when one of its groups is late alone from it); the trip it schedules
    in full must meet every deadline exactly when the decision says on time, on single groups and
    on mixed pairs and triples of an area."""
    import random

    from homeward.core.planning.planner.clock import Clock
    from homeward.core.planning.planner.demand import Group, Load, demand
    from homeward.core.planning.planner.fleet import Fleet, Pool
    from homeward.core.planning.synthetic import synthetic_campaign

    request = synthetic_campaign(workers=1_500, applications=120, counties=80, train_slots=0, seed=3)
    clock = Clock.of(request.now)
    fleet = Fleet(Pool.of(request.coaches, request.rules, request.home), clock)
    by_area: dict[tuple[str, int], list[Group]] = {}
    for g in demand(request, clock).groups:
        by_area.setdefault((g.area, g.cap_pct), []).append(g)
    rng = random.Random(0)
    checked = late = 0
    for gs in by_area.values():
        routes = [[g] for g in gs] + [rng.sample(gs, min(len(gs), k)) for k in (2, 3) for _ in range(4)]
        for route_groups in routes:
            route = [Load(g, g.workers[:5]) for g in route_groups]
            trip = fleet.trip(route, take=False)
            assert fleet.decide(route).on_time == trip.run.deadline_met
            checked += 1
            late += int(not trip.run.deadline_met)
    assert checked > 50 and late > 0


def _plain_open_path(
    start: Point,
    points: list[Point],
    dist: Callable[[Point, Point], float],
    end: Point | None,
    two_opt: bool = True,
) -> list[int]:
    """The search ``order_open_path`` makes (nearest neighbour from ``start``, ties to the lower
    index, then 2-opt reversals while one shortens the path by more than 1e-9, at most 50 rounds),
    asking ``dist`` every time instead of reading a table."""

    def length(seq: list[int]) -> float:
        stops = [start, *(points[i] for i in seq), *([end] if end is not None else [])]
        return sum(dist(a, b) for a, b in itertools.pairwise(stops))

    order: list[int] = []
    here = start
    while len(order) < len(points):
        nxt = min((i for i in range(len(points)) if i not in order), key=lambda i: (dist(here, points[i]), i))
        order.append(nxt)
        here = points[nxt]
    best, improved, rounds = length(order), two_opt, 0
    while improved and rounds < 50:
        improved, rounds = False, rounds + 1
        for i in range(len(points) - 1):
            for j in range(i + 1, len(points)):
                cand = order[:i] + order[i : j + 1][::-1] + order[j + 1 :]
                if (c := length(cand)) < best - 1e-9:
                    order, best, improved = cand, c, True
    return order


def test_open_path_is_the_same_with_a_distance_table() -> None:
    """``order_open_path`` reads each distance once (``n²`` between the points, ``n`` from the start
    and ``n`` to the end); the path is the one the plain search finds, with and without an end, on
    random points some of whose paths 2-opt shortens (so the comparison covers both stages)."""
    import random

    from homeward.core.planning.routing import order_open_path

    rng = random.Random(1)
    calls = 0

    def dist(a: Point, b: Point) -> float:
        nonlocal calls
        calls += 1
        return math.hypot(a.lat - b.lat, a.lon - b.lon)

    improved_by_two_opt = 0
    for n in (2, 5, 9, 12, 12, 12):
        pts = [Point(rng.uniform(0, 5), rng.uniform(0, 5)) for _ in range(n)]
        for end in (Point(6, 6), None):
            calls = 0
            order = order_open_path(Point(0, 0), pts, dist, end)
            assert calls == n * n + (2 * n if end is not None else n)
            assert sorted(order) == list(range(n))
            assert order == _plain_open_path(Point(0, 0), pts, dist, end), (n, end)
            improved_by_two_opt += order != _plain_open_path(Point(0, 0), pts, dist, end, two_opt=False)
    assert improved_by_two_opt > 0  # the comparison covers the 2-opt stage, not only the first pass
