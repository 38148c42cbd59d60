"""Turning spreadsheet cells (str, int, float, date, datetime, None) into clean values."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from homeward.core.ingest.export import FORMULA_PREFIXES

_EXCEL_EPOCH = date(1899, 12, 30)
_SEPARATED = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?",
    re.ASCII,
)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
_INT = re.compile(r"[+]?\d{1,3}(?:,\d{3})+|[+]?\d+", re.ASCII)
# Blanks around a cell value: ASCII whitespace, the ideographic space, BOM, zero-width and no-break.
STRIP = " \t\r\n\u3000\ufeff\u200b\xa0"


def cell_text(value: object) -> str:
    """Cell as text without surrounding blanks (incl. full-width and zero-width); integral floats
    lose their ``.0``; dates become ``YYYY-MM-DD``; None becomes ``""``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip(STRIP)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip(STRIP)


def looks_like_formula(text: str) -> bool:
    """Text a spreadsheet would run as a formula (``=cmd|…``, ``+1``, ``@SUM``): refused in fields
    stored as free text, so an export can never hand one back to Excel."""
    return text.startswith(FORMULA_PREFIXES)


def parse_date(value: object) -> date | None:
    """A date from ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYY.MM.DD``, ``YYYY年M月D日``, ``YYYYMMDD`` (an
    optional time of day is ignored), an Excel date cell, or an Excel serial number.

    Returns None for an empty cell; raises ValueError for anything else."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        value = int(value)
    if isinstance(value, int):
        if 19000101 <= value <= 29991231:
            return parse_date(str(value))
        if 1 <= value <= 2958465:  # Excel serial day number (1900 date system)
            return _EXCEL_EPOCH + timedelta(days=value)
        raise ValueError(value)
    text = cell_text(value)
    if not text:
        return None
    match = _SEPARATED.fullmatch(text) or _COMPACT.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return date(int(match[1]), int(match[2]), int(match[3]))


def parse_count(value: object) -> int | None:
    """A non-negative whole number (``1,234`` allowed); None for an empty cell; ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        number = int(value)
    else:
        text = cell_text(value)
        if not text:
            return None
        if text.endswith(".0"):
            text = text[:-2]
        if not _INT.fullmatch(text):
            raise ValueError(text)
        number = int(text.replace(",", ""))
    if number < 0:
        raise ValueError(number)
    return number
