"""Adapters, rebuilds and the snapshot: the fused figures recover the demo city's truth, agree across
levels, and every filtered or earlier-day figure equals what the fusion core computes."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pyarrow.compute as pc
import pytest

from homeward.core import regions
from homeward.core.fusion import FusionParams, OriginFilters, normalized, open_engine, origins
from homeward.core.fusion.schema import (
    ENTERPRISE_SHORTFALL_SCHEMA,
    ORIGINS_SCHEMA,
    TOWN_SHORTFALL_SCHEMA,
    UNKNOWN_CODE,
)

pytestmark = pytest.mark.django_db

COUNTS = ("away", "returned", "unknown", "carrier_estimate")


def _sum(table, col):
    return int(pc.sum(table[col]).as_py() or 0)


def test_it_reads_the_registries_into_fusion_inputs(small_city):
    from homeward.apps.heatmap import adapters
    from homeward.apps.registry.models import CarrierAggregate, CountyRisk, PoliceArrival, Worker

    roster = adapters.roster_table()
    assert roster.num_rows == Worker.objects.exclude(employer=None).count() == 6_700
    assert roster.column_names == [
        "worker_key", "id_number", "origin_code", "declared_code", "enterprise_id", "town_code", "is_key",
        "insured_since",
    ]  # fmt: skip
    assert roster["insured_since"].null_count == 0 and str(roster["insured_since"].type) == "date32[day]"
    assert set(roster["town_code"].to_pylist()) <= {t.code for t in regions.towns()}
    police = adapters.police_table()
    assert police.num_rows == PoliceArrival.objects.count()
    window = adapters.police_table(date(2020, 2, 10), date(2020, 2, 12))
    assert (
        window.num_rows
        == PoliceArrival.objects.filter(arrived_on__range=("2020-02-10", "2020-02-12")).count()
    )
    assert adapters.carrier_table().num_rows == CarrierAggregate.objects.count()
    assert adapters.risk_table().num_rows == CountyRisk.objects.count()
    assert adapters.latest_data_date() == date(2020, 2, 27)


def test_it_rebuilds_and_recovers_the_demo_truth(small_city):
    from homeward.apps.heatmap import store
    from homeward.apps.heatmap.models import WorkerStatus
    from homeward.apps.registry.models import Worker

    city, snap = small_city
    truth = city.truth
    assert snap.state == "done" and snap.progress == 100 and snap.as_of == date(2020, 2, 27)
    assert snap.summary["away"] == truth.away_total
    assert snap.summary["returned"] == truth.returned_total
    assert snap.summary["workers"] == 6_700
    # the demo set Worker.status from its truth: the fusion agrees with every worker
    assert snap.summary["status_changed"] == 0
    assert Counter(Worker.objects.values_list("status", flat=True)) == {
        "away": truth.away_total,
        "returned": truth.returned_total,
    }
    assert WorkerStatus.objects.count() == 6_700
    assert WorkerStatus.objects.filter(status="returned", source="police").count() == truth.returned_total
    sample = WorkerStatus.objects.filter(source="police").select_related("worker").first()
    assert sample.date is not None and sample.worker.status == "returned"
    away_by_county = Counter(WorkerStatus.objects.filter(status="away").values_list("origin_code", flat=True))
    assert dict(away_by_county) == truth.away_by_county
    for name in store.TABLES:
        assert store.read(snap.path, name).num_rows > 0


def test_sums_agree_across_levels(small_city):
    from homeward.apps.heatmap import store

    _city, snap = small_city
    t = {lvl: store.read(snap.path, f"origins_{lvl}") for lvl in ("county", "prefecture", "province")}
    for col in COUNTS:
        assert _sum(t["county"], col) == _sum(t["prefecture"], col) == _sum(t["province"], col), col
    assert (
        _sum(t["province"], "away") + _sum(t["province"], "returned") + _sum(t["province"], "unknown")
        == 6_700
    )
    # and unit by unit: every prefecture is the sum of its counties, every province of its prefectures
    pref_of = {
        r["code"]: (p.code if (p := regions.prefecture_of(r["code"])) else r["code"])
        for r in t["county"].to_pylist()
        if r["code"] != UNKNOWN_CODE
    }
    for parent_level, child_level, parent_of in (
        ("prefecture", "county", lambda c: pref_of.get(c, UNKNOWN_CODE)),
        ("province", "prefecture", lambda c: c[:2] + "0000" if c != UNKNOWN_CODE else c),
    ):
        rolled: Counter[tuple[str, str]] = Counter()
        for r in t[child_level].to_pylist():
            for col in ("away", "returned"):
                rolled[(parent_of(r["code"]), col)] += r[col]
        for r in t[parent_level].to_pylist():
            for col in ("away", "returned"):
                assert rolled[(r["code"], col)] == r[col], (parent_level, r["code"], col)


def test_the_snapshot_tables_are_the_fusion_cores_own(small_city):
    """Unfiltered figures at as_of, computed from the timeline, equal the pipeline's stored output."""
    from homeward.apps.heatmap import selectors, store

    _city, snap = small_city
    for level in ("county", "prefecture", "province"):
        mine = normalized(selectors.origin_table(snap, level, selectors.Filters()), ORIGINS_SCHEMA, "origins")
        assert mine.equals(store.read(snap.path, f"origins_{level}")), level
    ent = selectors.shortfall_table(snap, "enterprise", selectors.Filters())
    assert normalized(ent, ENTERPRISE_SHORTFALL_SCHEMA, "enterprise_shortfall").equals(
        store.read(snap.path, "enterprise_shortfall")
    )
    town = selectors.shortfall_table(snap, "town", selectors.Filters())
    assert normalized(town, TOWN_SHORTFALL_SCHEMA, "town_shortfall").equals(
        store.read(snap.path, "town_shortfall")
    )


