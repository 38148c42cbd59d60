"""What every /api/v1/ operation promises besides its own result.

- One error body, ``ErrorOut`` (``{status, reason, message}``, plus ``errors`` on a 422), for every
  status an operation can answer; ``answers()`` declares them so the OpenAPI schema lists them all.
- Bounded integers: ids, offsets and counts from a client are validated against the range the
  database can hold (a 64-bit signed integer), so an out-of-range number is a 422, never an overflow
  deep in SQLite or PostgreSQL.
- JSON bodies take each value as the type their schema names: ``JsonInt``, ``JsonId`` and
  ``JsonFloat`` refuse ``true`` for 1 and ``"5"`` for 5, ``JsonBool`` refuses 1 and ``"yes"``,
  ``JsonDatetime`` and ``JsonDate`` take ISO 8601 text only, not a number of seconds (lax parsing
  would accept them all), and only within ``core.typed_dates``' range: a time at the calendar's
  edge (0001-01-01 in Beijing, 9999-12-31 behind UTC) has no UTC instant and was a 500.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, Strict

from homeward.core import typed_dates

# The largest value of a signed 64-bit column (SQLite INTEGER, PostgreSQL bigint and bigserial ids).
MAX_BIGINT = 2**63 - 1
# The largest value of a 32-bit column (PostgreSQL integer: IntegerField).
MAX_INT = 2**31 - 1

Id = Annotated[int, Field(ge=1, le=MAX_BIGINT)]
"""A primary key from the client in a path or query (text parsed as a number): positive and within
a bigint."""
JsonId = Annotated[int, Strict(), Field(ge=1, le=MAX_BIGINT)]
"""A primary key in a JSON body: a JSON integer, positive and within a bigint."""
JsonInt = Annotated[int, Strict()]
JsonFloat = Annotated[float, Strict()]  # a JSON number (an integer too), never a boolean or a string
JsonBool = Annotated[bool, Strict()]


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str | dt.date):  # dt.datetime is a date too: a default or a test's value
        raise ValueError("expected an ISO 8601 date or date-time string")
    return value


JsonDatetime = Annotated[dt.datetime, BeforeValidator(_iso_text), AfterValidator(typed_dates.in_range)]
JsonDate = Annotated[dt.date, BeforeValidator(_iso_text), AfterValidator(typed_dates.in_range)]


# The reason of an error answered by ninja or Django itself rather than by a DomainError.
REASONS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "throttled",
    500: "internal_error",
}
MESSAGES = {
    400: "请求无效 (bad request)",
    401: "请先登录 (sign in first)",
    403: "无权访问 (forbidden)",
    404: "找不到该对象 (not found)",
    405: "不支持该请求方法 (method not allowed)",
    413: "请求过大 (request too large)",
    429: "请求过于频繁，请稍后再试 (too many requests)",
    500: "服务器内部错误，已记录 (internal error; it has been logged)",
}


class ErrorOut(Schema):
    """The body of every error answer under /api/v1/."""

    status: int
    reason: str  # stable, for machines: "not_found", "forbidden", "invalid_input", ...
    message: str  # for people, both languages: "中文说明 (english explanation)"
    localized_message: str  # for people, the half of ``message`` in the request's language
    errors: list[dict[str, Any]] | None = None  # the fields that failed validation (422 only)


# Every operation can answer these: a malformed request or input a rule refuses (400), input that
# does not validate (422), a failure of the server or its database (500, 503); and when it needs a
# session, none (401) or a refusal by role, scope or CSRF (403).
_PUBLIC = (400, 422, 500, 503)
_SIGNED_IN = (*_PUBLIC, 401, 403)


def answers(
    ok: Any, *, status: int = 200, errors: tuple[int, ...] = (), public: bool = False
) -> dict[int, Any]:
    """The ``response=`` of an operation: its success schema (``ok``, a schema answered with
    ``status``, or a ``{status: schema}`` dict) and ``ErrorOut`` for every error status it can
    answer: the common ones plus ``errors`` (404 not found or out of scope, 409 conflict)."""
    success = dict(ok) if isinstance(ok, dict) else {status: ok}
    common = _PUBLIC if public else _SIGNED_IN
    return success | dict.fromkeys(sorted({*common, *errors}), ErrorOut)


BINARY: dict[str, Any] = {"type": "string", "format": "binary"}
JSON_OBJECT: dict[str, Any] = {"type": "object"}


def answers_file(
    media_type: str, *, body: dict[str, Any] = BINARY, errors: tuple[int, ...] = (), public: bool = False
) -> dict[str, Any]:
    """The decorator arguments of an operation that answers a document (a PDF, GeoJSON) rather than
    a schema: ninja documents every response as ``application/json``, so the 200 is declared here
    with its real media type and ``body`` schema.
    Use as ``@router.get(path, **answers_file("application/pdf", errors=(404,)))``."""
    return {
        "response": answers({}, errors=errors, public=public),
        "openapi_extra": {
            "responses": {200: {"description": "OK", "content": {media_type: {"schema": body}}}}
        },
    }
