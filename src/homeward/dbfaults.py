"""When the database is locked past its timeout or cannot be reached.

Django raises ``OperationalError`` (locked, refused, connection lost, lock timeout) or
``InterfaceError`` (a connection already closed). Long work waits it out (``db_retry``, with backoff);
a web request fails at once with a clear answer — the API's ``{status, reason, message}`` with 503, a
page with an error page — and the next request opens a fresh connection, so the service recovers by
itself when the database is back.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.db import InterfaceError, OperationalError, close_old_connections, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

from homeward.i18n import localized

log = logging.getLogger(__name__)

DB_UNAVAILABLE = (OperationalError, InterfaceError)
REASON = "db_unavailable"
MESSAGE = "数据库暂时不可用，请稍后重试 (the database is temporarily unavailable; try again shortly)"
# What a client is told to wait before retrying (the lock timeout's order of magnitude).
RETRY_AFTER_SECONDS = 30


def backoff(first: float = 0.5, cap: float = 30.0) -> Iterator[float]:
    """0.5, 1, 2, 4 … seconds, at most ``cap``, for ever."""
    delay = first
    while True:
        yield delay
        delay = min(cap, delay * 2)


def db_retry[T](fn: Callable[[], T], *, budget: float, what: str) -> T:
    """``fn()``, called again with backoff while the database is unavailable, for at most ``budget``
    seconds; then its error is raised. Not inside a transaction: a failed statement there has already
    doomed it."""
    if transaction.get_connection().in_atomic_block:
        return fn()
    deadline = time.monotonic() + budget
    for delay in backoff():
        try:
            return fn()
        except DB_UNAVAILABLE as exc:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("%s: database unavailable (%s); again in %.1f s", what, exc, delay)
            close_old_connections()
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover - backoff() never ends


def unavailable_body() -> dict[str, Any]:
    return {"status": 503, "reason": REASON, "message": MESSAGE, "localized_message": localized(MESSAGE)}


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 answer: JSON under /api/, the health answer at /healthz (a monitor reads JSON there
    even when the database failed before the view ran, e.g. loading a session), the error page
    elsewhere."""
    response: HttpResponse
    if request.path_info == "/healthz":
        from homeward.health import health_body

        response = JsonResponse(health_body(database=False, worker_age=None), status=503)
    elif request.path_info.startswith("/api/"):
        response = JsonResponse(unavailable_body(), status=503, json_dumps_params={"ensure_ascii": False})
    else:
        # without the request's context processors: they would load the user from the database
        page = render_to_string("unavailable.html", {"reason": REASON})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """``handler500``: a database that is locked or away is a 503 with a clear message (the error
    reached here from a view or a middleware, e.g. loading the session); anything else Django's 500."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DB_UNAVAILABLE):
        return unavailable_response(request)
    return defaults.server_error(request, template_name)
