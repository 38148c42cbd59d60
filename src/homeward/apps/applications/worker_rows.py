"""Checking an enterprise's worker list (.xlsx/.csv) row by row. No Django: the caller passes the
risk lookup, and decides afterwards which rows the application may hold (its roster, new hires).

Columns (Chinese or English headers): 身份证号/id_number, 姓名/name, 手机号/phone,
接送区县/pickup_county (6-digit code or full name), 健康码/health_code (绿/黄/红 or green/yellow/red);
optional: 新员工/new_hire (是/否, yes/no) with 新员工说明/new_hire_reason, for someone recruited since
the roster was filed. Each bad row yields ``RowError(row, field, reason, message)``; good rows yield
``WorkerRow``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from typing import IO

from homeward.core import regions
from homeward.core.errors import DomainError
from homeward.core.identity import inspect_ric, normalize_mobile
from homeward.core.ingest import Columns, Limits, RowError, cell_text, looks_like_formula, read_mapped
from homeward.core.ingest.validate import FORMULA, duplicate_message

COLUMNS = Columns(
    {
        "id_number": ("身份证号", "id_number", "身份证号码", "公民身份号码", "证件号码", "id_no"),
        "name": ("姓名", "name"),
        "phone": ("手机号", "phone", "手机号码", "手机", "mobile", "联系电话"),
        "pickup_county": (
            "接送区县",
            "pickup_county",
            "接送区县代码",
            "pickup_county_code",
            "上车区县",
            "接送地",
        ),
        "health_code": ("健康码", "health_code", "健康码状态", "健康码颜色"),
        "new_hire": ("新员工", "new_hire", "是否新员工"),
        "new_hire_reason": ("新员工说明", "new_hire_reason", "新员工原因"),
    },
    ("id_number", "name", "phone", "pickup_county", "health_code"),
)
REQUIRED = COLUMNS.required
MAX_REASON = 200
MAX_ROWS = 2000
MAX_NAME = 50

_HEALTH = {
    "green": "green", "绿": "green", "绿码": "green", "绿色": "green",
    "yellow": "yellow", "黄": "yellow", "黄码": "yellow", "黄色": "yellow",
    "red": "red", "红": "red", "红码": "red", "红色": "red",
}  # fmt: skip
_YES = {"是", "yes", "y", "true", "1", "新员工"}
_NO = {"", "否", "no", "n", "false", "0"}


@dataclass(frozen=True, slots=True)
class WorkerRow:
    row: int
    id_number: str
    name: str
    phone: str
    origin_code: str
    pickup_county_code: str
    health_code: str
    new_hire: bool = False
    new_hire_reason: str = ""


def label(field: str) -> str:
    return COLUMNS.label(field)


@cache
def _counties_by_name() -> dict[str, str]:
    by_name: dict[str, str] = {}
    for region in regions.all_regions():
        if regions.is_county(region.code):
            by_name[region.full_name] = region.code
    return by_name


def resolve_county(text: str) -> str | None:
    """A current county-level code from a 6-digit code or a full name (贵州省毕节市七星关区)."""
    text = "".join(text.split())
    if text.isdigit() and len(text) == 6:
        return text if regions.is_county(text) else None
    return _counties_by_name().get(text)


def read_worker_table(source: str | IO[bytes], limits: Limits) -> Iterator[tuple[int, dict[str, object]]]:
    """Rows as ``(row_number, {field: value})``, at most ``MAX_ROWS`` of them whatever ``limits``
    say; DomainError ``empty``/``missing_column``/``too_many_rows``/``unreadable``/…"""
    if limits.max_rows > MAX_ROWS:
        limits = replace(limits, max_rows=MAX_ROWS)
    return read_mapped(source, COLUMNS, limits)


def check_rows(
    rows: Iterable[tuple[int, Mapping[str, object]]],
    *,
    today: date,
    high_risk: Callable[[str], bool],
) -> Iterator[WorkerRow | RowError]:
    """Check each row: ID (checksum, date, area code), not twice, name, mobile, pickup county
    (current), health code green, the pickup county not high-risk, a new hire with its reason."""
    seen: dict[str, int] = {}
    for row, values in rows:
        text = {f: cell_text(values.get(f)) for f in COLUMNS.fields}
        ric = inspect_ric(text["id_number"], today=today)
        if not text["id_number"]:
            yield RowError(row, "id_number", "required", "必填项为空 (required)")
            continue
        if not ric.valid:
            yield RowError(
                row, "id_number", ric.reason or "format", ric.message or "身份证号无效 (invalid ID)"
            )
            continue
        number = ric.number or ""
        if number in seen:
            yield RowError(row, "id_number", "duplicate_in_file", duplicate_message(seen[number]))
            continue
        seen[number] = row
        if not text["name"]:
            yield RowError(row, "name", "required", "必填项为空 (required)")
            continue
        if len(text["name"]) > MAX_NAME:
            yield RowError(
                row, "name", "too_long", f"超过 {MAX_NAME} 个字符 (longer than {MAX_NAME} characters)"
            )
            continue
        if looks_like_formula(text["name"]):
            yield RowError(row, "name", "formula", FORMULA)
            continue
        try:
            phone = normalize_mobile(text["phone"])
        except DomainError as exc:
            yield RowError(row, "phone", exc.code, exc.message)
            continue
        county = resolve_county(text["pickup_county"]) if text["pickup_county"] else None
        if county is None:
            reason = "required" if not text["pickup_county"] else "unknown_county"
            yield RowError(
                row, "pickup_county", reason,
                f"接送区县 “{text['pickup_county']}” 不是现行区县代码或全称 (not a current county)",
            )  # fmt: skip
            continue
        health = _HEALTH.get(text["health_code"].lower())
        if health is None:
            yield RowError(row, "health_code", "format", "健康码应为 绿/黄/红 (green, yellow or red)")
            continue
        if health != "green":
            yield RowError(
                row, "health_code", "health_code", "健康码非绿码，不能出行 (health code is not green)"
            )
            continue
        if high_risk(county):
            yield RowError(
                row, "pickup_county", "high_risk",
                "接送区县为高风险地区，暂不能接返 (the pickup county is high-risk)",
            )  # fmt: skip
            continue
        flag = text["new_hire"].lower()
        if flag not in _YES | _NO:
            yield RowError(row, "new_hire", "format", "新员工应为 是/否 (yes or no)")
            continue
        reason = text["new_hire_reason"]
        if flag in _YES and not reason:
            yield RowError(row, "new_hire_reason", "required", "新员工须填写说明 (a new hire needs a reason)")
            continue
        if len(reason) > MAX_REASON:
            yield RowError(row, "new_hire_reason", "too_long", f"超过 {MAX_REASON} 个字符 (too long)")
            continue
        yield WorkerRow(
            row, number, text["name"], phone, ric.origin_code or "", county, health,
            new_hire=flag in _YES, new_hire_reason=reason if flag in _YES else "",
        )  # fmt: skip
