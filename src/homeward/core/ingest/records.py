"""What a validated import row becomes: a frozen record, or a RowError naming row, field and reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Stable reason codes of a RowError (machines match on these; messages are for people).
REASONS = (
    "required",
    "too_long",
    # id_number, from homeward.core.identity.inspect_ric
    "length",
    "format",
    "checksum",
    "birth_date",
    "area_code",
    "uscc",
    "phone",
    "date",
    "number",
    "formula",
    "unknown_town",
    "unknown_county",
    "duplicate_in_file",
)


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    field: str
    reason: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "field": self.field, "reason": self.reason, "message": self.message}


@dataclass(frozen=True, slots=True)
class RosterRecord:
    row: int
    uscc: str
    enterprise_name: str
    town_id: int
    id_number: str
    name: str
    phone: str
    origin_code: str
    birth_date: date
    insured_since: date | None
    # No USCC in the row: taken from the registered enterprise with exactly this name (reported).
    uscc_by_name: bool = False


@dataclass(frozen=True, slots=True)
class PoliceRecord:
    row: int
    id_number: str
    arrived_on: date
    place: str


@dataclass(frozen=True, slots=True)
class CarrierRecord:
    row: int
    date: date
    county_code: str
    count: int
