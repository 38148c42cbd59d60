"""Resident identity numbers (居民身份证号码, GB 11643-1999).

An 18-character number is ``AAAAAA YYYYMMDD SSS C``: the area code of the county of first registration,
the birth date, a sequence number (odd for men, even for women) and an ISO 7064 MOD 11-2 check
character (``X`` stands for 10). Legacy 15-digit numbers (``AAAAAA YYMMDD SSS``, years 19YY) are
converted to 18 characters.

Checks run in a fixed order and each failure has a stable reason code:
``length`` → ``format`` → ``checksum`` → ``birth_date`` → ``area_code``.

The area code is checked against the history of codes (``regions.area_code_spans``), not today's list:
codes were retired, renamed and reused, and a person keeps the code of first registration for life.
A code is accepted when one of its periods of use overlaps ``[birth year, today's year]``; the
origin is resolved to today's county. Unlike ``stdnum.cn.ric`` we accept codes created after the
birth year (children registered after a county was renamed) and reject birth dates in the future.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from operator import mul
from typing import Literal

from homeward.core import regions
from homeward.core.errors import DomainError
from homeward.core.regions import AreaCodeSpan, Region

SpanSource = Callable[[str], Sequence[AreaCodeSpan]]
RegionSource = Callable[[str], Region | None]

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
_CHECK_CHARS = "10X98765432"  # index: (sum of weighted digits) mod 11
_ZERO_OFFSET = ord("0") * sum(_WEIGHTS)  # weighting ASCII bytes, then subtracting this, is faster than int()
_DIGITS = frozenset("0123456789")
_MIN_BIRTH_YEAR = 1900

MESSAGES: dict[str, str] = {
    "length": "号码长度应为18位或15位 (must be 18 or 15 characters long)",
    "format": "号码格式错误，应为数字，末位可为X (bad format: digits expected, the last may be X)",
    "checksum": "校验码错误 (bad checksum)",
    "birth_date": "出生日期无效 (invalid birth date)",
    "birth_date_nonexistent": "出生日期不存在 (no such birth date)",
    "birth_date_future": "出生日期晚于今天 (birth date is in the future)",
    "birth_date_too_early": "出生日期早于1900年 (birth date before 1900)",
    "area_code": "地区码无效 (unknown area code)",
    "area_code_unknown": "地区码不存在 (unknown area code)",
    "area_code_out_of_period": (
        "地区码在出生年份至今未曾使用 (area code was not in use between the birth year and today)"
    ),
}


@dataclass(frozen=True, slots=True)
class RicInspection:
    """The outcome of inspecting one resident ID number. Never raised; check ``valid``.

    ``number`` is the normalised 18-character number once length and format are right (even if a
    later check fails); ``code_at_issue`` its first six digits; ``origin_code``/``origin_name`` the
    county that code means today (None when invalid or when the code has no successor on record).
    """

    valid: bool
    reason: str | None
    message: str | None
    number: str | None
    birth_date: date | None
    code_at_issue: str | None
    origin_code: str | None
    origin_name: str | None
    sex: Literal["M", "F"] | None


def ric_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character ('0'–'9' or 'X') for the first 17 digits."""
    if len(first17) != 17 or not _DIGITS.issuperset(first17):
        raise ValueError(f"expected 17 ASCII digits, got {first17!r}")
    return _CHECK_CHARS[_weighted_sum(first17) % 11]


def _weighted_sum(first17: str) -> int:
    """Σ digit × weight for 17 ASCII digits (the caller has checked them)."""
    total: int = sum(map(mul, first17.encode("ascii"), _WEIGHTS))  # operator.mul beats int.__mul__ 2x
    return total - _ZERO_OFFSET


def _default_spans(code: str) -> Sequence[AreaCodeSpan]:
    return regions.area_code_spans(code)


def _default_region(code: str) -> Region | None:
    return regions.get(code)


@dataclass(frozen=True, slots=True)
class _Origin:
    code: str | None
    name: str | None


def _choose_span(spans: Sequence[AreaCodeSpan], birth_year: int, today_year: int) -> AreaCodeSpan | None:
    """The period of use that explains a number issued to someone born in ``birth_year``.

    Prefer a period containing the birth year (the latest-starting one if several do); otherwise the
    earliest period that began after the birth year and not after this year (first registration
    happened later). A code retired before the birth year explains nothing.
    """
    containing: AreaCodeSpan | None = None
    later: AreaCodeSpan | None = None
    for span in spans:
        last = today_year if span.last_year is None else span.last_year
        if span.first_year <= birth_year <= last:
            if containing is None or span.first_year > containing.first_year:
                containing = span
        elif birth_year < span.first_year <= today_year and (
            later is None or span.first_year < later.first_year
        ):
            later = span
    return containing if containing is not None else later


