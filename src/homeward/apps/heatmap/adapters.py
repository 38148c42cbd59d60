"""Registry tables → the fusion's Arrow inputs (``homeward.core.fusion.schema``).

Read with raw SQL through Django's connection, in chunks, column by column: no model instances.
Dates are selected as text (no per-value Python conversion by the driver) and cast to ``date32`` by
Arrow in one vectorised step. Works on SQLite and PostgreSQL.

Roster: one row per worker with a current employer (``Worker.employer``), the employer's town and key
flag, the worker's resolved origin county, and the insured-since date of the membership with that
employer. Workers without an employer are on no roster and are left out. ``declared_code`` is where
the worker last said they are now (``Worker.declared_code``, set by a letter home's reply; null when
never said). Return intentions are the letters' ``Intention`` rows (one per worker, dated the day of
the reply): returning → ``will_return``, not returning → ``away``. Police arrivals include the factory-gate handovers scanned by
``trips`` (``gate_arrivals``): a worker handed over at the gate is back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import pyarrow as pa
from django.db import connection

from homeward.core.fusion import FusionInputs
from homeward.core.fusion.schema import (
    CARRIER_SCHEMA,
    INTENTIONS_SCHEMA,
    POLICE_SCHEMA,
    RISK_SCHEMA,
    ROSTER_SCHEMA,
)

CHUNK = 100_000
Progress = Callable[[str], None]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model_label: str) -> str:
    from django.apps import apps

    return _q(apps.get_model(model_label)._meta.db_table)


def _read(sql: str, params: Sequence[Any], names: Sequence[str]) -> dict[str, list[Any]]:
    """Run ``sql`` and return its columns as Python lists (fetched in chunks)."""
    columns: dict[str, list[Any]] = {n: [] for n in names}
    lists = [columns[n] for n in names]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(CHUNK)
            if not rows:
                break
            for target, values in zip(lists, zip(*rows, strict=True), strict=True):
                target.extend(values)
    return columns


def _dates(values: list[Any]) -> pa.Array:
    """ISO date strings (or date objects, or None) → date32."""
    arr = pa.array(values)
    if pa.types.is_date32(arr.type):
        return arr
    if pa.types.is_null(arr.type):
        return pa.nulls(len(values), pa.date32())
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        # "2020-02-03" (SQLite, PostgreSQL DateStyle ISO); keep the first 10 characters
        import pyarrow.compute as pc

        return pc.utf8_slice_codeunits(arr, 0, 10).cast(pa.date32())
    return arr.cast(pa.date32())


def roster_table() -> pa.Table:
    w, e, t, m = (
        _table("registry.Worker"),
        _table("registry.Enterprise"),
        _table("registry.Town"),
        _table("registry.RosterMembership"),
    )
    sql = (
        f"SELECT w.id, w.id_number, w.origin_code, NULLIF(w.declared_code, ''), w.employer_id, t.code, e.is_key, "
        f"CAST(m.insured_since AS TEXT) "
        f"FROM {w} w JOIN {e} e ON e.id = w.employer_id JOIN {t} t ON t.id = e.town_id "
        f"LEFT JOIN {m} m ON m.worker_id = w.id AND m.enterprise_id = w.employer_id"
    )
    names = [
        "worker_key",
        "id_number",
        "origin_code",
        "declared_code",
        "enterprise_id",
        "town_code",
        "is_key",
        "insured_since",
    ]
    c = _read(sql, [], names)
    return pa.table(
        {
            "worker_key": pa.array(c["worker_key"], pa.int64()),
            "id_number": pa.array(c["id_number"], pa.string()),
            "origin_code": pa.array(c["origin_code"], pa.string()),
            "declared_code": pa.array(c["declared_code"], pa.string()),
            "enterprise_id": pa.array(c["enterprise_id"], pa.int64()),
            "town_code": pa.array(c["town_code"], pa.string()),
            "is_key": pa.array([bool(v) for v in c["is_key"]], pa.bool_()),
            "insured_since": _dates(c["insured_since"]),
        },
        schema=pa.schema([pa.field(f.name, f.type) for f in ROSTER_SCHEMA]),
    )


def police_table(window_start: date | None = None, as_of: date | None = None) -> pa.Table:
    """Police arrivals, optionally only inside ``[window_start, as_of]`` (the fusion ignores the rest)."""
    p = _table("registry.PoliceArrival")
    where, params = [], []
    if window_start is not None:
        where.append("arrived_on >= %s")
        params.append(window_start.isoformat())
    if as_of is not None:
        where.append("arrived_on <= %s")
        params.append(as_of.isoformat())
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    sql = f"SELECT id_number, CAST(arrived_on AS TEXT), place FROM {p}{clause}"
    c = _read(sql, params, ["id_number", "arrived_on", "place"])
    for id_number, arrived_on, place in gate_arrivals(window_start, as_of):
        c["id_number"].append(id_number)
        c["arrived_on"].append(arrived_on.isoformat())
        c["place"].append(place)
    return pa.table(
        {
            "id_number": pa.array(c["id_number"], pa.string()),
            "arrived_on": _dates(c["arrived_on"]),
            "place": pa.array(c["place"], pa.string()),
        },
        schema=pa.schema([pa.field(f.name, f.type) for f in POLICE_SCHEMA]),
    )


def gate_arrivals(window_start: date | None = None, as_of: date | None = None) -> list[tuple[str, date, str]]:
    """Workers handed over at a factory gate (``trips.ScanEvent`` gate scans not refused): arrivals
    as good as the police's, on the local date of the device's time; ``place`` names the gate."""
    from django.utils import timezone

    from homeward.apps.trips.models import ScanEvent

    rows = (
        ScanEvent.objects.filter(checkpoint="gate", worker__isnull=False)
        .exclude(outcome="refused")
        .values_list("worker__id_number", "client_at", "place")
    )
    out = []
    for id_number, at, place in rows.iterator(chunk_size=CHUNK):
        day = timezone.localdate(at)
        if (window_start is None or day >= window_start) and (as_of is None or day <= as_of):
            out.append((id_number, day, f"厂门 {place}".strip()[:100]))
    return out


def carrier_table(as_of: date | None = None) -> pa.Table:
    ca = _table("registry.CarrierAggregate")
    clause, params = ("", []) if as_of is None else (" WHERE date <= %s", [as_of.isoformat()])
    sql = f"SELECT CAST(date AS TEXT), county_code, {_q('count')} FROM {ca}{clause}"
    c = _read(sql, params, ["date", "county_code", "count"])
    return pa.table(
        {
            "date": _dates(c["date"]),
            "county_code": pa.array(c["county_code"], pa.string()),
            "count": pa.array(c["count"], pa.int64()),
        },
        schema=pa.schema([pa.field(f.name, f.type) for f in CARRIER_SCHEMA]),
    )


def risk_table() -> pa.Table:
    r = _table("registry.CountyRisk")
    c = _read(f"SELECT county_code, level FROM {r}", [], ["county_code", "level"])
    return pa.table(
        {"county_code": pa.array(c["county_code"], pa.string()), "level": pa.array(c["level"], pa.string())},
        schema=pa.schema([pa.field(f.name, f.type) for f in RISK_SCHEMA]),
    )


# a letters-home intention kind → the fusion's intention state
INTENTION_STATE = {"returning": "will_return", "not_returning": "away"}


def intentions_table() -> pa.Table:
    """Each worker's latest reply to a letter home (``letters.Intention``) on the day it was made."""
    from django.utils import timezone

    from homeward.apps.letters.models import Intention

    rows = Intention.objects.values_list("person__id_number", "updated_at", "kind", "county_code")
    ids, days, states, counties = [], [], [], []
    for id_number, at, kind, county in rows.iterator(chunk_size=CHUNK):
        ids.append(id_number)
        days.append(timezone.localdate(at))
        states.append(INTENTION_STATE[kind])
        counties.append(county or None)
    return pa.table(
        {
            "id_number": pa.array(ids, pa.string()),
            "date": pa.array(days, pa.date32()),
            "state": pa.array(states, pa.string()),
            "county_code": pa.array(counties, pa.string()),
        },
        schema=pa.schema([pa.field(f.name, f.type) for f in INTENTIONS_SCHEMA]),
    )


