"""``homeward serve`` with its task worker SIGKILLed: the worker is restarted (logged, with backoff)
and /healthz follows it; SIGTERM stops the web server and the worker cleanly (issue #9: "``homeward
serve`` keeps serving with a dead worker")."""

from __future__ import annotations

import os
import signal

from tests.faults.conftest import record
from tests.faults.harness import Browser, free_port, serve, wait_until


def test_serve_restarts_a_killed_worker_and_stops_cleanly_on_sigterm(deployment):
    dep = deployment
    port = free_port()
    server = serve(dep, port)
    (first,) = wait_until("the task worker's heartbeat", dep.worker_pids, timeout=60)

    os.kill(first, signal.SIGKILL)
    second = wait_until(
        "a restarted task worker to beat", lambda: (dep.worker_pids() - {first}) or None, timeout=60
    )
    assert "exited with code -9; restarting in 1 s (restart #1)" in dep.log("serve")
    assert Browser(f"http://127.0.0.1:{port}").get("/healthz")[0] == 200

    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0
    for pid in second:
        wait_until(f"worker {pid} to be gone", lambda pid=pid: not _alive(pid), timeout=10)
    record("task worker SIGKILLed under homeward serve (restarted)", faults=1, lost=0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
