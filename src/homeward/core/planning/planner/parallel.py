"""Independent sub-problems (groups' direct trips, a train's shuttles, an origin area's buses) on
several processes, merged in the order they were asked for: the plan is the same whether one
process computes them or several.

The worker processes are forked from the planning process, so they start with its state (the
request, the fleet, the direct trips) and only task numbers and results cross between processes.
A process with other threads running (a web server's) is not forked: there the work runs in turn;
threads marked fork-safe (``homeward.core.forking``: a plan run's heartbeat) do not prevent it.
"""

from __future__ import annotations

import multiprocessing
import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from homeward.core.forking import only_fork_safe_threads

_TASK: Callable[[int], object] | None = None  # the forked workers' task, by number


def _run(i: int) -> object:
    assert _TASK is not None  # set before the workers are forked
    return _TASK(i)


def default_processes() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def run_all[T](
    task: Callable[[int], T], n: int, processes: int, *, order: Sequence[int] | None = None
) -> list[T]:
    """``[task(0), ..., task(n - 1)]``, computed on up to ``processes`` processes; ``order`` is the
    order in which to start them (the largest first balances the processes)."""
    global _TASK
    if processes <= 1 or n <= 1 or not only_fork_safe_threads():
        return [task(i) for i in range(n)]
    todo = list(order) if order is not None else list(range(n))
    _TASK = task
    try:
        with warnings.catch_warnings():
            # the only other threads are native ones (numpy's BLAS), which hold no Python lock
            warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
            with ProcessPoolExecutor(
                max_workers=min(processes, n), mp_context=multiprocessing.get_context("fork")
            ) as pool:
                done = dict(zip(todo, pool.map(_run, todo), strict=True))
    finally:
        _TASK = None
    return [done[i] for i in range(n)]  # type: ignore[misc]


def chunks(n: int, parts: int) -> list[range]:
    """``range(n)`` cut into at most ``parts`` consecutive pieces of near-equal size."""
    parts = max(1, min(parts, n))
    size, extra = divmod(n, parts)
    out, start = [], 0
    for k in range(parts):
        end = start + size + (1 if k < extra else 0)
        out.append(range(start, end))
        start = end
    return out
