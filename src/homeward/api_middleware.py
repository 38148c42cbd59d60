"""Under /api/, an error that Django answered itself is rewritten as the API's JSON error.

Ninja's handlers (``homeward.api``) answer every error raised inside an operation. What is left is
answered by Django before or after ninja runs: a URL that matches no route (``/api/v1/nope``, an id
that is not a number), a method the route does not take (405), a crash in a middleware. Those come
as HTML pages; a client of the API gets ``{status, reason, message}`` instead.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase, JsonResponse

from homeward.api_contract import MESSAGES, REASONS

API_PREFIX = "/api/"


class ApiErrorsAsJsonMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path_info.startswith(API_PREFIX)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        answer = JsonResponse(
            {
                "status": status,
                "reason": REASONS.get(status, "http_error"),
                "message": MESSAGES.get(status, "请求被拒绝 (refused)"),
            },
            status=status,
        )
        if response.has_header("Allow"):  # a 405 says which methods the route takes
            answer["Allow"] = response["Allow"]
        return answer
