"""Writes of the service teams: teams and members, origin-side health statuses and their
verification (返岗互认), tests booked for a trip's passengers and their results (testing aid). Each starts with its
permission check, runs in one transaction and leaves an audit event; each is safe to retry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from homeward.apps.accounts.policy import authorize, authorized, user_of
from homeward.apps.applications.models import HealthCode
from homeward.apps.audit.services import audit_record
from homeward.apps.teams.models import HealthStatus, Team, TeamMember, TestBooking, TestResult
from homeward.apps.teams.recognition import latest_statuses
from homeward.apps.teams.scope import team_province
from homeward.apps.trips.models import Ticket, TicketState
from homeward.core.errors import DomainError
from homeward.core.identity import mask_ric, require_ric


def team_create(
    *, actor: Any, province: str, name: str, base_city: str, members: Sequence[tuple[str, str, str]] = ()
) -> Team:
    """The team of ``province`` (created once; a second call updates its name and base city and
    adds the members it lacks). ``members``: (name, department, phone)."""
    authorize(actor, "city.setup")
    if not (province.isdigit() and len(province) == 2):
        raise DomainError("省份代码须为两位数字 (province code must be 2 digits)", "bad_province")
    with transaction.atomic():
        team, _created = Team.objects.update_or_create(
            province_code=province, defaults={"name": name[:60], "base_city": base_city[:40]}
        )
        for member_name, department, phone in members:
            if department not in TeamMember.Department.values:
                raise DomainError("队员部门无效 (unknown member department)", "bad_department")
            TeamMember.objects.get_or_create(
                team=team, name=member_name, phone=phone, defaults={"department": department}
            )
        audit_record(actor=actor, action="team.create", object_type="team", object_id=team.pk,
                     data={"province": province, "members": len(members)})  # fmt: skip
    return team


def health_status_record(
    *,
    actor: Any,
    province: str,
    id_number: str,
    health_code: str,
    code_province: str,
    test_result: str = "",
    tested_at: datetime | None = None,
    nonce: str,
    verified: bool = False,
) -> HealthStatus:
    """Record a worker's origin-side status for ``province`` (append-only: the latest counts). A
    resent form (same ``nonce``) returns the status stored the first time. ``verified``: the
    recorder checked it against its source now (the status is stored verified by them).

    Raises:
        PermissionDenied: not a service team of ``province`` or the task force.
        DomainError: an invalid ID number (``core.identity``), code colour, province or test.
    """
    province = team_province(actor, "health_status.record", province)
    person = require_ric(id_number)
    assert person.number is not None
    if health_code not in HealthCode.values:
        raise DomainError("请选择健康码颜色 (choose the health code colour)", "bad_health_code")
    if not (code_province.isdigit() and len(code_province) == 2):
        raise DomainError("签发省份须为两位省份代码 (issuing province: a 2-digit code)", "bad_province")
    if test_result not in TestResult.values:
        raise DomainError("核酸结果无效 (unknown test result)", "bad_test")
    if (test_result in ("negative", "positive")) != (tested_at is not None):
        raise DomainError("有结果的核酸须填采样时间 (a test result needs its sampling time)", "bad_test")
    now = timezone.now()
    if tested_at is not None and tested_at > now:
        raise DomainError("采样时间不能晚于现在 (sampling time is in the future)", "bad_test")
    nonce = str(nonce or "")[:64]
    if not nonce:
        raise DomainError("表单已过期，请刷新 (the form expired: reload the page)", "bad_nonce")
    found = HealthStatus.objects.filter(nonce=nonce).first()
    if found is not None:
        return found
    user = user_of(actor)
    try:
        with transaction.atomic():
            status = HealthStatus.objects.create(
                id_number=person.number, province=province, health_code=health_code,
                code_province=code_province, test_result=test_result, tested_at=tested_at,
                recorded_at=now, recorded_by=user, verified_at=now if verified else None,
                verified_by=user if verified else None, nonce=nonce,
            )  # fmt: skip
            audit_record(
                actor=actor, action="health_status.record", object_type="health_status", object_id=status.pk,
                data={"id_number": mask_ric(person.number), "code": health_code, "test": test_result,
                      "verified": verified},
            )  # fmt: skip
    except IntegrityError:  # the same form stored meanwhile
        return HealthStatus.objects.get(nonce=nonce)
    return status


def health_status_verify(*, actor: Any, status_id: int) -> HealthStatus:
    """Mark a status as checked against its source (once: a second call changes nothing).

    Raises:
        NotFound: no such status in the actor's province.
        PermissionDenied: the role may not verify.
    """
    status = authorized(actor, "health_status.verify", HealthStatus.objects.all(), status_id)
    now = timezone.now()
    with transaction.atomic():
        claimed = HealthStatus.objects.filter(pk=status.pk, verified_at__isnull=True).update(
            verified_at=now, verified_by=user_of(actor)
        )
        if claimed:
            audit_record(actor=actor, action="health_status.verify", object_type="health_status",
                         object_id=status.pk, data={})  # fmt: skip
    status.refresh_from_db()
    return status


@dataclass(frozen=True, slots=True)
class Booked:
    province: str
    created: int
    already: int


def origin_tests_schedule(
    *, actor: Any, province: str, vehicle_key: str, place: str, scheduled_at: datetime
) -> Booked:
    """Book a test at the origin for every passenger of the vehicle ``vehicle_key`` (plan key) who
    boards in ``province``; those already booked for it keep their booking.

    Raises:
        PermissionDenied: not a service team of ``province`` or the task force.
        DomainError: no place or time given.
    """
    province = team_province(actor, "test.schedule", province)
    place = place.strip()[:60]
    if not place or not vehicle_key:
        raise DomainError("请填写采样点和车辆 (give the testing place and the vehicle)", "bad_booking")
    if timezone.is_naive(scheduled_at):
        raise DomainError("采样时间缺少时区 (the time needs a time zone)", "bad_booking")
    riders = passengers_of(vehicle_key, province)
    now = timezone.now()
    with transaction.atomic():
        booked = set(
            TestBooking.objects.filter(vehicle_key=vehicle_key, worker_id__in=riders).values_list(
                "worker_id", flat=True
            )
        )
        new = [
            TestBooking(worker_id=w, province=province, vehicle_key=vehicle_key, place=place,
                        scheduled_at=scheduled_at, created_at=now, created_by=user_of(actor))
            for w in riders if w not in booked
        ]  # fmt: skip
        TestBooking.objects.bulk_create(new, ignore_conflicts=True)
        audit_record(actor=actor, action="test.schedule", object_type="vehicle", object_id=vehicle_key,
                     data={"province": province, "booked": len(new), "place": place})  # fmt: skip
    return Booked(province=province, created=len(new), already=len(booked))


def passengers_of(vehicle_key: str, province: str) -> list[int]:
    """The application worker rows holding an issued ticket whose first leg is on ``vehicle_key``
    and who board in ``province``."""
    tickets = Ticket.objects.filter(
        state=TicketState.ISSUED, worker__pickup_county_code__startswith=province, worker__active=True
    ).values_list("worker_id", "legs")
    return sorted(w for w, legs in tickets if legs and legs[0].get("vehicle_key") == vehicle_key)


def booking_result_record(
    *, actor: Any, booking_id: int, test_result: str, tested_at: datetime | None, nonce: str
) -> TestBooking:
    """Enter the result of the test booked as ``booking_id``: a new origin-side status for the
    passenger (``health_status_record``) carrying their latest status's health code, issuing
    province and verification (none yet: the code they declared on their application, issuing
    province the booking's, unverified), with this test; the booking points at it. The boarding
    check then reads it like any status: positive refuses, negative counts for the rule's window.
    A resent form (same ``nonce``) changes nothing; a later result replaces the booking's.

    Raises:
        NotFound: no such booking in the actor's province.
        PermissionDenied: not a service team or the task force.
        DomainError: no result (negative or positive) or no sampling time, or one in the future.
    """
    booking = authorized(actor, "test.schedule", TestBooking.objects.select_related("worker"), booking_id)
    if test_result not in (TestResult.NEGATIVE, TestResult.POSITIVE):
        raise DomainError("请选择阴性或阳性 (choose negative or positive)", "bad_test")
    worker = booking.worker
    previous = latest_statuses([worker.id_number]).get(worker.id_number)
    with transaction.atomic():
        status = health_status_record(
            actor=actor, province=booking.province, id_number=worker.id_number,
            health_code=previous.health_code if previous is not None else worker.health_code,
            code_province=previous.code_province if previous is not None else booking.province,
            test_result=test_result, tested_at=tested_at, nonce=nonce,
            verified=previous is not None and previous.verified_at is not None,
        )  # fmt: skip
        claimed = TestBooking.objects.filter(pk=booking.pk).exclude(result=status).update(result=status)
        if claimed:
            audit_record(actor=actor, action="test.result", object_type="test_booking", object_id=booking.pk,
                         data={"result": test_result, "status": status.pk})  # fmt: skip
    booking.refresh_from_db()
    return booking
