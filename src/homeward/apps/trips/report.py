"""The daily report 日报 (issue #13 item 7): the selector over scan events, and its audited export.

``daily_report_for`` reads, in four queries whatever the size of the city:

1. the city's towns, in code order (the report's rows);
2. the towns the actor sees (``accounts.policy.SCOPES["registry.town"]``: the task force every
   town, a town officer their own);
3. every scan named to a worker with a device time before the end of the day, not refused, with
   the worker's town (their application's enterprise's) and their application's deadline;
4. the plan's kind of each vehicle those scans boarded (a vehicle key is stable across re-plans).

The figures are computed by ``core.daily_report`` (its docstring defines each one), always for the
whole city, so a pooled bus is placed in the same town whoever reads; a town officer then gets
their town's row and its sum as the total. Nothing is typed in and nothing is stored.

``daily_report_export`` is the same report as ``.xlsx`` and PDF files (``report_files``), with one
``report.export`` audit event per file (the page's downloads and the command line's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from homeward.apps.accounts.policy import authorize, scoped
from homeward.apps.audit.services import audit_record
from homeward.apps.planning.models import PlanVehicle
from homeward.apps.registry.models import Town
from homeward.apps.trips.models import ScanEvent
from homeward.core import scans, typed_dates
from homeward.core.daily_report import DailyReport, TownRef, WorkerRef, daily_report, day_window
from homeward.core.errors import DomainError
from homeward.core.ingest.export import XLSX_CONTENT_TYPE

FORMATS = ("xlsx", "pdf")
CONTENT_TYPES = {"xlsx": XLSX_CONTENT_TYPE, "pdf": "application/pdf"}


def parse_day(text: str) -> date:
    """A ``YYYY-MM-DD`` date (a Beijing-local day).

    Raises:
        DomainError: not such a date (``bad_date``).
    """
    return typed_dates.read_date(
        text, not_a_date="不是有效日期，应为 年-月-日 (not a valid date: YYYY-MM-DD)", code="bad_date"
    )


def city_report(day: date) -> DailyReport:
    """The whole city's report of ``day`` (queries 1, 3 and 4 of the module docstring). Internal:
    callers authorize (``daily_report_for``)."""
    _start, end = day_window(day)
    towns = [TownRef(pk, name) for pk, name in Town.objects.order_by("code").values_list("pk", "name")]
    events = (
        ScanEvent.objects.filter(worker__isnull=False, client_at__lt=end)
        .exclude(outcome=scans.REFUSED)
        .values_list(
            "nonce", "worker_id", "leg", "checkpoint", "vehicle_key", "client_at", "outcome",
            "worker__application__enterprise__town_id", "worker__application__deadline_at",
        )
    )  # fmt: skip
    facts: list[scans.ScanFact] = []
    workers: dict[int, WorkerRef] = {}
    for nonce, worker, leg, checkpoint, key, at, outcome, town, deadline in events:
        facts.append(scans.ScanFact(nonce, worker, leg, checkpoint, key, at, outcome))
        workers[worker] = WorkerRef(town, deadline)
    boarded = ScanEvent.objects.filter(
        client_at__lt=end, checkpoint__in=sorted(scans.BOARDINGS), worker__isnull=False
    ).values("vehicle_key")
    kinds = dict(PlanVehicle.objects.filter(key__in=boarded).values_list("key", "kind").distinct())
    return daily_report(day, facts, workers, towns, kinds)


def daily_report_for(*, actor: Any, day: date) -> DailyReport:
    """The report of ``day`` as ``actor`` may read it: the whole city (the task force) or their
    town's row (a town officer).

    Raises:
        PermissionDenied: the actor's role may not read the report (``report.read``; audited).
    """
    authorize(actor, "report.read")
    return _for(actor, day)


def _for(actor: Any, day: date) -> DailyReport:
    report = city_report(day)
    visible = set(scoped(actor, Town.objects.all()).values_list("pk", flat=True))
    return report if len(visible) == len(report.rows) else report.only(visible)


@dataclass(frozen=True)
class ReportFile:
    name: str  # e.g. daily-report-2026-02-20.xlsx
    content_type: str
    body: bytes
    report: DailyReport


def daily_report_export(*, actor: Any, day: date, formats: Sequence[str]) -> list[ReportFile]:
    """The report of ``day`` as files, one per format (``xlsx``, ``pdf``), as ``actor`` may read it,
    computed once; one ``report.export`` audit event per file names the day, the format and the
    towns in it.

    Raises:
        PermissionDenied: the actor's role may not download the report (``report.export``; audited).
        DomainError: an unknown format (``bad_format``); nothing is made.
    """
    from homeward.apps.trips.report_files import report_pdf, report_xlsx

    authorize(actor, "report.export")
    if not formats or any(fmt not in FORMATS for fmt in formats):
        raise DomainError("只能下载 xlsx 或 PDF (xlsx or PDF only)", "bad_format")
    report = _for(actor, day)
    made: list[ReportFile] = []
    for fmt in formats:
        body = report_xlsx(report) if fmt == "xlsx" else report_pdf(report)
        audit_record(
            actor=actor, action="report.export", object_type="daily_report", object_id=day.isoformat(),
            data={"format": fmt, "towns": [r.town.name for r in report.rows], "bytes": len(body)},
        )  # fmt: skip
        made.append(ReportFile(f"daily-report-{day.isoformat()}.{fmt}", CONTENT_TYPES[fmt], body, report))
    return made
