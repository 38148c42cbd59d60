"""Mutual recognition of origin-side health status (返岗互认): whether a worker's status, as the
service team at the origin recorded it, is accepted by the receiving city.

Pure: no Django. ``apps.teams`` stores statuses and reads the rules from settings; the boarding scan
asks ``recognise`` through ``apps.teams.boarding``.

A status is recognised when all of these hold (the first that fails is the reason, in this order):

1. there is one (``no_status``);
2. a team member or the health department verified it against its source (``unverified``);
3. the issuing province's health code is accepted here (``province_not_accepted``);
4. the code is green (``code_not_green``);
5. the test result is not positive (``test_positive``);
6. when the rules require a test: there is a negative result (``test_missing``), taken no longer
   than ``test_max_age_hours`` before the moment asked about (``test_stale``) and not after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

GREEN: Final = "green"
NEGATIVE: Final = "negative"
POSITIVE: Final = "positive"
PENDING: Final = "pending"
TEST_RESULTS: Final = ("", PENDING, NEGATIVE, POSITIVE)

# Reasons, in the order they are checked (short: they are stored as a scan's refusal reason).
NO_STATUS: Final = "no_status"
UNVERIFIED: Final = "unverified"
PROVINCE_NOT_ACCEPTED: Final = "province_not_accepted"
CODE_NOT_GREEN: Final = "code_not_green"
TEST_POSITIVE: Final = "test_positive"
TEST_MISSING: Final = "test_missing"
TEST_STALE: Final = "test_stale"
REASONS: Final = (
    NO_STATUS, UNVERIFIED, PROVINCE_NOT_ACCEPTED, CODE_NOT_GREEN, TEST_POSITIVE, TEST_MISSING, TEST_STALE,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RecognitionRules:
    """Which provinces' health codes are accepted and how recent a negative test must be.

    ``accepted_provinces`` empty means every province's code (the national health-code mutual
    recognition of 2020); otherwise the 2-digit province codes accepted. ``source`` says where the
    configured values come from, shown beside them on the team's page.
    """

    accepted_provinces: frozenset[str] = frozenset()
    require_test: bool = True
    test_max_age_hours: int = 168
    source: str = ""

    def accepts(self, province: str) -> bool:
        return not self.accepted_provinces or province[:2] in self.accepted_provinces


@dataclass(frozen=True, slots=True)
class HealthFacts:
    """One worker's origin-side status as recorded (``province``: the issuing province, 2 digits)."""

    health_code: str
    province: str
    verified: bool
    test_result: str = ""
    tested_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Recognition:
    recognised: bool
    reason: str  # "" when recognised, else one of ``REASONS``


def recognise(facts: HealthFacts | None, rules: RecognitionRules, at: datetime) -> Recognition:
    """Whether ``facts`` are recognised at ``at`` under ``rules`` (see the module docstring)."""
    reason = _first_failure(facts, rules, at)
    return Recognition(recognised=not reason, reason=reason)


def _first_failure(facts: HealthFacts | None, rules: RecognitionRules, at: datetime) -> str:
    if facts is None:
        return NO_STATUS
    if not facts.verified:
        return UNVERIFIED
    if not rules.accepts(facts.province):
        return PROVINCE_NOT_ACCEPTED
    if facts.health_code != GREEN:
        return CODE_NOT_GREEN
    if facts.test_result == POSITIVE:
        return TEST_POSITIVE
    if not rules.require_test:
        return ""
    if facts.test_result != NEGATIVE or facts.tested_at is None or facts.tested_at > at:
        return TEST_MISSING
    if at - facts.tested_at > timedelta(hours=rules.test_max_age_hours):
        return TEST_STALE
    return ""