def test_filtered_figures_equal_the_fusion_cores(small_city):
    from homeward.apps.heatmap import adapters, selectors
    from homeward.apps.registry.models import Enterprise

    _city, snap = small_city
    params = FusionParams(as_of=snap.as_of, window_start=snap.window_start, **snap.params)
    engine = open_engine(adapters.fusion_inputs(window_start=snap.window_start, as_of=snap.as_of), params)
    biggest = Enterprise.objects.filter(is_key=True).order_by("pk").first()
    cases = [
        (OriginFilters(town=biggest.town.code), selectors.Filters(town=biggest.town.code)),
        (OriginFilters(enterprise=biggest.pk), selectors.Filters(enterprise=biggest.pk)),
        (OriginFilters(province="520000"), selectors.Filters(province="520000")),
        (OriginFilters(risk=("low", "medium")), selectors.Filters(risk=("low", "medium"))),
        (
            OriginFilters(town=biggest.town.code, province="510000", risk=("low",)),
            selectors.Filters(town=biggest.town.code, province="510000", risk=("low",)),
        ),
    ]
    for core_filters, mine_filters in cases:
        for level in ("county", "prefecture", "province"):
            expected = origins(engine, level, core_filters)
            mine = normalized(selectors.origin_table(snap, level, mine_filters), ORIGINS_SCHEMA, "origins")
            assert mine.equals(expected), (core_filters, level)


def test_an_earlier_day_counts_arrivals_up_to_that_day(small_city):
    from homeward.apps.heatmap import selectors
    from homeward.apps.registry.models import PoliceArrival, Worker

    _city, snap = small_city
    day = date(2020, 2, 12)
    table = selectors.origin_table(snap, "province", selectors.Filters(day=day))
    roster_ids = set(Worker.objects.values_list("id_number", flat=True))
    arrived = set(
        PoliceArrival.objects.filter(arrived_on__range=(snap.window_start, day)).values_list(
            "id_number", flat=True
        )
    )
    assert _sum(table, "returned") == len(arrived & roster_ids)
    assert _sum(table, "returned") + _sum(table, "away") + _sum(table, "unknown") == 6_700
    # returns only grow day by day, and the last day is the snapshot itself
    series = [
        _sum(
            selectors.origin_table(snap, "province", selectors.Filters(day=snap.as_of - timedelta(days=k))),
            "returned",
        )
        for k in range(10, -1, -1)
    ]
    assert series == sorted(series) and series[-1] == snap.summary["returned"]
    # carrier estimates follow the day too (none before the first carrier date)
    early = selectors.origin_table(snap, "province", selectors.Filters(day=date(2020, 2, 5)))
    assert early["carrier_estimate"].null_count == early.num_rows


def test_a_rebuild_request_is_idempotent_and_enqueued_on_commit(
    small_city, django_capture_on_commit_callbacks
):
    from homeward.apps.audit.models import AuditEvent
    from homeward.apps.heatmap.models import HeatmapSnapshot
    from homeward.apps.heatmap.services import (
        heatmap_after_import,
        heatmap_rebuild_execute_now,
        heatmap_rebuild_request,
    )
    from tests.heatmap.conftest import user

    taskforce = user("taskforce")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = heatmap_rebuild_request(actor=taskforce)
        again = heatmap_rebuild_request(actor=taskforce)
    assert again.pk == first.pk and first.state == "queued" and len(callbacks) == 1
    assert first.as_of == date(2020, 2, 27)
    # an import while one is queued reuses it; while one runs, it queues the next
    assert heatmap_after_import(kind="police").pk == first.pk
    HeatmapSnapshot.objects.filter(pk=first.pk).update(state="running")
    assert heatmap_rebuild_request(actor=taskforce).pk == first.pk
    follow = heatmap_after_import(kind="roster")
    assert follow.pk != first.pk and follow.reason == "import.roster"
    assert heatmap_rebuild_execute_now(first.pk) == "skipped"  # not queued: claimed once only
    assert AuditEvent.objects.filter(action="heatmap.rebuild.request", object_id=str(first.pk)).exists()


@pytest.mark.parametrize("name", ["enterprise", "town", "health", "team52", "station"])
def test_only_the_task_force_may_rebuild(small_city, name):
    from homeward.apps.audit.models import AuditEvent
    from homeward.apps.heatmap.services import heatmap_rebuild_request
    from homeward.core.errors import PermissionDenied
    from tests.heatmap.conftest import user

    with pytest.raises(PermissionDenied) as denied:
        heatmap_rebuild_request(actor=user(name))
    assert denied.value.code == "forbidden"
    assert AuditEvent.objects.filter(action="denied.heatmap.rebuild", actor__username=f"demo-{name}").exists()


def test_a_failed_rebuild_is_recorded(small_city, monkeypatch):
    from homeward.apps.heatmap import services
    from homeward.apps.heatmap.models import HeatmapSnapshot

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "compute_tables", boom)
    snap = HeatmapSnapshot.objects.create(as_of=date(2020, 2, 27), window_start=date(2020, 1, 24))
    assert services.heatmap_rebuild_execute_now(snap.pk) == "failed"
    snap.refresh_from_db()
    assert snap.state == "failed" and "disk full" in snap.error
