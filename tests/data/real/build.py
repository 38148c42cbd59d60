"""Writes the "real files" of #10 item 3: rosters and worker lists shaped as offices hold them.

    PYTHONPATH=src python -m tests.data.real.build      # rewrites tests/data/real/*

Each file is small and committed; this script is how they were made (and how to remake them).
The IDs are valid by construction, birth dates 1980-1999, area codes 341221 (临泉县) and 522401
(毕节市 until 2011, today 七星关区).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment

from homeward.core.identity import ric_check_char, uscc_check_char

HERE = Path(__file__).parent
ROSTER_HEADER = ["统一社会信用代码", "企业名称", "镇街", "身份证号", "姓名", "手机号", "参保日期"]
WORKERS_HEADER = ["身份证号", "姓名", "手机号", "接送区县", "健康码"]


def ric(n: int, area: str = "341221") -> str:
    first17 = f"{area}{dt.date(1980, 1, 1) + dt.timedelta(days=97 * n):%Y%m%d}{n % 1000:03d}"
    return first17 + ric_check_char(first17)


def uscc(n: int) -> str:
    first17 = f"91330282MA{n:07d}"
    return first17 + uscc_check_char(first17)


def phone(n: int) -> str:
    return f"1390000{n:04d}"


ENTERPRISES = [(uscc(1), "慈溪甲电器有限公司", "浒山街道"), (uscc(2), "慈溪乙塑料制品厂", "周巷镇")]


def worker_rows(count: int, start: int = 0) -> list[list[object]]:
    rows = []
    for i in range(start, start + count):
        code, name, town = ENTERPRISES[i % 2]
        rows.append(
            [
                code,
                name,
                town,
                ric(i, "522401" if i % 3 == 0 else "341221"),
                f"工人{i}",
                phone(i),
                "2019-03-01",
            ]
        )
    return rows


def write_csv(name: str, rows: list[list[object]], encoding: str = "utf-8-sig") -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    (HERE / name).write_bytes(out.getvalue().encode(encoding))


def roster_title_rows() -> None:
    """A title row merged across the sheet and a "filled in by" row above the header (row 3)."""
    wb = Workbook()
    ws = wb.active
    ws.append(["慈溪市2020年企业参保人员返岗名单"])
    ws.merge_cells("A1:G1")
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(["填报单位：慈溪甲电器有限公司", None, None, "填报日期：2020年2月10日"])
    ws.append(ROSTER_HEADER)
    for row in worker_rows(5):
        ws.append(row)
    wb.save(HERE / "roster_title_rows.xlsx")


def roster_merged_cells() -> None:
    """Each enterprise's USCC, name and town merged down beside its workers (3 and 2 rows)."""
    wb = Workbook()
    ws = wb.active
    ws.append(ROSTER_HEADER)
    rows = [
        [uscc(1), "慈溪甲电器有限公司", "浒山街道", ric(20), "赵一", phone(20), dt.date(2019, 3, 1)],
        [None, None, None, ric(21), "钱二", phone(21), dt.date(2019, 4, 1)],
        [None, None, None, ric(22, "522401"), "孙三", phone(22), dt.date(2019, 5, 1)],
        [uscc(2), "慈溪乙塑料制品厂", "周巷镇", ric(23), "李四", phone(23), dt.date(2018, 7, 1)],
        [None, None, None, ric(24), "周五", phone(24), None],
    ]
    for row in rows:
        ws.append(row)
    for column in "ABC":
        ws.merge_cells(f"{column}2:{column}4")
        ws.merge_cells(f"{column}5:{column}6")
    wb.save(HERE / "roster_merged_cells.xlsx")


def roster_legacy_xls() -> None:
    """Legacy .xls: a merged title row, the header on row 2, enterprise columns merged down, the
    insured-since column as Excel dates."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("名单")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    ws.write_merge(0, 0, 0, 6, "周巷镇2020年企业参保人员名单")
    for col, text in enumerate(ROSTER_HEADER):
        ws.write(1, col, text)
    ws.write_merge(2, 4, 0, 0, uscc(2))
    ws.write_merge(2, 4, 1, 1, "慈溪乙塑料制品厂")
    ws.write_merge(2, 4, 2, 2, "周巷镇")
    for r, n in enumerate(range(30, 33), start=2):
        ws.write(r, 3, ric(n))
        ws.write(r, 4, f"工人{n}")
        ws.write(r, 5, phone(n))
        ws.write(r, 6, dt.datetime(2019, 3, 1 + n - 30), date_style)
    book.save(str(HERE / "roster_legacy.xls"))


def workers_legacy_xls() -> None:
    """An enterprise's worker list as .xls with a title row above the header."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("Sheet1")
    ws.write_merge(0, 0, 0, 4, "慈溪甲电器有限公司 返岗接送人员名单")
    for col, text in enumerate(WORKERS_HEADER):
        ws.write(1, col, text)
    for r, n in enumerate(range(40, 43), start=2):
        for col, value in enumerate([ric(n), f"员工{n}", phone(n), "贵州省毕节市七星关区", "绿码"]):
            ws.write(r, col, value)
    book.save(str(HERE / "workers_legacy.xls"))


