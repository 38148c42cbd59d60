"""Importing rosters, police arrivals and carrier aggregates.

Each import parses and validates the whole file first (pure Python, ``homeward.core.ingest``), then,
in ONE transaction, loads the existing keys in bulk, computes the difference in memory and writes
only what changed with set-based statements (see ``bulk``). Valid rows land, bad rows are reported
by row, field and reason, an exception anywhere rolls everything back, and importing the same file
twice writes nothing the second time. One audit event per import.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from homeward.apps.accounts.policy import TASK, authorize, user_of
from homeward.apps.audit.runs import (
    ACTIVE_STATES,
    run_claim,
    run_enqueue,
    run_fail,
    run_finish_or_abandon,
    run_lease,
    runs_expire,
)
from homeward.apps.audit.services import audit_record
from homeward.apps.registry.models import (
    CarrierAggregate,
    Enterprise,
    ImportRun,
    PoliceArrival,
    RosterMembership,
    Town,
    Worker,
)
from homeward.apps.registry.services import bulk
from homeward.apps.registry.signals import import_completed
from homeward.apps.registry.uploads import import_limits
from homeward.core import regions
from homeward.core.errors import Conflict, DomainError
from homeward.core.ingest import (
    CarrierRecord,
    Limits,
    PoliceRecord,
    RosterRecord,
    RowError,
    TownMatcher,
    check_kind,
    count_data_rows,
    precheck,
    rows_of,
    validate_carrier,
    validate_police,
    validate_roster,
)

log = logging.getLogger(__name__)

Progress = Callable[[int], None]
Source = str | os.PathLike[str] | Iterable[tuple[int, Mapping[str, object]]]

PROGRESS_EVERY = 10_000
# Above this share of the table, reading every row beats looking keys up in chunks.
_FULL_SCAN_RATIO = 0.25


@dataclass
class ImportReport:
    kind: str
    accepted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    # Rows taken in with a note (e.g. no USCC, enterprise matched by exact name): counted above too.
    flagged: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.accepted + self.updated + self.unchanged + len(self.rejected)

    def add_error(self, error: RowError) -> None:
        self.rejected.append(error.as_dict())

    def counts(self) -> dict[str, int]:
        return {
            "accepted": self.accepted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
        }

    def as_dict(self, *, max_rejected: int | None = None) -> dict[str, Any]:
        rejected = self.rejected if max_rejected is None else self.rejected[:max_rejected]
        flagged = self.flagged if max_rejected is None else self.flagged[:max_rejected]
        return {
            "kind": self.kind,
            "accepted": self.accepted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": rejected,
            "rejected_count": len(self.rejected),
            "flagged": flagged,
            "flagged_count": len(self.flagged),
        }


def _source_name(source: object) -> str:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return str(getattr(source, "name", "") or "")


def _with_progress(rows: Iterable[Any], progress: Progress | None) -> Iterator[Any]:
    if progress is None:
        yield from rows
        return
    done = 0
    for done, row in enumerate(rows, start=1):  # noqa: B007 - done is used after the loop
        if done % PROGRESS_EVERY == 0:
            progress(done)
        yield row
    progress(done)


def _split(items: Iterable[Any], report: ImportReport) -> list[Any]:
    records = []
    for item in items:
        if isinstance(item, RowError):
            report.add_error(item)
        else:
            records.append(item)
    return records


def _audit(actor: Any, report: ImportReport, *, source: str, run_id: int | None) -> None:
    audit_record(
        actor=actor,
        action=f"import.{report.kind}",
        object_type="import_run" if run_id else "",
        object_id=run_id or "",
        data={**report.counts(), "source": source},
    )


def _table_count(model: type[Any]) -> int:
    return int(bulk.fetch(f"SELECT COUNT(*) FROM {connection.ops.quote_name(model._meta.db_table)}")[0][0])


def _lookup(
    select: str, table: str, key_column: str, keys: Sequence[Any], table_rows: int
) -> Iterable[tuple[Any, ...]]:
    """Rows of ``table`` whose ``key_column`` is in ``keys``: one scan when the keys cover a good share
    of the table (the caller filters), else chunked ``IN`` lookups."""
    if not keys or table_rows == 0:
        return []
    q = connection.ops.quote_name
    if len(keys) >= table_rows * _FULL_SCAN_RATIO:
        return bulk.fetch(f"SELECT {select} FROM {q(table)}")
    return bulk.fetch_in(f"SELECT {select} FROM {q(table)} WHERE {q(key_column)} IN ({{placeholders}})", keys)


# ------------------------------------------------------------------------------------------------
# Roster
# ------------------------------------------------------------------------------------------------


def town_matcher() -> TownMatcher:
    """The city's towns by name, alias and code, tolerating the county (and province and city)
    written before a town's name."""
    names: list[tuple[str, int]] = []
    counties: set[str] = set()
    for pk, name, code, aliases in Town.objects.values_list("id", "name", "code", "aliases"):
        names += [(name, pk), (code, pk)]
        names += [(alias, pk) for alias in Town.split_aliases(aliases)]
        counties.add(code[:6])
    prefixes = [
        part.name
        for code in counties
        if (county := regions.get(code)) is not None
        for part in (county, regions.get(county.parent or ""), regions.province_of(code))
        if part is not None
    ]
    return TownMatcher(names, prefixes)


