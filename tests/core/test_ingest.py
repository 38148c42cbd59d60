"""core.ingest: headers, reading, cell parsing, row validation and formula-safe export. No Django."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from homeward.core.errors import DomainError
from homeward.core.identity import inspect_ric, ric_check_char, uscc_check_char
from homeward.core.ingest import (
    Limits,
    RosterRecord,
    RowError,
    TownMatcher,
    csv_bytes,
    map_headers,
    neutralize_cell,
    parse_count,
    parse_date,
    read_rows,
    rows_from_dicts,
    validate_carrier,
    validate_police,
    validate_roster,
    write_csv,
    write_xlsx,
    xlsx_bytes,
)
from homeward.core.regions import AreaCodeSpan

TODAY = dt.date(2020, 2, 10)
LIMITS = Limits()
SPANS = {
    "341221": (AreaCodeSpan("341221", "临泉县", 1980, None, "341221"),),
    "522401": (AreaCodeSpan("522401", "毕节市", 1993, 2011, "520502"),),
}
inspect = functools.partial(inspect_ric, spans=lambda code: SPANS.get(code, ()), region=lambda code: None)


def ric(area: str, birth: dt.date, seq: int) -> str:
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first17 + ric_check_char(first17)


def uscc(n: int) -> str:
    first17 = f"91330282MA{n:07d}"
    return first17 + uscc_check_char(first17)


ID1, ID2, ID3 = (
    ric("341221", dt.date(1990, 1, 2), 11),
    ric("522401", dt.date(1985, 5, 6), 12),
    ric("341221", dt.date(1999, 9, 9), 13),
)
TOWNS = TownMatcher([("浒山街道", 1), ("周巷镇", 2), ("观海卫镇", 3)])


def roster(rows: list[dict[str, object]]) -> list[RosterRecord | RowError]:
    numbered = [(n, row) for n, row in enumerate(rows, start=2)]
    return list(
        validate_roster(rows_from_dicts(numbered, "roster"), towns=TOWNS, today=TODAY, inspect=inspect)
    )


def row(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "统一社会信用代码": uscc(1),
        "企业名称": "慈溪甲电器有限公司",
        "镇街": "浒山街道",
        "身份证号": ID1,
        "姓名": "王芳",
        "手机号": "13812345678",
        "参保日期": "2019-03-01",
    }
    base.update(overrides)
    return base


class TestHeaders:
    def test_it_accepts_chinese_english_mixed_case_spaces_and_a_bom(self):
        mapping = map_headers(
            "roster",
            ["\ufeff统一社会信用代码", " Enterprise Name ", "TOWN", "id-number", "姓名", "Phone", "备注"],
        )
        assert mapping == {0: "uscc", 1: "enterprise_name", 2: "town", 3: "id_number", 4: "name", 5: "phone"}

    def test_it_names_every_missing_column(self):
        with pytest.raises(DomainError) as info:
            map_headers("carrier", ["日期"])
        assert info.value.code == "missing_column"
        assert "所在区县代码/county_code" in info.value.message and "人数/count" in info.value.message

    def test_two_columns_for_one_field_are_refused(self):
        with pytest.raises(DomainError) as info:
            map_headers("police", ["身份证号", "id_number", "到达日期"])
        assert info.value.code == "duplicate_column"


class TestReading:
    def test_csv_in_utf8_with_bom_numbers_rows_like_a_spreadsheet(self, tmp_path: Path):
        path = tmp_path / "p.csv"
        path.write_bytes(
            "\ufeff身份证号,到达日期,地点\r\nA,2020-01-01,余姚北站\r\n,,\r\nB,2020-01-02,\r\n".encode()
        )
        assert list(read_rows(path, "police", LIMITS)) == [
            (2, {"id_number": "A", "arrived_on": "2020-01-01", "place": "余姚北站"}),
            (4, {"id_number": "B", "arrived_on": "2020-01-02", "place": ""}),
        ]

    def test_csv_in_gb18030_is_read(self, tmp_path: Path):
        path = tmp_path / "p.csv"
        path.write_bytes("身份证号,到达日期\nA,2020-01-01\n".encode("gb18030"))
        assert list(read_rows(path, "police", LIMITS)) == [
            (2, {"id_number": "A", "arrived_on": "2020-01-01"})
        ]

    def test_xlsx_is_read_with_typed_cells_and_short_rows(self, tmp_path: Path):
        wb = Workbook()
        ws = wb.active
        ws.append(["日期", "所在区县代码", "人数"])
        ws.append([dt.datetime(2020, 2, 1), "341221", 12])
        ws.append([])
        ws.append(["2020-02-02", "341221"])
        wb.save(tmp_path / "c.xlsx")
        rows = list(read_rows(tmp_path / "c.xlsx", "carrier", LIMITS))
        assert rows[0] == (2, {"date": dt.datetime(2020, 2, 1), "county_code": "341221", "count": 12})
        assert rows[1][0] == 4 and rows[1][1]["count"] is None

    def test_an_empty_or_unreadable_file_is_a_file_level_error(self, tmp_path: Path):
        (tmp_path / "e.csv").write_bytes(b"")
        with pytest.raises(DomainError) as info:
            list(read_rows(tmp_path / "e.csv", "police", LIMITS))
        assert info.value.code == "empty"
        (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
        with pytest.raises(DomainError) as info:
            list(read_rows(tmp_path / "bad.xlsx", "police", LIMITS))
        assert info.value.code == "unreadable"
        with pytest.raises(DomainError) as info:
            list(read_rows(tmp_path / "missing.csv", "police", LIMITS))
        assert info.value.code == "unreadable"


class TestCells:
    @pytest.mark.parametrize(
        "value",
        [
            "2020-02-01",
            "2020/2/1",
            "20200201",
            "2020.02.01",
            "2020年2月1日",
            " 2020-02-01 00:00:00 ",
            20200201,
            dt.datetime(2020, 2, 1, 8, 30),
            dt.date(2020, 2, 1),
            43862,
            43862.0,
        ],
    )
    def test_dates(self, value: object):
        assert parse_date(value) == dt.date(2020, 2, 1)

    @pytest.mark.parametrize("value", ["2020-02-30", "01/02/2020", "tomorrow", 1.5, "2020-1"])
    def test_bad_dates(self, value: object):
        with pytest.raises(ValueError):
            parse_date(value)

    def test_counts(self):
        assert [parse_count(v) for v in ("1,234", 12, 12.0, "7.0", None, "")] == [1234, 12, 12, 7, None, None]
        for bad in ("-1", -1, "1.5", "x", True):
            with pytest.raises(ValueError):
                parse_count(bad)


class TestRosterValidation:
    def test_a_good_row_becomes_a_record_with_origin_and_birth_date(self):
        [rec] = roster([row(镇街="浒山", 手机号="+86 138-1234-5678", 参保日期="2019/3/1")])
        assert isinstance(rec, RosterRecord)
        assert (rec.row, rec.uscc, rec.town_id, rec.id_number, rec.phone) == (
            2,
            uscc(1),
            1,
            ID1,
            "13812345678",
        )
        assert (rec.origin_code, rec.birth_date, rec.insured_since) == (
            "341221",
            dt.date(1990, 1, 2),
            dt.date(2019, 3, 1),
        )

    def test_an_old_area_code_resolves_to_todays_county(self):
        [rec] = roster([row(身份证号=ID2)])
        assert isinstance(rec, RosterRecord) and rec.origin_code == "520502"

    @pytest.mark.parametrize(
        ("overrides", "field", "reason"),
        [
            ({"统一社会信用代码": ""}, "uscc", "required"),
            (
                {"统一社会信用代码": uscc(1)[:-1] + "0" if uscc(1)[-1] != "0" else uscc(1)[:-1] + "1"},
                "uscc",
                "uscc",
            ),
            ({"企业名称": " "}, "enterprise_name", "required"),
            ({"镇街": "火星镇"}, "town", "unknown_town"),
            ({"身份证号": ID1[:-1] + ("1" if ID1[-1] == "0" else "0")}, "id_number", "checksum"),
            (
                {"身份证号": "34122119900230111" + ric_check_char("34122119900230111")},
                "id_number",
                "birth_date",
            ),
            ({"身份证号": ric("110101", dt.date(1990, 1, 1), 1)}, "id_number", "area_code"),
            ({"身份证号": "12345"}, "id_number", "length"),
            ({"身份证号": "3412211990010211AB"}, "id_number", "format"),
            ({"姓名": ""}, "name", "required"),
            ({"姓名": "王" * 51}, "name", "too_long"),
            ({"手机号": "02388886666"}, "phone", "phone"),
            ({"参保日期": "2019-02-30"}, "insured_since", "date"),
        ],
    )
    def test_each_bad_field_is_named_with_its_reason(self, overrides, field, reason):
        [err] = roster([row(**overrides)])
        assert isinstance(err, RowError)
        assert (err.row, err.field, err.reason) == (2, field, reason)
        assert err.message

    def test_duplicates_after_the_first_are_rejected_naming_the_first_row(self):
        out = roster(
            [row(), row(身份证号=ID3), row(姓名="又一个"), row(身份证号=ID1.lower().replace("x", "x"))]
        )
        assert [type(r).__name__ for r in out] == ["RosterRecord", "RosterRecord", "RowError", "RowError"]
        assert [(e.row, e.reason) for e in out if isinstance(e, RowError)] == [
            (4, "duplicate_in_file"),
            (5, "duplicate_in_file"),
        ]
        assert "第 2 行" in out[2].message  # type: ignore[union-attr]

    def test_a_row_rejected_for_another_field_still_claims_its_id(self):
        out = roster([row(手机号="bad"), row()])
        assert [(r.row, r.reason) for r in out if isinstance(r, RowError)] == [
            (2, "phone"),
            (3, "duplicate_in_file"),
        ]

    def test_an_empty_phone_and_insured_since_are_allowed(self):
        [rec] = roster([row(手机号="", 参保日期=None)])
        assert isinstance(rec, RosterRecord) and rec.phone == "" and rec.insured_since is None


class TestTownMatcher:
    def test_it_tolerates_a_missing_or_extra_suffix(self):
        m = TownMatcher([("浒山街道", 1), ("周巷镇", 2), ("白沙路", 3)])
        assert [m.match(v) for v in ("浒山街道", "浒山", "周巷", " 周巷镇 ", "白沙路街道", "火星")] == [
            1,
            1,
            2,
            2,
            3,
            None,
        ]


class TestPoliceAndCarrier:
    def test_police(self):
        rows = [
            (2, {"id_number": ID1, "arrived_on": "2020-02-01", "place": "余姚北站"}),
            (3, {"id_number": ID1, "arrived_on": dt.date(2020, 2, 1), "place": "余姚北站"}),
            (4, {"id_number": ID1, "arrived_on": "2020-02-11", "place": ""}),
            (5, {"id_number": ID2, "arrived_on": None, "place": ""}),
        ]
        out = list(validate_police(rows, today=TODAY, inspect=inspect))
        assert [getattr(r, "reason", "ok") for r in out] == ["ok", "duplicate_in_file", "date", "required"]

    def test_carrier(self):
        rows = [
            (2, {"date": "2020-02-01", "county_code": "341221", "count": "3"}),
            (3, {"date": "2020-02-01", "county_code": "341221", "count": "4"}),
            (4, {"date": "2020-02-01", "county_code": "999999", "count": "4"}),
            (5, {"date": "2020-02-01", "county_code": "34122", "count": "4"}),
            (6, {"date": "2020-02-02", "county_code": "341221", "count": "-4"}),
        ]
        out = list(validate_carrier(rows, county_exists=lambda code: code in SPANS))
        assert [getattr(r, "reason", "ok") for r in out] == [
            "ok",
            "duplicate_in_file",
            "unknown_county",
            "unknown_county",
            "number",
        ]


class TestExport:
    @pytest.mark.parametrize(
        "value", ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")']
    )
    def test_formula_like_text_is_neutralised(self, value: str):
        assert neutralize_cell(value) == "'" + value

    @pytest.mark.parametrize("value", [-2, 3.5, 0, None, True, dt.date(2020, 1, 1), "普通文本", ""])
    def test_other_values_are_kept(self, value: object):
        assert neutralize_cell(value) == value

    def test_xlsx_export_holds_no_formulas_and_keeps_numbers(self, tmp_path: Path):
        path = tmp_path / "x.xlsx"
        write_xlsx(path, ["名称", "数量"], [["=1+1", -5], ["@cmd", 2.5], ["ok\x01", None]], sheet="a/b")
        sheet = load_workbook(path).active
        cells = [[c.value for c in r] for r in sheet.iter_rows()]
        assert cells == [["名称", "数量"], ["'=1+1", -5], ["'@cmd", 2.5], ["ok", None]]
        assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)
        assert load_workbook(io.BytesIO(xlsx_bytes(["h"], [["=x"]]))).active["A2"].value == "'=x"

    def test_csv_export_has_a_bom_and_neutralised_cells(self):
        out = io.StringIO()
        assert write_csv(out, ["h1", "h2"], [["-1+2", -1], [dt.date(2020, 1, 2), None]]) == 2
        text = out.getvalue()
        assert text.startswith("\ufeff")
        assert list(csv.reader(io.StringIO(text[1:]))) == [["h1", "h2"], ["'-1+2", "-1"], ["2020-01-02", ""]]
        assert csv_bytes(["a"], [["=b"]]).decode("utf-8-sig") == "a\r\n'=b\r\n"
