"""Row validation for the three import kinds: each row becomes a record or a RowError.

Validators are generators over ``(row_number, {field: value})`` (see ``reader.read_rows``) and keep
caches for values that repeat down a column (USCCs, enterprise names, towns, dates), so a 700,000
row roster validates in seconds. Duplicates within a file are rejected, never merged: every
occurrence after the first is a ``duplicate_in_file`` error naming the first row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date

from homeward.core.errors import DomainError
from homeward.core.identity import RicInspection, inspect_ric, normalize_mobile, validate_uscc
from homeward.core.ingest.cells import STRIP, cell_text, looks_like_formula, parse_count, parse_date
from homeward.core.ingest.reader import Row
from homeward.core.ingest.records import CarrierRecord, PoliceRecord, RosterRecord, RowError
from homeward.core.ingest.towns import TownMatcher

Inspect = Callable[..., RicInspection]
CountyCheck = Callable[[str], bool]

MAX_NAME = 50
MAX_ENTERPRISE_NAME = 200
MAX_PLACE = 100

_REQUIRED = "必填项为空 (required)"


def _too_long(limit: int) -> str:
    return f"超过 {limit} 个字符 (longer than {limit} characters)"


def _bad_date(text: str) -> str:
    return f"日期 “{text}” 无法识别，应为 YYYY-MM-DD、YYYY/MM/DD 或 YYYYMMDD (unrecognised date)"


FORMULA = "以 = + - @ 开头，像是表格公式，请填写纯文本 (looks like a spreadsheet formula)"
_NO_USCC = (
    "必填项为空，且没有名称完全相同的已登记企业 (required: no registered enterprise has exactly this name)"
)


def duplicate_message(first_row: int) -> str:
    return f"与第 {first_row} 行重复 (duplicate of row {first_row})"


class _DateCache:
    """parse_date with memory: most date columns hold few distinct values."""

    def __init__(self) -> None:
        self._cache: dict[object, date | None | ValueError] = {}

    def __call__(self, value: object) -> date | None:
        try:
            hit = self._cache[value]
        except KeyError:
            try:
                hit = parse_date(value)
            except ValueError as exc:
                hit = exc
            if len(self._cache) < 200_000:
                self._cache[value] = hit
        except TypeError:  # an unhashable cell value: parse without the cache
            return parse_date(value)
        if isinstance(hit, ValueError):
            raise hit
        return hit


def _check_id(row_number: int, value: object, inspect: Inspect, today: date) -> RicInspection | RowError:
    text = cell_text(value)
    if not text:
        return RowError(row_number, "id_number", "required", _REQUIRED)
    result = inspect(text, today=today)
    if not result.valid:
        return RowError(row_number, "id_number", result.reason or "format", result.message or "")
    return result


def _fast_mobile(text: str) -> bool:
    """An already-normal mainland mobile (11 ASCII digits, 1[3-9]…): what normalize_mobile returns
    unchanged, recognised without a regex."""
    return len(text) == 11 and text.isascii() and text.isdigit() and text[0] == "1" and text[1] in "3456789"


def validate_roster(
    rows: Iterable[Row],
    *,
    towns: TownMatcher,
    today: date,
    inspect: Inspect = inspect_ric,
    usccs_by_name: Mapping[str, str] | None = None,
) -> Iterator[RosterRecord | RowError]:
    """Roster rows → RosterRecord (worker, enterprise, insured_since) or the row's first error.

    Fields are checked in column order; a valid ID seen before (even on a rejected row) makes every
    later row with it a ``duplicate_in_file``. A row without a USCC takes the one of the registered
    enterprise whose name is exactly its enterprise name (``usccs_by_name``: only names that one
    enterprise holds); its record says so (``uscc_by_name``)."""
    by_name = usccs_by_name or {}
    # Caches keyed by the raw cell value: these columns repeat down a roster.
    usccs: dict[object, str | RowError] = {}
    names: dict[object, str] = {}
    town_ids: dict[object, int | None] = {}
    dates = _DateCache()
    seen: dict[str, int] = {}
    strip = STRIP
    for row_number, row in rows:
        get = row.get
        error: RowError | None = None

        raw = get("enterprise_name")
        try:
            enterprise_name = names[raw]
        except (KeyError, TypeError):
            enterprise_name = cell_text(raw)
            if len(names) < 100_000:
                names[raw] = enterprise_name

        raw = get("uscc")
        uscc_by_name = False
        try:
            uscc = usccs[raw]
        except (KeyError, TypeError):
            text = cell_text(raw)
            if not text:
                uscc = RowError(0, "uscc", "required", _NO_USCC)
            else:
                try:
                    uscc = validate_uscc(text)
                except DomainError as exc:
                    uscc = RowError(0, "uscc", "uscc", exc.message)
            if len(usccs) < 100_000:
                usccs[raw] = uscc
        if type(uscc) is RowError and uscc.reason == "required" and enterprise_name in by_name:
            uscc, uscc_by_name = by_name[enterprise_name], True
        if type(uscc) is RowError:
            error = RowError(row_number, "uscc", uscc.reason, uscc.message)

        if error is None:
            if not enterprise_name:
                error = RowError(row_number, "enterprise_name", "required", _REQUIRED)
            elif len(enterprise_name) > MAX_ENTERPRISE_NAME:
                error = RowError(row_number, "enterprise_name", "too_long", _too_long(MAX_ENTERPRISE_NAME))
            elif looks_like_formula(enterprise_name):
                error = RowError(row_number, "enterprise_name", "formula", FORMULA)

        raw = get("town")
        try:
            town_id = town_ids[raw]
        except (KeyError, TypeError):
            text = cell_text(raw)
            town_id = towns.match(text) if text else None
            if len(town_ids) < 100_000:
                town_ids[raw] = town_id
        if error is None and town_id is None:
            text = cell_text(raw)
            if not text:
                error = RowError(row_number, "town", "required", _REQUIRED)
            else:
                error = RowError(row_number, "town", "unknown_town", f"本市没有镇街 “{text}” (unknown town)")

        first: int | None = None
        raw = get("id_number")
        text = raw.strip(strip) if type(raw) is str else cell_text(raw)
        if not text:
            checked: RicInspection | None = None
            error = error or RowError(row_number, "id_number", "required", _REQUIRED)
        else:
            checked = inspect(text, today=today)
            if not checked.valid:
                error = error or RowError(
                    row_number, "id_number", checked.reason or "format", checked.message or ""
                )
                checked = None
        id_number = ""
        if checked is not None:
            id_number = checked.number or ""
            first = seen.get(id_number)
            if first is None:
                seen[id_number] = row_number

        raw = get("name")
        name = raw.strip(strip) if type(raw) is str else cell_text(raw)
        if error is None:
            if not name:
                error = RowError(row_number, "name", "required", _REQUIRED)
            elif len(name) > MAX_NAME:
                error = RowError(row_number, "name", "too_long", _too_long(MAX_NAME))
            elif looks_like_formula(name):
                error = RowError(row_number, "name", "formula", FORMULA)

        raw = get("phone")
        phone = raw.strip(strip) if type(raw) is str else cell_text(raw)
        if phone and error is None and not _fast_mobile(phone):
            try:
                phone = normalize_mobile(phone)
            except DomainError as exc:
                error = RowError(row_number, "phone", "phone", exc.message)

        insured_since: date | None = None
        if error is None:
            try:
                insured_since = dates(get("insured_since"))
            except ValueError:
                error = RowError(
                    row_number, "insured_since", "date", _bad_date(cell_text(get("insured_since")))
                )

        if error is None and first is not None:
            error = RowError(row_number, "id_number", "duplicate_in_file", duplicate_message(first))
        if error is not None:
            yield error
            continue
        assert checked is not None and checked.birth_date is not None
        assert type(uscc) is str and town_id is not None
        yield RosterRecord(
            row_number,
            uscc,
            enterprise_name,
            town_id,
            id_number,
            name,
            phone,
            checked.origin_code or checked.code_at_issue or id_number[:6],
            checked.birth_date,
            insured_since,
            uscc_by_name,
        )


def validate_police(
    rows: Iterable[Row],
    *,
    today: date,
    inspect: Inspect = inspect_ric,
) -> Iterator[PoliceRecord | RowError]:
    """Police rows → PoliceRecord; the same (ID, date, place) twice in a file is a duplicate."""
    dates = _DateCache()
    places: dict[str, str] = {}
    seen: dict[tuple[str, date, str], int] = {}
    for row_number, row in rows:
        get = row.get
        checked = _check_id(row_number, get("id_number"), inspect, today)
        if isinstance(checked, RowError):
            yield checked
            continue
        raw_date = get("arrived_on")
        try:
            arrived_on = dates(raw_date)
        except ValueError:
            yield RowError(row_number, "arrived_on", "date", _bad_date(cell_text(raw_date)))
            continue
        if arrived_on is None:
            yield RowError(row_number, "arrived_on", "required", _REQUIRED)
            continue
        if arrived_on > today:
            yield RowError(
                row_number,
                "arrived_on",
                "date",
                f"到达日期 {arrived_on} 晚于今天 (arrival date in the future)",
            )
            continue
        place_text = cell_text(get("place"))
        place = places.setdefault(place_text, place_text)
        if len(place) > MAX_PLACE:
            yield RowError(row_number, "place", "too_long", _too_long(MAX_PLACE))
            continue
        if looks_like_formula(place):
            yield RowError(row_number, "place", "formula", FORMULA)
            continue
        number = checked.number or ""
        key = (number, arrived_on, place)
        first = seen.setdefault(key, row_number)
        if first != row_number:
            yield RowError(row_number, "id_number", "duplicate_in_file", duplicate_message(first))
            continue
        yield PoliceRecord(row=row_number, id_number=number, arrived_on=arrived_on, place=place)


def validate_carrier(
    rows: Iterable[Row],
    *,
    county_exists: CountyCheck | None = None,
) -> Iterator[CarrierRecord | RowError]:
    """Carrier rows → CarrierRecord. ``county_exists`` decides whether a 6-digit code is a current
    county (None: any 6-digit code). The same (date, county) twice in a file is a duplicate."""
    dates = _DateCache()
    seen: dict[tuple[date, str], int] = {}
    known: dict[str, bool] = {}
    for row_number, row in rows:
        get = row.get
        raw_date = get("date")
        try:
            day = dates(raw_date)
        except ValueError:
            yield RowError(row_number, "date", "date", _bad_date(cell_text(raw_date)))
            continue
        if day is None:
            yield RowError(row_number, "date", "required", _REQUIRED)
            continue
        code = cell_text(get("county_code"))
        if not code:
            yield RowError(row_number, "county_code", "required", _REQUIRED)
            continue
        ok = known.get(code)
        if ok is None:
            ok = len(code) == 6 and code.isascii() and code.isdigit()
            ok = ok and (county_exists is None or county_exists(code))
            known[code] = ok
        if not ok:
            yield RowError(
                row_number,
                "county_code",
                "unknown_county",
                f"“{code}” 不是现行区县代码 (not a current county code)",
            )
            continue
        raw_count = get("count")
        try:
            count = parse_count(raw_count)
        except ValueError:
            yield RowError(
                row_number,
                "count",
                "number",
                f"“{cell_text(raw_count)}” 不是非负整数 (not a whole number ≥ 0)",
            )
            continue
        if count is None:
            yield RowError(row_number, "count", "required", _REQUIRED)
            continue
        first = seen.setdefault((day, code), row_number)
        if first != row_number:
            yield RowError(row_number, "county_code", "duplicate_in_file", duplicate_message(first))
            continue
        yield CarrierRecord(row=row_number, date=day, county_code=code, count=count)
