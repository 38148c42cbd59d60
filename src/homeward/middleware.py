"""Middleware for what no view should have to handle itself.

- ``ApiErrorsAsJsonMiddleware``: under /api/, an error that Django answered itself is rewritten as
  the API's JSON error. Ninja's handlers (``homeward.api``) answer every error raised inside an
  operation; what is left is answered by Django before or after ninja runs: a URL that matches no
  route (``/api/v1/nope``, an id that is not a number), a method the route does not take (405), a
  crash in a middleware. Those come as HTML pages; an API client gets ``{status, reason, message}``.
- ``RefuseNulInQueryMiddleware``: a NUL character in the query string is refused (400) on every
  page and API operation. PostgreSQL cannot compare text with one, so a search or filter carrying
  it raised an error in the middle of the view (a 500); it has no meaning in any parameter.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponseBase, JsonResponse

from homeward.api_contract import MESSAGES, REASONS
from homeward.i18n import localized

API_PREFIX = "/api/"

GetResponse = Callable[[HttpRequest], HttpResponseBase]


def api_error(status: int, message: str | None = None) -> JsonResponse:
    """The API's error body (as ``homeward.api.error_response`` writes it) for an answer of Django's."""
    message = message or MESSAGES.get(status, "请求被拒绝 (refused)")
    return JsonResponse(
        {
            "status": status,
            "reason": REASONS.get(status, "http_error"),
            "message": message,
            "localized_message": localized(message),
        },
        status=status,
    )


class ApiErrorsAsJsonMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path_info.startswith(API_PREFIX)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        answer = api_error(response.status_code)
        if response.has_header("Allow"):  # a 405 says which methods the route takes
            answer["Allow"] = response["Allow"]
        return answer


class RefuseNulInQueryMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        names = [name for name, values in request.GET.lists() if "\x00" in name + "".join(values)]
        if names:
            message = f"参数 {names[0]} 含有 NUL 字符 (query parameter {names[0]} contains a NUL character)"
            if request.path_info.startswith(API_PREFIX):
                return api_error(400, f"{MESSAGES[400]}: {message}")
            raise BadRequest(message)
        return self.get_response(request)
