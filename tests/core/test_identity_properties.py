"""Hypothesis properties of homeward.core.identity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeward.core.errors import DomainError
from homeward.core.identity import (
    USCC_CHARS,
    inspect_ric,
    mask_ric,
    ric_check_char,
    uscc_check_char,
    validate_uscc,
)
from homeward.core.regions import AreaCodeSpan, Region

TODAY = date(2025, 1, 15)


def every_code_always(code: str) -> Sequence[AreaCodeSpan]:
    return (AreaCodeSpan(code, "某县", 1900, None, code),)


def no_region(code: str) -> Region | None:
    return None


def check(number: str) -> bool:
    return inspect_ric(number, today=TODAY, spans=every_code_always, region=no_region).valid


areas = st.text("0123456789", min_size=6, max_size=6)
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sequences = st.text("0123456789", min_size=3, max_size=3)


@st.composite
def valid_rics(draw: st.DrawFn) -> str:
    first17 = draw(areas) + draw(births).strftime("%Y%m%d") + draw(sequences)
    return first17 + ric_check_char(first17)


@given(valid_rics())
def test_constructed_numbers_are_valid(number: str) -> None:
    result = inspect_ric(number, today=TODAY, spans=every_code_always, region=no_region)
    assert result.valid
    assert result.number == number
    assert result.birth_date is not None and result.birth_date.strftime("%Y%m%d") == number[6:14]
    assert result.sex == ("M" if int(number[16]) % 2 else "F")


@given(valid_rics(), st.integers(0, 16), st.integers(1, 9))
def test_changing_any_one_digit_breaks_the_checksum(number: str, position: int, delta: int) -> None:
    digit = str((int(number[position]) + delta) % 10)
    altered = number[:position] + digit + number[position + 1 :]
    result = inspect_ric(altered, today=TODAY, spans=every_code_always, region=no_region)
    assert not result.valid
    assert result.reason == "checksum"


@given(valid_rics(), st.sampled_from("0123456789X"))
def test_any_other_check_character_is_wrong(number: str, char: str) -> None:
    if char != number[17]:
        assert not check(number[:17] + char)


@given(valid_rics(), st.integers(0, 15))
def test_swapping_two_different_adjacent_digits_breaks_the_checksum(number: str, i: int) -> None:
    if number[i] != number[i + 1]:
        swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        assert not check(swapped)


@given(areas, st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)), sequences)
def test_fifteen_digits_convert_to_the_eighteen_digit_number(area: str, born: date, seq: str) -> None:
    legacy = area + born.strftime("%y%m%d") + seq
    first17 = area + born.strftime("%Y%m%d") + seq
    result = inspect_ric(legacy, today=TODAY, spans=every_code_always, region=no_region)
    assert result.valid
    assert result.number == first17 + ric_check_char(first17)


@given(st.text(max_size=30))
def test_inspect_never_raises(text: str) -> None:
    result = inspect_ric(text, today=TODAY, spans=every_code_always, region=no_region)
    assert result.valid == (result.reason is None)
    assert (result.message is None) == result.valid


@given(st.text(max_size=40))
def test_masks_keep_the_length_and_hide_at_least_half(text: str) -> None:
    cleaned = "".join(text.split()).upper()
    masked = mask_ric(text)
    assert len(masked) == len(cleaned)
    if len(cleaned) >= 15:
        assert masked == cleaned[:4] + "*" * (len(cleaned) - 8) + cleaned[-4:]
    else:
        assert masked.count("*") >= len(cleaned) / 2


uscc_bodies = st.tuples(
    st.text(USCC_CHARS, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(USCC_CHARS, min_size=9, max_size=9),
).map("".join)


@given(uscc_bodies, st.integers(0, 16), st.integers(1, 30))
def test_uscc_detects_any_single_substitution(body: str, position: int, delta: int) -> None:
    code = body + uscc_check_char(body)
    assert validate_uscc(code) == code
    char = USCC_CHARS[(USCC_CHARS.index(code[position]) + delta) % 31]
    altered = code[:position] + char + code[position + 1 :]
    if 2 <= position < 8 and not char.isdigit():
        return  # a format error, not a checksum one
    with pytest.raises(DomainError) as excinfo:
        validate_uscc(altered)
    assert excinfo.value.code == "checksum"