def usccs_by_name() -> dict[str, str]:
    """Registered enterprises' USCC by exact name, for the names only one enterprise holds."""
    by_name: dict[str, str | None] = {}
    for name, uscc in Enterprise.objects.values_list("name", "uscc"):
        by_name[name] = uscc if name not in by_name else None
    return {name: uscc for name, uscc in by_name.items() if uscc is not None}


def _flag_by_name(records: list[RosterRecord], report: ImportReport) -> None:
    for rec in records:
        if rec.uscc_by_name:
            report.flagged.append(
                {
                    "row": rec.row,
                    "field": "uscc",
                    "reason": "uscc_by_name",
                    "message": f"统一社会信用代码为空，已按企业名称 “{rec.enterprise_name}” 匹配到 {rec.uscc} "
                    f"(no USCC: matched the registered enterprise by its exact name)",
                }
            )


def roster_import(
    *,
    actor: Any,
    source: Source,
    today: date | None = None,
    progress: Progress | None = None,
    source_name: str = "",
    run_id: int | None = None,
    limits: Limits | None = None,
) -> ImportReport:
    """Import a social-insurance roster: upsert enterprises by USCC, workers by ID number and their
    roster membership. A row without a USCC joins the registered enterprise with exactly its name,
    flagged in the report. Raises DomainError for a file-level problem (a limit, missing columns,
    unreadable) before anything is written."""
    authorize(actor, "import.run")
    today = today or timezone.localdate()
    report = ImportReport("roster")
    rows = _with_progress(rows_of(source, "roster", limits or import_limits()), progress)
    validated = validate_roster(rows, towns=town_matcher(), today=today, usccs_by_name=usccs_by_name())
    records: list[RosterRecord] = _split(validated, report)
    _flag_by_name(records, report)
    with transaction.atomic(), bulk.write_cache():
        _roster_apply(records, report)
        _audit(actor, report, source=source_name or _source_name(source), run_id=run_id)
    return report


