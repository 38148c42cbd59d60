"""The task worker killed (SIGKILL, a real process) in the middle of a plan, an import and a heat-map
rebuild, each at a known point inside the run's storing transaction: the run is failed as abandoned
within its lease (not before), nothing of it is half-written, its task row is failed, and a new run
of the same work starts and completes (issue #9, "runs stick forever"; Deliver item 4)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.faults.conftest import record
from tests.faults.harness import Deployment, seconds_between, wait_until


@dataclass(frozen=True)
class Work:
    name: str
    table: str
    finished: str  # the run's finish-time column
    hang_at: str  # MODULE:FUNCTION, a step inside the run's storing transaction
    request: Callable[[Deployment, Path], str]  # Python that queues a run and prints its id
    counts: tuple[str, ...]  # SQL counts that the killed run must leave as they were


def _plan(dep: Deployment, tmp: Path) -> str:
    return (
        "import json\n"
        "from homeward.apps.accounts.policy import CLI\n"
        "from homeward.apps.planning.services import plan_run_request\n"
        "from homeward.demo.campaign import campaign_time\n"
        "print(json.dumps(plan_run_request(actor=CLI, now=campaign_time(), reason='fault').pk))\n"
    )


def _import(dep: Deployment, tmp: Path) -> str:
    path = tmp / "roster.csv"
    if not path.exists():
        from homeward.cli.bench_cmd import RosterGenerator

        RosterGenerator(seed=11).write_csv(path, 3_000)
    return (
        "import json\n"
        "from homeward.apps.accounts.policy import CLI\n"
        "from django.core.files import File\n"
        "from homeward.apps.registry.services import import_run_create\n"
        f"fh = open({str(path)!r}, 'rb')\n"
        "run = import_run_create(actor=CLI, kind='roster', uploaded_file=File(fh, name='roster.csv'))\n"
        "print(json.dumps(run.pk))\n"
    )


def _heatmap(dep: Deployment, tmp: Path) -> str:
    return (
        "import json\n"
        "from homeward.apps.accounts.policy import CLI\n"
        "from homeward.apps.heatmap.services import heatmap_rebuild_request\n"
        "print(json.dumps(heatmap_rebuild_request(actor=CLI, reason='fault', force_new=True).pk))\n"
    )


WORK = {
    "plan": Work(
        "plan", "planning_planrun", "finished_at", "homeward.apps.planning.services:_store", _plan,
        ("SELECT COUNT(*) FROM planning_planvehicle", "SELECT COUNT(*) FROM planning_planseat",
         "SELECT COUNT(*) FROM planning_dispatch", "SELECT COUNT(*) FROM applications_applicationworker",
         "SELECT COUNT(*) FROM applications_returnapplication WHERE state = 'planned'"),
    ),
    "import": Work(
        "import", "registry_importrun", "finished_at",
        "homeward.apps.registry.services.imports:_roster_apply", _import,
        ("SELECT COUNT(*) FROM registry_worker", "SELECT COUNT(*) FROM registry_enterprise",
         "SELECT COUNT(*) FROM registry_rostermembership"),
    ),
    "heat map": Work(
        "heat map", "heatmap_heatmapsnapshot", "built_at", "homeward.apps.heatmap.services:write_back_status",
        _heatmap,
        ("SELECT COUNT(*) FROM heatmap_workerstatus",
         "SELECT COUNT(*) FROM registry_worker WHERE status = 'returned'"),
    ),
}  # fmt: skip


def _counts(dep: Deployment, work: Work) -> list[int]:
    return [int(dep.one(q)) for q in work.counts]


@pytest.mark.parametrize("what", list(WORK))
def test_a_worker_killed_mid_run_leaves_the_run_abandoned_within_its_lease_and_a_new_one_completes(
    deployment, tmp_path, what
):
    dep, work = deployment, WORK[what]
    beat = dep.lease / 6
    before = _counts(dep, work)

    flag = tmp_path / "reached"
    hanging = dep.spawn(f"hang-{what}", [sys.executable, "-m", "tests.faults.hang", work.hang_at, str(flag)])
    run_id = dep.django(work.request(dep, tmp_path))
    wait_until(f"the {what} run to reach {work.hang_at}", flag.exists, timeout=120)
    assert dep.run_row(work.table, run_id)["state"] == "running"

    survivor = dep.worker(f"worker-{what}")
    wait_until("the second worker to start", lambda: "Starting worker" in dep.log(f"worker-{what}"), 60)
    hanging.send_signal(signal.SIGKILL)
    hanging.wait()
    killed_at = datetime.now(UTC)

    row = wait_until(
        f"the killed {what} run to be abandoned",
        lambda: (r := dep.run_row(work.table, run_id))["state"] == "failed" and r,
        timeout=dep.lease * 3 + 30,
    )
    finished = dep.one(f"SELECT {work.finished} FROM {work.table} WHERE id = ?", (run_id,))
    assert row["error_code"] == "abandoned" and "abandoned" in row["error"]
    assert seconds_between(row["heartbeat_at"], finished) >= dep.lease  # not before its lease ran out
    assert seconds_between(killed_at, finished) <= dep.lease + beat + 3  # and soon after
    lost = sum(abs(a - b) for a, b in zip(before, _counts(dep, work), strict=True))
    assert lost == 0, (work.counts, before, _counts(dep, work))  # nothing half-written or lost
    task_query = "SELECT status, exception_class_path FROM django_tasks_database_dbtaskresult WHERE id = ?"
    task = wait_until(
        "the killed task row to be failed",
        lambda: (
            (t := dep.sql(task_query, (_task_key(dep, row["task_id"]),))) and t[0][0] == "FAILED" and t[0]
        ),
        timeout=dep.lease * 3 + 30,
    )
    assert task[1] == "homeward.apps.audit.worker.WorkerLost"

    again = dep.django(work.request(dep, tmp_path))
    assert again != run_id
    wait_until(
        f"a new {what} run to complete",
        lambda: dep.run_row(work.table, again)["state"] in ("done", "failed"),
        timeout=300,
        every=0.5,
    )
    done = dep.run_row(work.table, again)
    assert done["state"] == "done", done
    if what == "import":
        lost = _roster_rows_missing(dep, tmp_path / "roster.csv")
    assert survivor.poll() is None
    record(
        f"worker SIGKILLed mid-{what} ({dep.sqlite_path and 'SQLite' or 'PostgreSQL'})", faults=1, lost=lost
    )
    assert lost == 0


def _task_key(dep: Deployment, task_id: str) -> str:
    """How the task's UUID is stored: 32 hex digits in SQLite, a uuid in PostgreSQL."""
    return task_id.replace("-", "") if dep.sqlite_path else task_id


def _roster_rows_missing(dep: Deployment, path: Path) -> int:
    """Rows of the re-imported roster file with no worker in the database."""
    import csv

    with path.open(encoding="utf-8") as fh:
        ids = [row["身份证号"] for row in csv.DictReader(fh)]
    present = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        present += int(
            dep.one(f"SELECT COUNT(*) FROM registry_worker WHERE id_number IN ({marks})", tuple(chunk))
        )
    return len(ids) - present
