"""Typed dates: one range, and one way a typed day becomes a clear error (the code the caller
names; the range's message when out of it, the caller's when it is not a date at all)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from homeward.core import typed_dates
from homeward.core.errors import DomainError


@pytest.mark.parametrize("read", [typed_dates.read_date, typed_dates.read_datetime])
@pytest.mark.parametrize("text", ["1999-12-31", "2100-01-01", "0001-01-01", "9999-12-31"])
def test_a_day_outside_the_range_names_the_range_under_the_callers_code(read, text) -> None:
    with pytest.raises(DomainError) as caught:
        read(text, not_a_date="不是日期 (not a date)", code="bad_day")
    assert caught.value.code == "bad_day"
    assert "2000-01-01" in caught.value.message and "2099-12-31" in caught.value.message


@pytest.mark.parametrize("read", [typed_dates.read_date, typed_dates.read_datetime])
@pytest.mark.parametrize("text", ["", "2026-02-30", "明天", "2026-13-01"])
def test_what_is_not_a_date_gets_the_callers_message(read, text) -> None:
    with pytest.raises(DomainError) as caught:
        read(text, not_a_date="不是日期 (not a date)", code="bad_day")
    assert (caught.value.message, caught.value.code) == ("不是日期 (not a date)", "bad_day")


def test_a_day_within_the_range_is_read_as_typed() -> None:
    assert typed_dates.read_date(" 2026-12-06 ", not_a_date="x", code="c") == date(2026, 12, 6)
    at = typed_dates.read_datetime("2026-12-06T08:30", not_a_date="x", code="c")
    assert at == datetime(2026, 12, 6, 8, 30)