def _roster_apply(records: list[RosterRecord], report: ImportReport) -> None:
    q = connection.ops.quote_name
    # Enterprises: the first row naming a USCC decides its name and town.
    usccs = list(dict.fromkeys(r.uscc for r in records))
    enterprises: dict[str, int] = {}
    stored = {
        uscc: (pk, name, town_id)
        for pk, uscc, name, town_id in bulk.fetch_in(
            f"SELECT id, uscc, name, town_id FROM {q(Enterprise._meta.db_table)} WHERE uscc IN ({{placeholders}})",
            usccs,
        )
    }
    new_enterprises: list[RosterRecord] = []
    enterprise_updates: list[tuple[Any, ...]] = []
    flagged_rows: set[int] = set()  # rows that changed an existing enterprise
    decided: set[str] = set()
    for rec in records:
        if rec.uscc in decided:
            continue
        decided.add(rec.uscc)
        found = stored.get(rec.uscc)
        if found is None:
            new_enterprises.append(rec)
            continue
        pk, name, town_id = found
        enterprises[rec.uscc] = pk
        if (name, town_id) != (rec.enterprise_name, rec.town_id):
            enterprise_updates.append((pk, rec.enterprise_name, rec.town_id))
            flagged_rows.add(rec.row)
    new_ids = bulk.allocate_ids(Enterprise, len(new_enterprises))
    for pk, rec in zip(new_ids, new_enterprises, strict=True):
        enterprises[rec.uscc] = pk

    # Workers and memberships as stored, for the IDs in the file.
    worker_rows = _table_count(Worker)
    id_numbers = [r.id_number for r in records]
    workers: dict[str, tuple[Any, ...]] = {}
    wanted = set(id_numbers)
    for row in _lookup(
        "id, id_number, name, phone, origin_code, birth_date, employer_id",
        Worker._meta.db_table,
        "id_number",
        id_numbers,
        worker_rows,
    ):
        if row[1] in wanted:
            workers[row[1]] = row
    del wanted
    memberships: dict[tuple[int, int], tuple[int, date | None]] = {}
    if workers:
        worker_ids = [w[0] for w in workers.values()]
        known = set(worker_ids)
        for pk, worker_id, enterprise_id, insured_since in _lookup(
            "id, worker_id, enterprise_id, insured_since",
            RosterMembership._meta.db_table,
            "worker_id",
            worker_ids,
            worker_rows,
        ):
            if worker_id in known:
                memberships[(worker_id, enterprise_id)] = (pk, insured_since)

    new_workers: list[RosterRecord] = []
    worker_updates: list[tuple[Any, ...]] = []
    new_memberships: list[tuple[Any, ...]] = []
    membership_updates: list[tuple[Any, ...]] = []
    accepted = updated = unchanged = 0
    for rec in records:
        enterprise_id = enterprises[rec.uscc]
        stored_worker = workers.get(rec.id_number)
        if stored_worker is None:
            new_workers.append(rec)
            accepted += 1
            continue
        changed = rec.row in flagged_rows
        worker_id = stored_worker[0]
        values = (rec.name, rec.phone, rec.origin_code, rec.birth_date, enterprise_id)
        if stored_worker[2:] != values:
            worker_updates.append((worker_id, *values))
            changed = True
        membership = memberships.get((worker_id, enterprise_id))
        if membership is None:
            new_memberships.append((worker_id, enterprise_id, rec.insured_since))
            changed = True
        elif membership[1] != rec.insured_since:
            membership_updates.append((membership[0], rec.insured_since))
            changed = True
        if changed:
            updated += 1
        else:
            unchanged += 1
    report.accepted, report.updated, report.unchanged = accepted, updated, unchanged
    del workers, memberships

    bulk.bulk_insert(
        Enterprise,
        ["id", "uscc", "name", "town", "industry", "size", "contact_name", "contact_phone", "is_key"],
        [
            (enterprises[r.uscc], r.uscc, r.enterprise_name, r.town_id, "", "", "", "", False)
            for r in new_enterprises
        ],
    )
    bulk.bulk_update(Enterprise, ["name", "town"], enterprise_updates)
    # Keys in index order: appending to the id_number B-tree instead of inserting at random is
    # several times faster on both SQLite and PostgreSQL.
    new_workers.sort(key=lambda r: r.id_number)
    worker_ids_new = bulk.allocate_ids(Worker, len(new_workers))
    unknown = Worker.Status.UNKNOWN.value
    bulk.bulk_insert(
        Worker,
        ["id", "id_number", "name", "phone", "origin_code", "birth_date", "employer", "status"],
        [
            (pk, r.id_number, r.name, r.phone, r.origin_code, r.birth_date, enterprises[r.uscc], unknown)
            for pk, r in zip(worker_ids_new, new_workers, strict=True)
        ],
    )
    bulk.bulk_update(Worker, ["name", "phone", "origin_code", "birth_date", "employer"], worker_updates)
    new_memberships.extend(
        (pk, enterprises[r.uscc], r.insured_since) for pk, r in zip(worker_ids_new, new_workers, strict=True)
    )
    bulk.bulk_insert(RosterMembership, ["worker", "enterprise", "insured_since"], new_memberships)
    bulk.bulk_update(RosterMembership, ["insured_since"], membership_updates)


