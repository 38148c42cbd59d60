"""Planner time: integer minutes after the request's ``now``; China Standard Time wall clock for the
night and 02:00–05:00 rules (naive datetimes are read as CST, aware ones converted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

CST = timezone(timedelta(hours=8))


def cst(dt: datetime) -> datetime:
    """``dt`` as a naive China Standard Time wall-clock datetime."""
    return dt if dt.tzinfo is None else dt.astimezone(CST).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Clock:
    now: datetime
    clock0: int  # wall-clock minute of the day at ``now``

    @classmethod
    def of(cls, now: datetime) -> Clock:
        local = cst(now)
        return cls(now, local.hour * 60 + local.minute)

    def minutes(self, dt: datetime) -> int:
        return int((cst(dt) - cst(self.now)).total_seconds() // 60)

    def at(self, minutes: int) -> datetime:
        return self.now + timedelta(minutes=minutes)