def roster_town_names() -> None:
    """The 镇街 column as offices write it; only 火星镇 is no town of the city."""
    written = [
        "浒山",
        "浒山街道",
        "浒山街道办事处",
        "慈溪市周巷镇",
        "浙江省宁波市慈溪市观海卫镇",
        "慈溪观海卫",
        "周　巷　镇",  # ideographic spaces
        "观城",  # a former name, recorded as an alias of 观海卫镇
        "火星镇",
    ]
    rows = [
        [uscc(1), "慈溪甲电器有限公司", town, ric(50 + i), f"工人{50 + i}", phone(50 + i), ""]
        for i, town in enumerate(written)
    ]
    write_csv("roster_town_names.csv", [ROSTER_HEADER, *rows])


def roster_no_uscc() -> None:
    """Rows without a USCC: two name an enterprise already registered (accepted, flagged), one a
    name nobody registered (rejected)."""
    rows = [
        ["", "慈溪甲电器有限公司", "浒山街道", ric(60), "工人60", phone(60), ""],
        [" ", "慈溪甲电器有限公司", "浒山街道", ric(61), "工人61", phone(61), ""],
        ["", "慈溪未登记五金厂", "浒山街道", ric(62), "工人62", phone(62), ""],
        [uscc(2), "慈溪乙塑料制品厂", "周巷镇", ric(63), "工人63", phone(63), ""],
    ]
    write_csv("roster_no_uscc.csv", [ROSTER_HEADER, *rows])


def roster_gbk_title() -> None:
    """A GBK CSV saved from a titled sheet: the title line, then the header on line 2."""
    write_csv(
        "roster_gbk_title.csv",
        [["慈溪市企业参保人员名单", "", "", "", "", "", ""], ROSTER_HEADER, *worker_rows(3, 70)],
        "gbk",
    )


def roster_15_rows_8_good() -> None:
    """15 rows, 8 good; the 7 bad ones each wrong in one field (row numbers as Excel shows them)."""
    good = worker_rows(8, 80)
    bad_checksum = ric(90)[:-1] + ("0" if ric(90)[-1] != "0" else "1")
    bad = [
        [
            uscc(1),
            "慈溪甲电器有限公司",
            "浒山街道",
            bad_checksum,
            "坏校验",
            phone(90),
            "",
        ],  # id_number checksum
        [uscc(1), "慈溪甲电器有限公司", "火星镇", ric(91), "无此镇", phone(91), ""],  # town unknown
        [uscc(1), "慈溪甲电器有限公司", "浒山街道", ric(92), "", phone(92), ""],  # name required
        [uscc(1), "慈溪甲电器有限公司", "浒山街道", ric(93), "坏手机", "12345", ""],  # phone
        [uscc(1), "慈溪甲电器有限公司", "浒山街道", good[0][3], "重复", phone(94), ""],  # duplicate_in_file
        [uscc(1), "慈溪甲电器有限公司", "浒山街道", ric(95), "坏日期", phone(95), "2019-13-45"],  # date
        ["91330282MA0000009", "慈溪甲电器有限公司", "浒山街道", ric(96), "坏代码", phone(96), ""],  # uscc
    ]
    rows = [good[0], bad[0], good[1], good[2], bad[1], bad[2], good[3], bad[3], good[4], bad[4], good[5], bad[5], good[6], bad[6], good[7]]  # fmt: skip
    write_csv("roster_15_rows_8_good.csv", [ROSTER_HEADER, *rows])


def main() -> None:
    roster_title_rows()
    roster_merged_cells()
    roster_legacy_xls()
    workers_legacy_xls()
    roster_town_names()
    roster_no_uscc()
    roster_gbk_title()
    roster_15_rows_8_good()
    for path in sorted(HERE.iterdir()):
        if path.suffix in (".csv", ".xlsx", ".xls"):
            print(f"{path.name} {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
