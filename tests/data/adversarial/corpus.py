"""The adversarial upload corpus (#9): every file an attacker or an unlucky office might upload.

Each case is built here, deterministically, rather than committed (the zip bomb alone is 3 MB).
``python -m tests.data.adversarial.corpus DIR`` writes them all out to look at. A case is a file
in one of two shapes: a roster import (``roster``) or an application's worker list (``workers``);
the file-level attacks carry a real header and real rows, so a reader that let them through
would import something.

``expect`` says what the case must get: ``refused`` (a DomainError naming its reason) or
``report`` (rows accepted or rejected one by one).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from homeward.core.identity import ric_check_char, uscc_check_char

ROSTER_HEADER = ["统一社会信用代码", "企业名称", "镇街", "身份证号", "姓名", "手机号", "参保日期"]
WORKERS_HEADER = ["身份证号", "姓名", "手机号", "接送区县", "健康码"]
GOOD_COUNTY = "520502"  # 毕节市七星关区 (current)
USCC = "91330282MA0000001" + uscc_check_char("91330282MA0000001")
ENTERPRISE = "慈溪甲电器有限公司"
TOWN = "浒山街道"


def ric(n: int) -> str:
    birth = dt.date(1980, 1, 1) + dt.timedelta(days=n % 9000)
    first17 = f"341221{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + ric_check_char(first17)


def good_row(shape: str, n: int) -> list[object]:
    """A row that imports cleanly (IDs differ for n < 9,000,000)."""
    number = ric(n) if n < 9000 else _ric_wide(n)
    if shape == "roster":
        return [USCC, ENTERPRISE, TOWN, number, f"工人{n}", f"139{n % 10**8:08d}", "2019-03-01"]
    return [number, f"工人{n}", f"139{n % 10**8:08d}", GOOD_COUNTY, "绿码"]


def _ric_wide(n: int) -> str:
    # Beyond 9,000 rows vary the birth date and the sequence together.
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=n // 1000)
    first17 = f"341221{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + ric_check_char(first17)


def header(shape: str) -> list[str]:
    return ROSTER_HEADER if shape == "roster" else WORKERS_HEADER


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


# ------------------------------------------------------------------------------------------------
# The zip bomb: written by hand, one deflate block repeated, so building it compresses 1 MiB only.
# ------------------------------------------------------------------------------------------------


def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def _hand_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already-deflated members: (name, deflate stream, crc32, unpacked size)."""
    out = io.BytesIO()
    central = []
    for name, stream, crc, size in members:
        encoded = name.encode()
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(stream), size, len(encoded), 0
            )
        )
        out.write(encoded)
        out.write(stream)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(stream),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )  # fmt: skip
            + encoded
        )
    start = out.tell()
    for entry in central:
        out.write(entry)
    end = out.tell()
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), end - start, start, 0))
    return out.getvalue()


