"""The life of a background run (an import run, a heat-map snapshot, a plan run): queued → running →
done/failed, in a ``state`` field holding those values.

A task claims its run once with a conditional UPDATE (DESIGN §3), so a task delivered twice, or two
workers handed the same id, run it once; a failed run keeps a short error text for its status page.
"""

from __future__ import annotations

from typing import Any

from django.db import models

ACTIVE_STATES = ("queued", "running")


def run_claim(model: type[models.Model], pk: Any, **fields: Any) -> bool:
    """queued → running for the run ``pk`` of ``model``, setting ``fields`` in the same UPDATE.
    True for the one caller that claimed it; False when it was not queued (claimed, done, gone)."""
    return bool(model._default_manager.filter(pk=pk, state="queued").update(state="running", **fields))


def run_error(exc: BaseException) -> str:
    """The error a failed run keeps: the exception's type and message, at most 2,000 characters."""
    return f"{type(exc).__name__}: {exc}"[:2000]
