"""Reading import files: CSV (UTF-8, UTF-8 with BOM, GB18030 fallback) and XLSX (first sheet).

Rows stream as ``(row_number, values)`` where ``row_number`` is the spreadsheet row (header = 1),
so a report can say "row 17" and the person finds it in Excel. Blank rows are skipped.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import zipfile
from collections.abc import Generator, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from homeward.core.errors import DomainError
from homeward.core.ingest.headers import check_kind, map_headers, map_keys

Source = str | os.PathLike[str] | IO[bytes]
Row = tuple[int, dict[str, object]]

_XLSX_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 20
csv.field_size_limit(1 << 24)


class _Unreadable(DomainError):
    def __init__(self, detail: str) -> None:
        super().__init__(f"无法读取文件: {detail} (unreadable file)", "unreadable")


def _open_binary(source: Source) -> IO[bytes]:
    if isinstance(source, (str, os.PathLike)):
        try:
            return open(source, "rb")  # noqa: SIM115 - closed by the caller
        except OSError as exc:
            raise _Unreadable(f"{Path(source).name}: {exc.strerror or exc}") from exc
    return source


def sniff_format(source: Source) -> str:
    """``"xlsx"`` or ``"csv"``, by content (an .xlsx is a zip file), not by file name."""
    stream = _open_binary(source)
    try:
        start = stream.tell()
        head = stream.read(4)
        stream.seek(start)
    finally:
        if stream is not source:
            stream.close()
    if head == _XLSX_MAGIC:
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _Unreadable("旧版 .xls 格式不受支持，请另存为 .xlsx 或 .csv (legacy .xls is not supported)")
    return "csv"


def _detect_encoding(stream: IO[bytes]) -> str:
    """UTF-8 (BOM or not) if the whole file decodes as UTF-8, else GB18030."""
    start = stream.tell()
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "gb18030"
    stream.seek(start)
    return encoding


def _csv_rows(stream: IO[bytes]) -> Iterator[tuple[int, list[object]]]:
    encoding = _detect_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    try:
        first = text.readline()
        if not first.strip("\r\n\ufeff \t,"):
            return
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
        reader = csv.reader(_chain_first(first, text), delimiter=delimiter)
        for row_number, values in enumerate(reader, start=1):
            if row_number > 1 and not any(values):
                continue
            yield row_number, values  # type: ignore[misc]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _Unreadable(str(exc)) from exc
    finally:
        text.detach()


def _chain_first(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


def _xlsx_rows(stream: IO[bytes]) -> Iterator[tuple[int, list[object]]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _Unreadable(f"不是有效的 .xlsx 文件 (not a valid .xlsx file: {exc})") from exc
    try:
        sheet: Any = workbook.worksheets[0]
        for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if row_number > 1 and all(v is None or v == "" for v in values):
                continue
            yield row_number, list(values)
    finally:
        workbook.close()


def read_table(source: Source) -> Generator[tuple[int, list[object]], None, None]:
    """Every non-blank row of the file including the header (row 1), as raw cell values."""
    stream = _open_binary(source)
    try:
        kind = sniff_format(stream)
        rows = _xlsx_rows(stream) if kind == "xlsx" else _csv_rows(stream)
        yield from rows
    finally:
        if stream is not source:
            stream.close()


def read_rows(source: Source, kind: str) -> Iterator[Row]:
    """Data rows of an import file as ``(row_number, {field: value})`` with canonical field names.

    Raises DomainError ``missing_column``/``duplicate_column`` (when the header is read), ``empty``
    or ``unreadable``."""
    checked = check_kind(kind)
    table = read_table(source)
    try:
        _, header = next(table)
    except StopIteration:
        header = []
    if not any(v not in (None, "") for v in header):
        raise DomainError(
            "文件是空的，或第 1 行不是表头 (the file is empty or row 1 is not a header)", "empty"
        )
    mapping = list(map_headers(checked, header).items())
    for row_number, values in table:
        n = len(values)
        yield row_number, {field: values[i] if i < n else None for i, field in mapping}


def rows_from_dicts(rows: Iterable[tuple[int, Mapping[str, object]]], kind: str) -> Iterator[Row]:
    """Rows given as dicts with any accepted header spelling, as canonical ``(row_number, dict)``."""
    checked = check_kind(kind)
    mapping: list[tuple[str, str]] | None = None
    for row_number, row in rows:
        if mapping is None:
            mapping = list(map_keys(checked, row.keys()).items())
        yield row_number, {field: row.get(key) for key, field in mapping}


def rows_of(source: Source | Iterable[tuple[int, Mapping[str, object]]], kind: str) -> Iterator[Row]:
    """A path or binary stream (read as a file) or an iterable of ``(row_number, dict)`` rows."""
    if isinstance(source, (str, os.PathLike)) or hasattr(source, "read"):
        return read_rows(source, kind)  # type: ignore[arg-type]
    return rows_from_dicts(source, kind)


def count_data_rows(source: Source) -> int:
    """A quick estimate of the number of data rows (for progress bars): lines minus the header for
    CSV, the sheet's recorded dimension for XLSX."""
    stream = _open_binary(source)
    try:
        if sniff_format(stream) == "xlsx":
            import openpyxl

            try:
                workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
                sheet: Any = workbook.worksheets[0]
                total = int(sheet.max_row or 1)
                workbook.close()
            except Exception:  # noqa: BLE001 - an estimate only; reading reports real errors
                return 0
            return max(total - 1, 0)
        lines = 0
        last = b"\n"
        while chunk := stream.read(_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
        if last != b"\n":
            lines += 1
        return max(lines - 1, 0)
    finally:
        if stream is not source:
            stream.close()
