"""Heat-map rebuilds: request (idempotent, enqueued on commit), execute (claimed once), the import hook.

A rebuild reads the registries (``adapters``), runs the fusion on DuckDB (``core.fusion``), stores the
tables as a snapshot (``store``), and writes the per-worker status back: ``Worker.status`` where it
changed, and ``WorkerStatus`` (status, source, date, origin) for every worker on a roster.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from typing import Any

import pyarrow as pa
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from homeward.apps.accounts.policy import IMPORT_HOOK, TASK, authorize, user_of
from homeward.apps.audit.runs import (
    ACTIVE_STATES,
    RunLease,
    run_claim,
    run_enqueue,
    run_fail,
    run_finish_or_abandon,
    run_lease,
    runs_expire,
)
from homeward.apps.audit.services import audit_record
from homeward.apps.heatmap import adapters, store
from homeward.apps.heatmap.models import HeatmapSnapshot, WorkerStatus
from homeward.apps.heatmap.selectors import params_of
from homeward.apps.registry.models import Worker
from homeward.apps.registry.services import bulk
from homeward.core.errors import DomainError
from homeward.core.fusion import (
    LEVELS,
    FusionInputs,
    FusionParams,
    hotspots,
    normalized,
    open_engine,
    origin_totals,
    origins,
)
from homeward.core.fusion.schema import (
    CROSS_CHECK_SCHEMA,
    ENTERPRISE_SHORTFALL_SCHEMA,
    TOWN_SHORTFALL_SCHEMA,
)

log = logging.getLogger(__name__)

#: The holiday began on 除夕 2020 (24 Jan); arrivals from then on count as returns. Configurable with
#: ``settings.HEATMAP_WINDOW_START`` (a date or an ISO string).
DEFAULT_WINDOW_START = date(2020, 1, 24)


def window_start_setting() -> date:
    value = getattr(settings, "HEATMAP_WINDOW_START", None) or DEFAULT_WINDOW_START
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def default_params() -> dict[str, Any]:
    return {
        "hotspot_min_away": int(getattr(settings, "HEATMAP_HOTSPOT_MIN_AWAY", 10_000)),
        "disagreement_ratio": float(getattr(settings, "HEATMAP_DISAGREEMENT_RATIO", 1.5)),
        "min_cell": int(getattr(settings, "HEATMAP_MIN_CELL", 5)),
    }


# ------------------------------------------------------------------------------------------ requests


def heatmap_rebuild_request(
    *, actor: Any, as_of: date | None = None, reason: str = "manual", force_new: bool = False
) -> HeatmapSnapshot:
    """Queue a rebuild (enqueued once the transaction commits). Idempotent: while a rebuild is queued
    or running, that one is returned (``force_new``: only a queued one is reused, so that a rebuild
    starts after the running one, e.g. after an import); one whose lease expired is failed as
    abandoned first. ``as_of`` defaults to the newest evidence."""
    authorize(actor, "heatmap.rebuild")
    window_start = window_start_setting()
    if as_of is not None and as_of < window_start:
        raise DomainError(
            f"截至日期不能早于统计起始日 {window_start} (as_of must not be before the window start)",
            "heatmap_bad_date",
        )
    runs_expire(HeatmapSnapshot, actor=actor)
    with transaction.atomic():
        states = [HeatmapSnapshot.State.QUEUED] if force_new else list(ACTIVE_STATES)
        active = HeatmapSnapshot.objects.select_for_update().filter(state__in=states).order_by("pk").first()
        if active is not None and (as_of is None or active.as_of == as_of):
            return active
        day = as_of or adapters.latest_data_date() or timezone.localdate()
        day = max(day, window_start)
        snapshot = HeatmapSnapshot.objects.create(
            as_of=day,
            window_start=window_start,
            params=default_params(),
            reason=reason[:50],
            created_by=user_of(actor),
        )
        audit_record(
            actor=actor,
            action="heatmap.rebuild.request",
            object_type="heatmap_snapshot",
            object_id=snapshot.pk,
            data={"as_of": day.isoformat(), "reason": reason},
        )
        snapshot_id = snapshot.pk
        transaction.on_commit(lambda: _enqueue(snapshot_id))
    return snapshot


def _enqueue(snapshot_id: int) -> None:
    from homeward.apps.heatmap.tasks import heatmap_rebuild

    run_enqueue(HeatmapSnapshot, snapshot_id, heatmap_rebuild)


def heatmap_after_import(*, kind: str) -> HeatmapSnapshot | None:
    """Called by the import service after an import of ``kind`` finished: queue a rebuild (reusing a
    queued one). Never raises: a failed request is logged, the import stands."""
    try:
        return heatmap_rebuild_request(actor=IMPORT_HOOK, reason=f"import.{kind}", force_new=True)
    except Exception:  # pragma: no cover - defensive: the import must not fail because of this
        log.exception("heat-map rebuild after the %s import could not be queued", kind)
        return None


# ----------------------------------------------------------------------------------------- execution


def heatmap_rebuild_execute_now(snapshot_id: int) -> str:
    """queued → running (a conditional UPDATE claims it once, under a lease) → done/failed. Returns
    the final state, or ``"skipped"`` when the snapshot was not queued."""
    if not run_claim(HeatmapSnapshot, snapshot_id, progress=1, stage="start"):
        return "skipped"
    snapshot = HeatmapSnapshot.objects.get(pk=snapshot_id)
    with run_lease(HeatmapSnapshot, snapshot_id) as lease:
        try:
            summary = _build(snapshot, lease)
        except Exception as exc:
            log.exception("heat-map rebuild %s failed", snapshot_id)
            run_fail(HeatmapSnapshot, snapshot_id, exc)
            audit_record(
                actor=TASK,
                action="heatmap.rebuild.failed",
                object_type="heatmap_snapshot",
                object_id=snapshot_id,
            )
            return HeatmapSnapshot.State.FAILED.value
    keep = set(
        HeatmapSnapshot.objects.filter(state=HeatmapSnapshot.State.DONE)
        .order_by("-built_at")
        .values_list("pk", flat=True)[: store.KEEP_SNAPSHOTS - 1]
    )
    keep |= set(HeatmapSnapshot.objects.filter(state__in=ACTIVE_STATES).values_list("pk", flat=True))
    store.prune(keep | {snapshot_id})
    audit_record(
        actor=TASK,
        action="heatmap.rebuild.done",
        object_type="heatmap_snapshot",
        object_id=snapshot_id,
        data={k: v for k, v in summary.items() if k != "seconds"},
    )
    return HeatmapSnapshot.State.DONE.value


STAGES = {  # stage -> progress % when it starts
    "roster": 5,
    "police": 25,
    "carrier": 33,
    "intentions": 34,
    "fusion": 35,
    "store": 70,
    "status": 80,
}


def _build(snapshot: HeatmapSnapshot, lease: RunLease) -> dict[str, Any]:
    sid = snapshot.pk
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    last = "start"

    def stage(name: str) -> None:
        nonlocal clock, last
        now = time.perf_counter()
        seconds[last] = round(now - clock, 3)
        clock, last = now, name
        lease.progress(stage=name, progress=STAGES.get(name, 0))

    params = params_of(snapshot)
    inputs = adapters.fusion_inputs(window_start=params.window_start, as_of=params.as_of, progress=stage)
    stage("fusion")
    tables, workers = compute_tables(inputs, params)
    stage("store")
    path = store.write(sid, tables)
    stage("status")
    # the per-worker status and the snapshot marked done in one transaction: a rebuild declared
    # abandoned meanwhile writes nothing back
    with transaction.atomic():
        changed = write_back_status(workers, snapshot_id=sid)
        stage("done")
        summary = {
            "workers": int(inputs.roster.num_rows),
            **origin_totals(tables["origins_province"]),
            "hotspots": int(tables["hotspots"].num_rows),
            "status_changed": changed,
            "inputs": {k: v for k, v in inputs.row_counts.items() if k != "regions"},
            "seconds": seconds,
        }
        run_finish_or_abandon(
            HeatmapSnapshot,
            sid,
            state=HeatmapSnapshot.State.DONE,
            progress=100,
            stage="done",
            path=path,
            summary=summary,
        )
    return summary


def compute_tables(inputs: FusionInputs, params: FusionParams) -> tuple[dict[str, pa.Table], pa.Table]:
    """Run the fusion on DuckDB and return the snapshot's tables and the per-worker status table."""
    engine = open_engine(inputs, params)
    tables: dict[str, pa.Table] = {f"origins_{level}": origins(engine, level) for level in LEVELS}
    tables["hotspots"] = hotspots(tables[f"origins_{params.hotspot_level}"], params)
    tables["cross_check"] = normalized(engine.cross_check(), CROSS_CHECK_SCHEMA, "cross_check")
    tables["enterprise_shortfall"] = normalized(
        engine.enterprise_shortfall(), ENTERPRISE_SHORTFALL_SCHEMA, "enterprise_shortfall"
    )
    tables["town_shortfall"] = normalized(engine.town_shortfall(), TOWN_SHORTFALL_SCHEMA, "town_shortfall")
    tables["carrier"] = inputs.carrier
    tables["risk"] = inputs.risk
    workers = engine.workers_table()
    tables["timeline"] = timeline_table(workers, inputs, params)
    return tables, workers


