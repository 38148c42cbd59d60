"""Reading import files: CSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GB18030 fallback), XLSX and
legacy XLS (first sheet), always within ``Limits`` (see ``limits``).

Rows stream as ``(row_number, values)`` where ``row_number`` is the spreadsheet row, so a report
can say "row 17" and the person finds it in Excel. Blank rows are skipped. The header need not be
on row 1: ``read_mapped`` looks for it in the first rows, below any title (see ``headers``). A
merged range's value is filled down its first column (see ``fill_merged``).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from homeward.core.errors import DomainError
from homeward.core.ingest.headers import COLUMNS, Columns, check_kind, locate_header
from homeward.core.ingest.limits import (
    Limits,
    UnreadableFile,
    check_sheet,
    check_size,
    check_zip_directory,
    inspect_zip,
    rows_within,
    scan_biff,
    too_many_rows,
)

Source = str | os.PathLike[str] | IO[bytes]
Row = tuple[int, dict[str, object]]
Table = Iterator[tuple[int, list[object]]]
Merge = tuple[int, int, int, int]

_XLSX_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CHUNK = 1 << 20
# Longest CSV line read at once: a line longer than this is refused rather than held in memory.
_MAX_LINE = 4 << 20
csv.field_size_limit(_MAX_LINE)

# Files people upload by mistake, named in the refusal.
_OTHER_TYPES = (
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7z"),
)


def _open_binary(source: Source) -> IO[bytes]:
    if isinstance(source, (str, os.PathLike)):
        try:
            return open(source, "rb")  # noqa: SIM115 - closed by the caller
        except OSError as exc:
            raise UnreadableFile(f"{Path(source).name}: {exc.strerror or exc}") from exc
    return source


def _wrong_type(name: str, *, zh: str = "", en: str = "") -> DomainError:
    """What the file is (``name``: a format's name, the same in both languages; else ``zh`` and
    ``en``), each half of the message in its own language (a bilingual name inside both halves was
    shown whole on either page)."""
    zh, en = zh or f"{name} 文件", en or f"a {name} file"
    return DomainError(
        f"文件类型不对 (wrong file type)：这是{zh} (this is {en})；"
        "请上传 .xlsx、.xls 或 .csv (upload .xlsx, .xls or .csv)",
        "wrong_type",
    )


def sniff_format(stream: IO[bytes]) -> str:
    """``"xlsx"``, ``"xls"`` or ``"csv"``, by content, not by file name; other types are refused."""
    start = stream.tell()
    head = stream.read(8192)
    stream.seek(start)
    if head.startswith((_XLSX_MAGIC, _EMPTY_ZIP)):
        return "xlsx"
    if head.startswith(_OLE_MAGIC):
        return "xls"
    for magic, what in _OTHER_TYPES:
        if head.startswith(magic):
            raise _wrong_type(what)
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _wrong_type("", zh="二进制文件", en="a binary file")
    return "csv"


# ------------------------------------------------------------------------------------------------
# CSV
# ------------------------------------------------------------------------------------------------


def _detect_encoding(stream: IO[bytes]) -> str:
    """UTF-16 by its BOM; UTF-8 (BOM or not) if the whole file decodes as UTF-8; else GB18030."""
    start = stream.tell()
    if stream.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        stream.seek(start)
        return "utf-16"
    stream.seek(start)
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


def _bounded_lines(text: IO[str]) -> Iterator[str]:
    while line := text.readline(_MAX_LINE):
        if len(line) >= _MAX_LINE and not line.endswith("\n"):
            raise UnreadableFile("有一行超过 4 MB (a line longer than 4 MB)")
        yield line


def _csv_rows(stream: IO[bytes]) -> Table:
    encoding = _detect_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    try:
        lines = _bounded_lines(text)
        first = next(lines, "")
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
        reader = csv.reader(_chain_first(first, lines), delimiter=delimiter)
        for row_number, values in enumerate(reader, start=1):
            yield row_number, list(values)
    except (UnicodeError, csv.Error) as exc:
        raise UnreadableFile(str(exc)) from exc
    finally:
        text.detach()


def _chain_first(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


# ------------------------------------------------------------------------------------------------
# XLSX and XLS
# ------------------------------------------------------------------------------------------------


def fill_merged(rows: Table, merges: Sequence[Merge]) -> Table:
    """Fill each merged range's value (held by its top-left cell) down the range's first column.

    Down, because a range spanning rows means "the same for these rows" (an enterprise's name beside
    each of its workers, a header spanning two header rows). Not right: a range spanning columns is
    layout (a title, a remark), and repeating it would put one value under several headers."""
    by_start: dict[int, list[Merge]] = {}
    for merge in merges:
        if merge[2] > merge[0]:
            by_start.setdefault(merge[0], []).append(merge)
    if not by_start:
        yield from rows
        return
    active: dict[int, tuple[object, int]] = {}  # column → (value, last row)
    for row_number, values in rows:
        for _first, column, last_row, _last in by_start.get(row_number, ()):
            value = values[column - 1] if column <= len(values) else None
            active[column] = (value, last_row)
        for column, (value, last_row) in list(active.items()):
            if row_number > last_row:
                del active[column]
            elif value is not None:
                if len(values) < column:
                    values.extend([None] * (column - len(values)))
                if values[column - 1] in (None, ""):
                    values[column - 1] = value
        yield row_number, values


def _xlsx_rows(stream: IO[bytes], limits: Limits) -> Table:
    import openpyxl

    scans = inspect_zip(stream, limits)
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to open a checked workbook is the file's
        raise UnreadableFile(f"不是有效的 .xlsx 文件 (not a valid .xlsx file: {type(exc).__name__})") from exc
    try:
        if not workbook.worksheets:
            raise UnreadableFile("工作簿中没有工作表 (the workbook has no worksheet)")
        sheet: Any = workbook.worksheets[0]
        scan = scans.get(sheet._worksheet_path)
        if scan is None:
            raise UnreadableFile("找不到第一个工作表 (the first worksheet is missing)")
        check_sheet(scan, limits)
        sheet.reset_dimensions()  # the dimension tag is not trusted: each row is as wide as it is
        raw = ((n, list(values)) for n, values in enumerate(sheet.iter_rows(values_only=True), start=1))
        yield from fill_merged(raw, scan.merges)
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - a truncated or malformed sheet inside a valid zip
        raise UnreadableFile(
            f"工作表已损坏或被截断 (the sheet is damaged or cut short: {type(exc).__name__})"
        ) from exc
    finally:
        workbook.close()


def _biff_stream(data: bytes, quiet: IO[str]) -> tuple[bytes, int, int]:
    """The BIFF workbook stream inside an OLE2 compound document: (bytes, offset, length)."""
    from xlrd.compdoc import CompDoc

    doc = CompDoc(data, logfile=quiet)
    for name in ("Workbook", "Book"):
        found = doc.locate_named_stream(name)
        if found[0] is not None:
            return found  # type: ignore[no-any-return]
    raise _wrong_type(
        "", zh="Office 文档，但不是 Excel 工作簿", en="an Office document, not an Excel workbook"
    )


def _xls_rows(stream: IO[bytes], limits: Limits) -> Table:
    import xlrd

    check_size(stream, limits)
    data = stream.read()
    try:
        with open(os.devnull, "w") as quiet:
            scan_biff(*_biff_stream(data, quiet), limits)
            book = xlrd.open_workbook(
                file_contents=data, formatting_info=True, on_demand=True, ragged_rows=True, logfile=quiet
            )
            del data
            sheet = book.sheet_by_index(0)
            merges = [(r1 + 1, c1 + 1, r2, c2) for r1, r2, c1, c2 in sheet.merged_cells]
            rows = [(n + 1, _xls_values(sheet, n, book.datemode)) for n in range(sheet.nrows)]
            book.release_resources()
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - xlrd and its compound-document reader raise many kinds
        raise UnreadableFile(f"不是有效的 .xls 文件 (not a valid .xls file: {type(exc).__name__})") from exc
    yield from fill_merged(iter(rows), merges)


# xlrd's cell types: XL_CELL_DATE, XL_CELL_BOOLEAN, XL_CELL_ERROR (empty cells read as "").
_XLS_DATE, _XLS_BOOLEAN, _XLS_ERROR = 3, 4, 5


def _xls_values(sheet: Any, n: int, datemode: int) -> list[object]:
    """Row ``n`` (0-based) without trailing empty cells; dates as datetimes, errors as None."""
    import xlrd

    types = bytes(sheet.row_types(n))
    width = len(types.rstrip(b"\x00\x05\x06"))
    values: list[object] = sheet.row_values(n, 0, width)
    kept = types[:width]
    if b"\x03" in kept or b"\x04" in kept or b"\x05" in kept:  # only such rows need a pass in Python
        for i, t in enumerate(kept):
            if t == _XLS_ERROR:
                values[i] = None
            elif t == _XLS_DATE:
                values[i] = xlrd.xldate.xldate_as_datetime(values[i], datemode)
            elif t == _XLS_BOOLEAN:
                values[i] = bool(values[i])
    return values


# ------------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------------


def _blank(values: list[object]) -> bool:
    return values.count(None) + values.count("") == len(values)  # counted in C: rows may be wide


def read_table(source: Source, limits: Limits) -> Generator[tuple[int, list[object]], None, None]:
    """Every non-blank row of the file's first sheet, as raw cell values, title and header rows
    included. Raises DomainError (``too_large``, ``too_many_rows``, ``unreadable``, …) before a
    row is parsed when a limit is exceeded, and while streaming when the rows go beyond one."""
    stream = _open_binary(source)
    try:
        check_size(stream, limits)
        kind = sniff_format(stream)
        if kind == "xlsx":
            rows = _xlsx_rows(stream, limits)
        elif kind == "xls":
            rows = _xls_rows(stream, limits)
        else:
            rows = _csv_rows(stream)
        for row in rows_within(rows, limits):
            if not _blank(row[1]):
                yield row
    finally:
        if stream is not source:
            stream.close()


def read_mapped(source: Source, columns: Columns, limits: Limits) -> Iterator[Row]:
    """Data rows as ``(row_number, {field: value})``: the header is found in the first rows (see
    ``headers.locate_header``), then at most ``limits.max_rows`` data rows follow.

    Raises DomainError ``empty``, ``missing_column``/``duplicate_column``, ``too_many_rows`` or any
    refusal of ``read_table``. The file is closed when the rows are exhausted or dropped."""
    table = read_table(source, limits)
    try:
        mapping = list(locate_header(table, columns).items())
        for count, (row_number, values) in enumerate(table, start=1):
            if count > limits.max_rows:
                raise too_many_rows(limits)
            n = len(values)
            yield row_number, {field: values[i] if i < n else None for i, field in mapping}
    finally:
        table.close()


def read_rows(source: Source, kind: str, limits: Limits) -> Iterator[Row]:
    """Data rows of a roster, police or carrier file with canonical field names."""
    return read_mapped(source, COLUMNS[check_kind(kind)], limits)


def rows_from_dicts(rows: Iterable[tuple[int, Mapping[str, object]]], kind: str) -> Iterator[Row]:
    """Rows given as dicts with any accepted header spelling, as canonical ``(row_number, dict)``."""
    columns = COLUMNS[check_kind(kind)]
    mapping: list[tuple[str, str]] | None = None
    for row_number, row in rows:
        if mapping is None:
            keys = list(row.keys())
            mapping = [(keys[i], field) for i, field in columns.map(keys).items()]
        yield row_number, {field: row.get(key) for key, field in mapping}


def rows_of(
    source: Source | Iterable[tuple[int, Mapping[str, object]]], kind: str, limits: Limits
) -> Iterator[Row]:
    """A path or binary stream (read as a file, within ``limits``) or an iterable of
    ``(row_number, dict)`` rows already in memory."""
    if isinstance(source, (str, os.PathLike)) or hasattr(source, "read"):
        return read_rows(source, kind, limits)  # type: ignore[arg-type]
    return rows_from_dicts(source, kind)


def precheck(source: Source, limits: Limits) -> str:
    """The checks that need no parsing, cheap enough for a web request: size, type and, for an
    .xlsx, its zip directory. Returns the format (``xlsx``, ``xls`` or ``csv``)."""
    stream = _open_binary(source)
    try:
        check_size(stream, limits)
        kind = sniff_format(stream)
        if kind == "xlsx":
            check_zip_directory(stream, limits)
        return kind
    finally:
        if stream is not source:
            stream.close()


def count_data_rows(source: Source, limits: Limits) -> int:
    """An estimate of the number of data rows, for progress bars (lines minus one for CSV, the
    longest sheet's rows for XLSX/XLS), checking the file's limits on the way."""
    stream = _open_binary(source)
    try:
        kind = precheck(stream, limits)
        if kind == "xlsx":
            rows = max((scan.rows for scan in inspect_zip(stream, limits).values()), default=0)
        elif kind == "xls":
            start = stream.tell()
            try:
                with open(os.devnull, "w") as quiet:
                    rows = scan_biff(*_biff_stream(stream.read(), quiet), limits)
            except DomainError:
                raise
            except Exception:  # noqa: BLE001 - an estimate only; reading reports the real error
                rows = 0
            stream.seek(start)
        else:
            rows = _csv_lines(stream)
        return max(rows - 1, 0)
    finally:
        if stream is not source:
            stream.close()


def _csv_lines(stream: IO[bytes]) -> int:
    start = stream.tell()
    lines = 0
    last = b"\n"
    while chunk := stream.read(_CHUNK):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    stream.seek(start)
    return lines + (last != b"\n")
