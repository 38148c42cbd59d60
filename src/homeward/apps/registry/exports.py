"""Registry lists as .xlsx downloads; personal data stays masked, formulas are neutralised."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone

from homeward.apps.registry.models import Enterprise, Worker
from homeward.core import regions
from homeward.core.identity import mask_phone, mask_ric
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


def _worker_rows(qs: QuerySet[Worker]) -> Iterator[list[Any]]:
    for w in qs.iterator(chunk_size=2000):
        yield [
            w.name,
            mask_ric(w.id_number),
            mask_phone(w.phone),
            regions.full_name_or_code(w.origin_code),
            w.employer.name if w.employer else "",
            w.get_status_display(),
        ]


def workers_xlsx_response(qs: QuerySet[Worker]) -> HttpResponse:
    headers = ["姓名", "身份证号(脱敏)", "手机号(脱敏)", "籍贯", "企业", "状态"]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _download(f"workers-{stamp}.xlsx", xlsx_bytes(headers, _worker_rows(qs), sheet="务工人员"))
