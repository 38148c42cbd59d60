"""Fault tests run real processes against an installation of their own (``harness.Deployment``): the
small demo city with its campaign day planned once, on the engine of the suite's pass (an SQLite file
on the SQLite pass; a PostgreSQL database of its own beside the test database on the PostgreSQL
pass). Every test records the faults it injected and the records lost; the totals are printed at the
end of the run."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.faults.harness import Deployment

LEDGER: list[tuple[str, int, int]] = []  # (scenario, faults injected, records lost)


def record(scenario: str, *, faults: int, lost: int) -> None:
    LEDGER.append((scenario, faults, lost))
    print(f"[faults] {scenario}: faults injected {faults}, records lost {lost}")


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if not LEDGER:
        return
    terminalreporter.section("faults injected / records lost")
    for scenario, faults, lost in LEDGER:
        terminalreporter.write_line(f"{scenario}: faults injected {faults}, records lost {lost}")
    terminalreporter.write_line(
        f"total: {len(LEDGER)} scenarios, faults injected {sum(f for _, f, _ in LEDGER)}, "
        f"records lost {sum(n for _, _, n in LEDGER)}"
    )


def _engine_url(root: Path) -> tuple[str, object]:
    """An empty database on the engine of this pass, and how to drop it."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return f"sqlite:///{root / 'homeward.sqlite3'}", lambda: None
    import psycopg
    from psycopg import sql

    server = (
        f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    )
    name = f"{db['NAME']}_faults_{os.getpid()}"[:63]

    def execute(statement: sql.Composed) -> None:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(statement)

    execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{server}/{name}", lambda: execute(
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    )


@pytest.fixture(scope="session")
def installation():
    """The demo city (small) with its campaign day planned once, built by the CLI."""
    root = Path(tempfile.mkdtemp(prefix="homeward-faults-"))
    url, drop = _engine_url(root)
    dep = Deployment(root=root, database_url=url)
    dep.homeward("demo", "--scale", "small", "--seed", "1", "--reset", timeout=600)
    dep.homeward("plan", "--scale", "small", "--seed", "1", "--iterations", "50")
    yield dep
    dep.stop_all()
    drop()  # type: ignore[operator]
    shutil.rmtree(root, ignore_errors=True)


LEASE = 6  # seconds: a killed worker's run is abandoned in a test's time


@pytest.fixture
def deployment(installation):
    """The installation with the tests' short lease, every process a test started stopped after."""
    installation.lease = LEASE
    yield installation
    installation.stop_all()
    installation.lease = LEASE
