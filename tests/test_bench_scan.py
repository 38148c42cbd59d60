"""``homeward bench scan``'s plumbing: a tiny run (two scanners, a second or two) starts the real
server on a database of its own beside the given server, prints the JSON line last with the
database's counts at zero, and drops its database; with ``--restart-db`` the restart is survived
without a lost scan. Needs PostgreSQL (DATABASE_URL, else 127.0.0.1:5432)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

KEYS = {"scans_per_s", "p50_ms", "p99_ms", "double_boardings", "over_capacity", "lost"}


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else "postgres://postgres@127.0.0.1:5432/postgres"


def _databases(url: str) -> set[str]:
    import psycopg

    base = url.rpartition("/")[0]
    try:
        with psycopg.connect(f"{base}/postgres", connect_timeout=3) as conn:
            return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    except psycopg.OperationalError:
        pytest.skip(f"PostgreSQL not reachable at {base}")


def _bench(*extra: str) -> tuple[dict, int]:
    url = _server_url()
    _databases(url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "homeward", "bench", "scan", "--clients", "2", "--workers", "60",
         "--database-url", url, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
    )  # fmt: skip
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:] + out[-2000:]
    return json.loads(out.strip().splitlines()[-1]), proc.pid


def test_a_tiny_run_prints_its_figures_last_and_drops_its_database() -> None:
    result, pid = _bench("--seconds", "1.5")
    assert set(result) >= KEYS
    assert result["scans"] > 0 and result["scans_per_s"] > 0 and result["p99_ms"] >= result["p50_ms"] > 0
    assert (result["double_boardings"], result["over_capacity"], result["lost"]) == (0, 0, 0)
    assert result["unanswered"] == 0 and not result["client_errors"]
    # the timeline: one count per second of the run, adding up to the scans answered within it
    assert (
        len(result["per_second"]) == max(1, math.ceil(result["seconds"]))
        and 0 < sum(result["per_second"]) <= result["scans"]
    )
    assert f"homeward_bench_scan_{pid}" not in _databases(_server_url())


def test_the_batched_mode_says_so_and_keeps_every_count_at_zero() -> None:
    result, _ = _bench("--seconds", "1.5", "--batch", "5")
    assert result["scans_per_request"] == 5 and result["scans"] > 0
    assert (result["double_boardings"], result["over_capacity"], result["lost"]) == (0, 0, 0)
    assert result["unanswered"] == 0 and not result["client_errors"]


def test_a_database_restart_half_way_loses_no_scan() -> None:
    result, _ = _bench("--seconds", "4", "--restart-db")
    assert set(result) >= KEYS
    assert result["restart"]["down_s"] > 0 and result["restart"]["at_s"] >= 1.5
    assert (result["double_boardings"], result["over_capacity"], result["lost"]) == (0, 0, 0)
    assert result["scans"] > 0 and not result["client_errors"]
