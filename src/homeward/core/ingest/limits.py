"""Upload limits: bytes, rows, cells and unpacked size, checked before a spreadsheet is parsed.

A 3 MB ``.xlsx`` can hold a sheet that expands to gigabytes, and a small ``.xls`` can make its reader
pad millions of empty cells. Every upload path reads files through ``reader.read_table``, which
calls the checks here first:

- ``check_size``: the file's bytes (also the size an upload handler saw before it stopped storing);
- ``inspect_zip``: the zip's end record and central directory only (part count, each part's and
  the total unpacked size, each part's expansion ratio), then every part streamed once in bounded
  memory counting rows, cells, the widest row and shared strings as they really are (the sheet's
  ``dimension`` tag is not trusted), and collecting merged ranges;
- ``scan_biff``: the same counts over a legacy ``.xls`` workbook stream, record by record;
- ``rows_within``: the row and cell caps again while rows stream, as the last guard.

Each refusal is a DomainError whose message, in Chinese and English, names the limit.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from homeward.core.errors import DomainError

MB = 1 << 20
# Excel's own widest row: a row with more cells than this is not a spreadsheet row.
MAX_COLUMNS = 16_384
# Parts smaller than this may compress as well as they like (an empty sheet compresses 50-fold).
RATIO_FLOOR = 1 * MB
# Rows a title or a two-line header may take above the header row (see headers.locate_header).
HEADER_ROWS = 10
_CHUNK = 1 * MB
# A tag or text run longer than this without a ``>`` is not something a spreadsheet writes.
_MAX_CARRY = 8 * MB


@dataclass(frozen=True, slots=True)
class Limits:
    """What one upload may hold. ``max_rows`` counts data rows (below the header)."""

    max_bytes: int = 100 * MB
    max_unpacked_bytes: int = 512 * MB
    max_ratio: int = 100
    max_parts: int = 1_000
    max_rows: int = 1_000_000
    max_cells: int = 20_000_000


def size_text(n: int) -> str:
    """``3_250_000`` → ``"3.1 MB"``."""
    if n >= MB:
        return f"{n / MB:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} B"


class UnreadableFile(DomainError):
    def __init__(self, detail: str) -> None:
        # the detail follows as a part of its own: a bilingual detail splits into both halves, a
        # library's text is shown in both (it was the Chinese half only)
        super().__init__(f"无法读取文件 (unreadable file)：{detail}", "unreadable")


def too_large(size: int, limits: Limits) -> DomainError:
    limit = size_text(limits.max_bytes)
    return DomainError(
        f"文件大小 {size_text(size)} 超过上限 {limit} (the file is {size_text(size)}, over the {limit} upload limit)",
        "too_large",
    )


def too_many_rows(limits: Limits) -> DomainError:
    n = f"{limits.max_rows:,}"
    return DomainError(f"超过 {n} 行上限 (more than the limit of {n} rows)", "too_many_rows")


def too_many_cells(limits: Limits) -> DomainError:
    n = f"{limits.max_cells:,}"
    return DomainError(f"超过 {n} 个单元格上限 (more than the limit of {n} cells)", "too_many_cells")


def too_wide(columns: int) -> DomainError:
    return DomainError(
        f"一行有 {columns:,} 个单元格，超过 {MAX_COLUMNS:,} 列上限 (a row with more than {MAX_COLUMNS:,} cells)",
        "too_many_columns",
    )


def check_size(stream: IO[bytes], limits: Limits) -> int:
    """The stream's size in bytes (from its position to the end, position kept); refused above
    ``max_bytes``. A stream may also carry a ``size`` attribute: the size of an upload that a
    handler stopped storing at the limit, so that its refusal names the real size."""
    start = stream.tell()
    size = stream.seek(0, 2) - start
    stream.seek(start)
    declared = getattr(stream, "size", None)
    if isinstance(declared, int) and declared > size:
        size = declared
    if size > limits.max_bytes:
        raise too_large(size, limits)
    return size


# ------------------------------------------------------------------------------------------------
# Zip (.xlsx)
# ------------------------------------------------------------------------------------------------

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"


def _declared_parts(stream: IO[bytes], size: int) -> int:
    """The part count in the zip's end-of-central-directory record, read from the last 64 KB only
    (before ``zipfile`` builds one object per part)."""
    tail_len = min(size, 65_536 + 22)
    start = stream.tell()
    stream.seek(start + size - tail_len)
    tail = stream.read(tail_len)
    stream.seek(start)
    at = tail.rfind(_EOCD)
    if at < 0 or at + 22 > len(tail):
        raise UnreadableFile("不是有效的 .xlsx 文件 (not a valid .xlsx file: no zip directory)")
    (entries,) = struct.unpack_from("<H", tail, at + 10)
    if entries == 0xFFFF or tail[at - 20 : at - 16] == _ZIP64_LOCATOR:
        # A zip64 archive: the count lives in another record; a workbook never needs one.
        raise UnreadableFile("不支持 zip64 格式 (zip64 archives are not accepted)")
    return int(entries)


def _refuse_parts(n: int, limits: Limits) -> DomainError:
    return DomainError(
        f"文件包含 {n:,} 个部件，超过上限 {limits.max_parts:,} "
        f"(the workbook has {n:,} parts, over the limit of {limits.max_parts:,})",
        "too_many_parts",
    )


def _refuse_unpacked(total: int, limits: Limits) -> DomainError:
    limit = size_text(limits.max_unpacked_bytes)
    return DomainError(
        f"文件解压后达 {size_text(total)}，超过上限 {limit} "
        f"(the workbook unpacks to {size_text(total)}, over the {limit} limit)",
        "unpacked_too_large",
    )


def _check_directory(archive: zipfile.ZipFile, limits: Limits) -> None:
    infos = archive.infolist()
    if len(infos) > limits.max_parts:
        raise _refuse_parts(len(infos), limits)
    total = 0
    for info in infos:
        total += info.file_size
        if total > limits.max_unpacked_bytes:
            raise _refuse_unpacked(total, limits)
        if info.file_size > RATIO_FLOOR:
            ratio = info.file_size // max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise DomainError(
                    f"文件内 {info.filename[:60]} 解压后膨胀 {ratio:,} 倍，超过 {limits.max_ratio} 倍上限，"
                    f"疑似压缩炸弹 (a part expands {ratio:,}-fold, over the {limits.max_ratio}-fold limit)",
                    "compression_ratio",
                )


@dataclass(slots=True)
class PartScan:
    """What one part of an .xlsx holds, counted from its bytes as they unpack."""

    rows: int = 0
    cells: int = 0
    widest_row: int = 0
    strings: int = 0
    # (first row, first column, last row, last column), 1-based, as written in <mergeCell ref>.
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    head: bytes = b""


# Start tags of rows, cells and shared strings, with or without a namespace prefix.
_TAGS = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|si)[\s/>]")
_MERGE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref\s*=\s*[\"']([A-Za-z]{1,3})(\d{1,7})(?::([A-Za-z]{1,3})(\d{1,7}))?"
)


def column_number(letters: str) -> int:
    """``"A"`` → 1, ``"AB"`` → 28."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


