"""``homeward bench scan``: boarding and arrival scans from concurrent clients against the real server.

1. A fresh PostgreSQL database (``bench_scan_pg``: beside ``--database-url``, or with ``--restart-db``
   on a private instance the bench can stop and start), migrated, holding ``--workers`` ticketed
   workers on buses (``bench_scan_world``).
2. ``homeward serve`` (gunicorn and the task worker, as deployed: ``HOMEWARD_DB_CONN_MAX_AGE=60``)
   on a free port of 127.0.0.1.
3. ``--clients`` threads, each signed in as its own task-force scanner through the login page
   (``requests``), then post ``POST /api/v1/scans`` on a keep-alive connection (``http.client``),
   one scan per request for ``--seconds``: every worker's boarding, for one in ``RESCAN_EVERY`` a
   second boarding by another scanner, and the factory-gate arrival once the boarding was answered. A request that fails (connection refused or reset, 5xx)
   is sent again with the same nonce (so a retry is a no-op if the first attempt was stored) until
   it is answered; a scan's latency runs from its first attempt to its answer.
   ``--batch N`` (N > 1) is a separate, labelled mode: each request carries up to N scans (a
   scanner posting its queue; the API takes up to 200), every scan's latency being its request's.
   The default, 1, is what the figures in docs/benchmarks.md measure unless they say otherwise.
4. ``--restart-db``: half-way through, the database is restarted.
5. The server is stopped, then the database is read: ``lost``, ``double_boardings`` and
   ``over_capacity`` (``bench_scan_world.database_checks``) — never the clients' own tallies.

The last line printed is one JSON object: scans_per_s, p50_ms, p99_ms, double_boardings,
over_capacity, lost, then the run's details; ``cpu_ms_per_scan`` gives the CPU milliseconds per
answered scan of the gunicorn processes, of the bench database's PostgreSQL backends and of the
clients (this process's scanner threads), all on the same machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import queue
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESCAN_EVERY = 10  # one worker in ten is scanned twice at boarding (two scanners, two nonces)
RETRY_GRACE_S = 60.0  # after --seconds, scans already started may still retry this long
SERVER_START_S = 120.0


@dataclass
class Tally:
    """What the clients saw (shared; appended under the GIL)."""

    latencies_ms: list[float] = field(default_factory=list)
    answered_at: list[float] = field(default_factory=list)  # monotonic clock: the run's timeline
    acknowledged: set[str] = field(default_factory=set)
    answers: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    unanswered: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "homeward", "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", str(workers)]
    with log.open("wb") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_ready(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    import requests

    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"homeward serve exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code in (200, 503):
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"homeward serve did not answer within {SERVER_START_S:.0f} s")


def _stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)


def _login(base: str, username: str, password: str) -> Any:
    import requests

    session = requests.Session()
    session.get(f"{base}/login/", timeout=30).raise_for_status()
    answer = session.post(
        f"{base}/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        timeout=60,
        allow_redirects=False,
    )
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        raise RuntimeError(f"{username} could not sign in: HTTP {answer.status_code}")
    session.headers["X-CSRFToken"] = str(session.cookies["csrftoken"])
    return session


class Jobs:
    """Boardings first handed out in worker order; an arrival joins once its boarding is answered.
    A client takes an arrival when one is waiting half the time, so both kinds run side by side."""

    def __init__(self, tokens: list[str], seed: int) -> None:
        self.boardings: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self.arrivals: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self.rng = random.Random(seed)
        pending: list[str] = []
        for i, token in enumerate(tokens):
            self.boardings.put(("board", token))
            if i % RESCAN_EVERY == RESCAN_EVERY - 1:
                pending.append(token)
            if len(pending) > 3:  # the second scanner's boarding a few scans later
                self.boardings.put(("board", pending.pop(0)))
        for token in pending:
            self.boardings.put(("board", token))

    def next(self) -> tuple[str, str] | None:
        first, second = (
            (self.arrivals, self.boardings) if self.rng.random() < 0.5 else (self.boardings, self.arrivals)
        )
        for q in (first, second):
            try:
                return q.get_nowait()
            except queue.Empty:
                continue
        return None

    def boarded(self, token: str) -> None:
        self.arrivals.put(("gate", token))


class Poster:
    """One scanner's keep-alive connection to the server (``http.client``: the load generator shares
    the two cores with the server and the database, and ``requests`` cost a scanner about twice the
    CPU per scan). It posts with the signed-in session's cookies and CSRF token."""

    def __init__(self, base: str, session: Any) -> None:
        from urllib.parse import urlsplit

        url = urlsplit(base)
        self.host, self.port = str(url.hostname), int(url.port or 80)
        cookies = "; ".join(f"{name}={value}" for name, value in session.cookies.items())
        self.headers = {
            "Content-Type": "application/json",
            "Cookie": cookies,
            "X-CSRFToken": str(session.headers["X-CSRFToken"]),
        }
        self.conn: Any = None

    def post(self, scans: list[dict[str, Any]]) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            self.conn.request("POST", "/api/v1/scans", json.dumps({"scans": scans}), self.headers)
            answer = self.conn.getresponse()
            return answer.status, answer.read()
        except BaseException:
            self.close()  # a broken connection is not reused; the retry opens a new one
            raise

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _scan_once(
    poster: Poster, scans: list[dict[str, Any]], give_up: float, tally: Tally
) -> list[dict[str, Any]] | None:
    """Post scans in one request until answered (the same nonces every time), or None at ``give_up``."""
    delay = 0.05
    while True:
        try:
            status, body = poster.post(scans)
            if status == 200:
                return [dict(r) for r in json.loads(body)["results"]]
            if status < 500:
                raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
        except (OSError, http.client.HTTPException):  # refused, reset, timed out, cut mid-answer
            pass
        with tally.lock:
            tally.retries += 1
        if time.monotonic() + delay > give_up:
            return None
        time.sleep(delay)
        delay = min(1.0, delay * 2)


def _client(
    base: str,
    username: str,
    password: str,
    jobs: Jobs,
    start: threading.Barrier,
    stop_at: list[float],
    tally: Tally,
    batch: int = 1,
) -> None:
    try:
        poster = Poster(base, _login(base, username, password))
        start.wait()
        while time.monotonic() < stop_at[0]:
            taken = [job for job in (jobs.next() for _ in range(batch)) if job is not None]
            if not taken:
                return
            scans = [_scan(checkpoint, token) for checkpoint, token in taken]
            t0 = time.perf_counter()
            results = _scan_once(poster, scans, stop_at[0] + RETRY_GRACE_S, tally)
            if results is None:
                with tally.lock:
                    tally.unanswered += len(scans)
                continue
            ms = (time.perf_counter() - t0) * 1000
            now = time.monotonic()
            with tally.lock:
                for scan, result in zip(scans, results, strict=True):
                    tally.latencies_ms.append(ms)
                    tally.answered_at.append(now)
                    tally.acknowledged.add(scan["nonce"])
                    tally.answers[f"{scan['checkpoint']}:{result['answer']}:{result['reason']}"] += 1
            for scan, result in zip(scans, results, strict=True):
                if scan["checkpoint"] == "board" and result["answer"] == "recorded":
                    jobs.boarded(scan["token"])
    except BaseException as exc:  # noqa: BLE001 (reported in the output; the run goes on)
        with tally.lock:
            tally.errors.append(f"{username}: {exc!r}"[:500])
        start.abort()  # the run goes on without this client (or stops at once if none started)


def _timeline(answered_at: list[float], began: float, elapsed: float) -> list[int]:
    """Scans answered in each second of the run (where a restart's dip and the recovery show)."""
    out = [0] * max(1, math.ceil(elapsed))
    for t in answered_at:
        k = int(t - began)
        if 0 <= k < len(out):
            out[k] += 1
    return out


def _scan(checkpoint: str, token: str) -> dict[str, Any]:
    at = datetime.now(UTC).isoformat()
    scan: dict[str, Any] = {
        "nonce": uuid.uuid4().hex,
        "checkpoint": checkpoint,
        "token": token,
        "client_at": at,
    }
    if checkpoint == "board":  # the escort's thermometer; the health code comes from the declaration
        scan["temperature_c"] = 36.5
    return scan


def _cpu_seconds(server_pid: int, database: str) -> tuple[float, float]:
    """CPU seconds (user + system) so far of the web server (the gunicorn processes under ``homeward
    serve``; not its supervisor nor the task worker) and of the PostgreSQL backends serving the
    bench database (their title names it)."""
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    backends: set[int] = set()
    web: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        pid = int(entry.name)
        parent[pid], cpu[pid] = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
        if title.startswith("postgres: ") and f" {database} " in title:
            backends.add(pid)
        if " gunicorn " in title:
            web.add(pid)
    tree = {server_pid}
    grew = True
    while grew:
        more = {p for p, pp in parent.items() if pp in tree} - tree
        grew, tree = bool(more), tree | more
    return sum(cpu.get(p, 0.0) for p in tree & web), sum(cpu[p] for p in backends)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ""


