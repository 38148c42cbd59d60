"""Header tables (Chinese or English, case/space/BOM-insensitive) and finding the header row.

Every kind of upload (roster, police and carrier imports, an application's worker list, planning
resources) describes its columns as ``Columns`` and finds its header with ``locate_header``:
government sheets often carry a title row or two above the header.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from homeward.core.errors import DomainError

Kind = Literal["roster", "police", "carrier"]
KINDS: tuple[Kind, ...] = ("roster", "police", "carrier")
# How many non-blank rows from the top may come before the header row.
HEADER_SEARCH_ROWS = 10


def normalize_header(text: object) -> str:
    """``" ID Number\\ufeff"`` → ``"idnumber"``: NFKC, lower-case, no BOM, spaces, ``_`` or ``-``."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").replace("\u200b", "").lower()
    return "".join(ch for ch in s if not ch.isspace() and ch not in "_-")


@dataclass(frozen=True)
class Columns:
    """The columns of one kind of file: field → accepted spellings (the first Chinese and first
    English ones are canonical), and the fields a file must have."""

    fields: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    _lookup: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup = {normalize_header(a): f for f, aliases in self.fields.items() for a in aliases}
        object.__setattr__(self, "_lookup", lookup)

    def label(self, field_name: str) -> str:
        """``身份证号/id_number``: how a column is named in messages."""
        aliases = self.fields[field_name]
        return f"{aliases[0]}/{aliases[1]}"

    def recognised(self, headers: Sequence[object]) -> dict[int, str]:
        """Column index → field for every cell that names a field (a repeat included)."""
        out: dict[int, str] = {}
        for index, header in enumerate(headers):
            found = self._lookup.get(normalize_header(header)) if isinstance(header, str) else None
            if found is not None:
                out[index] = found
        return out

    def map(self, headers: Sequence[object]) -> dict[int, str]:
        """Column index → field for the recognised columns; unknown columns are ignored.

        Raises DomainError ``missing_column`` naming every required column that is absent, and
        ``duplicate_column`` when two columns mean the same field."""
        mapping: dict[int, str] = {}
        seen: dict[str, object] = {}
        for index, found in self.recognised(headers).items():
            if found in seen:
                raise DomainError(
                    f"列 {seen[found]!s} 与 {headers[index]!s} 重复，都表示 {self.label(found)} "
                    f"(two columns mean the same field)",
                    "duplicate_column",
                )
            seen[found] = headers[index]
            mapping[index] = found
        missing = [f for f in self.required if f not in seen]
        if missing:
            names = "、".join(self.label(f) for f in missing)
            raise DomainError(f"缺少列: {names} (missing columns)", "missing_column")
        return mapping


def locate_header(table: Iterator[tuple[int, list[object]]], columns: Columns) -> dict[int, str]:
    """Read rows from ``table`` until the header: the first of the first ``HEADER_SEARCH_ROWS``
    non-blank rows that names every required column. The rows after it stay in ``table``.

    Raises DomainError ``empty`` for a file without rows, else the ``missing_column`` (or
    ``duplicate_column``) error of the row that came closest, saying where the header was sought."""
    best: list[object] | None = None
    best_count = -1
    for tried, (_, values) in enumerate(table, start=1):
        recognised = set(columns.recognised(values).values())
        if all(f in recognised for f in columns.required):
            return columns.map(values)
        if len(recognised) > best_count:
            best, best_count = values, len(recognised)
        if tried >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise DomainError("文件是空的 (the file is empty)", "empty")
    try:
        return columns.map(best)
    except DomainError as exc:
        raise DomainError(
            f"前 {HEADER_SEARCH_ROWS} 行中没有表头。{exc.message} "
            f"(no header row in the first {HEADER_SEARCH_ROWS} rows)",
            exc.code,
        ) from None


# The three registry imports.
COLUMNS: dict[Kind, Columns] = {
    "roster": Columns(
        {
            "uscc": ("统一社会信用代码", "uscc", "社会信用代码", "信用代码", "unified_social_credit_code"),
            "enterprise_name": ("企业名称", "enterprise_name", "单位名称", "企业", "enterprise", "company"),
            "town": ("镇街", "town", "所属镇街", "镇(街道)", "镇街道", "所在镇街", "镇(街)"),
            "id_number": ("身份证号", "id_number", "身份证号码", "公民身份号码", "证件号码", "id_no"),
            "name": ("姓名", "name"),
            "phone": ("手机号", "phone", "手机号码", "手机", "mobile", "联系电话"),
            "insured_since": ("参保日期", "insured_since", "参保时间"),
        },
        # The USCC column may be absent: rows are then matched to enterprises by exact name.
        ("enterprise_name", "town", "id_number", "name", "phone"),
    ),
    "police": Columns(
        {
            "id_number": ("身份证号", "id_number", "身份证号码", "公民身份号码", "证件号码", "id_no"),
            "arrived_on": ("到达日期", "arrived_on", "来慈日期", "到达时间", "arrival_date"),
            "place": ("地点", "place", "登记地点", "到达地点"),
        },
        ("id_number", "arrived_on"),
    ),
    "carrier": Columns(
        {
            "date": ("日期", "date"),
            "county_code": ("所在区县代码", "county_code", "区县代码", "county"),
            "count": ("人数", "count", "数量"),
        },
        ("date", "county_code", "count"),
    ),
}
ALIASES: dict[Kind, Mapping[str, tuple[str, ...]]] = {kind: c.fields for kind, c in COLUMNS.items()}
REQUIRED: dict[Kind, tuple[str, ...]] = {kind: c.required for kind, c in COLUMNS.items()}


def check_kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise DomainError(
            f"未知的导入类型 {kind!r} (unknown import kind; use roster, police or carrier)", "kind"
        )
    return kind


def column_label(kind: Kind, field_name: str) -> str:
    return COLUMNS[kind].label(field_name)


def map_headers(kind: Kind, headers: Iterable[object]) -> dict[int, str]:
    """``Columns.map`` for a registry import kind."""
    return COLUMNS[check_kind(kind)].map(list(headers))
