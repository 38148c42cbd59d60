"""A Homeward installation of its own for fault tests: its own database (an SQLite file, or a
PostgreSQL database created beside the test one), real processes (``homeward serve``, ``homeward
worker``), a browser-like HTTP session, and raw SQL to look at the database from outside."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TASKFORCE = ("demo-taskforce", "homeward-demo")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(what: str, check: Callable[[], Any], timeout: float, every: float = 0.2) -> Any:
    """``check()``'s first truthy value within ``timeout`` seconds, else an AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


@dataclass
class Deployment:
    root: Path
    database_url: str
    lease: int = 6  # HOMEWARD_RUN_LEASE_SECONDS of the processes it starts
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def sqlite_path(self) -> Path | None:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return None

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO)]),
            HOMEWARD_DATA_DIR=str(self.root),
            DATABASE_URL=self.database_url,
            HOMEWARD_RUN_LEASE_SECONDS=str(self.lease),
            HOMEWARD_TASKS_BACKEND="django_tasks_db.DatabaseBackend",
            HOMEWARD_LOG_LEVEL="INFO",
            DJANGO_SETTINGS_MODULE="homeward.settings",
        )
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        env.update(extra)
        return env

    def homeward(self, *args: str, timeout: float = 300, **extra: str) -> str:
        """Run ``homeward ARGS`` to completion; its stdout (fails the test on a non-zero exit)."""
        done = subprocess.run(
            [sys.executable, "-m", "homeward", *args], env=self.env(**extra), capture_output=True,
            timeout=timeout, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        return done.stdout.decode()

    def django(self, code: str) -> Any:
        """Run Python ``code`` in a Django process of this installation; the JSON it prints last."""
        out = self.homeward("manage", "shell", "-c", code)
        return json.loads(out.strip().splitlines()[-1])

    def spawn(self, name: str, argv: list[str], **extra: str) -> subprocess.Popen[bytes]:
        log = (self.root / f"{name}.log").open("wb")  # one log per process started
        proc = subprocess.Popen(argv, env=self.env(**extra), stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(proc)
        return proc

    def worker(self, name: str = "worker", **extra: str) -> subprocess.Popen[bytes]:
        return self.spawn(name, [sys.executable, "-m", "homeward", "worker", "--interval", "0.2"], **extra)

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_all(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.processes:
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.processes.clear()

    # -- looking from outside ----------------------------------------------------------------------

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        path = self.sqlite_path
        if path is not None:
            conn = sqlite3.connect(path, timeout=60)
            try:
                return conn.execute(query, params).fetchall()
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(query.replace("?", "%s"), params).fetchall()  # type: ignore[arg-type]

    def one(self, query: str, params: tuple[Any, ...] = ()) -> Any:
        rows = self.sql(query, params)
        return rows[0][0] if rows else None

    def run_row(self, table: str, pk: int) -> dict[str, Any]:
        cols = ("state", "error_code", "error", "heartbeat_at", "task_id")
        row = self.sql(f"SELECT {', '.join(cols)} FROM {table} WHERE id = ?", (pk,))[0]
        return dict(zip(cols, row, strict=True))

    def worker_pids(self) -> set[int]:
        """Pids of the workers that beat within the lease (as /healthz counts them)."""
        rows = self.sql("SELECT pid, beat_at FROM audit_workerheartbeat")
        return {int(pid) for pid, beat in rows if _age_seconds(beat) <= self.lease}


def _age_seconds(stamp: Any) -> float:
    from datetime import UTC, datetime

    if isinstance(stamp, str):  # SQLite keeps ISO text
        stamp = datetime.fromisoformat(stamp)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return (datetime.now(UTC) - stamp).total_seconds()


def seconds_between(earlier: Any, later: Any) -> float:
    return _age_seconds(earlier) - _age_seconds(later)


class Browser:
    """A session against the installation's web server: cookies, CSRF, JSON."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def request(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        content_type: str = "",
        timeout: float = 90,
    ) -> tuple[int, dict[str, str], bytes]:
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if content_type:
            req.add_header("Content-Type", content_type)
        if method != "GET":
            req.add_header("X-CSRFToken", self._csrf())
        try:
            with self.opener.open(req, timeout=timeout) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", path)

    def post_json(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        return self.request("POST", path, data=json.dumps(body).encode(), content_type="application/json")

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        data = urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, data=data, content_type="application/x-www-form-urlencoded")

    def login(self, username: str, password: str) -> None:
        status, _, page = self.get("/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert status == 200 and token, page[:500]
        fields = {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1).decode()}
        status, _, _ = self.post_form("/login/", fields)
        assert status == 200, status
        assert any(c.name == "sessionid" for c in self.jar), "login failed"


def serve(dep: Deployment, port: int, name: str = "serve", **extra: str) -> subprocess.Popen[bytes]:
    proc = dep.spawn(
        name,
        [
            sys.executable,
            "-m",
            "homeward",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        **extra,
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    wait_until("homeward serve to answer /healthz with 200", healthy, timeout=120, every=0.5)
    return proc
