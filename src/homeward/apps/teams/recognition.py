"""Mutual recognition as configured here: the rules from settings (``RECOGNITION_*``), the status
that counts for an ID number at a moment, and the words for each reason (``core.recognition``)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext as _

from homeward.apps.teams.models import HealthStatus
from homeward.core import recognition as core


def recognition_rules() -> core.RecognitionRules:
    """The configured rules, with where their values come from."""
    return core.RecognitionRules(
        accepted_provinces=frozenset(p[:2] for p in settings.RECOGNITION_PROVINCES),
        require_test=settings.RECOGNITION_REQUIRE_TEST,
        test_max_age_hours=settings.RECOGNITION_TEST_HOURS,
        source=settings.RECOGNITION_SOURCE,
    )


def latest_statuses(id_numbers: Collection[str], at: datetime | None = None) -> dict[str, HealthStatus]:
    """ID number → the latest status recorded for it (by ``at``, when given): the one that counts."""
    rows = HealthStatus.objects.filter(id_number__in=list(id_numbers))
    if at is not None:
        rows = rows.filter(recorded_at__lte=at)
    latest: dict[str, HealthStatus] = {}
    for status in rows.order_by("id_number", "-recorded_at", "-pk"):
        latest.setdefault(status.id_number, status)
    return latest


def facts_of(status: HealthStatus | None) -> core.HealthFacts | None:
    if status is None:
        return None
    return core.HealthFacts(
        health_code=status.health_code,
        province=status.code_province,
        verified=status.verified_at is not None,
        test_result=status.test_result,
        tested_at=status.tested_at,
    )


def recognise(status: HealthStatus | None, at: datetime) -> core.Recognition:
    return core.recognise(facts_of(status), recognition_rules(), at)


def reason_labels() -> dict[str, str]:
    """Each reason in the page's language (the scanner shows them as the refusal's reason)."""
    return {
        core.NO_STATUS: _("没有返岗互认健康状态"),
        core.UNVERIFIED: _("健康状态尚未核验"),
        core.PROVINCE_NOT_ACCEPTED: _("签发省份的健康码不在互认范围"),
        core.CODE_NOT_GREEN: _("健康码非绿码"),
        core.TEST_POSITIVE: _("核酸检测阳性"),
        core.TEST_MISSING: _("没有阴性核酸结果"),
        core.TEST_STALE: _("核酸结果已超过有效期"),
    }
