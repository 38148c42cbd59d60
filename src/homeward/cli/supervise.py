"""The processes ``homeward serve`` runs side by side, kept running.

The task worker is restarted whenever it exits, after a backoff (1, 2, 4 … 60 s; back to 1 s once it
has stayed up a minute), each exit and restart logged. The web server is the service itself: when it
exits, everything stops with its exit code. On SIGINT or SIGTERM every child is asked to stop
(SIGTERM), a worker in the middle of a task gets ``grace`` seconds to finish it, then a second SIGTERM
(its task fails as interrupted), then SIGKILL. Children run in their own session so that a terminal's
Ctrl-C reaches only the supervisor, which then stops them in that order.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from dataclasses import dataclass, field
from types import FrameType

log = logging.getLogger("homeward.serve")

STAY_UP_RESETS_BACKOFF = 60.0
MAX_BACKOFF = 60.0


@dataclass
class Child:
    """A process to run: ``restart`` ones come back when they exit, the others end the service."""

    name: str
    argv: list[str]
    restart: bool
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    restarts: int = 0
    delay: float = 1.0
    due: float = 0.0  # when a restart is due (monotonic), 0 when running
    history: list[int] = field(default_factory=list)  # exit codes seen

    def start(self) -> None:
        self.proc = subprocess.Popen(self.argv, start_new_session=True)
        self.started, self.due = time.monotonic(), 0.0
        log.info("%s started (pid %d)", self.name, self.proc.pid)


class Supervisor:
    def __init__(self, children: list[Child], *, poll: float = 0.5, grace: float = 20.0) -> None:
        self.children = children
        self.poll = poll
        self.grace = grace
        self.stopping = False

    def request_stop(self, signum: int = signal.SIGTERM, _frame: FrameType | None = None) -> None:
        if not self.stopping:
            log.info("received %s; stopping", signal.Signals(signum).name)
        self.stopping = True

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)

    def run(self) -> int:
        """Start the children and watch them until asked to stop or a non-restarting one exits;
        returns the exit code for the service (0 when stopped by a signal)."""
        for child in self.children:
            child.start()
        code = 0
        try:
            while not self.stopping:
                ended = self._watch()
                if ended is not None:
                    code = ended
                    break
                time.sleep(self.poll)
        finally:
            self.stop_all()
        return code

    def _watch(self) -> int | None:
        now = time.monotonic()
        for child in self.children:
            if child.due:
                if now >= child.due:
                    child.restarts += 1
                    child.start()
                continue
            assert child.proc is not None
            rc = child.proc.poll()
            if rc is None:
                if now - child.started > STAY_UP_RESETS_BACKOFF:
                    child.delay = 1.0
                continue
            child.history.append(rc)
            if not child.restart:
                log.error("%s exited with code %d; stopping the service", child.name, rc)
                return rc or 1
            log.warning(
                "%s (pid %d) exited with code %d; restarting in %.0f s (restart #%d)",
                child.name, child.proc.pid, rc, child.delay, child.restarts + 1,
            )  # fmt: skip
            child.due = now + child.delay
            child.delay = min(MAX_BACKOFF, child.delay * 2)
        return None

    def stop_all(self) -> None:
        running = [c.proc for c in self.children if c.proc is not None and c.proc.poll() is None]
        for proc in running:
            proc.terminate()
        deadline = time.monotonic() + self.grace
        for proc in running:
            _wait(proc, deadline - time.monotonic())
        for proc in running:  # a second SIGTERM: the worker abandons its task (failed as interrupted)
            if proc.poll() is None:
                proc.terminate()
        for proc in running:
            if not _wait(proc, 5.0):
                log.warning("pid %d did not stop; killing it", proc.pid)
                proc.kill()
                proc.wait()


def _wait(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    try:
        proc.wait(timeout=max(0.0, seconds))
    except subprocess.TimeoutExpired:
        return False
    return True