class _Counter:
    """Counts tags over a part's bytes chunk by chunk; a chunk is cut after its last ``>`` so no tag
    is split, and the cells of a row that spans chunks are carried over."""

    def __init__(self, scan: PartScan, limits: Limits) -> None:
        self.scan = scan
        self.limits = limits
        self.row_cells = 0

    def feed(self, text: bytes) -> None:
        scan = self.scan
        if b"mergeCell" in text:
            for m in _MERGE.finditer(text):
                r1, c1 = int(m[2]), column_number(m[1].decode())
                r2, c2 = (int(m[4]), column_number(m[3].decode())) if m[3] else (r1, c1)
                scan.merges.append((r1, c1, r2, c2))
                if len(scan.merges) > self.limits.max_rows:
                    raise too_many_cells(self.limits)
        tags = b"".join(m[:1] for m in _TAGS.findall(text))  # b"r", b"c", b"s" per tag
        if not tags:
            return
        scan.strings += tags.count(b"s")
        runs = tags.replace(b"s", b"").split(b"r")
        self.row_cells += len(runs[0])
        for run in runs[1:]:
            scan.widest_row = max(scan.widest_row, self.row_cells)
            self.row_cells = len(run)
        scan.rows += len(runs) - 1
        scan.cells += len(tags) - tags.count(b"s") - (len(runs) - 1)
        scan.widest_row = max(scan.widest_row, self.row_cells)
        if scan.widest_row > MAX_COLUMNS:
            raise too_wide(scan.widest_row)
        if scan.cells > self.limits.max_cells:
            raise too_many_cells(self.limits)
        if scan.rows > self.limits.max_rows + HEADER_ROWS:
            raise too_many_rows(self.limits)
        if scan.strings > self.limits.max_cells:
            raise too_many_cells(self.limits)


def _scan_part(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, budget: list[int]
) -> PartScan:
    scan = PartScan()
    counter = _Counter(scan, limits)
    carry = b""
    with archive.open(info) as part:
        while chunk := part.read(_CHUNK):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise _refuse_unpacked(limits.max_unpacked_bytes - budget[0], limits)
            if len(scan.head) < 4096:
                scan.head += chunk[: 4096 - len(scan.head)]
            data = carry + chunk
            cut = data.rfind(b">") + 1
            counter.feed(data[:cut])
            carry = data[cut:]
            if len(carry) > _MAX_CARRY:
                raise UnreadableFile(
                    f"{info.filename[:60]} 含超长片段 (a run of more than 8 MB without a tag)"
                )
    return scan


# What zipfile raises for a damaged, encrypted or exotic archive (RuntimeError: a password is needed).
_ZIP_ERRORS = (
    zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError,
    RuntimeError, KeyError, struct.error, zlib.error,
)  # fmt: skip


