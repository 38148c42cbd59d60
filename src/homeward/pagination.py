"""Paging of every list endpoint of the API (``NINJA_PAGINATION_CLASS`` names this class).

``limit`` is 1..``NINJA_PAGINATION_MAX_LIMIT`` and ``offset`` 0..``MAX_OFFSET``: anything else is a 422
JSON answer before a query runs (an offset beyond 2⁶³ used to crash the database driver). A list of
people is paginated with ``audit="worker"`` (or another object type): one audit event per page read,
with the filters and the row count, never the rows.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import LimitOffsetPagination

from homeward.apps.registry.personal_data import audit_list_read

MAX_LIMIT = int(ninja_settings.PAGINATION_MAX_LIMIT)
# Far beyond any table this system holds (a province's roster is ~20M rows), far below 2⁶³.
MAX_OFFSET = 1_000_000_000


class CappedLimitOffsetPagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(min(ninja_settings.PAGINATION_PER_PAGE, MAX_LIMIT), ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, *, audit: str = "", **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)
        self.audit = audit

    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        if self.audit:
            page["items"] = items = list(page["items"])
            audit_list_read(
                actor=request.user,
                what=self.audit,
                rows=len(items),
                total=page["count"],
                filters={**params, "limit": pagination.limit, "offset": pagination.offset},
            )
        return page
