"""Writing tables for download (every export goes through here): CSV and XLSX, headers + rows.

Cells that a spreadsheet would run as a formula (text starting with ``=``, ``+``, ``-``, ``@``, tab
or carriage return) are neutralised with a leading apostrophe; real numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Control characters that XLSX (XML 1.0) cannot hold.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralize_cell(value: object) -> object:
    """``"=1+1"`` → ``"'=1+1"``; numbers, dates, booleans and None are returned unchanged."""
    if isinstance(value, str):
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
        return value
    if value is None or isinstance(value, (bool, int, float, Decimal, date, datetime)):
        return value
    return neutralize_cell(str(value))


def neutralized_rows(rows: Iterable[Sequence[object]]) -> Iterator[list[object]]:
    for row in rows:
        yield [neutralize_cell(v) for v in row]


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def write_csv(
    stream: IO[str], headers: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = True
) -> int:
    """Write a CSV (UTF-8 with a BOM by default, so Excel shows Chinese); returns the row count."""
    if bom:
        stream.write("\ufeff")
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([neutralize_cell(h) for h in headers])
    count = 0
    for row in neutralized_rows(rows):
        writer.writerow([_csv_value(v) for v in row])
        count += 1
    return count


class _Echo:
    def write(self, value: str) -> str:
        return value


def iter_csv(headers: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = True) -> Iterator[str]:
    """The CSV as a stream of lines, for a streaming HTTP response."""
    writer: Any = csv.writer(_Echo(), lineterminator="\r\n")
    yield ("\ufeff" if bom else "") + writer.writerow([neutralize_cell(h) for h in headers])
    for row in neutralized_rows(rows):
        yield writer.writerow([_csv_value(v) for v in row])


def _xlsx_value(value: object) -> object:
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("", value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _sheet_title(title: str) -> str:
    cleaned = re.sub(r"[\\/*?:\[\]]", "_", title)[:31]
    return cleaned or "Sheet1"


def write_xlsx(
    target: str | os.PathLike[str] | IO[bytes],
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    sheet: str = "Sheet1",
) -> int:
    """Write a one-sheet XLSX (openpyxl write-only, so memory stays flat); returns the row count."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet: Any = workbook.create_sheet(title=_sheet_title(sheet))
    worksheet.append([_xlsx_value(neutralize_cell(h)) for h in headers])
    count = 0
    for row in neutralized_rows(rows):
        worksheet.append([_xlsx_value(v) for v in row])
        count += 1
    workbook.save(target)
    return count


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence[object]], *, sheet: str = "Sheet1") -> bytes:
    """The XLSX as bytes, for an HTTP response."""
    buffer = io.BytesIO()
    write_xlsx(buffer, headers, rows, sheet=sheet)
    return buffer.getvalue()


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = True) -> bytes:
    """The CSV as UTF-8 bytes (with a BOM by default)."""
    return "".join(iter_csv(headers, rows, bom=bom)).encode("utf-8")
