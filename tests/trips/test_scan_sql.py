"""The scan's reads written as SQL (``trips.services.scan_sql``) answer what the ORM queries they
stand for answer, on the database the tests run on (SQLite; PostgreSQL in the second pass), over
rows made to sit on each edge the queries decide: refused scans, scans of nobody, other vehicles,
checkpoints and legs, equal device times, times in another zone, declined and removed workers."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Substr
from django.utils import timezone

from homeward.apps.applications.models import ApplicationWorker
from homeward.apps.planning.models import PlanVehicle
from homeward.apps.teams.models import Team
from homeward.apps.trips.models import HealthDeclaration, ScanEvent, Ticket
from homeward.apps.trips.services import scan_sql
from homeward.apps.trips.services.scans import TEAM_AT_ORIGIN
from homeward.core import scans as rules

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 2, 10, 8, 0, tzinfo=ZoneInfo("UTC"))


def _scan(worker: ApplicationWorker | None, **kw: Any) -> ScanEvent:
    values: dict[str, Any] = {
        "nonce": uuid.uuid4().hex, "worker": worker, "leg": 0, "checkpoint": "board", "vehicle_key": "k1",
        "outcome": "ok", "answer": "recorded", "client_at": T0, "server_at": T0,
    } | kw  # fmt: skip
    return ScanEvent.objects.create(**values)


def _workers(campaign: Any, n: int) -> list[ApplicationWorker]:
    workers = list(ApplicationWorker.objects.filter(application=campaign["a"]).order_by("pk")[:n])
    assert len(workers) == n
    return workers


def test_riders_counts_as_the_orm_aggregate(campaign) -> None:
    w1, w2, w3, w4, w5 = _workers(campaign, 5)
    _scan(w1)
    _scan(w1, outcome="observation")  # the same worker twice: one rider
    _scan(w2, outcome="refused")  # refused: not aboard
    _scan(w3, vehicle_key="k2")  # another vehicle
    _scan(w4, checkpoint="shuttle_board")  # another checkpoint
    _scan(None)  # a scan that named nobody
    _scan(w5, outcome="observation")
    for worker in (w1, w2, w3, w4, w5):
        for key, checkpoint in (("k1", "board"), ("k2", "board"), ("k1", "shuttle_board"), ("k9", "board")):
            orm = (
                ScanEvent.objects.filter(vehicle_key=key, checkpoint=checkpoint, worker__isnull=False)
                .exclude(outcome=rules.REFUSED)
                .aggregate(
                    r=Count("worker_id", distinct=True), own=Count("pk", filter=Q(worker_id=worker.pk))
                )
            )
            assert scan_sql.riders(key, checkpoint, worker.pk) == (orm["r"], orm["own"])
    assert scan_sql.riders("k1", "board", w1.pk) == (2, 2)  # the data does reach both counts


def test_declaration_is_the_latest_made_at_or_before_the_time(campaign) -> None:
    w1, w2 = _workers(campaign, 2)
    for worker, minutes, t, code in (
        (w1, -120, "36.6", "green"), (w1, -60, "37.5", "yellow"), (w1, -60, "36.9", "green"),
        (w1, 60, "36.4", "green"), (w2, -30, "38.1", "red"),
    ):  # fmt: skip
        HealthDeclaration.objects.create(
            worker=worker, health_code=code, temperature_c=Decimal(t),
            declared_at=T0 + timedelta(minutes=minutes), nonce=uuid.uuid4().hex,
        )  # fmt: skip
    shanghai = ZoneInfo("Asia/Shanghai")
    for worker in (w1, w2):
        for minutes in (-180, -120, -90, -60, 0, 60, 120):
            at = (T0 + timedelta(minutes=minutes)).astimezone(shanghai)
            orm = (
                HealthDeclaration.objects.filter(worker_id=worker.pk, declared_at__lte=at)
                .order_by("-declared_at", "-pk")
                .values_list("temperature_c", "health_code")
                .first()
            )
            assert scan_sql.declaration(worker.pk, at) == orm
    # two made at the same time: the one stored last counts
    assert scan_sql.declaration(w1.pk, T0) == (Decimal("36.9"), "green")


def _standing_by_orm(worker_id: int, leg: int, checkpoint: str, at: datetime, nonce: str) -> str | None:
    """What the scan did before: the standing scan's (time, nonce, vehicle) read by the ORM and
    compared with the new scan's in Python."""
    first = (
        ScanEvent.objects.filter(worker_id=worker_id, leg=leg, checkpoint=checkpoint)
        .exclude(outcome=rules.REFUSED)
        .order_by("client_at", "nonce")
        .values_list("client_at", "nonce", "vehicle_key")
        .first()
    )
    return first[2] if first is not None and first[:2] < (at, nonce) else None


