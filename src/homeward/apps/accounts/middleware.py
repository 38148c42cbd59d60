from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers
from django.utils.functional import empty


def user_if_loaded(request: HttpRequest) -> Any:
    """The request's user if something already loaded it, else None — for what runs on the way out
    (logs, cache headers): loading it there would ask the database again after it has just failed
    (a locked session table waits out the lock timeout once more per access)."""
    user = getattr(request, "user", None)
    wrapped = getattr(user, "_wrapped", user)  # the lazy user Django's middleware sets, or a plain one
    return None if wrapped is empty else wrapped


class PagesLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Pages redirect anonymous visitors to the login page; the API answers 401 itself, and the
    language switch works before login."""

    open_prefixes = ("/api/", "/i18n/")

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        if request.path_info.startswith(self.open_prefixes):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


def public_data(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Mark a view whose answers carry no personal data (region boundaries): browsers may cache them
    even for a signed-in user. Everything else a signed-in user gets is ``no-store``."""

    @wraps(view)
    def marked(*args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(*args, **kwargs)
        response.homeward_public_data = True  # type: ignore[attr-defined]
        return response

    return marked


class NoStoreForSignedInMiddleware:
    """Any answer to a signed-in user may hold personal data (lists, exports, manifests, reveals), so
    none is kept by the browser's cache or a proxy: ``Cache-Control: no-store`` (with Django's other
    never-cache headers), unless the view is marked :func:`public_data`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = user_if_loaded(request)
        # a user never loaded (the database failed first) but a session cookie: assume signed in
        signed_in = getattr(user, "is_authenticated", False) or (
            user is None and settings.SESSION_COOKIE_NAME in request.COOKIES
        )
        if signed_in and not getattr(response, "homeward_public_data", False):
            add_never_cache_headers(response)
        return response
