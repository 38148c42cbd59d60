"""The daily report 日报: by town and in total, what the scan events say happened on one day.

Pure: no Django, no database. ``apps.trips.report`` reads the events (a fixed number of queries)
and hands them here as ``core.scans.ScanFact`` rows with each worker's town and deadline.

The day is a Beijing-local calendar day: ``[D 00:00, D+1 00:00)`` at UTC+08:00 (``day_window``).
Only *standing* scans count: the conflict rule of ``core.scans`` (per worker, leg and checkpoint the
earliest device time wins; refused scans and conflicts count for nothing). Times are the devices'
(``client_at``), the time the handover happened, not the upload's. A worker is an application
worker row (one person on one application), counted at most once per figure however many scans.
As the earliest scan wins, a scan after the day cannot change what stood at its end, so the report
of a past day does not move when later days are scanned.

The figures of a day D (``Figures``):

- ``buses``, ``trains``, ``shuttles``: the vehicles with at least one standing boarding (at the
  pickup or onto the station shuttle) during D, by the plan's kind of the vehicle (a vehicle the
  plan does not know: a bus when boarded at a pickup, a shuttle when boarded at the station). A
  vehicle that boarded riders on two days counts on both. A pooled vehicle counts once, in the town
  of most of the riders it boarded that day (a tie: the first such town in the report's order), so
  the town rows add up to the total.
- ``moved`` 出发: the workers who set off during D: their first standing scan of the trip (normally
  the boarding at the pickup; a worker whose boarding went unscanned counts from their first later
  scan) falls in D. Each worker sets off on one day only.
- ``arrived`` 到厂: the workers whose standing factory-gate handover falls in D.
- ``arrived_on_time`` 30小时内到厂: of those, the ones who arrived at or before their application's
  deadline (acceptance + its hours, normally 30); an application with no deadline (never accepted)
  has kept no promise, so its arrivals are not on time.
- ``moved_to_date``, ``arrived_to_date``, ``on_time_to_date`` 累计: the same up to the end of D
  (every earlier day included). Whoever arrived has set off, so ``arrived_to_date <= moved_to_date``.
- ``new_observation`` 新增留观: the workers with a standing scan during D whose health check routed
  them to observation (fever or a health code that is not green: ``core.scans.health_outcome``).
- ``in_observation`` 日末在观: the workers whose latest standing scan by the end of D routed them
  to observation (a later normal check, e.g. at the factory gate, ends it).

The shares (``share_on_time``, ``share_on_time_to_date``) are the on-time arrivals over the
arrivals, in [0, 1], or None when nobody arrived. Every figure is a count, so a total is the
field-wise sum of rows (``Figures.__add__``) and the shares are computed from the summed counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import Final

from homeward.core import scans

BEIJING: Final = timezone(timedelta(hours=8), "CST")  # no daylight saving since 1991
BUS: Final = "bus"
TRAIN: Final = "train"
SHUTTLE: Final = "shuttle"


def day_window(day: date) -> tuple[datetime, datetime]:
    """The Beijing-local day ``day`` as ``[start, end)`` aware datetimes (UTC+08:00)."""
    start = datetime.combine(day, time(0), tzinfo=BEIJING)
    return start, start + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class TownRef:
    """A town of the report: its id (what ``WorkerRef.town`` names) and its name."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class WorkerRef:
    """What the report needs of an application worker: the town of the enterprise they go to and
    their application's deadline (None: not accepted, no clock)."""

    town: int
    deadline_at: datetime | None


@dataclass(frozen=True, slots=True)
class Figures:
    """One row's counts (see the module docstring for each)."""

    buses: int = 0
    trains: int = 0
    shuttles: int = 0
    moved: int = 0
    arrived: int = 0
    arrived_on_time: int = 0
    moved_to_date: int = 0
    arrived_to_date: int = 0
    on_time_to_date: int = 0
    new_observation: int = 0
    in_observation: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def share_on_time(self) -> float | None:
        return self.arrived_on_time / self.arrived if self.arrived else None

    @property
    def share_on_time_to_date(self) -> float | None:
        return self.on_time_to_date / self.arrived_to_date if self.arrived_to_date else None


@dataclass(frozen=True, slots=True)
class TownRow:
    town: TownRef
    figures: Figures