def timeline_table(workers: pa.Table, inputs: FusionInputs, params: FusionParams) -> pa.Table:
    """Workers grouped by everything a filtered or earlier-day query needs (``store.TIMELINE_COLUMNS``)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("w", workers)
        con.register("r", inputs.roster.select(["worker_key", "insured_since"]))
        con.register("p", inputs.police.select(["id_number", "arrived_on"]))
        sql = """
            WITH first AS (
                SELECT id_number, min(arrived_on) AS first_return FROM p
                WHERE arrived_on BETWEEN $ws AND $asof GROUP BY id_number
            )
            SELECT w.county_code, w.prefecture_code, w.province_code, w.town_code, w.enterprise_id,
                   w.is_key, w.status, f.first_return,
                   (r.insured_since IS NULL OR r.insured_since <= $ws) AS insured_before,
                   count(*)::BIGINT AS n
            FROM w JOIN r USING (worker_key) LEFT JOIN first f ON f.id_number = w.id_number
            GROUP BY ALL
            ORDER BY county_code, town_code, enterprise_id, status, first_return NULLS FIRST, insured_before
        """
        return con.execute(sql, {"ws": params.window_start, "asof": params.as_of}).fetch_arrow_table()
    finally:
        con.close()


def write_back_status(workers: pa.Table, *, snapshot_id: int | None = None) -> int:
    """``Worker.status`` where it changed, and every ``WorkerStatus`` row replaced. Returns how many
    ``Worker.status`` values changed."""
    keys = workers["worker_key"].to_pylist()
    status = workers["status"].to_pylist()
    new = dict(zip(keys, status, strict=True))
    w = connection.ops.quote_name(Worker._meta.db_table)
    with transaction.atomic():
        current = bulk.fetch(f"SELECT id, status FROM {w}")
        changed = [(pk, new[pk]) for pk, old in current if pk in new and new[pk] != old]
        bulk.bulk_update(Worker, ["status"], changed)
        _clear_worker_status()
        dates = workers["status_date"].to_pylist()
        rows = list(
            zip(
                keys,
                status,
                workers["source"].to_pylist(),
                dates,
                workers["origin_code"].to_pylist(),
                [snapshot_id] * len(keys),
                strict=True,
            )
        )
        bulk.bulk_insert(
            WorkerStatus, ["worker", "status", "source", "date", "origin_code", "snapshot"], rows
        )
    return len(changed)


def _clear_worker_status() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(WorkerStatus._meta.db_table)}")
