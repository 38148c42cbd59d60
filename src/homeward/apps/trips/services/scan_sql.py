"""The scan's small reads, written as SQL (``trips.services.scans`` calls them once per scan).

Why: profiled, most of a scan's server CPU was the ORM building and compiling its queries (0.7–1 ms
each, against ~0.15 ms to send one written out). These reads are short, fixed and run on every scan,
so each is written once here, in SQL that SQLite and PostgreSQL both take, beside the ORM query it
stands for (its docstring). ``tests/trips/test_scan_sql.py`` shows each answering what that ORM
query answers over the same rows, on both databases.

Each runs on the default database inside the caller's transaction; datetimes go in through the
backend's own adaptation (``adapt_datetimefield_value``), as the ORM sends them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection

from homeward.apps.trips.models import TicketState
from homeward.core import scans as rules


def _at(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def vehicle_locked(vehicle_id: int) -> tuple[str, int] | None:
    """The vehicle's key and seat cap, its row locked until the transaction ends:
    ``PlanVehicle.objects.select_for_update().filter(pk=vehicle_id).values_list("key", "seat_cap")
    .first()`` (no ordering: one row by its key)."""
    sql = 'SELECT "key", "seat_cap" FROM "planning_planvehicle" WHERE "id" = %s'
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [vehicle_id])
        row = cursor.fetchone()
    return (str(row[0]), int(row[1])) if row is not None else None


def riders(vehicle_key: str, checkpoint: str, worker_id: int) -> tuple[int, int]:
    """(distinct workers with a ``checkpoint`` scan not refused on the vehicle, such scans of
    ``worker_id``): ``ScanEvent.objects.filter(vehicle_key=, checkpoint=, worker__isnull=False)
    .exclude(outcome=REFUSED).aggregate(Count("worker_id", distinct=True), Count("pk",
    filter=Q(worker_id=worker_id)))``."""
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT COUNT(DISTINCT "worker_id"), COUNT(CASE WHEN "worker_id" = %s THEN 1 END)'
            ' FROM "trips_scanevent" WHERE "vehicle_key" = %s AND "checkpoint" = %s'
            ' AND "worker_id" IS NOT NULL AND "outcome" <> %s',
            [worker_id, vehicle_key, checkpoint, rules.REFUSED],
        )
        distinct, own = cursor.fetchone()
    return int(distinct or 0), int(own or 0)


def declaration(worker_id: int, at: datetime) -> tuple[Decimal, str] | None:
    """(temperature, health code) of the worker's latest health declaration made at or before
    ``at``: ``HealthDeclaration.objects.filter(worker_id=, declared_at__lte=at)
    .order_by("-declared_at", "-pk").values_list("temperature_c", "health_code").first()``."""
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT "temperature_c", "health_code" FROM "trips_healthdeclaration"'
            ' WHERE "worker_id" = %s AND "declared_at" <= %s ORDER BY "declared_at" DESC, "id" DESC LIMIT 1',
            [worker_id, _at(at)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    temperature = row[0] if isinstance(row[0], Decimal) else Decimal(str(row[0]))  # SQLite: a float
    return temperature.quantize(Decimal("0.1")), str(row[1])


def standing_before(worker_id: int, leg: int, checkpoint: str, client_at: datetime, nonce: str) -> str | None:
    """The vehicle key of the scan that stands for the worker, leg and checkpoint so far
    (``core.scans``: not refused, the earliest device time, then the smaller nonce) when it comes
    before (``client_at``, ``nonce``), else None. It is the first row of ``ScanEvent.objects
    .filter(worker_id=, leg=, checkpoint=).exclude(outcome=REFUSED).order_by("client_at", "nonce")``
    compared in Python with (``client_at``, ``nonce``); rows later than ``client_at`` cannot come
    before it and are left out, and the database says whether the row's time is earlier (so no
    datetime comes back to convert), the nonces of equal times being compared here as before."""
    at = _at(client_at)
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT CASE WHEN "client_at" < %s THEN 1 ELSE 0 END, "nonce", "vehicle_key" FROM "trips_scanevent"'
            ' WHERE "worker_id" = %s AND "leg" = %s AND "checkpoint" = %s AND "outcome" <> %s'
            ' AND "client_at" <= %s ORDER BY "client_at", "nonce" LIMIT 1',
            [at, worker_id, leg, checkpoint, rules.REFUSED, at],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    earlier, other_nonce, vehicle_key = row
    return str(vehicle_key) if earlier or str(other_nonce) < nonce else None


def someone_on_the_way(application_id: int) -> bool:
    """Whether a worker of the application holding an issued ticket (active, not declined) has no
    gate scan that is not refused: ``Ticket.objects.filter(worker__application_id=, state=ISSUED,
    worker__active=True, worker__declined_at__isnull=True).filter(~Exists(ScanEvent.objects
    .filter(worker_id=OuterRef("worker_id"), checkpoint=GATE).exclude(outcome=REFUSED))).exists()``."""
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT 1 FROM "trips_ticket" t INNER JOIN "applications_applicationworker" aw'
            ' ON aw."id" = t."worker_id"'
            ' WHERE aw."application_id" = %s AND t."state" = %s AND aw."active" = %s'
            ' AND aw."declined_at" IS NULL AND NOT EXISTS (SELECT 1 FROM "trips_scanevent" s'
            ' WHERE s."worker_id" = t."worker_id" AND s."checkpoint" = %s AND s."outcome" <> %s) LIMIT 1',
            [application_id, TicketState.ISSUED.value, True, rules.GATE, rules.REFUSED],
        )
        return cursor.fetchone() is not None
