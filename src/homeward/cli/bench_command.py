"""``homeward bench command``: what one poll of the command dashboard costs on the configured
database (build the city demo and plan it first: ``homeward demo --scale city`` then ``homeward
plan --scale city``).

Inside one transaction that is rolled back at the end (the database is left as it was), it writes
synthetic scan events for every ticket of the plan in force as if the day were at ``--at`` (default:
the moment the most vehicles are on the road): boarded where the pickup time has passed, arrived at
the station, on the shuttle and at the gate where the plan's times have passed, a few in ten late.
Then it polls ``GET /api/v1/command/board`` ``--polls`` times as a task-force user through Django's
test client and prints, per poll: server time (p50, p99), SQL queries, bytes of JSON and bytes
gzipped as sent; then the selector's CPU seconds per call (median), beside the selector as it
was before (``bench_command_baseline``) on the same data, and whether both answer the same; then
one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from homeward.core.scans import boarding_checkpoint


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--at", default="", help="ISO time of the simulated moment (default: busiest)")
    parser.add_argument("--seed", type=int, default=1)


def _busiest(vehicles: list[tuple[datetime, datetime]]) -> datetime:
    moments = sorted(d for d, _a in vehicles)
    return max(moments, key=lambda m: sum(d <= m < a for d, a in vehicles))


def _events(at: datetime, seed: int) -> list[Any]:
    import random

    from homeward.apps.trips.models import ScanEvent, Ticket

    rng = random.Random(seed)
    rows = []
    now = datetime.now(at.tzinfo)
    for pk, worker_id, legs in Ticket.objects.filter(state="issued").values_list("pk", "worker_id", "legs"):
        late = timedelta(minutes=rng.choice((0, 0, 0, 5, 10, 20, 45)))
        steps = []
        for leg in legs:
            pickup = datetime.fromisoformat(leg["pickup_at"]) + late
            arrive = datetime.fromisoformat(leg["arrives_at"]) + late
            boarding = boarding_checkpoint(leg["kind"])
            steps.append((boarding, leg, pickup))
            if leg["kind"] == "train":
                steps.append(("station_arrival", leg, arrive))
        last = legs[-1]
        steps.append(("gate", last, datetime.fromisoformat(last["arrives_at"]) + late))
        for checkpoint, leg, when in steps:
            if when > at:
                break
            rows.append(
                ScanEvent(
                    nonce=uuid.UUID(int=rng.getrandbits(128)).hex,
                    ticket_id=pk,
                    worker_id=worker_id,
                    leg=leg["leg"],
                    checkpoint=checkpoint,
                    vehicle_key=leg["vehicle_key"],
                    vehicle=leg["vehicle"],
                    outcome="ok",
                    answer="recorded",
                    client_at=when,
                    server_at=now,
                )  # fmt: skip
            )
    return rows


def run_bench_command(args: argparse.Namespace) -> int:
    from homeward.cli._django import setup_django

    setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from homeward.apps.planning.models import PlanVehicle
    from homeward.apps.planning.services import latest_done_run
    from homeward.apps.trips.models import ScanEvent

    run = latest_done_run()
    user = get_user_model().objects.filter(profile__role="taskforce").first()
    if run is None or user is None:
        print("no plan in force or no task-force user: build and plan the demo first", file=sys.stderr)
        return 2
    vehicles = list(PlanVehicle.objects.filter(run=run).values_list("departs", "arrives"))
    at = datetime.fromisoformat(args.at) if args.at else _busiest(vehicles)
    with transaction.atomic():
        events = _events(at, args.seed)
        ScanEvent.objects.bulk_create(events, batch_size=2000)
        client = Client(HTTP_ACCEPT_ENCODING="gzip")
        client.force_login(user)
        times, queries, sizes, gzipped = [], [], [], []
        # the server's clock at the simulated moment (time-machine, a dev dependency: a bench tool)
        import time_machine

        with time_machine.travel(at, tick=True):
            for _ in range(max(args.polls, 1)):
                with CaptureQueriesContext(connection) as captured:
                    start = time.perf_counter()
                    response = client.get("/api/v1/command/board")
                    times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.content[:300]
                queries.append(len(captured))
                gzipped.append(len(response.content))
        import gzip

        board = json.loads(gzip.decompress(response.content))
        sizes.append(len(json.dumps(board, ensure_ascii=False).encode()))
        # CPU seconds per call of the selector, the one before the per-run plan read and the SQL
        # conflict rule (bench_command_baseline) against this one, interleaved on the same data
        from homeward.apps.trips.command import command_board
        from homeward.cli.bench_command_baseline import command_board as baseline_board

        cpu: dict[str, list[float]] = {"new": [], "old": []}
        same = True
        for _ in range(max(args.polls, 1)):
            answers = {}
            for name, selector in (("old", baseline_board), ("new", command_board)):
                start = time.process_time()
                answers[name] = selector(actor=user, now=at)
                cpu[name].append(time.process_time() - start)
            same = same and answers["old"] == answers["new"]
        transaction.set_rollback(True)
    times.sort()
    out = {
        "at": at.isoformat(), "vehicles": len(vehicles), "scan_events": len(events),
        "shown_vehicles": len(board["vehicles"]), "in_transit": board["vehicle_states"]["in_transit"],
        "polls": len(times), "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
        "queries": max(queries), "json_bytes": sizes[0], "gzip_bytes": max(gzipped),
        "cpu_s": round(statistics.median(cpu["new"]), 4), "baseline_cpu_s": round(statistics.median(cpu["old"]), 4),
        "same_as_baseline": same,
    }  # fmt: skip
    out["speedup"] = round(out["baseline_cpu_s"] / max(out["cpu_s"], 1e-9), 1)
    print(f"command board at {at:%Y-%m-%d %H:%M} UTC: {out['in_transit']} vehicles on the road, "
          f"{len(events)} scan events; p50 {out['p50_ms']} ms, p99 {out['p99_ms']} ms, {out['queries']} queries, "
          f"{out['json_bytes']} B JSON, {out['gzip_bytes']} B gzipped per poll; selector CPU per poll "
          f"{out['cpu_s']} s (before: {out['baseline_cpu_s']} s, {out['speedup']}x; same answer: {same})")  # fmt: skip
    print(json.dumps(out))
    return 0
