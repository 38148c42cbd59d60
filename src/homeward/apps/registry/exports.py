"""Registry lists as .xlsx downloads (enterprises, in the request; the workers list is a background
export, ``services.exports``); formulas are neutralised."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone

from homeward.apps.registry.models import Enterprise
from homeward.core.ingest.export import XLSX_CONTENT_TYPE, xlsx_bytes


def _download(filename: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


def enterprises_xlsx_response(qs: QuerySet[Enterprise]) -> HttpResponse:
    headers = ["企业名称", "统一社会信用代码", "镇街", "行业", "规模", "重点企业", "参保人数", "已返", "未返"]
    rows: Iterable[list[Any]] = (
        [
            e.name,
            e.uscc,
            e.town.name,
            e.industry,
            e.get_size_display(),
            "是" if e.is_key else "否",
            *(getattr(e, count) for count in ("roster_count", "returned_count", "away_count")),
        ]
        for e in qs.iterator(chunk_size=2000)
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _download(f"enterprises-{stamp}.xlsx", xlsx_bytes(headers, rows, sheet="企业"))
