"""Registry lists as .xlsx downloads; personal data goes out in its outward form
(``personal_data.person_out``) and each export of people is audited once; formulas are neutralised."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone

from homeward.apps.registry.models import Enterprise, Worker
from homeward.apps.registry.personal_data import audit_list_read, person_out
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


def _worker_rows(qs: QuerySet[Worker], counter: list[int]) -> Iterator[list[Any]]:
    for w in qs.iterator(chunk_size=2000):
        person = person_out(w)
        counter[0] += 1
        yield [
            w.name,
            person.id_number,
            person.phone,
            person.origin_name,
            w.employer.name if w.employer else "",
            w.get_status_display(),
        ]


def workers_xlsx_response(qs: QuerySet[Worker], *, actor: Any, filters: Mapping[str, Any]) -> HttpResponse:
    """The workers as .xlsx, masked; the export is audited with its filters and row count."""
    headers = ["姓名", "身份证号(脱敏)", "手机号(脱敏)", "籍贯", "企业", "状态"]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    written = [0]
    content = xlsx_bytes(headers, _worker_rows(qs, written), sheet="务工人员")
    audit_list_read(actor=actor, what="worker", rows=written[0], filters=filters, export=True)
    return _download(f"workers-{stamp}.xlsx", content)