def run_bench_scan(args: argparse.Namespace) -> int:
    from homeward.cli.bench_scan_pg import open_server

    server_url = (
        args.database_url or os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/test"
    )
    if not server_url.startswith("postgres"):
        print("homeward bench scan: --database-url must be a PostgreSQL URL", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="homeward-bench-scan-"))
    db, fallback = open_server(server_url, private=args.restart_db)
    server: subprocess.Popen[bytes] | None = None
    try:
        if fallback:
            print(f"--restart-db: {fallback}; falling back to terminating the bench database's backends")
        env = {
            **os.environ, "DATABASE_URL": db.url, "HOMEWARD_DATA_DIR": str(workdir / "var"),
            "HOMEWARD_MEDIA_ROOT": str(workdir / "var" / "media"), "HOMEWARD_DB_CONN_MAX_AGE": "60",
        }  # fmt: skip
        os.environ.update(env)
        from homeward.cli._django import setup_django

        setup_django()
        from django.core.management import call_command
        from django.db import connections

        from homeward.cli.bench_scan_world import SCANNER_PASSWORD, build_world, database_checks

        load_start = _loadavg()
        t0 = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        world = build_world(workers=args.workers, scanners=args.clients)
        connections.close_all()
        print(
            f"world: {len(world.tokens):,} ticketed workers, {args.clients} scanners ({time.perf_counter() - t0:.1f} s)"
        )
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        log = workdir / "server.log"
        server = _start_server(env, port, args.server_workers, log)
        _wait_ready(base, server, log)
        print(
            f"server: {base} ({args.server_workers} gunicorn workers × 4 threads); load average {_loadavg()}"
        )

        tally = Tally()
        jobs = Jobs(world.tokens, args.seed)
        start = threading.Barrier(args.clients + 1, timeout=300)
        stop_at = [float("inf")]
        threads = [
            threading.Thread(
                target=_client,
                args=(base, name, SCANNER_PASSWORD, jobs, start, stop_at, tally, args.batch),
                daemon=True,
            )
            for name in world.scanners
        ]
        for t in threads:
            t.start()
        try:
            start.wait()
        except threading.BrokenBarrierError:
            print(f"homeward bench scan: a scanner could not start: {tally.errors[:3]}", file=sys.stderr)
            return 1
        cpu_before = _cpu_seconds(server.pid, db.url.rpartition("/")[2].partition("?")[0])
        client_cpu_before = time.process_time()  # this process: the scanner threads (the rest waits)
        began = time.monotonic()
        stop_at[0] = began + args.seconds
        restart: dict[str, Any] = {}
        if args.restart_db:
            time.sleep(args.seconds / 2)
            at = time.monotonic() - began
            restart = {"kind": db.restart_kind, "at_s": round(at, 1), "down_s": round(db.restart(), 2)}
            if fallback:
                restart["fallback_reason"] = fallback
            print(f"database restarted at {at:.1f} s ({restart['kind']}), down {restart['down_s']} s")
        for t in threads:
            t.join(args.seconds + RETRY_GRACE_S + 60)
        elapsed = min(time.monotonic(), stop_at[0]) - began
        load_end = _loadavg()
        cpu_after = _cpu_seconds(server.pid, db.url.rpartition("/")[2].partition("?")[0])
        client_cpu = time.process_time() - client_cpu_before
        _stop_server(server)
        server = None
        connections.close_all()
        checks = database_checks(tally.acknowledged)
        answered = len(tally.latencies_ms)
        result = {
            "scans_per_s": round(answered / elapsed, 1) if elapsed > 0 else 0.0,
            "p50_ms": round(_percentile(tally.latencies_ms, 50), 1),
            "p99_ms": round(_percentile(tally.latencies_ms, 99), 1),
            "double_boardings": checks["double_boardings"],
            "over_capacity": checks["over_capacity"],
            "lost": checks["lost"],
            "scans": answered, "seconds": round(elapsed, 2), "clients": args.clients,
            "scans_per_request": args.batch,
            "server_workers": args.server_workers, "workers": len(world.tokens), "retries": tally.retries,
            "unanswered": tally.unanswered, "client_errors": tally.errors[:5], "stored": checks["stored"],
            "cpu_ms_per_scan": {
                "gunicorn": round((cpu_after[0] - cpu_before[0]) * 1000 / max(answered, 1), 2),
                # a restart replaces every backend: their CPU before it is not seen
                "postgres": None
                if args.restart_db
                else round((cpu_after[1] - cpu_before[1]) * 1000 / max(answered, 1), 2),
                # the clients themselves (http.client, JSON), on the same cores as the server
                "clients": round(client_cpu * 1000 / max(answered, 1), 2),
            },
            "answers": dict(sorted(tally.answers.items())), "restart": restart,
            "per_second": _timeline(tally.answered_at, began, elapsed),
            "loadavg": {"before": load_start, "after": load_end},
        }  # fmt: skip
        print(json.dumps(result, ensure_ascii=False))
        return 1 if tally.errors else 0
    finally:
        if server is not None:
            _stop_server(server)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 (Django may never have been set up)
            pass
        try:
            db.close()
        except Exception as exc:  # noqa: BLE001
            print(f"could not drop the bench database: {exc}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the clients scan (default 20)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent scanners (threads; default 16)")
    parser.add_argument("--workers", type=int, default=4000, help="ticketed workers to scan (default 4000)")
    parser.add_argument("--server-workers", type=int, default=2, help="gunicorn processes (default 2)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL (default $DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test): "
        "the bench creates homeward_bench_scan_<pid> beside it and drops it; the named database is not used",
    )
    parser.add_argument(
        "--restart-db",
        action="store_true",
        help="restart the database half-way (a private PostgreSQL instance the bench starts itself)",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=1,
        choices=range(1, 201),
        metavar="N",
        help="scans per request (default 1, the measured mode); N > 1 is the batched mode, labelled "
        "scans_per_request in the output",
    )
    parser.add_argument("--seed", type=int, default=0)