# ------------------------------------------------------------------------------------------------
# Police arrivals
# ------------------------------------------------------------------------------------------------


def police_import(
    *,
    actor: Any,
    source: Source,
    today: date | None = None,
    progress: Progress | None = None,
    source_name: str = "",
    run_id: int | None = None,
    limits: Limits | None = None,
) -> ImportReport:
    """Import police arrival records; a record identical in (ID, date, place) to a stored one is
    unchanged, so re-importing a file adds nothing."""
    authorize(actor, "import.run")
    today = today or timezone.localdate()
    report = ImportReport("police")
    rows = _with_progress(rows_of(source, "police", limits or import_limits()), progress)
    records: list[PoliceRecord] = _split(validate_police(rows, today=today), report)
    with transaction.atomic():
        id_numbers = list(dict.fromkeys(r.id_number for r in records))
        wanted = set(id_numbers)
        existing: set[tuple[str, date, str]] = {
            (id_number, arrived_on, place)
            for id_number, arrived_on, place in _lookup(
                "id_number, arrived_on, place",
                PoliceArrival._meta.db_table,
                "id_number",
                id_numbers,
                _table_count(PoliceArrival),
            )
            if id_number in wanted
        }
        new = [r for r in records if (r.id_number, r.arrived_on, r.place) not in existing]
        report.accepted = len(new)
        report.unchanged = len(records) - len(new)
        bulk.bulk_insert(
            PoliceArrival,
            ["id_number", "arrived_on", "place"],
            [(r.id_number, r.arrived_on, r.place) for r in new],
        )
        _audit(actor, report, source=source_name or _source_name(source), run_id=run_id)
    return report


# ------------------------------------------------------------------------------------------------
# Carrier aggregates
# ------------------------------------------------------------------------------------------------


def carrier_import(
    *,
    actor: Any,
    source: Source,
    today: date | None = None,
    progress: Progress | None = None,
    source_name: str = "",
    run_id: int | None = None,
    limits: Limits | None = None,
) -> ImportReport:
    """Import carrier aggregates, upserting the count on (date, county_code)."""
    authorize(actor, "import.run")
    del today  # carrier dates are not checked against today; accepted for a uniform signature
    report = ImportReport("carrier")
    rows = _with_progress(rows_of(source, "carrier", limits or import_limits()), progress)
    records: list[CarrierRecord] = _split(validate_carrier(rows, county_exists=regions.is_county), report)
    q = connection.ops.quote_name
    with transaction.atomic():
        days = sorted({r.date for r in records})
        existing = {
            (day if isinstance(day, date) else date.fromisoformat(str(day)), code): (pk, count)
            for pk, day, code, count in bulk.fetch_in(
                f"SELECT id, date, county_code, count FROM {q(CarrierAggregate._meta.db_table)} "
                f"WHERE date IN ({{placeholders}})",
                days,
            )
        }
        new: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, ...]] = []
        for r in records:
            found = existing.get((r.date, r.county_code))
            if found is None:
                new.append((r.date, r.county_code, r.count))
            elif found[1] != r.count:
                changes.append((found[0], r.count))
            else:
                report.unchanged += 1
        report.accepted, report.updated = len(new), len(changes)
        bulk.bulk_insert(CarrierAggregate, ["date", "county_code", "count"], new)
        bulk.bulk_update(CarrierAggregate, ["count"], changes)
        _audit(actor, report, source=source_name or _source_name(source), run_id=run_id)
    return report