def latest_data_date() -> date | None:
    """The day of the newest evidence (police arrival, factory-gate handover, carrier count or reply to
    a letter home): the default ``as_of``. Gate handovers and replies count, or a rebuild after them
    would read the city as of the last police import and leave them out of its window."""
    from django.db.models import Max
    from django.utils import timezone

    from homeward.apps.letters.models import Intention
    from homeward.apps.registry.models import CarrierAggregate, PoliceArrival
    from homeward.apps.trips.models import ScanEvent

    last_gate = (
        ScanEvent.objects.filter(checkpoint="gate", worker__isnull=False)
        .exclude(outcome="refused")
        .aggregate(t=Max("client_at"))["t"]
    )
    last_reply = Intention.objects.aggregate(t=Max("updated_at"))["t"]
    days = [
        PoliceArrival.objects.aggregate(d=Max("arrived_on"))["d"],
        CarrierAggregate.objects.aggregate(d=Max("date"))["d"],
        timezone.localdate(last_gate) if last_gate is not None else None,
        timezone.localdate(last_reply) if last_reply is not None else None,
    ]
    known = [d for d in days if d is not None]
    return max(known) if known else None


def fusion_inputs(
    *, window_start: date | None = None, as_of: date | None = None, progress: Progress | None = None
) -> FusionInputs:
    """Everything the fusion needs, read from the registries."""
    say = progress or (lambda _stage: None)
    say("roster")
    roster = roster_table()
    say("police")
    police = police_table(window_start, as_of)
    say("carrier")
    carrier = carrier_table(as_of)
    risk = risk_table()
    say("intentions")
    intentions = intentions_table()
    return FusionInputs.of(roster=roster, police=police, carrier=carrier, risk=risk, intentions=intentions)
