"""``homeward retention purge --older-than DAYS``: remove the personal data and files of finished
campaigns, keep the statistics.

With cutoff = now − DAYS, one run removes exactly this:

1. **Finished applications** — completed or cancelled, closed before the cutoff: each worker row
   loses its ID number (replaced by ``-<row id>``, which no resident ID can be), name, phone and
   health code, and its link to the roster worker. Kept: the row itself, its origin and pickup
   county, its dates, the application, its case, tasks, permits and seats — so counts by
   application, enterprise, origin and vehicle stay as they were.
2. **Import uploads** — import runs finished before the cutoff: the uploaded file is deleted and the
   rejected rows (which quote the file's cells) are dropped from the report. Kept: the run and its
   counts (total, accepted, updated, rejected).
3. **Plan manifests** — plan runs finished before the cutoff, except the plan in force: the result
   file (seat manifests, used only for re-planning) is deleted and the drivers' and escorts' names
   are dropped from its vehicles. Kept: the run's KPIs and baseline, its vehicles and seats.
4. **List exports** — export runs finished before the cutoff: the .xlsx file (a masked list) is
   deleted. Kept: the run, its filters and row count.
5. **Police arrivals** dated before the cutoff and before the heat map's window
   (HEATMAP_WINDOW_START), which no current heat-map build reads.

Not touched: the roster (towns, enterprises, workers, memberships — the city's register, replaced
by the next roster import), heat-map snapshots and carrier aggregates (aggregates only), applications
still in progress, and the audit trail. A run is audited (``retention.purge`` with the counts); a
second run with the same cutoff finds nothing; ``dry_run`` counts without changing anything.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from homeward.apps.accounts.policy import authorize
from homeward.apps.applications.models import ApplicationState, ApplicationWorker
from homeward.apps.audit.services import audit_record
from homeward.apps.planning.models import PlanRun, PlanVehicle
from homeward.apps.registry.models import ExportRun, ImportRun, PoliceArrival
from homeward.core.errors import DomainError

log = logging.getLogger(__name__)

PURGED_ID_PREFIX = "-"  # a purged row's id_number is "-<row id>": unique, and never a resident ID


@dataclass(frozen=True, slots=True)
class PurgeCounts:
    application_workers: int
    import_files: int
    plan_results: int
    plan_vehicles: int
    police_arrivals: int
    export_files: int = 0


def _workers(cutoff: datetime) -> QuerySet[ApplicationWorker]:
    return ApplicationWorker.objects.filter(
        application__state__in=(ApplicationState.COMPLETED, ApplicationState.CANCELLED),
        application__closed_at__lt=cutoff,
    ).exclude(id_number__startswith=PURGED_ID_PREFIX)


def _imports(cutoff: datetime) -> QuerySet[ImportRun]:
    finished = ImportRun.objects.filter(finished_at__lt=cutoff).exclude(state__in=("queued", "running"))
    return finished.filter(~Q(file="") | Q(report__has_key="rejected"))


def _exports(cutoff: datetime) -> QuerySet[ExportRun]:
    return ExportRun.objects.filter(finished_at__lt=cutoff).exclude(file="")


def _plan_runs(cutoff: datetime) -> QuerySet[PlanRun]:
    old = PlanRun.objects.filter(finished_at__lt=cutoff)
    in_force = PlanRun.objects.in_force_first().values_list("pk", flat=True).first()
    return old.exclude(pk=in_force) if in_force is not None else old


def _plan_vehicles(runs: QuerySet[PlanRun]) -> QuerySet[PlanVehicle]:
    return PlanVehicle.objects.filter(run__in=runs, detail__has_key="crew")


def _arrivals(cutoff: datetime) -> QuerySet[PoliceArrival]:
    window = date.fromisoformat(settings.HEATMAP_WINDOW_START)
    return PoliceArrival.objects.filter(arrived_on__lt=min(timezone.localdate(cutoff), window))


def _delete_files(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:  # left for the operator; the database no longer points at it
            log.warning("retention: could not delete %s: %s", path.name, exc.strerror)


def retention_purge(*, actor: Any, older_than_days: int, dry_run: bool = False) -> PurgeCounts:
    """Purge what the module docstring lists, in one transaction; files go once it commits."""
    authorize(actor, "ops.retention")
    if older_than_days < 1:
        raise DomainError("保留天数至少为 1 (--older-than must be at least 1 day)", "bad_retention")
    cutoff = timezone.now() - timedelta(days=older_than_days)
    media = Path(settings.MEDIA_ROOT)
    with transaction.atomic():
        workers = _workers(cutoff)
        imports = list(_imports(cutoff).select_for_update())
        runs = _plan_runs(cutoff)
        result_runs = list(runs.exclude(result_path="").select_for_update())
        vehicles = _plan_vehicles(runs)
        arrivals = _arrivals(cutoff)
        exports = list(_exports(cutoff).select_for_update())
        counts = PurgeCounts(
            application_workers=workers.count(),
            import_files=sum(1 for run in imports if run.file),
            plan_results=len(result_runs),
            plan_vehicles=vehicles.count(),
            police_arrivals=arrivals.count(),
            export_files=len(exports),
        )
        if dry_run:
            return counts
        workers.update(
            id_number=Concat(Value(PURGED_ID_PREFIX), Cast("pk", CharField())),
            name="", phone="", health_code="", worker=None,
        )  # fmt: skip
        files = [media / str(run.file.name) for run in imports if run.file]
        for run in imports:
            report = {k: v for k, v in (run.report or {}).items() if k != "rejected"}
            ImportRun.objects.filter(pk=run.pk).update(file="", report=report)
        files += [media / run.result_path for run in result_runs]
        PlanRun.objects.filter(pk__in=[run.pk for run in result_runs]).update(result_path="")
        for vehicle in vehicles:
            vehicle.detail = {k: v for k, v in vehicle.detail.items() if k != "crew"}
            vehicle.save(update_fields=["detail"])
        arrivals.delete()
        files += [media / str(run.file.name) for run in exports]
        ExportRun.objects.filter(pk__in=[run.pk for run in exports]).update(file="")
        audit_record(
            actor=actor, action="retention.purge", object_type="retention",
            data={"older_than_days": older_than_days, "cutoff": cutoff.isoformat(), **asdict(counts)},
        )  # fmt: skip
        transaction.on_commit(lambda: _delete_files(files))
    return counts
