"""The range of dates a person may type anywhere (report days, pickup times, start dates, test
times). Python's calendar ends at 9999-12-31 and begins at 0001-01-01: a day at either end has no
next or previous day and no UTC instant for every local time, so a report of 9999-12-31 or a time
of 0001-01-01 00:00 Beijing failed deep inside with an overflow (a 500) instead of a clear error.
A campaign is planned within this century; anything outside is a typing error."""

from __future__ import annotations

from datetime import date, datetime

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


def in_range(value: date | datetime) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST
