"""Import files into the registries, and export tables out of it: Django-free.

- ``headers``: alias tables (Chinese or English headers) and the missing-column check;
- ``reader``: CSV/XLSX streaming as ``(row_number, {field: value})``, header = row 1;
- ``validate``: rows → frozen records or ``RowError(row, field, reason, message)``;
- ``export``: ``neutralize_cell``, ``write_csv``, ``iter_csv`` and ``write_xlsx`` for every download.
"""

from __future__ import annotations

from homeward.core.ingest.cells import cell_text, parse_count, parse_date
from homeward.core.ingest.export import (
    csv_bytes,
    iter_csv,
    neutralize_cell,
    write_csv,
    write_xlsx,
    xlsx_bytes,
)
from homeward.core.ingest.headers import ALIASES, KINDS, REQUIRED, Kind, check_kind, map_headers
from homeward.core.ingest.reader import count_data_rows, read_rows, read_table, rows_from_dicts, rows_of
from homeward.core.ingest.records import REASONS, CarrierRecord, PoliceRecord, RosterRecord, RowError
from homeward.core.ingest.towns import TownMatcher, town_base
from homeward.core.ingest.validate import validate_carrier, validate_police, validate_roster

__all__ = [
    "ALIASES",
    "KINDS",
    "REASONS",
    "REQUIRED",
    "CarrierRecord",
    "Kind",
    "PoliceRecord",
    "RosterRecord",
    "RowError",
    "TownMatcher",
    "cell_text",
    "csv_bytes",
    "check_kind",
    "count_data_rows",
    "iter_csv",
    "map_headers",
    "neutralize_cell",
    "parse_count",
    "parse_date",
    "read_rows",
    "read_table",
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
