"""Header alias tables for the three import kinds: Chinese or English, case/space/BOM-insensitive."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Literal

from homeward.core.errors import DomainError

Kind = Literal["roster", "police", "carrier"]
KINDS: tuple[Kind, ...] = ("roster", "police", "carrier")

# field -> accepted header spellings (the first Chinese and first English ones are canonical).
ALIASES: dict[Kind, dict[str, tuple[str, ...]]] = {
    "roster": {
        "uscc": ("统一社会信用代码", "uscc", "社会信用代码", "信用代码", "unified_social_credit_code"),
        "enterprise_name": ("企业名称", "enterprise_name", "单位名称", "企业", "enterprise", "company"),
        "town": ("镇街", "town", "所属镇街", "镇(街道)", "镇街道"),
        "id_number": ("身份证号", "id_number", "身份证号码", "公民身份号码", "证件号码", "id_no"),
        "name": ("姓名", "name"),
        "phone": ("手机号", "phone", "手机号码", "手机", "mobile"),
        "insured_since": ("参保日期", "insured_since", "参保时间"),
    },
    "police": {
        "id_number": ("身份证号", "id_number", "身份证号码", "公民身份号码", "证件号码", "id_no"),
        "arrived_on": ("到达日期", "arrived_on", "来慈日期", "到达时间", "arrival_date"),
        "place": ("地点", "place", "登记地点", "到达地点"),
    },
    "carrier": {
        "date": ("日期", "date"),
        "county_code": ("所在区县代码", "county_code", "区县代码", "county"),
        "count": ("人数", "count", "数量"),
    },
}

# Columns a file must have; the others may be left out (their values are then empty).
REQUIRED: dict[Kind, tuple[str, ...]] = {
    "roster": ("uscc", "enterprise_name", "town", "id_number", "name", "phone"),
    "police": ("id_number", "arrived_on"),
    "carrier": ("date", "county_code", "count"),
}


def normalize_header(text: object) -> str:
    """``" ID Number\\ufeff"`` → ``"idnumber"``: NFKC, lower-case, no BOM, spaces, ``_`` or ``-``."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").replace("\u200b", "").lower()
    return "".join(ch for ch in s if not ch.isspace() and ch not in "_-")


_LOOKUP: dict[Kind, dict[str, str]] = {
    kind: {normalize_header(alias): field for field, aliases in table.items() for alias in aliases}
    for kind, table in ALIASES.items()
}


def check_kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise DomainError(
            f"未知的导入类型 {kind!r} (unknown import kind; use roster, police or carrier)", "kind"
        )
    return kind


def column_label(kind: Kind, field: str) -> str:
    """``身份证号/id_number``: how a column is named in messages."""
    aliases = ALIASES[kind][field]
    return f"{aliases[0]}/{aliases[1]}"


def map_headers(kind: Kind, headers: Iterable[object]) -> dict[int, str]:
    """Column index → field for the recognised columns; unknown columns are ignored.

    Raises DomainError ``missing_column`` naming every required column that is absent, and
    ``duplicate_column`` when two columns mean the same field.
    """
    lookup = _LOOKUP[check_kind(kind)]
    mapping: dict[int, str] = {}
    seen: dict[str, object] = {}
    for index, header in enumerate(headers):
        field = lookup.get(normalize_header(header))
        if field is None:
            continue
        if field in seen:
            raise DomainError(
                f"列 {seen[field]!s} 与 {header!s} 重复，都表示 {column_label(kind, field)} "
                f"(two columns mean the same field)",
                "duplicate_column",
            )
        seen[field] = header
        mapping[index] = field
    missing = [f for f in REQUIRED[kind] if f not in seen]
    if missing:
        names = "、".join(column_label(kind, f) for f in missing)
        raise DomainError(f"缺少列: {names} (missing columns)", "missing_column")
    return mapping


def map_keys(kind: Kind, keys: Iterable[str]) -> dict[str, str]:
    """Like ``map_headers`` for rows given as dicts: original key → field."""
    key_list = list(keys)
    by_index = map_headers(kind, key_list)
    return {key_list[i]: field for i, field in by_index.items()}


def all_fields(kind: Kind) -> Mapping[str, tuple[str, ...]]:
    return ALIASES[kind]