def zip_bomb(shape: str = "workers", unpacked_mib: int = 2048) -> bytes:
    """An .xlsx of ~3 MB whose sheet unpacks to ``unpacked_mib`` MiB: a header, a good row, then the
    same row again and again (what sank the web worker)."""
    parts = _parts(xlsx_bytes([header(shape), good_row(shape, 1)]))
    sheet = parts["xl/worksheets/sheet1.xml"]
    head, tail = sheet.split(b"</sheetData>")
    row = b"<row>" + b"".join(b'<c t="inlineStr"><is><t>1</t></is></c>' for _ in header(shape)) + b"</row>"
    # Rows padded with blanks (legal between elements): a run of one byte deflates ~1,000-fold.
    padded = row + b" " * 8000
    block = padded * ((1 << 20) // len(padded))
    body = head[: head.index(b"<sheetData>") + len(b"<sheetData>")]
    rest = head[len(body) :] + b"</sheetData>" + tail
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(body + rest[: rest.index(b"</sheetData>")]) + compressor.flush(
        zlib.Z_FULL_FLUSH
    )
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = compressor.compress(rest[rest.index(b"</sheetData>") :]) + compressor.flush()
    repeats = unpacked_mib * (1 << 20) // len(block)
    crc = zlib.crc32(body + rest[: rest.index(b"</sheetData>")])
    for _ in range(repeats):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(rest[rest.index(b"</sheetData>") :], crc)
    size = len(body) + len(rest) + repeats * len(block)
    members = [
        (name, _raw_deflate(data), zlib.crc32(data), len(data))
        for name, data in parts.items()
        if name != "xl/worksheets/sheet1.xml"
    ]
    members.append(("xl/worksheets/sheet1.xml", first + repeated * repeats + last, crc, size))
    return _hand_zip(members)


# ------------------------------------------------------------------------------------------------
# The other cases
# ------------------------------------------------------------------------------------------------


def truncated_sheet(shape: str) -> bytes:
    """A valid zip whose sheet XML stops in the middle of row 31 (CRCs correct)."""
    parts = _parts(xlsx_bytes([header(shape), *(good_row(shape, n) for n in range(60))]))
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet[: sheet.index(b'<row r="31"') + 20]
    return _zip(parts)


def truncated_zip(shape: str) -> bytes:
    """An .xlsx cut in half (the download broke off)."""
    data = xlsx_bytes([header(shape), *(good_row(shape, n) for n in range(60))])
    return data[: len(data) // 2]


def xml_entities(shape: str) -> bytes:
    """Shared strings declaring nested entities (the "billion laughs")."""
    parts = _parts(xlsx_bytes([header(shape), good_row(shape, 1)]))
    lol = b'<!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    strings = parts.get("xl/sharedStrings.xml")
    target = "xl/sharedStrings.xml" if strings else "xl/worksheets/sheet1.xml"
    text = parts[target]
    decl_end = text.index(b"?>") + 2 if text.startswith(b"<?xml") else 0
    parts[target] = text[:decl_end] + lol + b"]>" + text[decl_end:].replace(b"<t>", b"<t>&lol9;", 1)
    return _zip(parts)


def many_parts(shape: str) -> bytes:
    parts = _parts(xlsx_bytes([header(shape), good_row(shape, 1)]))
    parts.update({f"xl/media/pad{i}.bin": b"" for i in range(1200)})
    return _zip(parts)


def wide_row(shape: str) -> bytes:
    """One row of 20,000 cells (more than Excel's 16,384 columns)."""
    parts = _parts(xlsx_bytes([header(shape), good_row(shape, 1)]))
    sheet = parts["xl/worksheets/sheet1.xml"]
    cells = b"".join(b"<c><v>1</v></c>" for _ in range(20_000))
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        b"</sheetData>", b"<row>" + cells + b"</row></sheetData>"
    )
    return _zip(parts)


def lying_dimension(shape: str) -> bytes:
    """A small sheet whose dimension tag claims A1:XFD1048576 (read as the rows it really has)."""
    parts = _parts(xlsx_bytes([header(shape), *(good_row(shape, n) for n in range(5))]))
    sheet = parts["xl/worksheets/sheet1.xml"]
    start = sheet.index(b'<dimension ref="')
    end = sheet.index(b'"', start + 16)
    parts["xl/worksheets/sheet1.xml"] = sheet[: start + 16] + b"A1:XFD1048576" + sheet[end:]
    return _zip(parts)


def docx_like(shape: str) -> bytes:
    """A zip that is a Word document, not a workbook."""
    types = b'<?xml version="1.0"?><Types><Override ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    return _zip({"[Content_Types].xml": types, "word/document.xml": b"<w:document/>"})


def rows_100k(shape: str) -> bytes:
    return csv_bytes([header(shape), *(good_row(shape, n) for n in range(100_000))])


def gbk_csv(shape: str) -> bytes:
    return csv_bytes([header(shape), *(good_row(shape, n) for n in range(5))], encoding="gbk")


def formulas(shape: str) -> bytes:
    """Cells that a spreadsheet would run: in the name, the ID and the phone."""
    rows = [good_row(shape, n) for n in range(4)]
    name_at = header(shape).index("姓名")
    id_at = header(shape).index("身份证号")
    phone_at = header(shape).index("手机号")
    rows[0][name_at] = "=cmd|' /C calc'!A0"
    rows[1][id_at] = '=HYPERLINK("http://evil.example","x")'
    rows[2][phone_at] = "@SUM(1+1)*cmd|' /C calc'!A0"
    return csv_bytes([header(shape), *rows])


def fullwidth_ids(shape: str) -> bytes:
    """ID numbers and phones typed in full-width digits (accepted as their ASCII forms)."""
    rows = [good_row(shape, n) for n in range(4)]
    wide = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    for row in rows:
        at = header(shape).index("身份证号")
        row[at] = str(row[at]).translate(wide)
    return csv_bytes([header(shape), *rows])


def wrong_headers(shape: str) -> bytes:
    return csv_bytes([["编号", "名字", "电话", "备注"], ["1", "王芳", "13812345678", ""]])


def empty(shape: str) -> bytes:
    return b""


def blank_lines(shape: str) -> bytes:
    return b"\r\n,,,\r\n\r\n"


def oversized(shape: str, size: int = 17 << 20) -> bytes:
    """A 17 MB CSV of one row repeated."""
    rows = [header(shape)]
    body = csv_bytes(rows)
    line = csv_bytes([good_row(shape, 1)])
    return body + line * (size // len(line) + 1)


def pdf(shape: str) -> bytes:
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def binary_noise(shape: str) -> bytes:
    return bytes((i * 7919) % 256 for i in range(4096))


def xls_padding(shape: str) -> bytes:
    """A legacy .xls of 30,000 rows each holding one cell in the last column (IV): 1 MB on disk,
    7.7 million cells once a reader pads every row."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("s")
    for col, text in enumerate(header(shape)):
        sheet.write(0, col, text)
    for r in range(1, 30_001):
        sheet.write(r, 255, 1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Reasons a file may be refused for before any of its rows is read: every upload path gives them.
FILE_LEVEL = frozenset(
    {
        "too_large", "too_many_parts", "unpacked_too_large", "compression_ratio", "too_many_rows",
        "too_many_cells", "too_many_columns", "wrong_type", "unreadable",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Case:
    """``refused``: shape → the reasons it may be refused for (the first the reader meets); a shape
    not named gets a row report."""

    name: str
    suffix: str
    build: Callable[[str], bytes]
    refused: dict[str, tuple[str, ...]]
    # Found while the rows stream (after the header), not before: a file with other columns
    # (a planning resource) is refused for those columns first.
    while_streaming: bool = False

    def expects_refusal(self, shape: str) -> bool:
        return shape in self.refused


def _both(*reasons: str) -> dict[str, tuple[str, ...]]:
    return {"roster": reasons, "workers": reasons}


CASES: tuple[Case, ...] = (
    Case("zip_bomb", ".xlsx", zip_bomb, _both("compression_ratio", "unpacked_too_large")),
    Case("truncated_sheet", ".xlsx", truncated_sheet, _both("unreadable"), while_streaming=True),
    Case("truncated_zip", ".xlsx", truncated_zip, _both("unreadable")),
    Case("xml_entities", ".xlsx", xml_entities, _both("unreadable")),
    Case("many_parts", ".xlsx", many_parts, _both("too_many_parts")),
    Case("wide_row", ".xlsx", wide_row, _both("too_many_columns")),
    Case("lying_dimension", ".xlsx", lying_dimension, {}),
    Case("docx_like", ".xlsx", docx_like, _both("wrong_type")),
    # 100,000 rows: a roster import takes them; a worker list holds at most 2,000.
    Case("rows_100k", ".csv", rows_100k, {"workers": ("too_large", "too_many_rows")}),
    Case("gbk", ".csv", gbk_csv, {}),
    Case("formulas", ".csv", formulas, {}),
    Case("fullwidth_ids", ".csv", fullwidth_ids, {}),
    Case("wrong_headers", ".csv", wrong_headers, _both("missing_column")),
    Case("empty", ".csv", empty, _both("empty")),
    Case("blank_lines", ".csv", blank_lines, _both("empty")),
    # Over the request-time limit (5 MB) and over the import limit the corpus test sets (16 MB).
    Case("oversized", ".csv", oversized, _both("too_large")),
    Case("pdf", ".xlsx", pdf, _both("wrong_type")),
    Case("binary_noise", ".csv", binary_noise, _both("wrong_type")),
    # Within an import's cell cap (a report of 30,000 empty rows), over a worker list's.
    Case("xls_padding", ".xls", xls_padding, {"workers": ("too_many_cells", "too_many_rows")}),
)


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "var/adversarial")
    out.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        for shape in ("roster", "workers"):
            path = out / f"{case.name}-{shape}{case.suffix}"
            path.write_bytes(case.build(shape))
            print(f"{path} {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
