"""Observation hand-over: a worker a scan routed to observation (fever ≥ 37.3 °C or a non-green code,
``core.scans.health_outcome``) sits in the rear rows kept as the observation zone and is handed to a
health post. ``observation_handover`` records who handed them to whom, where and when, and the rear
seat they rode in; ``observation_outcome`` is the health department's finding (cleared: may travel
on a later trip; isolated).

Scope: the task force any scan; an escort the scans on the vehicles they are crewed on; a station
the scans made at its place. One hand-over per observation scan: a resent one (the scanner's retry)
returns the first and changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from homeward.apps.accounts.policy import authorize, authorized, conceal, user_of
from homeward.apps.accounts.roles import Role, profile_of
from homeward.apps.audit.services import audit_record
from homeward.apps.trips.models import ObservationHandover, ObservationOutcome, ScanEvent
from homeward.apps.trips.services.escorts import escort_vehicle_keys
from homeward.core import scans as rules
from homeward.core.errors import Conflict, DomainError

# a hand-over's time from the phone may run a little ahead of the server's clock, not more
CLOCK_SKEW = timedelta(minutes=10)


def _in_scope(actor: Any, event: ScanEvent) -> bool:
    profile = profile_of(actor)
    if profile is None or profile.role == Role.TASKFORCE:
        return True  # a system actor (authorized above) or the task force
    if profile.role == Role.ESCORT:
        return event.vehicle_key in escort_vehicle_keys(profile)
    if profile.role == Role.STATION:
        return bool(profile.place) and event.place == profile.place
    return False


def _text(value: str, limit: int, message: str, code: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(message, code)
    return text[:limit]


def observation_handover(
    *,
    actor: Any,
    scan_id: int,
    rear_seat: str,
    health_post: str,
    received_by: str,
    handed_at: datetime | None = None,
) -> tuple[ObservationHandover, bool]:
    """Hand the worker of observation scan ``scan_id`` to ``health_post`` (received by
    ``received_by``); (the hand-over, whether it was created now). Idempotent per scan.

    Raises:
        PermissionDenied: the role may not hand over (``observation.handover``).
        NotFound: no such scan in the actor's scope.
        DomainError: the scan did not route anyone to observation (``not_observation``), or a
            field is missing (``handover_incomplete``) or the time lies ahead (``bad_time``).
    """
    authorize(actor, "observation.handover")
    event = ScanEvent.objects.filter(pk=scan_id, worker__isnull=False).first()
    if event is None or not _in_scope(actor, event):
        conceal(actor, "observation.handover", "scan", scan_id)
    if event.outcome != rules.OBSERVATION or event.answer != "recorded":
        raise DomainError("这次扫码没有转入留观 (this scan routed nobody to observation)", "not_observation")
    assert event.worker_id is not None  # (filtered above)
    existing = ObservationHandover.objects.filter(scan=event).first()
    if existing is not None:
        return existing, False
    missing = "请填写留观座位、健康点和接收人 (rear seat, health post and receiver are required)"
    seat = _text(rear_seat, 20, missing, "handover_incomplete")
    post = _text(health_post, 100, missing, "handover_incomplete")
    receiver = _text(received_by, 60, missing, "handover_incomplete")
    now = timezone.now()
    at = handed_at or now
    if timezone.is_naive(at) or at > now + CLOCK_SKEW:
        raise DomainError("交接时间不对 (the hand-over time is in the future or has no zone)", "bad_time")
    profile = profile_of(actor)
    by = (getattr(profile, "display_name", "") or getattr(actor, "username", "") or str(actor))[:60]
    try:
        with transaction.atomic():
            handover = ObservationHandover.objects.create(
                scan=event, worker_id=event.worker_id, vehicle_key=event.vehicle_key, rear_seat=seat,
                health_post=post, handed_by=by, received_by=receiver, handed_at=at,
                recorded_by=user_of(actor),
            )  # fmt: skip
            audit_record(
                actor=actor, action="observation.handover", object_type="observation_handover",
                object_id=handover.pk,
                data={"scan": event.pk, "worker": event.worker_id, "health_post": post, "rear_seat": seat},
            )  # fmt: skip
    except IntegrityError:  # the same scan handed over meanwhile by a concurrent retry
        return ObservationHandover.objects.get(scan=event), False
    return handover, True


def observation_outcome(*, actor: Any, handover_id: int, outcome: str, note: str = "") -> ObservationHandover:
    """The health department's finding for a handed-over worker: ``cleared`` or ``isolated``. The same
    finding again changes nothing; another one once recorded is refused.

    Raises:
        PermissionDenied / NotFound: the policy (``observation.outcome``).
        DomainError: an unknown outcome (``bad_outcome``).
        Conflict: a different outcome was recorded already (``outcome_recorded``).
    """
    handover = authorized(actor, "observation.outcome", ObservationHandover.objects.all(), handover_id)
    if outcome not in (ObservationOutcome.CLEARED, ObservationOutcome.ISOLATED):
        raise DomainError("判定结果无效 (outcome must be cleared or isolated)", "bad_outcome")
    with transaction.atomic():
        handover = ObservationHandover.objects.select_for_update().get(pk=handover.pk)
        if handover.outcome == outcome:
            return handover
        if handover.outcome != ObservationOutcome.PENDING:
            raise Conflict("已有判定结果 (an outcome is recorded already)", "outcome_recorded")
        handover.outcome, handover.outcome_note = outcome, (note or "").strip()[:200]
        handover.outcome_at, handover.outcome_by = timezone.now(), user_of(actor)
        handover.save(update_fields=["outcome", "outcome_note", "outcome_at", "outcome_by"])
        audit_record(
            actor=actor, action="observation.outcome", object_type="observation_handover",
            object_id=handover.pk, data={"outcome": outcome, "worker": handover.worker_id},
        )  # fmt: skip
    return handover
