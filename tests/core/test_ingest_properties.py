"""Hypothesis properties of the import parsers (#9 item 3): cells, headers, reader, validate.

Whatever a file holds, the parsers answer with values, row reports or a DomainError, never any
other exception; and no row is lost silently: every data row comes out as exactly one record or
one RowError.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeward.core.errors import DomainError
from homeward.core.identity import inspect_ric, ric_check_char, uscc_check_char
from homeward.core.ingest import (
    COLUMNS,
    Limits,
    RowError,
    TownMatcher,
    cell_text,
    locate_header,
    parse_count,
    parse_date,
    read_rows,
    read_table,
    validate_carrier,
    validate_police,
    validate_roster,
)
from homeward.core.ingest.export import _ILLEGAL_XML as ILLEGAL_XML
from homeward.core.ingest.limits import MB
from homeward.core.regions import AreaCodeSpan
from tests.data.adversarial.corpus import xlsx_bytes

settings.register_profile(
    "ingest", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ingest")

TODAY = dt.date(2020, 2, 10)
SMALL = Limits(max_bytes=2 * MB, max_unpacked_bytes=8 * MB, max_rows=500, max_cells=20_000)
TOWNS = TownMatcher([("浒山街道", 1), ("周巷镇", 2)], ["浙江省", "宁波市", "慈溪市"])
SPANS = {"341221": (AreaCodeSpan("341221", "临泉县", 1980, None, "341221"),)}
inspect = functools.partial(inspect_ric, spans=lambda code: SPANS.get(code, ()), region=lambda code: None)


def ric(n: int) -> str:
    first17 = f"341221{dt.date(1980, 1, 1) + dt.timedelta(days=n):%Y%m%d}{n % 1000:03d}"
    return first17 + ric_check_char(first17)


USCC = "91330282MA0000001" + uscc_check_char("91330282MA0000001")
# Text that looks like what offices type, and what attackers type.
SAMPLES = [
    "", " ", "\u3000", "浒山", "浒山街道", "慈溪市周巷镇", "周巷", "火星镇", "王芳", "=cmd|' /C calc'!A0", "@SUM(1)",
    "+1", "-", "13812345678", "１３８１２３４５６７８", "2020-02-01", "2020年2月1日", "20200231", "1,234",
    "9" * 40, USCC, ric(1), ric(2), ric(3)[:-1] + "0", "341221", "999999", "N/A", "#REF!",
]  # fmt: skip
text = st.one_of(
    st.sampled_from(SAMPLES),
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=30),
)
cells = st.one_of(
    st.none(),
    text,
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)


@given(cells)
def test_cell_text_takes_any_cell(value):
    assert isinstance(cell_text(value), str)


@given(cells)
def test_parse_date_and_count_return_a_value_or_raise_value_error_only(value):
    for parse, kind in ((parse_date, dt.date), (parse_count, int)):
        try:
            result = parse(value)
        except ValueError:
            continue
        assert result is None or isinstance(result, kind)


headers_alphabet = st.sampled_from(
    [h for c in COLUMNS.values() for aliases in c.fields.values() for h in aliases]
    + ["备注", "", "2020年名单", "序号"]
)
header_cells = st.one_of(st.none(), headers_alphabet, text, st.integers())


@given(st.sampled_from(list(COLUMNS)), st.lists(st.lists(header_cells, max_size=12), max_size=14))
def test_the_header_is_found_or_refused_with_a_domain_error(kind, rows):
    columns = COLUMNS[kind]
    table = iter(list(enumerate(rows, start=1)))
    try:
        mapping = locate_header(table, columns)
    except DomainError as exc:
        assert exc.code in ("empty", "missing_column", "duplicate_column")
        return
    assert set(columns.required) <= set(mapping.values())
    assert len(set(mapping.values())) == len(mapping)


VALID_XLSX = xlsx_bytes(
    [["身份证号", "到达日期", "地点"], [ric(1), "2020-02-01", "余姚北站"], [ric(2), 43862, None]]
)
VALID_CSV = "身份证号,到达日期\r\nA,2020-02-01\r\n".encode()


@given(st.binary(max_size=4096))
def test_any_bytes_read_as_rows_or_a_domain_error(data):
    try:
        rows = list(read_table(io.BytesIO(data), SMALL))
    except DomainError:
        return
    assert all(isinstance(n, int) and isinstance(values, list) for n, values in rows)


@given(
    st.sampled_from([VALID_XLSX, VALID_CSV]),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
    st.integers(0, 10**6),
)
def test_a_damaged_workbook_or_csv_reads_as_rows_or_a_domain_error(original, flips, cut):
    data = bytearray(original)
    for at, value in flips:
        data[at % len(data)] = value
    del data[len(data) - cut % len(data) :]
    with contextlib.suppress(DomainError):
        list(read_rows(io.BytesIO(bytes(data)), "police", SMALL))


row_dicts = st.lists(
    st.fixed_dictionaries({}, optional={f: cells for c in COLUMNS.values() for f in c.fields}), max_size=30
)


@given(row_dicts)
def test_each_row_becomes_exactly_one_record_or_row_error(rows):
    numbered = list(enumerate(rows, start=2))
    for results in (
        list(
            validate_roster(numbered, towns=TOWNS, today=TODAY, inspect=inspect, usccs_by_name={"甲厂": USCC})
        ),
        list(validate_police(numbered, today=TODAY, inspect=inspect)),
        list(validate_carrier(numbered)),
    ):
        assert [r.row for r in results] == [n for n, _ in numbered]
        assert all(isinstance(r, RowError) or r.row > 1 for r in results)


csv_cells = st.one_of(
    st.sampled_from(SAMPLES),
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20),
)


@given(st.lists(st.lists(csv_cells, min_size=7, max_size=7), max_size=40), st.booleans())
def test_no_roster_row_is_lost_between_the_file_and_the_report(rows, as_xlsx):
    """accepted + rejected = the data rows a spreadsheet shows (non-blank rows below the header)."""
    header = ["统一社会信用代码", "企业名称", "镇街", "身份证号", "姓名", "手机号", "参保日期"]
    if as_xlsx:
        # As typed into Excel: no control characters; text starting with "=" is a formula, which a
        # file saved by a program other than Excel holds without a value (read as empty).
        rows = [[ILLEGAL_XML.sub("", cell_text(v)) or None for v in row] for row in rows]
        data = xlsx_bytes([header, *rows])
        rows = [[None if v and v.startswith("=") else v for v in row] for row in rows]
    else:
        out = io.StringIO()
        csv.writer(out).writerows([header, *rows])
        data = out.getvalue().encode("utf-8")
    expected = sum(1 for row in rows if any(v not in (None, "") for v in row))
    results = list(
        validate_roster(
            read_rows(io.BytesIO(data), "roster", SMALL), towns=TOWNS, today=TODAY, inspect=inspect
        )
    )
    assert len(results) == expected
