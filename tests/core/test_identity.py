"""Resident IDs, unified social credit codes, mobiles and masks (homeward.core.identity)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

import pytest

from homeward.cli import main
from homeward.core.errors import DomainError
from homeward.core.identity import (
    inspect_ric,
    mask_phone,
    mask_ric,
    normalize_mobile,
    normalize_ric,
    require_ric,
    ric_check_char,
    uscc_check_char,
    validate_uscc,
)
from homeward.core.identity import ric as ric_module
from homeward.core.regions import AreaCodeSpan, Region

TODAY = date(2025, 1, 15)

# A small, hand-written history of codes (the real one comes from regions.area_code_spans).
FAKE_SPANS: dict[str, tuple[AreaCodeSpan, ...]] = {
    "522421": (
        AreaCodeSpan("522421", "毕节县", 1980, 1993, "520502"),
        AreaCodeSpan("522421", "毕节市", 1994, 2011, "520502"),
    ),
    "520502": (AreaCodeSpan("520502", "七星关区", 2011, None, "520502"),),
    "330282": (AreaCodeSpan("330282", "慈溪市", 1988, None, "330282"),),
    "339009": (AreaCodeSpan("339009", "慈溪市", 1980, 1988, "330282"),),
    # reused: one county until 1988, another from 1996
    "222405": (
        AreaCodeSpan("222405", "旧县", 1980, 1988, "220104"),
        AreaCodeSpan("222405", "新县", 1996, None, "222405"),
    ),
    # retired without a successor on record
    "110199": (AreaCodeSpan("110199", "某县", 1980, 1990, None),),
}
FAKE_REGIONS = {
    "520502": Region("520502", "七星关区", "贵州省毕节市七星关区", "county", "520500", 27.3, 105.3),
    "330282": Region("330282", "慈溪市", "浙江省宁波市慈溪市", "county", "330200", 30.2, 121.3),
}


def fake_spans(code: str) -> Sequence[AreaCodeSpan]:
    return FAKE_SPANS.get(code, ())


def fake_region(code: str) -> Region | None:
    return FAKE_REGIONS.get(code)


def make_ric(area: str, birth: str, seq: str = "123") -> str:
    first17 = area + birth + seq
    return first17 + ric_check_char(first17)


def check(number: str, today: date = TODAY) -> ric_module.RicInspection:
    return inspect_ric(number, today=today, spans=fake_spans, region=fake_region)


# --- resident ID numbers ------------------------------------------------------------------------


def test_check_char_matches_known_examples() -> None:
    # The GB 11643 worked example and a number whose check character is X.
    assert ric_check_char("11010519491231002") == "X"
    assert ric_check_char("44052418800101001") == "4"
    with pytest.raises(ValueError):
        ric_check_char("1234")


def test_valid_number_is_resolved_to_todays_county() -> None:
    number = make_ric("330282", "19900101", "123")
    result = check(number)
    assert result.valid
    assert result.reason is None and result.message is None
    assert result.number == number
    assert result.birth_date == date(1990, 1, 1)
    assert result.code_at_issue == "330282"
    assert result.origin_code == "330282"
    assert result.origin_name == "浙江省宁波市慈溪市"
    assert result.sex == "M"  # the 17th digit (end of the sequence number) is odd
    assert normalize_ric(number, today=TODAY, spans=fake_spans, region=fake_region) == result


def test_sex_comes_from_the_17th_digit() -> None:
    assert check(make_ric("330282", "19900101", "123")).sex == "M"
    assert check(make_ric("330282", "19900101", "124")).sex == "F"


def test_lowercase_x_and_spaces_are_accepted() -> None:
    number = "11010519491231002X"
    assert ric_check_char(number[:17]) == "X"
    spans = {"110105": (AreaCodeSpan("110105", "朝阳区", 1980, None, "110105"),)}
    result = inspect_ric(
        " 110105 19491231 002x ", today=TODAY, spans=lambda c: spans.get(c, ()), region=lambda c: None
    )
    assert result.valid
    assert result.number == number
    assert result.origin_name == "朝阳区"  # no Region on record: falls back to the span's name


def test_full_width_input_is_normalised() -> None:
    number = make_ric("330282", "19900101")
    full_width = number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    assert check(full_width).number == number


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "length"),
        ("33028219900101123", "length"),
        ("3302821990010112345", "length"),
        ("33028219900101123A", "format"),
        ("3302821990O1011234", "format"),
        ("33028219900101X123", "format"),
        ("3302821990010112", "length"),
        ("33028290010112A", "format"),
    ],
)
def test_bad_shapes_fail_with_length_or_format(raw: str, reason: str) -> None:
    result = check(raw)
    assert not result.valid
    assert result.reason == reason
    assert result.number is None and result.birth_date is None and result.origin_code is None


def test_bad_checksum() -> None:
    number = make_ric("330282", "19900101")
    wrong = "0" if number[-1] != "0" else "1"
    result = check(number[:-1] + wrong)
    assert not result.valid
    assert result.reason == "checksum"
    assert result.message == "校验码错误 (bad checksum)"
    with pytest.raises(DomainError) as excinfo:
        require_ric(number[:-1] + wrong, today=TODAY, spans=fake_spans)
    assert excinfo.value.code == "checksum"


def test_checksum_is_checked_before_the_date() -> None:
    number = make_ric("330282", "19990230")
    assert check(number).reason == "birth_date"
    assert check(number[:-1] + ("1" if number[-1] != "1" else "2")).reason == "checksum"


def test_nonexistent_birth_date() -> None:
    result = check(make_ric("330282", "19990230"))
    assert not result.valid
    assert result.reason == "birth_date"
    assert result.birth_date is None
    assert result.message is not None and result.message.startswith("出生日期")


def test_future_birth_date_relative_to_today() -> None:
    number = make_ric("330282", "20250116")
    assert check(number, today=date(2025, 1, 15)).reason == "birth_date"
    assert check(number, today=date(2025, 1, 16)).valid  # born today is fine


def test_birth_before_1900() -> None:
    assert check(make_ric("330282", "18991231")).reason == "birth_date"


def test_unknown_area_code() -> None:
    result = check(make_ric("999999", "19900101"))
    assert not result.valid
    assert result.reason == "area_code"
    assert result.birth_date == date(1990, 1, 1)
    assert result.code_at_issue == "999999"
    assert result.origin_code is None
    with pytest.raises(DomainError) as excinfo:
        require_ric(make_ric("999999", "19900101"), today=TODAY, spans=fake_spans)
    assert excinfo.value.code == "area_code"


def test_retired_code_is_valid_for_people_born_before_retirement() -> None:
    result = check(make_ric("522421", "19900101"))
    assert result.valid
    assert result.code_at_issue == "522421"
    assert result.origin_code == "520502"
    assert result.origin_name == "贵州省毕节市七星关区"


def test_retired_code_is_invalid_for_people_born_after_retirement() -> None:
    result = check(make_ric("522421", "20150101"))
    assert not result.valid
    assert result.reason == "area_code"


def test_code_newer_than_the_birth_year_is_valid() -> None:
    # 520502 was created in 2011; a person born in 1990 may first be registered there.
    result = check(make_ric("520502", "19900101"))
    assert result.valid
    assert result.origin_code == "520502"


def test_code_newer_than_today_is_invalid() -> None:
    assert check(make_ric("520502", "19900101"), today=date(2010, 6, 1)).reason == "area_code"


def test_reused_code_is_resolved_by_birth_year() -> None:
    assert check(make_ric("222405", "19850101")).origin_code == "220104"  # first meaning
    assert check(make_ric("222405", "20000101")).origin_code == "222405"  # second meaning
    # born in the gap: first registered once the code was back in use
    assert check(make_ric("222405", "19900101")).origin_code == "222405"


def test_retired_code_without_successor_keeps_its_name() -> None:
    result = check(make_ric("110199", "19850101"))
    assert result.valid
    assert result.origin_code is None
    assert result.origin_name == "某县"


def test_fifteen_digit_numbers_are_converted() -> None:
    result = check("339009850101123")
    assert result.valid
    first17 = "33900919850101123"
    assert result.number == first17 + ric_check_char(first17)
    assert result.birth_date == date(1985, 1, 1)
    assert result.code_at_issue == "339009"
    assert result.origin_code == "330282"


def test_fifteen_digit_number_with_a_bad_date() -> None:
    assert check("330282990230123").reason == "birth_date"


def test_inspect_never_raises_on_junk() -> None:
    for junk in ["", "   ", "x" * 18, "\u0000" * 15, "１" * 18, "-" * 100]:
        assert not check(junk).valid


# --- unified social credit codes ---------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "914403001922038216",  # 华为技术有限公司
        "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
        "91330100716105852F",  # 阿里巴巴（中国）有限公司
    ],
)
def test_public_uscc_examples_are_valid(code: str) -> None:
    assert validate_uscc(code) == code
    assert uscc_check_char(code[:17]) == code[17]


def test_constructed_uscc_is_valid_and_normalised() -> None:
    first17 = "91330282MA2ABCDE1"
    code = first17 + uscc_check_char(first17)
    assert validate_uscc(" " + code.lower() + " ") == code


def test_uscc_check_char_31_is_written_0() -> None:
    # Find a prefix whose weighted sum is divisible by 31 and confirm the check character is "0".
    first16 = "9133028200000000"
    for c in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        if uscc_check_char(first16 + c) == "0":
            assert validate_uscc(first16 + c + "0")
            break
    else:  # pragma: no cover
        pytest.fail("no prefix with check character 0")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("", "length"),
        ("91440300192203821", "length"),
        ("9144030019220382166", "length"),
        ("91440300192203821I", "format"),  # I is not in the alphabet
        ("914A03001922038216", "format"),  # area code must be digits
        ("914403001922038217", "checksum"),
        ("91440300708461136X", "checksum"),
    ],
)
def test_bad_uscc(code: str, reason: str) -> None:
    with pytest.raises(DomainError) as excinfo:
        validate_uscc(code)
    assert excinfo.value.code == reason
    assert excinfo.value.message


# --- mobiles and masks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "008613812345678",
        "8613812345678",
        "(+86) 138-1234-5678",
    ],
)
def test_mobiles_are_normalised(raw: str) -> None:
    assert normalize_mobile(raw) == "13812345678"


@pytest.mark.parametrize(
    "raw", ["", "12812345678", "1381234567", "138123456789", "02161234567", "+1 138 1234 5678", "abc"]
)
def test_bad_mobiles(raw: str) -> None:
    with pytest.raises(DomainError) as excinfo:
        normalize_mobile(raw)
    assert excinfo.value.code == "phone"


def test_masks() -> None:
    assert mask_ric("330282199001011234") == "3302**********1234"
    assert mask_ric("33028219900101123x") == "3302**********123X"
    assert mask_ric("339009850101123") == "3390*******1123"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138-1234-5678") == "138****5678"
    for short in ["", "1", "12", "1234", "12345678"]:
        masked_ric, masked_phone = mask_ric(short), mask_phone(short)
        assert len(masked_ric) == len(short) == len(masked_phone)
        assert masked_ric.count("*") >= len(short) / 2
        assert masked_phone.count("*") >= len(short) / 2


# --- the CLI ----------------------------------------------------------------------------------------


@pytest.fixture
def fake_region_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ric_module, "_default_spans", fake_spans)
    monkeypatch.setattr(ric_module, "_default_region", fake_region)


def test_cli_inspect_valid(fake_region_data: None, capsys: pytest.CaptureFixture[str]) -> None:
    number = make_ric("522421", "19900101")
    assert main(["id", "inspect", number, "--today", "2025-01-15"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "valid": True,
        "reason": None,
        "message": None,
        "birth_date": "1990-01-01",
        "origin": {"code": "520502", "name": "贵州省毕节市七星关区", "code_at_issue": "522421"},
    }


def test_cli_inspect_invalid(fake_region_data: None, capsys: pytest.CaptureFixture[str]) -> None:
    number = make_ric("330282", "20300101")
    assert main(["id", "inspect", number, "--today", "2025-01-15"]) == 1
    raw = capsys.readouterr().out
    assert "出生日期" in raw  # ensure_ascii=False
    out = json.loads(raw)
    assert out["valid"] is False
    assert out["reason"] == "birth_date"
    assert out["birth_date"] is None
    assert out["origin"] == {"code": None, "name": None, "code_at_issue": "330282"}


def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["id", "--help"], ["id", "inspect", "--help"]):
        with pytest.raises(SystemExit) as excinfo:
            main(argv)
        assert excinfo.value.code == 0
    assert "--today" in capsys.readouterr().out


def test_cli_rejects_a_bad_today(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["id", "inspect", "330282199001011234", "--today", "yesterday"])
    assert excinfo.value.code == 2


# --- on the shipped region data ----------------------------------------------------------------


def real(number: str) -> ric_module.RicInspection:
    return inspect_ric(number, today=TODAY)


def test_real_bijie_retired_code_maps_to_qixingguan() -> None:
    # 522421 毕节县 was retired (毕节市 522401, then 七星关区 520502 from 2011).
    born_before = real(make_ric("522421", "19850101"))
    assert born_before.valid
    assert born_before.code_at_issue == "522421"
    assert born_before.origin_code == "520502"
    assert born_before.origin_name == "贵州省毕节市七星关区"
    assert real(make_ric("522421", "20150101")).reason == "area_code"


def test_real_code_newer_than_birth_year() -> None:
    result = real(make_ric("520502", "19900101"))  # 七星关区 exists since 2011
    assert result.valid
    assert result.origin_code == "520502"
    assert inspect_ric(make_ric("520502", "19900101"), today=date(2009, 1, 1)).reason == "area_code"


def test_real_cixi_old_code() -> None:
    result = real(make_ric("339009", "19850101"))
    assert result.valid
    assert result.origin_code == "330282"
    assert result.origin_name == "浙江省宁波市慈溪市"
    assert real("339009850101123").origin_code == "330282"  # a legacy 15-digit number


def test_real_reused_code_is_resolved_by_birth_year() -> None:
    # 132902 was 沧州新华区 until 1982, then 泊头市 from 1984.
    assert real(make_ric("132902", "19810101")).origin_code == "130902"
    assert real(make_ric("132902", "19880101")).origin_code == "130981"
    assert real(make_ric("132902", "19830101")).origin_code == "130981"  # born in the gap


def test_real_unknown_code() -> None:
    assert real(make_ric("999999", "19900101")).reason == "area_code"


def test_cli_on_real_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["id", "inspect", make_ric("522421", "19850101"), "--today", "2025-01-15"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["origin"] == {"code": "520502", "name": "贵州省毕节市七星关区", "code_at_issue": "522421"}
