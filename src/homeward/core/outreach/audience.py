"""Which workers a campaign writes to, as plain values: the heat map's filters (origin province,
prefecture or county, town, enterprise, risk levels) and the status of the workers (away by default).

An origin code is a 6-digit region code; its level decides how much of it matches a worker's origin
county: ``520000`` (a province) matches ``52....``, ``520500`` (a prefecture) ``5205..``, ``520502``
only itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from homeward.core.errors import DomainError

STATUSES = ("away", "unknown", "returned")
RISKS = ("low", "medium", "high")


def origin_prefix(code: str) -> str:
    """The prefix of worker origin codes inside region ``code`` (province, prefecture or county)."""
    if len(code) != 6 or not code.isdigit():
        raise DomainError("区划代码无效 (bad origin code)", "bad_audience")
    if code[2:] == "0000":
        return code[:2]
    if code[4:] == "00":
        return code[:4]
    return code


@dataclass(frozen=True, slots=True)
class Audience:
    origin: str | None = None  # a 6-digit province, prefecture or county code
    town: str | None = None  # the employer's town (MCA code)
    enterprise: int | None = None
    risk: tuple[str, ...] = ()  # origin county risk levels; empty: any
    status: tuple[str, ...] = ("away",)

    def __post_init__(self) -> None:
        if self.origin is not None:
            origin_prefix(self.origin)
        if any(r not in RISKS for r in self.risk):
            raise DomainError("风险等级无效 (risk must be low, medium or high)", "bad_audience")
        if not self.status or any(s not in STATUSES for s in self.status):
            raise DomainError("人员状态无效 (bad worker status)", "bad_audience")

    def as_json(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(
            origin=data.get("origin") or None,
            town=data.get("town") or None,
            enterprise=data.get("enterprise") or None,
            risk=tuple(sorted(data.get("risk") or ())),
            status=tuple(sorted(data.get("status") or ("away",))),
        )
