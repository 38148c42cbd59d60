"""Import files into the registries, and export tables out of it: Django-free.

- ``limits``: ``Limits`` (bytes, unpacked size, rows, cells) checked before any parsing;
- ``headers``: ``Columns`` (Chinese or English headers) and finding the header row below a title;
- ``reader``: CSV/XLSX/XLS streaming as ``(row_number, {field: value})``, within the limits;
- ``validate``: rows → frozen records or ``RowError(row, field, reason, message)``;
- ``export``: ``neutralize_cell``, ``write_csv``, ``iter_csv`` and ``write_xlsx`` for every download.
"""

from __future__ import annotations

from homeward.core.ingest.cells import cell_text, looks_like_formula, parse_count, parse_date
from homeward.core.ingest.export import (
    csv_bytes,
    iter_csv,
    neutralize_cell,
    write_csv,
    write_xlsx,
    xlsx_bytes,
)
from homeward.core.ingest.headers import (
    ALIASES,
    COLUMNS,
    KINDS,
    REQUIRED,
    Columns,
    Kind,
    check_kind,
    locate_header,
    map_headers,
)
from homeward.core.ingest.limits import Limits
from homeward.core.ingest.reader import (
    count_data_rows,
    precheck,
    read_mapped,
    read_rows,
    read_table,
    rows_from_dicts,
    rows_of,
)
from homeward.core.ingest.records import REASONS, CarrierRecord, PoliceRecord, RosterRecord, RowError
from homeward.core.ingest.towns import TownMatcher, region_prefixes, town_base
from homeward.core.ingest.validate import validate_carrier, validate_police, validate_roster

__all__ = [
    "ALIASES",
    "COLUMNS",
    "KINDS",
    "REASONS",
    "REQUIRED",
    "CarrierRecord",
    "Columns",
    "Kind",
    "Limits",
    "PoliceRecord",
    "RosterRecord",
    "RowError",
    "TownMatcher",
    "cell_text",
    "check_kind",
    "count_data_rows",
    "csv_bytes",
    "iter_csv",
    "locate_header",
    "looks_like_formula",
    "map_headers",
    "neutralize_cell",
    "parse_count",
    "parse_date",
    "precheck",
    "read_mapped",
    "read_rows",
    "read_table",
    "region_prefixes",
    "rows_from_dicts",
    "rows_of",
    "town_base",
    "validate_carrier",
    "validate_police",
    "validate_roster",
    "write_csv",
    "write_xlsx",
    "xlsx_bytes",
]