def test_standing_before_follows_the_conflict_rule_as_the_orm_read_did(campaign) -> None:
    w1, w2 = _workers(campaign, 2)
    second = timedelta(seconds=1)
    _scan(w1, nonce="Mid-nonce-1", vehicle_key="bus-a")
    _scan(w1, nonce="Cat-refused", outcome="refused", vehicle_key="bus-r")  # refused: never stands
    _scan(w1, nonce="ant-nonce-2", client_at=T0 + second, vehicle_key="bus-b")
    _scan(w1, nonce="leg-one-0001", leg=1, client_at=T0 - second, vehicle_key="bus-l")
    _scan(w1, nonce="gate-000001", checkpoint="gate", client_at=T0 - second, vehicle_key="")
    _scan(w2, nonce="w2-nonce-01", client_at=T0 + 2 * second, vehicle_key="bus-c", outcome="observation")
    shanghai = ZoneInfo("Asia/Shanghai")
    times = [T0 - second, T0, T0 + second, T0 + 2 * second, T0 + 3 * second]
    nonces = ["0-first", "Mid-nonce-0", "Mid-nonce-1", "Mid-nonce-2", "ant-nonce-2", "b-later", "zzz"]
    decided = set()
    for worker in (w1, w2):
        for leg, checkpoint in ((0, "board"), (1, "board"), (0, "gate")):
            for at in times:
                for nonce in nonces:
                    expected = _standing_by_orm(worker.pk, leg, checkpoint, at, nonce)
                    got = scan_sql.standing_before(worker.pk, leg, checkpoint, at.astimezone(shanghai), nonce)
                    assert got == expected, (worker.pk, leg, checkpoint, at, nonce)
                    decided.add(expected)
    assert {None, "bus-a", "bus-l", "", "bus-c"} <= decided  # every kind of answer was asked for


def _on_the_way_by_orm(application_id: int) -> bool:
    arrived = ScanEvent.objects.filter(worker_id=OuterRef("worker_id"), checkpoint=rules.GATE).exclude(
        outcome=rules.REFUSED
    )
    tickets = Ticket.objects.filter(
        worker__application_id=application_id, state="issued", worker__active=True,
        worker__declined_at__isnull=True,
    )  # fmt: skip
    return tickets.filter(~Exists(arrived)).exists()


def test_someone_on_the_way_as_the_orm_says(planned) -> None:
    tickets = list(Ticket.objects.filter(state="issued").select_related("worker").order_by("pk"))
    application_id = tickets[0].worker.application_id
    mine = [t for t in tickets if t.worker.application_id == application_id]
    assert len(mine) >= 4
    *first, declined, removed, last = mine
    answers = []

    def check() -> None:
        for app in {t.worker.application_id for t in tickets}:
            assert scan_sql.someone_on_the_way(app) == _on_the_way_by_orm(app)
        answers.append(scan_sql.someone_on_the_way(application_id))

    check()
    for t in first:
        _scan(t.worker, checkpoint="gate")
    _scan(last.worker, checkpoint="gate", outcome="refused")  # a refused gate scan is no arrival
    _scan(last.worker, checkpoint="board")  # nor is a boarding
    check()
    ApplicationWorker.objects.filter(pk=declined.worker_id).update(declined_at=timezone.now())
    ApplicationWorker.objects.filter(pk=removed.worker_id).update(active=False)
    check()
    _scan(last.worker, checkpoint="gate", outcome="observation")
    check()
    assert answers == [True, True, True, False]
    Ticket.objects.filter(pk=last.pk).update(state="revoked")
    ScanEvent.objects.filter(worker_id=last.worker_id).delete()
    check()
    assert answers[-1] is False  # a revoked ticket is nobody still expected


def test_vehicle_locked_reads_the_key_and_cap(planned) -> None:
    vehicle = PlanVehicle.objects.order_by("pk").first()
    assert vehicle is not None
    with transaction.atomic():
        assert scan_sql.vehicle_locked(vehicle.pk) == (vehicle.key, vehicle.seat_cap)
        assert scan_sql.vehicle_locked(0) is None


def test_team_at_origin_is_the_exists_it_stands_for(planned) -> None:
    Team.objects.create(province_code="34", name="安徽服务队", base_city="阜阳", active=True)
    Team.objects.create(province_code="41", name="河南服务队", base_city="商丘", active=False)
    orm = Exists(
        Team.objects.filter(province_code=Substr(OuterRef("worker__pickup_county_code"), 1, 2), active=True)
    )
    rows = (
        Ticket.objects.select_related("worker")
        .annotate(raw=TEAM_AT_ORIGIN, orm=orm)
        .values_list("worker__pickup_county_code", "raw", "orm")
    )
    seen = {(county[:2], raw, by_orm) for county, raw, by_orm in rows}
    assert all(raw is by_orm for _p, raw, by_orm in seen)
    assert ("34", True, True) in seen and ("41", False, False) in seen  # an active team and an inactive one
