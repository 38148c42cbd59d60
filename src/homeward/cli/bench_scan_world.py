"""The world ``homeward bench scan`` scans in, and what it reads back from the database afterwards.

``build_world``: the demo city, a few enterprises, one accepted application per bus of ``BUS_SEATS``
workers, a finished plan run whose vehicles and seats are written directly (the planner is not what
this bench measures, and at thousands of workers it would take longer than the scans), then the real
``tickets_issue`` signs every worker's ticket. One bus in ``TIGHT_EVERY`` has its seat cap lowered
below its passengers (a smaller coach swapped in after planning), so some boardings must be refused
``over_capacity`` and the cap is really exercised. Scanner logins are task-force users.

``database_checks``: counted from the stored scans, not from what the clients were told.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

BUS_SEATS = 50
TIGHT_EVERY = 5  # every 5th bus: seat cap = BUS_SEATS - TIGHT_BY
TIGHT_BY = 5
ORIGIN_COUNTY = "341221"  # 临泉 (a valid county code for the ID numbers)
SCANNER_PASSWORD = "bench-scan-password"  # a throwaway database's throwaway users


@dataclass(frozen=True, slots=True)
class World:
    tokens: list[str]  # one ticket token per worker, in worker order
    scanners: list[str]  # usernames (password SCANNER_PASSWORD)


def _uscc(n: int) -> str:
    from homeward.core.identity import uscc_check_char

    first17 = f"913302829{n:08d}"[:17]
    return first17 + uscc_check_char(first17)


def _ric(n: int) -> str:
    from homeward.core.identity import ric_check_char

    birth = dt.date(1975, 1, 1) + timedelta(days=n // 1000)
    first17 = f"{ORIGIN_COUNTY}{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + ric_check_char(first17)


def build_world(*, workers: int, scanners: int) -> World:
    from django.db import transaction
    from django.utils import timezone

    from homeward.apps.accounts.policy import BENCH
    from homeward.apps.accounts.services import user_create_with_role
    from homeward.apps.applications.models import ApplicationWorker, Case, ReturnApplication
    from homeward.apps.planning.models import PlanRun, PlanSeat, PlanVehicle
    from homeward.apps.registry.models import Enterprise, Town
    from homeward.apps.registry.services.city import city_setup
    from homeward.apps.trips.models import Ticket
    from homeward.apps.trips.services.tickets import tickets_issue
    from homeward.core import regions

    city_setup(actor=BENCH, code=regions.DEMO_CITY_CODE)
    now = timezone.now().replace(microsecond=0)
    buses = -(-workers // BUS_SEATS)
    towns = list(Town.objects.order_by("pk")[:10])
    city = regions.short_name(regions.require(regions.DEMO_CITY_CODE).name)
    with transaction.atomic():
        enterprises = Enterprise.objects.bulk_create(
            Enterprise(uscc=_uscc(i), name=f"{city}测速电器有限公司{i:02d}", town=towns[i % len(towns)])
            for i in range(max(1, min(20, buses)))
        )
        apps = ReturnApplication.objects.bulk_create(
            ReturnApplication(
                enterprise=enterprises[b % len(enterprises)],
                state="planned",
                submitted_at=now,
                accepted_at=now,
                deadline_hours=30,
                deadline_at=now + timedelta(hours=30),
            )  # fmt: skip
            for b in range(buses)
        )
        Case.objects.bulk_create(Case(application=a) for a in apps)
        rows = ApplicationWorker.objects.bulk_create(
            (
                ApplicationWorker(
                    application=apps[n // BUS_SEATS],
                    id_number=_ric(n),
                    name=f"测速{n:05d}",
                    phone=f"139{n:08d}",
                    origin_code=ORIGIN_COUNTY,
                    pickup_county_code=ORIGIN_COUNTY,
                    health_code="green",
                )  # fmt: skip
                for n in range(workers)
            ),
            batch_size=1000,
        )
        run = PlanRun.objects.create(state=PlanRun.State.DONE, finished_at=now, plan_time=now, reason="bench")
        vehicles = PlanVehicle.objects.bulk_create(
            PlanVehicle(
                run=run,
                key=f"bench-bus-{b}",
                kind="bus",
                name=f"浙B{b:05d}",
                origin_area=ORIGIN_COUNTY,
                origin_name="临泉县",
                destination_name=apps[b].enterprise.name,
                seats=BUS_SEATS,
                seat_cap=BUS_SEATS - (TIGHT_BY if b % TIGHT_EVERY == TIGHT_EVERY - 1 else 0),
                passengers=len(rows[b * BUS_SEATS : (b + 1) * BUS_SEATS]),
                departs=now + timedelta(hours=1),
                arrives=now + timedelta(hours=13),
            )  # fmt: skip
            for b in range(buses)
        )
        PlanSeat.objects.bulk_create(
            (
                PlanSeat(
                    run=run,
                    vehicle=vehicles[n // BUS_SEATS],
                    leg=0,
                    seat=f"{n % BUS_SEATS + 1:02d}",
                    worker=w,
                    application=apps[n // BUS_SEATS],
                    enterprise_id=apps[n // BUS_SEATS].enterprise.pk,
                )  # fmt: skip
                for n, w in enumerate(rows)
            ),
            batch_size=1000,
        )
    tickets_issue(actor=BENCH, run_id=run.pk)
    tokens = dict(Ticket.objects.filter(state="issued").values_list("worker_id", "token"))
    names = [f"bench-scanner-{i:02d}" for i in range(scanners)]
    for name in names:
        user_create_with_role(actor=BENCH, username=name, password=SCANNER_PASSWORD, role="taskforce")
    return World([tokens[w.pk] for w in rows], names)


def database_checks(acknowledged: set[str]) -> dict[str, Any]:
    """Counted from the stored scans:

    - ``lost``: nonces a client was answered for (HTTP 200) that have no stored scan;
    - ``double_boardings``: boardings answered ``recorded`` although a boarding of the same worker,
      leg and checkpoint that stands before it by the conflict rule (earlier device time, then
      smaller nonce) was already stored — the server let two scanners board one worker. (A scan
      stored later with an EARLIER device time is rightly recorded: it takes over, ``core.scans``.)
    - ``over_capacity``: vehicles with more distinct workers boarded (not refused) than seat cap.
    """
    from django.db.models import Count

    from homeward.apps.planning.models import PlanVehicle
    from homeward.apps.trips.models import ScanEvent
    from homeward.core import scans as rules

    stored: set[str] = set()
    pending = sorted(acknowledged)
    for start in range(0, len(pending), 5000):
        chunk = pending[start : start + 5000]
        stored.update(ScanEvent.objects.filter(nonce__in=chunk).values_list("nonce", flat=True))
    boardings = ScanEvent.objects.filter(
        checkpoint__in=sorted(rules.BOARDINGS), worker__isnull=False
    ).exclude(outcome=rules.REFUSED)
    standing: dict[tuple[int, int, str], tuple[Any, str]] = {}
    doubles = 0
    rows = boardings.order_by("pk").values_list(
        "worker_id", "leg", "checkpoint", "client_at", "nonce", "answer"
    )
    for worker_id, leg, checkpoint, client_at, nonce, answer in rows.iterator(chunk_size=5000):
        key, first = (worker_id, leg, checkpoint), standing.get((worker_id, leg, checkpoint))
        if first is not None and answer == "recorded" and first < (client_at, nonce):
            doubles += 1
        if first is None or (client_at, nonce) < first:
            standing[key] = (client_at, nonce)
    caps = dict(PlanVehicle.objects.values_list("key", "seat_cap"))
    riders = boardings.values("vehicle_key").annotate(n=Count("worker_id", distinct=True))
    over = sum(1 for r in riders if r["n"] > caps.get(r["vehicle_key"], 0))
    counts = dict(ScanEvent.objects.values("answer").annotate(n=Count("pk")).values_list("answer", "n"))
    return {
        "lost": len(acknowledged - stored),
        "double_boardings": doubles,
        "over_capacity": over,
        "stored": counts,
    }