@lru_cache(maxsize=1 << 16)
def _resolve(
    spans_of: SpanSource, region_of: RegionSource, code: str, birth_year: int, today_year: int
) -> _Origin | str:
    """Today's county for ``code`` as issued around ``birth_year``, or the failure message key."""
    spans = spans_of(code)
    if not spans:
        return "area_code_unknown"
    span = _choose_span(spans, birth_year, today_year)
    if span is None:
        return "area_code_out_of_period"
    if span.current_code is None:
        return _Origin(None, span.name)
    region = region_of(span.current_code)
    if region is None:
        return _Origin(span.current_code, span.name)
    return _Origin(span.current_code, region.full_name or region.name)


def clear_origin_cache() -> None:
    """Forget cached origin lookups (after swapping region data, e.g. in tests)."""
    _resolve.cache_clear()


def _invalid(
    reason: str,
    message_key: str | None = None,
    *,
    number: str | None = None,
    birth_date: date | None = None,
    sex: Literal["M", "F"] | None = None,
) -> RicInspection:
    return RicInspection(
        valid=False,
        reason=reason,
        message=MESSAGES[message_key or reason],
        number=number,
        birth_date=birth_date,
        code_at_issue=number[:6] if number else None,
        origin_code=None,
        origin_name=None,
        sex=sex,
    )


def _clean(number: str) -> str:
    if not number.isascii():
        number = unicodedata.normalize("NFKC", number)  # full-width digits and Ｘ from Chinese IMEs
    return "".join(number.split()).upper()


def inspect_ric(
    number: str,
    *,
    today: date | None = None,
    spans: SpanSource | None = None,
    region: RegionSource | None = None,
) -> RicInspection:
    """Check a resident ID number and resolve where it was issued. Never raises for bad input.

    ``today`` defaults to ``date.today()``; ``spans`` and ``region`` default to the shipped region
    data (``regions.area_code_spans`` and ``regions.get``) and exist so tests can inject a history.
    """
    if today is None:
        today = date.today()
    s = _clean(number) if isinstance(number, str) else ""
    n = len(s)
    if n == 18:
        first17 = s[:17]
        if not _DIGITS.issuperset(first17) or s[17] not in _CHECK_CHARS:
            return _invalid("format")
        sex: Literal["M", "F"] = "M" if int(s[16]) % 2 else "F"
        if _CHECK_CHARS[_weighted_sum(first17) % 11] != s[17]:
            return _invalid("checksum", number=s, sex=sex)
    elif n == 15:
        if not _DIGITS.issuperset(s):
            return _invalid("format")
        first17 = s[:6] + "19" + s[6:]
        s = first17 + ric_check_char(first17)
        sex = "M" if int(s[16]) % 2 else "F"
    else:
        return _invalid("length")

    year = int(s[6:10])
    try:
        born = date(year, int(s[10:12]), int(s[12:14]))
    except ValueError:
        return _invalid("birth_date", "birth_date_nonexistent", number=s, sex=sex)
    if born > today:
        return _invalid("birth_date", "birth_date_future", number=s, sex=sex)
    if year < _MIN_BIRTH_YEAR:
        return _invalid("birth_date", "birth_date_too_early", number=s, sex=sex)

    origin = _resolve(
        _default_spans if spans is None else spans,
        _default_region if region is None else region,
        s[:6],
        year,
        today.year,
    )
    if isinstance(origin, str):
        return _invalid("area_code", origin, number=s, birth_date=born, sex=sex)
    return RicInspection(
        valid=True,
        reason=None,
        message=None,
        number=s,
        birth_date=born,
        code_at_issue=s[:6],
        origin_code=origin.code,
        origin_name=origin.name,
        sex=sex,
    )


normalize_ric = inspect_ric


def require_ric(
    number: str,
    *,
    today: date | None = None,
    spans: SpanSource | None = None,
    region: RegionSource | None = None,
) -> RicInspection:
    """Like ``inspect_ric`` but raise ``DomainError(message, reason)`` when the number is invalid."""
    result = inspect_ric(number, today=today, spans=spans, region=region)
    if not result.valid:
        assert result.reason is not None and result.message is not None
        raise DomainError(result.message, result.reason)
    return result
