"""``homeward serve`` supervises its children: a dead task worker is restarted with backoff (issue #9:
"``homeward serve`` keeps serving with a dead worker"), the web server's exit ends the service, and
a stop asks, waits, asks again, then kills. (The real ``homeward serve`` is killed and restarted in
``tests/faults``.)"""

from __future__ import annotations

import logging
import sys
import threading
import time

from homeward.cli.supervise import Child, Supervisor

PY = sys.executable
SLEEPER = [PY, "-c", "import time; time.sleep(60)"]


def _run_in_thread(sup: Supervisor) -> tuple[threading.Thread, dict[str, int]]:
    out: dict[str, int] = {}
    thread = threading.Thread(target=lambda: out.update(code=sup.run()))
    thread.start()
    return thread, out


def test_a_dead_worker_is_restarted_with_backoff_and_each_exit_logged(caplog):
    caplog.set_level(logging.INFO, logger="homeward.serve")
    worker = Child("task worker", [PY, "-c", "raise SystemExit(3)"], restart=True)
    web = Child("web server", SLEEPER, restart=False)
    sup = Supervisor([worker, web], poll=0.05, grace=1)
    thread, out = _run_in_thread(sup)
    deadline = time.monotonic() + 30  # exits at ~0 s, ~1 s (after 1 s), ~3 s (after 2 s more)
    while len(worker.history) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    sup.request_stop()
    thread.join(timeout=20)
    assert out == {"code": 0}
    assert worker.history[:3] == [3, 3, 3] and worker.restarts >= 2 and worker.delay >= 4
    assert "exited with code 3; restarting in 1 s (restart #1)" in caplog.text
    assert "restarting in 2 s (restart #2)" in caplog.text
    assert web.proc is not None and web.proc.returncode is not None  # stopped with the service


def test_the_web_servers_exit_stops_the_service_with_its_code():
    worker = Child("task worker", SLEEPER, restart=True)
    web = Child("web server", [PY, "-c", "raise SystemExit(5)"], restart=False)
    assert Supervisor([worker, web], poll=0.05, grace=1).run() == 5
    assert worker.proc is not None and worker.proc.returncode is not None and worker.restarts == 0


def test_a_worker_busy_with_a_task_gets_the_grace_then_a_second_sigterm():
    """The child stands for django-tasks-db's worker: the first SIGTERM only asks it to finish its
    task, the second ends it (its run fails as interrupted)."""
    busy = (
        "import signal, time\n"
        "seen = []\n"
        "def on_term(*_):\n"
        "    seen.append(1)\n"
        "    if len(seen) == 2: raise SystemExit(7)\n"
        "signal.signal(signal.SIGTERM, on_term)\n"
        "print('ready', flush=True)\n"
        "while True: time.sleep(0.05)\n"
    )
    worker = Child("task worker", [PY, "-c", busy], restart=True)
    sup = Supervisor([worker], poll=0.05, grace=0.5)
    worker.start()
    time.sleep(0.5)  # let it install its handler
    started = time.monotonic()
    sup.stop_all()
    assert worker.proc is not None and worker.proc.returncode == 7
    assert time.monotonic() - started >= 0.5
