"""Row validation for the three import kinds: each row becomes a record or a RowError.

Validators are generators over ``(row_number, {field: value})`` (see ``reader.read_rows``) and keep
caches for values that repeat down a column (USCCs, enterprise names, towns, dates), so a 700,000
row roster validates in seconds. Duplicates within a file are rejected, never merged: every
occurrence after the first is a ``duplicate_in_file`` error naming the first row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date

from homeward.core.errors import DomainError
from homeward.core.identity import RicInspection, inspect_ric, normalize_mobile, validate_uscc
from homeward.core.ingest.cells import cell_text, parse_count, parse_date
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


def _duplicate(first_row: int) -> str:
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


def validate_roster(
    rows: Iterable[Row],
    *,
    towns: TownMatcher,
    today: date,
    inspect: Inspect = inspect_ric,
) -> Iterator[RosterRecord | RowError]:
    """Roster rows → RosterRecord (worker, enterprise, insured_since) or the row's first error.

    Fields are checked in column order; a valid ID seen before (even on a rejected row) makes every
    later row with it a ``duplicate_in_file``."""
    uscc_cache: dict[str, str | RowError] = {}
    names: dict[str, str] = {}
    dates = _DateCache()
    seen: dict[str, int] = {}
    for row_number, row in rows:
        get = row.get
        error: RowError | None = None

        uscc_text = cell_text(get("uscc"))
        uscc: str | RowError
        if not uscc_text:
            uscc = RowError(row_number, "uscc", "required", _REQUIRED)
        else:
            cached = uscc_cache.get(uscc_text)
            if cached is None:
                try:
                    cached = validate_uscc(uscc_text)
                except DomainError as exc:
                    cached = RowError(0, "uscc", "uscc", exc.message)
                uscc_cache[uscc_text] = cached
            uscc = cached
        if isinstance(uscc, RowError):
            error = RowError(row_number, "uscc", uscc.reason, uscc.message)

        enterprise_text = cell_text(get("enterprise_name"))
        enterprise_name = names.setdefault(enterprise_text, enterprise_text)
        if error is None:
            if not enterprise_name:
                error = RowError(row_number, "enterprise_name", "required", _REQUIRED)
            elif len(enterprise_name) > MAX_ENTERPRISE_NAME:
                error = RowError(row_number, "enterprise_name", "too_long", _too_long(MAX_ENTERPRISE_NAME))

        town_text = cell_text(get("town"))
        town_id = towns.match(town_text) if town_text else None
        if error is None and town_id is None:
            if not town_text:
                error = RowError(row_number, "town", "required", _REQUIRED)
            else:
                error = RowError(
                    row_number, "town", "unknown_town", f"本市没有镇街 “{town_text}” (unknown town)"
                )

        first: int | None = None
        checked = _check_id(row_number, get("id_number"), inspect, today)
        if isinstance(checked, RowError):
            error = error or checked
            id_number = ""
        else:
            id_number = checked.number or ""
            first = seen.get(id_number)
            if first is None:
                seen[id_number] = row_number

        name = cell_text(get("name"))
        if error is None:
            if not name:
                error = RowError(row_number, "name", "required", _REQUIRED)
            elif len(name) > MAX_NAME:
                error = RowError(row_number, "name", "too_long", _too_long(MAX_NAME))

        phone = cell_text(get("phone"))
        if phone and error is None:
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
            error = RowError(row_number, "id_number", "duplicate_in_file", _duplicate(first))
        if error is not None:
            yield error
            continue
        assert not isinstance(checked, RowError) and checked.birth_date is not None
        assert isinstance(uscc, str) and town_id is not None
        yield RosterRecord(
            row=row_number,
            uscc=uscc,
            enterprise_name=enterprise_name,
            town_id=town_id,
            id_number=id_number,
            name=name,
            phone=phone,
            origin_code=checked.origin_code or checked.code_at_issue or id_number[:6],
            birth_date=checked.birth_date,
            insured_since=insured_since,
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
        number = checked.number or ""
        key = (number, arrived_on, place)
        first = seen.setdefault(key, row_number)
        if first != row_number:
            yield RowError(row_number, "id_number", "duplicate_in_file", _duplicate(first))
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
            yield RowError(row_number, "county_code", "duplicate_in_file", _duplicate(first))
            continue
        yield CarrierRecord(row=row_number, date=day, county_code=code, count=count)
