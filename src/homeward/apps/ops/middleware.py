"""Request id and request log, Permissions-Policy (and the one page allowed the camera), and the idle
session timeout."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import resolve_url

from homeward.apps.accounts.middleware import user_if_loaded
from homeward.apps.audit.services import audit_record
from homeward.apps.ops.logs import REQUEST_ID

log = logging.getLogger("homeward.request")

_GOOD_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# Pages mark their background polling with this header (static/homeward/app.js): a poll is not a
# person at the keyboard, so it does not keep an idle session alive.
BACKGROUND_HEADER = "HTTP_X_HOMEWARD_BACKGROUND"
_SEEN = "_homeward_seen"
# Write the last-seen time at most once a minute (each write is a session save).
_SEEN_RESOLUTION = 60

Handler = Callable[[HttpRequest], HttpResponseBase]


class RequestLogMiddleware:
    """Give each request an id (the proxy's X-Request-ID when a trusted proxy sent one), echo it in
    the response, put it on every log line, and log one line per request: method, path (never the
    query string), status, milliseconds, user id."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        trusted = settings.HOMEWARD_TRUSTED_PROXIES > 0 and _GOOD_ID.fullmatch(incoming)
        request_id = incoming if trusted else uuid.uuid4().hex
        # Not reset on the way out: Django logs errors (django.request) after the middleware returns;
        # request_finished clears it (logs.py).
        REQUEST_ID.set(request_id)
        started = time.monotonic()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        user = user_if_loaded(request)
        log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "ms": round((time.monotonic() - started) * 1000, 1),
                "user_id": getattr(user, "pk", None),
            },
        )
        return response


class PermissionsPolicyMiddleware:
    """Django sets CSP, HSTS, Referrer-Policy and COOP; this adds Permissions-Policy."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def camera_allowed[**P, R: HttpResponseBase](view: Callable[P, R]) -> Callable[P, R]:
    """The site's Permissions-Policy with the camera allowed to this site's own pages, for a view
    that scans QR codes (the middleware leaves a policy the view set alone)."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        response = view(*args, **kwargs)
        response.headers["Permissions-Policy"] = settings.PERMISSIONS_POLICY.replace(
            "camera=()", "camera=(self)"
        )
        return response

    return wrapped


class IdleSessionMiddleware:
    """Sign out a session that has seen no request from its person for
    HOMEWARD_SESSION_IDLE_MINUTES (0 turns this off); the sign-out is audited."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        idle = settings.HOMEWARD_SESSION_IDLE_MINUTES * 60
        user = request.user
        if idle and user.is_authenticated:
            now = int(time.time())
            seen = request.session.get(_SEEN)
            if seen is not None and now - int(seen) > idle:
                audit_record(
                    actor=user, action="auth.session_idle", object_type="user", object_id=user.pk,
                    data={"idle_minutes": (now - int(seen)) // 60},
                )  # fmt: skip
                logout(request)
                if request.headers.get("HX-Request"):
                    # htmx would swap the login page into a fragment; send the whole page there.
                    return HttpResponse(status=204, headers={"HX-Redirect": resolve_url(settings.LOGIN_URL)})
            elif BACKGROUND_HEADER not in request.META and (
                seen is None or now - int(seen) >= _SEEN_RESOLUTION
            ):
                request.session[_SEEN] = now
        return self.get_response(request)