def _open_zip(stream: IO[bytes], limits: Limits) -> zipfile.ZipFile:
    """The archive, once its end record and central directory passed: size, part count, each
    part's and the total unpacked size, each part's ratio. Nothing is unpacked yet."""
    size = check_size(stream, limits)
    parts = _declared_parts(stream, size)
    if parts > limits.max_parts:
        raise _refuse_parts(parts, limits)
    try:
        archive = zipfile.ZipFile(stream)
    except _ZIP_ERRORS as exc:
        raise UnreadableFile(f"不是有效的 .xlsx 文件 (not a valid .xlsx file: {exc})") from exc
    try:
        _check_directory(archive, limits)
    except BaseException:
        archive.close()
        raise
    return archive


def check_zip_directory(stream: IO[bytes], limits: Limits) -> None:
    """The checks of an .xlsx that read only its directory (cheap enough for a web request)."""
    start = stream.tell()
    try:
        _open_zip(stream, limits).close()
    finally:
        stream.seek(start)


def inspect_zip(stream: IO[bytes], limits: Limits) -> dict[str, PartScan]:
    """Check an .xlsx before anything parses it; returns each part's counts by name.

    Raises DomainError ``too_large``, ``too_many_parts``, ``unpacked_too_large``,
    ``compression_ratio``, ``too_many_rows``, ``too_many_cells``, ``too_many_columns``,
    ``wrong_type`` (a zip that is no workbook) or ``unreadable``."""
    start = stream.tell()
    try:
        with _open_zip(stream, limits) as archive:
            budget = [limits.max_unpacked_bytes]
            scans = {info.filename: _scan_part(archive, info, limits, budget) for info in archive.infolist()}
    except _ZIP_ERRORS as exc:
        raise UnreadableFile(f"不是有效的 .xlsx 文件 (not a valid .xlsx file: {exc})") from exc
    finally:
        stream.seek(start)
    types = scans.get("[Content_Types].xml")
    if types is None or b"spreadsheetml" not in types.head and b"ms-excel" not in types.head:
        raise DomainError(
            "这是一个 zip 文件，但不是 Excel 工作簿 (a zip file that is not an .xlsx workbook)", "wrong_type"
        )
    return scans


def check_sheet(scan: PartScan, limits: Limits) -> None:
    """The caps on the sheet that will be read (the counts of every part were bounded already)."""
    if scan.rows > limits.max_rows + HEADER_ROWS:
        raise too_many_rows(limits)
    if scan.cells > limits.max_cells:
        raise too_many_cells(limits)


# ------------------------------------------------------------------------------------------------
# Legacy .xls (BIFF8 inside an OLE2 compound document)
# ------------------------------------------------------------------------------------------------

# Cell records: each starts with (row, column) as two little-endian uint16.
_CELL_RECORDS = frozenset({0x0006, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6})
_MULTI_RECORDS = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK: (row, first col, ..., last col)
_BOF = 0x0809


def scan_biff(stream_bytes: bytes, base: int, size: int, limits: Limits) -> int:
    """Refuse a .xls whose sheets hold too many rows, or whose rows (padded by the reader up to
    their last cell) add up to more cells than the cap: what ``xlrd`` would allocate. Returns the
    row count of the longest sheet."""
    pos, end = base, base + size
    widths: dict[int, int] = {}
    slots = longest = 0

    def close_sheet() -> None:
        nonlocal slots, longest
        longest = max(longest, len(widths))
        if len(widths) > limits.max_rows + HEADER_ROWS:
            raise too_many_rows(limits)
        slots += sum(widths.values())
        if slots > limits.max_cells:
            raise too_many_cells(limits)
        widths.clear()

    unpack = struct.unpack_from
    while pos + 4 <= end:
        code, length = unpack("<HH", stream_bytes, pos)
        body = pos + 4
        pos = body + length
        if code == _BOF:
            close_sheet()
        elif code in _CELL_RECORDS and length >= 4:
            row, col = unpack("<HH", stream_bytes, body)
            if widths.get(row, 0) <= col:
                widths[row] = col + 1
        elif code in _MULTI_RECORDS and length >= 6:
            (row,) = unpack("<H", stream_bytes, body)
            (last,) = unpack("<H", stream_bytes, body + length - 2)
            if widths.get(row, 0) <= last:
                widths[row] = last + 1
    close_sheet()
    return longest


def rows_within(
    rows: Iterator[tuple[int, list[object]]], limits: Limits
) -> Iterator[tuple[int, list[object]]]:
    """Pass rows through while the file's rows and cells stay under the caps (header rows
    included in the slack of ``HEADER_ROWS``); the guard that holds whatever the format."""
    cells = 0
    cap_rows = limits.max_rows + HEADER_ROWS
    for count, row in enumerate(rows, start=1):
        cells += len(row[1])
        if count > cap_rows:
            raise too_many_rows(limits)
        if cells > limits.max_cells:
            raise too_many_cells(limits)
        yield row
