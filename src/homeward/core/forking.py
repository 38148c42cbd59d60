"""Which threads may run beside a ``fork``: the planner forks its worker processes only when every
other thread of the process is one that is known to hold nothing the forked child would need.

A forked child has only the forking thread; a lock another thread held at the fork stays held in
the child forever. A heartbeat thread (``apps.audit.runs.Beater``) only waits on its own events and
writes through its own database connection, neither of which the child touches (the child runs the
pure planner and leaves with ``os._exit``), so it is marked fork-safe; any thread not marked (a web
server's request threads) keeps the work in one process.
"""

from __future__ import annotations

import threading
import weakref

_SAFE: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


def mark_fork_safe(thread: threading.Thread) -> threading.Thread:
    """Declare ``thread`` harmless to a fork (see the module's docstring); returns it."""
    _SAFE.add(thread)
    return thread


def only_fork_safe_threads() -> bool:
    """Whether every live thread but the calling one is marked fork-safe."""
    me = threading.current_thread()
    return all(t is me or t in _SAFE for t in threading.enumerate())
