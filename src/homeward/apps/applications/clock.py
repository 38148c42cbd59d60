"""The deadline clock: pure, no Django. ``deadline_status(deadline_at, now)`` → remaining time and a
level: ``ok``, ``warn`` (≤ 6 h left), ``critical`` (≤ 2 h left) or ``overdue``; ``pending`` before the
clock starts (not yet accepted) and ``stopped`` once the application is completed or cancelled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Level = Literal["pending", "ok", "warn", "critical", "overdue", "stopped"]

WARN_BEFORE = timedelta(hours=6)
CRITICAL_BEFORE = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class DeadlineStatus:
    level: Level
    deadline_at: datetime | None
    remaining: timedelta | None  # negative when overdue
    at_risk: bool = False  # the planner says the deadline cannot be met

    @property
    def alert(self) -> bool:
        return self.level in ("warn", "critical", "overdue") or self.at_risk

    @property
    def remaining_text(self) -> str:
        """``12:05`` (hours:minutes left) or ``-0:30`` when overdue; empty when there is no clock."""
        if self.remaining is None:
            return ""
        minutes = int(self.remaining.total_seconds() // 60)
        sign = "-" if minutes < 0 else ""
        minutes = abs(minutes)
        return f"{sign}{minutes // 60}:{minutes % 60:02d}"


def deadline_status(
    deadline_at: datetime | None,
    now: datetime,
    *,
    stopped: bool = False,
    at_risk: bool = False,
    warn_before: timedelta = WARN_BEFORE,
    critical_before: timedelta = CRITICAL_BEFORE,
) -> DeadlineStatus:
    if deadline_at is None:
        return DeadlineStatus("pending", None, None, at_risk)
    remaining = deadline_at - now
    if stopped:
        return DeadlineStatus("stopped", deadline_at, remaining, False)
    if remaining <= timedelta(0):
        level: Level = "overdue"
    elif remaining <= critical_before:
        level = "critical"
    elif remaining <= warn_before:
        level = "warn"
    else:
        level = "ok"
    return DeadlineStatus(level, deadline_at, remaining, at_risk)
