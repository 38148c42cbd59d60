"""The HTTP API under /api/v1/. Each app contributes a router; errors map here, once.

Every error answers JSON ``{status, reason, message}`` (``api_contract.ErrorOut``): a DomainError
with its own reason; input that fails validation 422 ``invalid_input`` with ``errors``; no session
401 ``unauthenticated`` (for reads and writes alike, before CSRF is considered); a signed-in write
without its CSRF token 403 ``csrf_failed``; anything unexpected 500 ``internal_error``, logged with
its traceback and never shown to the client. Handlers for narrower exceptions (a locked database,
for instance) may be added beside these: ninja picks the most specific one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import SessionAuth
from ninja.utils import check_csrf

from homeward import __version__, dbfaults
from homeward.api_contract import MESSAGES, REASONS
from homeward.core.errors import DomainError, PermissionDenied
from homeward.i18n import localized

logger = logging.getLogger(__name__)


class SignedInSession(SessionAuth):
    """Django's session, with the order of checks that tells a client what to fix: who is calling
    first (no session: 401), then, for a signed-in caller's write, the CSRF token (403)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not request.user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise PermissionDenied(
                "CSRF 令牌缺失或不正确：请在 X-CSRFToken 请求头中发送 csrftoken Cookie 的值 "
                "(CSRF token missing or incorrect: send the csrftoken cookie's value in X-CSRFToken)",
                "csrf_failed",
            )
        return request.user


class InputRefused(ValueError):
    """Input that no operation of this API accepts, whatever its schema (400 bad_request)."""


def _refuse_nul(value: Any, where: str) -> None:
    """PostgreSQL cannot store a NUL character (a query or write with one raised an error, answered
    as a 500); none has a meaning in a name, an id or a note, so it is refused at the door."""
    if isinstance(value, str) and "\x00" in value:
        raise InputRefused(f"{where} 含有 NUL 字符 ({where} contains a NUL character)")
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key, where)
            _refuse_nul(item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item, where)


class ApiParser(Parser):
    """What ninja parses from a request, checked for what no operation accepts: a JSON body that is
    not an object (ninja read a bare ``true``, number or list as "no fields" and ran the operation
    with its defaults) and NUL characters anywhere in the body or form fields."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise InputRefused("请求体应为 JSON 对象 (the request body must be a JSON object)")
        _refuse_nul(data, "body")
        return data

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> dict[str, Any]:
        parsed = super().parse_querydict(data, list_fields, request)
        if data is not request.GET:  # the query string was checked by RefuseNulInQueryMiddleware
            _refuse_nul(parsed, "form")
        return parsed


api = NinjaAPI(
    title="Homeward API",
    version=__version__,
    description="返岗通 Homeward: registries, imports and (later) applications, plans and journeys.",
    urls_namespace="api",
    auth=SignedInSession(),
    parser=ApiParser(),
)


def error_response(
    request: HttpRequest, status: int, reason: str, message: str, **extra: Any
) -> HttpResponse:
    """The error body of every operation: ``message`` as written (both languages, ``中文 (english)``),
    ``localized_message`` its half in the request's language (Accept-Language or the language cookie;
    Chinese by default), ``reason`` the stable code to match on."""
    body = {"status": status, "reason": reason, "message": message, "localized_message": localized(message)}
    return api.create_response(request, {**body, **extra}, status=status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.message)


def _field_path(loc: Sequence[Any]) -> str:
    """Where the field is, as the client wrote it after its source (``query.enterprise``,
    ``body.scans.0.client_at``): for a body, ninja's ``loc`` also names the view's parameter after
    the source (``body.body.scans.0.client_at``), which the client never wrote."""
    parts = list(loc)
    if parts[:1] == ["body"] and len(parts) > 2:
        del parts[1]
    return ".".join(str(part) for part in parts)


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    where = ", ".join(_field_path(e.get("loc", ())) for e in exc.errors)
    return error_response(
        request, 422, "invalid_input", f"请求参数无效：{where} (invalid input: {where})", errors=exc.errors
    )


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request: HttpRequest, exc: OperationalError | InterfaceError) -> HttpResponse:
    """A database locked past its timeout or away: 503 ``{status, reason: db_unavailable, message}``."""
    response = api.create_response(request, dbfaults.unavailable_body(), status=503)
    response["Retry-After"] = str(dbfaults.RETRY_AFTER_SECONDS)
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja's own refusals: no session (401), a body it cannot parse (400), a throttle (429)."""
    status = exc.status_code
    if isinstance(exc.__cause__, InputRefused):  # raised in ApiParser.parse_body, wrapped by ninja
        return input_refused(request, exc.__cause__)
    message = MESSAGES.get(status, "请求被拒绝 (refused)")
    if status not in (401, 403):  # ninja's text says what was wrong with the request
        message = f"{message}: {exc.message}"
    return error_response(request, status, REASONS.get(status, "http_error"), message)


@api.exception_handler(InputRefused)
def input_refused(request: HttpRequest, exc: InputRefused) -> HttpResponse:
    return error_response(request, 400, REASONS[400], f"{MESSAGES[400]}: {exc}")


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, REASONS[404], MESSAGES[404])


@api.exception_handler(SuspiciousOperation)
def bad_request(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    """What Django refuses while reading a request (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many
    fields, a malformed multipart body): a 400, or a 413 when it was only too big."""
    logger.warning("refused %s %s: %s", request.method, request.path, exc)
    status = 413 if isinstance(exc, RequestDataTooBig) else 400
    return error_response(request, status, REASONS[status], MESSAGES[status])


@api.exception_handler(Exception)
def internal_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The last resort: the traceback goes to the log, the client gets a reason and no details."""
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(request, 500, REASONS[500], MESSAGES[500])


def _mount_routers() -> None:
    from homeward.apps.registry.api import router as registry_router
    from homeward.apps.registry.api_imports import router as imports_router

    api.add_router("/", registry_router)
    api.add_router("/", imports_router)

    from homeward.apps.applications.api import router as applications_router

    api.add_router("/", applications_router)

    from homeward.apps.heatmap.api import router as heatmap_router

    api.add_router("/", heatmap_router)

    from homeward.apps.planning.api import router as planning_router

    api.add_router("/", planning_router)

    from homeward.apps.trips.api import router as trips_router

    api.add_router("/", trips_router)

    from homeward.apps.letters.api import router as letters_router

    api.add_router("/", letters_router)


_mount_routers()
