"""Login audit and login rate limit.

Every sign-in is an audit event (object ``login:<user name>``): ``auth.login`` on success,
``auth.login_failed`` on a wrong user name or password, ``auth.lockout`` when an attempt is refused
because of the limit, and ``auth.logout``. The limit reads those events back, so it holds across web
server processes and restarts with no store of its own: within the last HOMEWARD_LOGIN_LOCKOUT_MINUTES,
HOMEWARD_LOGIN_FAILURES_PER_USER failures for one user name (since its last success) or
HOMEWARD_LOGIN_FAILURES_PER_IP failures from one client address refuse further attempts until the
oldest of them leaves the window (``ops.lockout``, shared with the worker's short code). ``RateLimitBackend`` comes first in AUTHENTICATION_BACKENDS, so
the login page and the admin's both go through it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest

from homeward.apps.audit.services import audit_record
from homeward.apps.ops import lockout

LOGIN_OK = "auth.login"
LOGIN_FAILED = "auth.login_failed"
LOCKOUT = "auth.lockout"
LOGOUT = "auth.logout"
_USERNAME_MAX = 150


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind HOMEWARD_TRUSTED_PROXIES proxies the entry they
    appended to X-Forwarded-For (entries further left were written by the client and prove nothing)."""
    proxies = settings.HOMEWARD_TRUSTED_PROXIES
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return str(hops[-proxies])[:45]
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


def locked_scope(username: str, ip: str) -> str | None:
    """ "ip" or "user" when sign-ins from ``ip`` or for ``username`` are refused now, else None."""
    return lockout.locked_scope(
        failed=LOGIN_FAILED, succeeded=LOGIN_OK, object_type="login", object_id=username, ip=ip
    )


def _username(value: object) -> str:
    return str(value or "")[:_USERNAME_MAX]


class RateLimitBackend:
    """Authenticates nobody; refuses (and audits) an attempt while its user name or address is
    locked. Calls without a request (``Client.login``, commands) have no client to count. It has no
    ``get_user`` on purpose: sessions then name the backend that did sign the user in."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None, **kwargs: Any) -> None:
        if request is None:
            return None
        name, ip = _username(username), client_ip(request)
        scope = locked_scope(name, ip)
        if scope is None:
            return None
        request.homeward_login_locked = scope  # type: ignore[attr-defined]
        audit_record(
            actor=AnonymousUser(), action=LOCKOUT, object_type="login", object_id=name,
            data={"ip": ip, "scope": scope},
        )  # fmt: skip
        raise PermissionDenied("登录尝试过多，请稍后再试 (too many sign-in attempts: try again later)")


@receiver(user_login_failed)
def _audit_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    if request is None or getattr(request, "homeward_login_locked", None):
        return  # no client (commands, tests), or already recorded as a lockout
    audit_record(
        actor=AnonymousUser(), action=LOGIN_FAILED, object_type="login",
        object_id=_username(credentials.get("username")), data={"ip": client_ip(request)},
    )  # fmt: skip


@receiver(user_logged_in)
def _audit_login(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    if request is None:
        return
    audit_record(
        actor=user, action=LOGIN_OK, object_type="login", object_id=_username(user.get_username()),
        data={"ip": client_ip(request)},
    )  # fmt: skip


@receiver(user_logged_out)
def _audit_logout(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    if request is None or user is None:
        return
    audit_record(actor=user, action=LOGOUT, object_type="login", object_id=_username(user.get_username()))
