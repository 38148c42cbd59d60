"""core.ingest limits, formats and real-file shapes: what each check counts and when it refuses."""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import Workbook

from homeward.core.errors import DomainError
from homeward.core.ingest import COLUMNS, Limits, TownMatcher, locate_header, read_rows, read_table
from homeward.core.ingest import limits as limits_module
from homeward.core.ingest.limits import MB, check_size, inspect_zip
from homeward.core.ingest.reader import fill_merged

REAL = Path(__file__).resolve().parents[1] / "data" / "real"


def xlsx(rows, merges=()):
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for merge in merges:
        ws.merge_cells(merge)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class TestSize:
    def test_it_names_the_size_and_the_limit(self):
        with pytest.raises(DomainError) as info:
            check_size(io.BytesIO(b"x" * 2048), Limits(max_bytes=1024))
        assert (
            info.value.code == "too_large" and "2 KB" in info.value.message and "1 KB" in info.value.message
        )

    def test_an_upload_cut_off_at_the_limit_is_refused_by_the_size_it_declares(self):
        stream = io.BytesIO(b"")
        stream.size = 50 * MB  # type: ignore[attr-defined]
        with pytest.raises(DomainError) as info:
            check_size(stream, Limits(max_bytes=5 * MB))
        assert "50.0 MB" in info.value.message


class TestZipScan:
    def test_counts_do_not_depend_on_where_chunks_are_cut(self, monkeypatch):
        data = xlsx(
            [["a", "b", "c"], *([n, "x" * (n % 7), None] for n in range(300))], merges=["A2:A9", "B3:C3"]
        )
        whole = inspect_zip(io.BytesIO(data), Limits())
        monkeypatch.setattr(limits_module, "_CHUNK", 7)
        cut = inspect_zip(io.BytesIO(data), Limits())
        sheet = "xl/worksheets/sheet1.xml"
        tree = ElementTree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read(sheet))
        rows = tree.findall(".//{*}row")
        widest = max(len(r.findall("{*}c")) for r in rows)
        assert (whole[sheet].rows, whole[sheet].cells, whole[sheet].widest_row) == (
            len(rows),
            len(tree.findall(".//{*}c")),
            widest,
        )
        assert (cut[sheet].rows, cut[sheet].cells, cut[sheet].widest_row) == (
            whole[sheet].rows,
            whole[sheet].cells,
            whole[sheet].widest_row,
        )
        assert cut[sheet].merges == whole[sheet].merges == [(2, 1, 9, 1), (3, 2, 3, 3)]

    def test_rows_and_cells_are_counted_from_the_xml_not_the_dimension_tag(self):
        data = xlsx([["身份证号", "到达日期"], *([str(n), "2020-02-01"] for n in range(40))])
        with pytest.raises(DomainError) as info:
            list(read_table(io.BytesIO(data), Limits(max_rows=20)))
        assert info.value.code == "too_many_rows" and "20" in info.value.message
        with pytest.raises(DomainError) as info:
            list(read_table(io.BytesIO(data), Limits(max_cells=50)))
        assert info.value.code == "too_many_cells"

    def test_the_data_row_cap_counts_rows_below_the_header(self):
        data = "标题\n身份证号,到达日期\n" + "A,2020-02-01\n" * 3
        assert len(list(read_rows(io.BytesIO(data.encode()), "police", Limits(max_rows=3)))) == 3
        with pytest.raises(DomainError) as info:
            list(read_rows(io.BytesIO(data.encode()), "police", Limits(max_rows=2)))
        assert info.value.code == "too_many_rows"


class TestFormats:
    def test_utf16_text_exported_by_excel_is_read(self):
        text = "身份证号\t到达日期\r\nA\t2020-02-01\r\n"
        data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
        assert list(read_rows(io.BytesIO(data), "police", Limits())) == [
            (2, {"id_number": "A", "arrived_on": "2020-02-01"})
        ]

    @pytest.mark.parametrize("head", [b"%PDF-1.7", b"\x89PNG\r\n\x1a\n", b"\x00\x01\x02binary"])
    def test_other_file_types_are_refused_by_name(self, head):
        with pytest.raises(DomainError) as info:
            list(read_table(io.BytesIO(head + b"rest"), Limits()))
        assert info.value.code == "wrong_type" and ".xlsx、.xls 或 .csv" in info.value.message

    @pytest.mark.parametrize(
        "data",
        [b"%PDF-1.7 rest", b"\x00\x01\x02binary", b"PK\x03\x04" + bytes(range(256)) * 8,
         b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)],
    )  # fmt: skip
    def test_a_refused_file_is_told_in_each_language_on_its_own(self, data):
        # found by a Chromium walk: "这是 二进制 (binary) 文件" and the unreadable file's detail
        # did not split, so an English page showed the Chinese message or no detail at all
        from homeward.core.errors import bilingual_halves

        with pytest.raises(DomainError) as info:
            list(read_table(io.BytesIO(data), Limits()))
        halves = bilingual_halves(info.value.message)
        assert halves is not None, info.value.message
        chinese, english = halves
        assert not re.search(r"[\u4e00-\u9fff]", english), english
        assert len(english) > len("unreadable file") and chinese

    def test_a_legacy_xls_reads_its_dates_and_fills_its_merged_cells(self):
        rows = list(read_rows(REAL / "roster_legacy.xls", "roster", Limits()))
        assert [n for n, _ in rows] == [3, 4, 5]
        assert {r["enterprise_name"] for _, r in rows} == {"慈溪乙塑料制品厂"}
        assert rows[2][1]["insured_since"].date().isoformat() == "2019-03-03"


class TestHeaderRow:
    def test_a_title_and_a_note_above_the_header_are_skipped(self):
        table = iter(
            [(1, ["2020年名单"]), (2, ["填报单位：甲厂"]), (3, ["身份证号", "到达日期"]), (4, ["A", "B"])]
        )
        assert locate_header(table, COLUMNS["police"]) == {0: "id_number", 1: "arrived_on"}
        assert next(table) == (4, ["A", "B"])

    def test_no_header_in_the_first_rows_is_refused_naming_the_closest_row(self):
        rows = [(n, ["说明"]) for n in range(1, 11)] + [(11, ["身份证号", "到达日期"])]
        with pytest.raises(DomainError) as info:
            locate_header(iter(rows), COLUMNS["police"])
        assert info.value.code == "missing_column" and "前 10 行" in info.value.message

    def test_a_merged_header_spanning_two_header_rows_is_found(self):
        data = xlsx(
            [["身份证号", "到达", None], [None, "到达日期", "地点"], ["A", "2020-02-01", "余姚北"]], ["A1:A2"]
        )
        assert list(read_rows(io.BytesIO(data), "police", Limits())) == [
            (3, {"id_number": "A", "arrived_on": "2020-02-01", "place": "余姚北"})
        ]


class TestMerged:
    def test_values_fill_down_the_first_column_of_a_range_but_not_across(self):
        rows = [(1, ["甲", "标题", None]), (2, [None, None, "x"]), (3, [None]), (4, [None, "y"])]
        filled = list(fill_merged(iter(rows), [(1, 1, 3, 1), (1, 2, 1, 3)]))
        assert filled == [(1, ["甲", "标题", None]), (2, ["甲", None, "x"]), (3, ["甲"]), (4, [None, "y"])]


class TestTowns:
    matcher = TownMatcher(
        [("浒山街道", 1), ("周巷镇", 2), ("观海卫镇", 3), ("观城", 3), ("330282106", 2)],
        ["浙江省", "宁波市", "慈溪市"],
    )

    @pytest.mark.parametrize(
        ("written", "town"),
        [
            ("浒山", 1),
            ("浒山街道办事处", 1),
            ("慈溪市周巷镇", 2),
            ("浙江省宁波市慈溪市观海卫镇", 3),
            ("慈溪观海卫", 3),
            ("周　巷　镇", 2),
            ("观城", 3),
            ("观城镇", 3),
            ("330282106", 2),
            ("火星镇", None),
            ("慈溪市", None),
        ],
    )
    def test_it_matches_what_offices_write(self, written, town):
        assert self.matcher.match(written) == town
