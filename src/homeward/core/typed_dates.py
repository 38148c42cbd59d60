"""Dates and times people type (report days, pickup times, start dates, test times): parsed here,
and only within one range. Python's calendar ends at 9999-12-31 and begins at 0001-01-01: a day at
either end has no next or previous day and no UTC instant for every local time, so a report of
9999-12-31 or a time of 0001-01-01 00:00 Beijing failed deep inside with an overflow (a 500)
instead of a clear error. A campaign is planned within this century; anything outside is a typing
error."""

from __future__ import annotations

from datetime import date, datetime

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