@dataclass(frozen=True, slots=True)
class DailyReport:
    """The report of ``day``: a row per town (in the order given) and the total."""

    day: date
    rows: tuple[TownRow, ...]
    total: Figures

    def only(self, town_ids: Iterable[int]) -> DailyReport:
        """The rows of ``town_ids`` alone, with their sum as the total (a town officer's report)."""
        keep = set(town_ids)
        rows = tuple(r for r in self.rows if r.town.id in keep)
        return DailyReport(self.day, rows, sum((r.figures for r in rows), Figures()))


def daily_report(
    day: date,
    facts: Iterable[scans.ScanFact],
    workers: Mapping[int, WorkerRef],
    towns: Sequence[TownRef],
    vehicle_kinds: Mapping[str, str],
) -> DailyReport:
    """The report of ``day`` from scan events (any order; later ones are ignored).

    Parameters:
        facts: the scan events (refused ones and conflicts count for nothing).
        workers: every worker a fact names.
        towns: the rows, in order; every worker's town must be one of them.
        vehicle_kinds: the plan's kind of each vehicle key (``bus``, ``train``, ``shuttle``).

    Raises:
        ValueError: a fact names a worker not in ``workers``, or a worker's town is not in ``towns``.
    """
    start, end = day_window(day)
    order = {t.id: i for i, t in enumerate(towns)}
    standing = [f for f in scans.derive(facts).winners.values() if f.client_at < end]
    by_worker: dict[int, list[scans.ScanFact]] = defaultdict(list)
    for f in standing:
        assert f.worker is not None  # derive keeps only scans that name a worker
        if f.worker not in workers:
            raise ValueError(f"worker {f.worker} of scan {f.nonce} is not among the workers")
        if workers[f.worker].town not in order:
            raise ValueError(f"town {workers[f.worker].town} of worker {f.worker} is not among the towns")
        by_worker[f.worker].append(f)

    counts: dict[int, Counter[str]] = {t.id: Counter() for t in towns}
    total: Counter[str] = Counter()
    for worker, own in by_worker.items():
        ref = workers[worker]
        figures = _worker_figures(own, ref.deadline_at, start, end)
        counts[ref.town].update(figures)
        total.update(figures)

    riders: dict[str, Counter[int]] = defaultdict(Counter)
    boarded_at: dict[str, str] = {}
    for f in standing:
        if f.checkpoint in scans.BOARDINGS and f.vehicle_key and start <= f.client_at:
            assert f.worker is not None
            riders[f.vehicle_key][workers[f.worker].town] += 1
            boarded_at.setdefault(f.vehicle_key, f.checkpoint)
    for key, by_town in riders.items():
        kind = vehicle_kinds.get(key) or (BUS if boarded_at[key] == scans.BOARD else SHUTTLE)
        column = {BUS: "buses", TRAIN: "trains", SHUTTLE: "shuttles"}[kind]
        most = max(by_town.values())
        town = min((t for t, n in by_town.items() if n == most), key=order.__getitem__)
        counts[town][column] += 1
        total[column] += 1

    rows = tuple(TownRow(t, Figures(**counts[t.id])) for t in towns)
    return DailyReport(day, rows, Figures(**total))


def _worker_figures(
    own: list[scans.ScanFact], deadline_at: datetime | None, start: datetime, end: datetime
) -> Counter[str]:
    """One worker's contribution (0 or 1 per figure) from their standing scans before ``end``."""
    out: Counter[str] = Counter()

    def during(at: datetime) -> bool:
        return start <= at < end

    first = min(f.client_at for f in own)
    out["moved_to_date"] = 1
    out["moved"] = int(during(first))
    gates = [f.client_at for f in own if f.checkpoint == scans.GATE]
    if gates:
        arrival = min(gates)
        on_time = int(deadline_at is not None and arrival <= deadline_at)
        out["arrived_to_date"], out["on_time_to_date"] = 1, on_time
        if during(arrival):
            out["arrived"], out["arrived_on_time"] = 1, on_time
    out["new_observation"] = int(any(f.outcome == scans.OBSERVATION and during(f.client_at) for f in own))
    latest = max(own, key=lambda f: f.order)
    out["in_observation"] = int(latest.outcome == scans.OBSERVATION)
    return +out
