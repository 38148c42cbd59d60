"""The PostgreSQL ``homeward bench scan`` runs on.

- ``SharedServer``: a database ``homeward_bench_scan_<pid>`` created beside ``--database-url`` and
  dropped afterwards (through the server's ``postgres`` database: the named one is never opened). Its "restart" can only end every
  backend of the bench database (``pg_terminate_backend``): the server is other people's.
- ``PrivateServer``: a PostgreSQL instance of its own (``initdb`` / ``pg_ctl`` from
  /usr/lib/postgresql/*/bin) in a temporary directory on a free port of 127.0.0.1, run as the
  ``postgres`` user when we are root (initdb refuses root), so ``restart`` really stops the server
  (``-m immediate``: no clean shutdown, committed work must come back from the WAL) and starts it.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Protocol


class BenchServer(Protocol):
    url: str  # DATABASE_URL of the bench database
    restart_kind: str  # what ``restart`` does, for the output

    def restart(self) -> float: ...  # seconds the database was unavailable

    def close(self) -> None: ...


def _database_name() -> str:
    return f"homeward_bench_scan_{os.getpid()}"


def _create(server_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _beside(server_url: str, name: str) -> str:
    base, _, last = server_url.rpartition("/")
    query = "?" + last.partition("?")[2] if "?" in last else ""
    return f"{base}/{name}{query}"


class SharedServer:
    restart_kind = "terminated the bench database's backends (pg_terminate_backend; shared server)"

    def __init__(self, server_url: str) -> None:
        self.server_url = _beside(server_url, "postgres")  # the maintenance database: never the named one
        self.name = _database_name()
        _create(self.server_url, self.name)
        self.url = _beside(server_url, self.name)

    def restart(self) -> float:
        import psycopg

        t0 = time.perf_counter()
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            )
        return time.perf_counter() - t0

    def close(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_bin() -> Path | None:
    """The newest /usr/lib/postgresql/N/bin holding initdb and pg_ctl, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


class PrivateServer:
    restart_kind = "private PostgreSQL instance stopped (pg_ctl -m immediate) and started again"

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="homeward-bench-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.user: str | None = None
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to postgres
            self.user = "postgres"
            entry = pwd.getpwnam(self.user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self._start()
        self.name = _database_name()
        server_url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        try:
            _create(server_url, self.name)
        except Exception:
            self.close()
            raise
        self.url = _beside(server_url, self.name)

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bindir / tool), *args]
        if self.user is not None:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, cwd=self.dir)

    def _start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=60"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-o", options, "-w", "start")

    def restart(self) -> float:
        t0 = time.perf_counter()
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self._start()
        return time.perf_counter() - t0

    def close(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def open_server(server_url: str, *, private: bool) -> tuple[BenchServer, str]:
    """The bench's database server and, when a private one was asked for and could not be had, why."""
    if private:
        bindir = postgres_bin()
        if bindir is None:
            return SharedServer(server_url), "no initdb under /usr/lib/postgresql/*/bin"
        try:
            return PrivateServer(bindir), ""
        except (OSError, KeyError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            why = f"{exc} {detail.decode(errors='replace').strip()}".strip()
            return SharedServer(server_url), f"private instance impossible: {why}"
    return SharedServer(server_url), ""
