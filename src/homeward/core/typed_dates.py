"""Dates and times people type (report days, pickup times, start dates, test times): parsed here,
and only within one range. Python's calendar ends at 9999-12-31 and begins at 0001-01-01: a day at
either end has no next or previous day and no UTC instant for every local time, so a report of
9999-12-31 or a time of 0001-01-01 00:00 Beijing failed deep inside with an overflow (a 500)
instead of a clear error. A campaign is planned within this century; anything outside is a typing
error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from homeward.core.errors import DomainError

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


class OutOfRange(ValueError):
    """A well-formed date outside ``EARLIEST``..``LATEST``; its text says the range, in both languages."""

    def __init__(self) -> None:
        super().__init__(
            f"日期须在 {EARLIEST} 至 {LATEST} 之间 (the date must be between {EARLIEST} and {LATEST})"
        )


def in_range[When: (date, datetime)](value: When) -> When:
    """``value`` itself when its (local) day is within the range.

    Raises:
        OutOfRange: it is not.
    """
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise OutOfRange()
    return value


def parse_date(text: str) -> date:
    """An ISO ``YYYY-MM-DD`` day within the range.

    Raises:
        OutOfRange: a date outside the range.
        ValueError: not a date.
    """
    return in_range(date.fromisoformat(text.strip()))


def parse_datetime(text: str) -> datetime:
    """An ISO date and time (with or without its offset) within the range.

    Raises:
        OutOfRange: a date outside the range.
        ValueError: not a date and time.
    """
    return in_range(datetime.fromisoformat(text.strip()))


def read_date(text: str, *, not_a_date: str, code: str) -> date:
    """``parse_date`` for what a person typed: a ``DomainError(message, code)`` either way, the
    range's message when out of it, else ``not_a_date``."""
    return _read(parse_date, text, not_a_date, code)


def read_datetime(text: str, *, not_a_date: str, code: str) -> datetime:
    """``parse_datetime`` for what a person typed, as ``read_date``."""
    return _read(parse_datetime, text, not_a_date, code)


def _read[When: (date, datetime)](
    parse: Callable[[str], When], text: str, not_a_date: str, code: str
) -> When:
    try:
        return parse(text)
    except OutOfRange as exc:
        raise DomainError(str(exc), code) from None
    except ValueError:
        raise DomainError(not_a_date, code) from None