IMPORTERS: dict[str, Callable[..., ImportReport]] = {
    "roster": roster_import,
    "police": police_import,
    "carrier": carrier_import,
}


def import_file(*, kind: str, actor: Any, source: Source, **kwargs: Any) -> ImportReport:
    """Dispatch to the importer for ``kind`` (roster, police or carrier)."""
    authorize(actor, "import.run")
    return IMPORTERS[check_kind(kind)](actor=actor, source=source, **kwargs)


# ------------------------------------------------------------------------------------------------
# Import runs: web uploads run as a task; the CLI records its runs too.
# ------------------------------------------------------------------------------------------------

# The stored report keeps at most this many rejected rows (``rejected_count`` has the total).
REPORT_MAX_REJECTED = 50_000


def _sha256_of(uploaded_file: Any) -> str:
    digest = hashlib.sha256()
    if hasattr(uploaded_file, "chunks"):
        for chunk in uploaded_file.chunks():
            digest.update(chunk)
    else:
        for chunk in iter(lambda: uploaded_file.read(1 << 20), b""):
            digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


def import_run_create(*, actor: Any, kind: str, uploaded_file: Any, idempotency_key: str = "") -> ImportRun:
    """Store an uploaded file under MEDIA_ROOT and enqueue its import once the transaction commits.

    Idempotent: the same content (sha256) of the same kind while a run of it is queued or running
    returns that run (unless its lease expired: it is failed as abandoned and a new run starts); so
    does a repeated ``idempotency_key`` from the same user. A file over the upload limits that can be
    seen without parsing (size, type, an .xlsx's zip directory) is refused here (audited), before it
    is stored."""
    authorize(actor, "import.run")
    kind = check_kind(kind)
    user = user_of(actor)
    try:
        precheck(uploaded_file, import_limits())
    except DomainError as exc:
        upload_refused(actor, exc, what=f"import.{kind}", name=str(getattr(uploaded_file, "name", "")))
        raise
    digest = _sha256_of(uploaded_file)
    runs_expire(ImportRun, actor=actor)
    with transaction.atomic():
        if idempotency_key:
            # The key is unique per user (whatever the kind): reused for another kind, it is refused
            # rather than left to the unique constraint (an IntegrityError, answered as a 500).
            earlier = (
                ImportRun.objects.select_for_update()
                .filter(created_by=user, idempotency_key=idempotency_key)
                .first()
            )
            if earlier is not None and earlier.kind != kind:
                raise Conflict(
                    f"该 Idempotency-Key 已用于导入 #{earlier.pk}（{earlier.kind}）"
                    f"(Idempotency-Key already used for {earlier.kind} import #{earlier.pk})",
                    "idempotency_key_reused",
                )
            if earlier is not None:
                return earlier
        active = (
            ImportRun.objects.select_for_update()
            .filter(kind=kind, sha256=digest, state__in=ACTIVE_STATES)
            .first()
        )
        if active is not None:
            return active
        name = Path(str(getattr(uploaded_file, "name", "") or "upload")).name[:255]
        run = ImportRun(
            kind=kind,
            original_name=name,
            sha256=digest,
            created_by=user,
            idempotency_key=idempotency_key,
        )
        suffix = (
            Path(name).suffix.lower()
            if Path(name).suffix.lower() in (".csv", ".xlsx", ".xls", ".txt")
            else ""
        )
        run.file.save(f"{kind}-{digest[:16]}{suffix}", File(uploaded_file), save=False)
        run.save()
        audit_record(
            actor=actor,
            action="import.upload",
            object_type="import_run",
            object_id=run.pk,
            data={"kind": kind, "file": name, "sha256": digest},
        )
        run_id = run.pk
        transaction.on_commit(lambda: _enqueue(run_id))
    return run


def upload_refused(actor: Any, exc: DomainError, *, what: str, name: str) -> None:
    """Audit an upload refused before it was read (every path calls this for its refusals)."""
    audit_record(
        actor=actor,
        action="upload.refused",
        object_type="upload",
        data={"what": what, "file": Path(name).name[:200], "reason": exc.code},
    )


def _enqueue(run_id: int) -> None:
    from homeward.apps.registry.tasks import import_run_execute

    run_enqueue(ImportRun, run_id, import_run_execute)


def _finish_failed(run_id: int, exc: BaseException) -> None:
    """A file-level DomainError keeps its reason code in the report; anything else only its text."""
    report = {"reason": exc.code, "message": exc.message} if isinstance(exc, DomainError) else None
    run_fail(ImportRun, run_id, exc, **({"report": report} if report else {}))


def _import_and_finish(run_id: int, kind: str, **kwargs: Any) -> ImportReport:
    """The import and its run marked done in one transaction: a run declared abandoned meanwhile keeps
    nothing of it. The heat map hears of it once committed."""
    with transaction.atomic():
        report = import_file(kind=kind, run_id=run_id, **kwargs)
        run_finish_or_abandon(
            ImportRun,
            run_id,
            state=ImportRun.State.DONE,
            report=report.as_dict(max_rejected=REPORT_MAX_REJECTED),
            rows_done=report.rows,
            rows_total=report.rows,
        )
        transaction.on_commit(lambda: import_completed.send(sender=ImportRun, kind=kind))
    return report


def import_run_execute_now(run_id: int) -> str:
    """Run a queued ImportRun: queued → running (a conditional UPDATE claims it once, under a lease)
    → done/failed. Returns the final state, or ``"skipped"`` when the run was not queued."""
    if not run_claim(ImportRun, run_id):
        return "skipped"
    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    actor = run.created_by or TASK
    path = run.file.path
    with run_lease(ImportRun, run_id) as lease:
        try:
            lease.progress(rows_total=count_data_rows(path, import_limits()))
            _import_and_finish(
                run_id,
                run.kind,
                actor=actor,
                source=path,
                progress=lambda done: lease.progress(rows_done=done),
                source_name=run.original_name,
            )
        except DomainError as exc:
            _finish_failed(run_id, exc)
            reason = exc.code
        except Exception as exc:
            log.exception("import run %s failed", run_id)
            _finish_failed(run_id, exc)
            reason = "internal"
        else:
            return ImportRun.State.DONE.value
    audit_record(
        actor=actor,
        action="import.failed",
        object_type="import_run",
        object_id=run_id,
        data={"kind": run.kind, "reason": reason},
    )
    return ImportRun.State.FAILED.value


def import_run_from_path(
    *, actor: Any, kind: str, path: str | os.PathLike[str]
) -> tuple[ImportRun, ImportReport]:
    """Import a local file synchronously (the CLI) and record it as an ImportRun, under a lease. A
    file-level DomainError is recorded as a failed run and re-raised."""
    authorize(actor, "import.run")
    kind = check_kind(kind)
    name = Path(path).name
    now = timezone.now()
    run = ImportRun.objects.create(
        kind=kind,
        state=ImportRun.State.RUNNING,
        original_name=name[:255],
        created_by=user_of(actor),
        started_at=now,
        heartbeat_at=now,
    )
    with run_lease(ImportRun, run.pk):
        try:
            report = _import_and_finish(run.pk, kind, actor=actor, source=path, source_name=name)
        except Exception as exc:
            _finish_failed(run.pk, exc)
            raise
    run.refresh_from_db()
    return run, report
