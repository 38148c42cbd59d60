"""Job demand exchange and recruiting (岗位需求互通, 新员工招录): vacancies, recruits, offers, and
an accepted recruit's way to the factory.

- ``vacancy_post``: an enterprise (or the task force for one) posts a vacancy; a resent form posts once.
- ``recruit_register``: a team registers a new worker at the origin, the ID number checked by
  ``core.identity``; registering the same ID number again returns the recruit already there.
- ``offer_make``: the enterprise offers its vacancy to a recruit (once per pair).
- ``offer_accept``: the team records the recruit's acceptance (once: a conditional UPDATE; a
  recruit takes one job). The recruit then travels: an application of the enterprise is made for
  them as a new hire (submitted and accepted on the enterprise's behalf, actor ``RECRUITING``), and
  when a planned bus that has not left yet picks up in the recruit's area with a free seat, they
  get its next free seat and their ticket (``trips.services.tickets.tickets_issue``) — the seat is
  taken under the vehicle's row lock. Otherwise the accepted application waits for the next plan
  run, which keeps dispatched vehicles as they are.

Ranking is ``core.matching``; ``seat_areas`` says where free seats leave from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from homeward.apps.accounts.policy import RECRUITING, area_of, authorize, authorized, scoped, user_of
from homeward.apps.audit.services import audit_record
from homeward.apps.planning.models import Dispatch, PlanSeat, PlanVehicle
from homeward.apps.planning.services import latest_done_run
from homeward.apps.registry.models import Enterprise, Town
from homeward.apps.teams.models import Offer, Recruit, Vacancy
from homeward.apps.teams.recognition import latest_statuses
from homeward.apps.teams.scope import team_province
from homeward.core.errors import Conflict, DomainError
from homeward.core.identity import mask_ric, normalize_mobile, require_ric
from homeward.core.planning import Rules
from homeward.core.planning.planner.emit import seat_labels

MAX_SKILLS = 10


def _skills(values: Sequence[str]) -> list[str]:
    out = sorted({v.strip()[:20] for v in values if v and v.strip()})
    if len(out) > MAX_SKILLS:
        raise DomainError(f"技能最多 {MAX_SKILLS} 项 (at most {MAX_SKILLS} skills)", "bad_skills")
    return out


def vacancy_post(
    *, actor: Any, role: str, count: int, pay_min: int, pay_max: int, skills: Sequence[str], town_id: int,
    start_date: date, nonce: str, enterprise_id: int | None = None,
) -> Vacancy:  # fmt: skip
    """Post a vacancy of the actor's enterprise (the task force: of ``enterprise_id``).

    Raises:
        PermissionDenied: the role may not post.
        DomainError: a missing role, a count or pay out of range, an unknown town or enterprise.
    """
    authorize(actor, "vacancy.post")
    area = area_of(actor)
    if area is not None and area.enterprise_id is not None:
        enterprise_id = area.enterprise_id
    enterprise = scoped(actor, Enterprise.objects.all()).filter(pk=enterprise_id or 0).first()
    if enterprise is None:
        raise DomainError("请选择企业 (choose the enterprise)", "enterprise_required")
    role = role.strip()[:40]
    if not role:
        raise DomainError("请填写岗位 (give the job's name)", "bad_vacancy")
    if not 1 <= count <= 10_000 or not 0 < pay_min <= pay_max <= 100_000:
        raise DomainError("人数或月薪不合理 (count or pay out of range)", "bad_vacancy")
    town = Town.objects.filter(pk=town_id).first()
    if town is None:
        raise DomainError("请选择镇街 (choose the town)", "bad_vacancy")
    nonce = str(nonce or "")[:64]
    if not nonce:
        raise DomainError("表单已过期，请刷新 (the form expired: reload the page)", "bad_nonce")
    found = Vacancy.objects.filter(nonce=nonce).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            vacancy = Vacancy.objects.create(
                enterprise=enterprise, role=role, count=count, pay_min=pay_min, pay_max=pay_max,
                skills=_skills(skills), town=town, start_date=start_date, created_at=timezone.now(), nonce=nonce,
            )  # fmt: skip
            audit_record(actor=actor, action="vacancy.post", object_type="vacancy", object_id=vacancy.pk,
                         data={"enterprise": enterprise.pk, "role": role, "count": count})  # fmt: skip
    except IntegrityError:
        return Vacancy.objects.get(nonce=nonce)
    return vacancy


def recruit_register(
    *, actor: Any, province: str, id_number: str, name: str, phone: str, county: str,
    skills: Sequence[str] = (), pay_wanted: int = 0, towns: Sequence[str] = (),
) -> Recruit:  # fmt: skip
    """Register a recruit in the team's province (a second registration of the ID number returns
    the first, if it is the same province's).

    Raises:
        PermissionDenied: not a team of ``province`` or the task force.
        DomainError: an invalid ID number (``core.identity``) or phone; a county outside the province.
        Conflict: the ID number is registered by another province's team (``recruit_elsewhere``).
    """
    province = team_province(actor, "recruit.register", province)
    person = require_ric(id_number)
    assert person.number is not None
    name = name.strip()[:50]
    if not name:
        raise DomainError("请填写姓名 (give the name)", "bad_recruit")
    phone = normalize_mobile(phone)
    county = county.strip()
    if not (county.isdigit() and len(county) == 6 and county.startswith(province)):
        raise DomainError(
            "所在区县须为本省的区县代码 (the county must be a code in this province)", "bad_county"
        )
    found = Recruit.objects.filter(id_number=person.number).first()
    if found is not None:
        if found.province != province:
            raise Conflict(
                "该人员已由其他省份小分队登记 (registered by another province's team)", "recruit_elsewhere"
            )
        return found
    try:
        with transaction.atomic():
            recruit = Recruit.objects.create(
                province=province, id_number=person.number, name=name, phone=phone, county=county,
                skills=_skills(skills), pay_wanted=max(0, int(pay_wanted)), towns=sorted(set(towns)),
                created_at=timezone.now(), created_by=user_of(actor),
            )  # fmt: skip
            audit_record(actor=actor, action="recruit.register", object_type="recruit", object_id=recruit.pk,
                         data={"id_number": mask_ric(person.number), "county": county})  # fmt: skip
    except IntegrityError:
        return Recruit.objects.get(id_number=person.number)
    return recruit


def offer_make(*, actor: Any, vacancy_id: int, recruit_id: int) -> Offer:
    """Offer the vacancy to the recruit (once per pair: a second call returns the first offer).

    Raises:
        NotFound: the vacancy is not the actor's, or no such recruit.
        Conflict: the vacancy is closed or the recruit has taken a job.
    """
    vacancy = authorized(actor, "offer.make", Vacancy.objects.all(), vacancy_id)
    recruit = authorized(actor, "offer.make", Recruit.objects.all(), recruit_id)
    found = Offer.objects.filter(vacancy=vacancy, recruit=recruit).first()
    if found is not None:
        return found
    if not vacancy.open:
        raise Conflict("该岗位已停止招聘 (the vacancy is closed)", "vacancy_closed")
    if Offer.objects.filter(recruit=recruit, state=Offer.State.ACCEPTED).exists():
        raise Conflict("该人员已接受其他岗位 (the recruit has taken another job)", "recruit_taken")
    try:
        with transaction.atomic():
            offer = Offer.objects.create(vacancy=vacancy, recruit=recruit, offered_at=timezone.now())
            audit_record(actor=actor, action="offer.make", object_type="offer", object_id=offer.pk,
                         data={"vacancy": vacancy.pk, "recruit": recruit.pk})  # fmt: skip
    except IntegrityError:
        return Offer.objects.get(vacancy=vacancy, recruit=recruit)
    return offer


def offer_accept(*, actor: Any, offer_id: int) -> Offer:
    """Record the recruit's acceptance and send them on their way (module docstring). A second call
    returns the accepted offer unchanged.

    Raises:
        NotFound: the offer is not to a recruit of the actor's province.
        Conflict: the recruit has accepted another offer (``recruit_taken``).
    """
    offer = authorized(actor, "offer.accept", Offer.objects.select_related("vacancy", "recruit"), offer_id)
    if offer.state == Offer.State.ACCEPTED:
        return offer
    try:
        with transaction.atomic():
            claimed = Offer.objects.filter(pk=offer.pk, state=Offer.State.OFFERED).update(
                state=Offer.State.ACCEPTED, accepted_at=timezone.now()
            )
            if claimed:
                offer.refresh_from_db()
                _travel(offer)
                audit_record(actor=actor, action="offer.accept", object_type="offer", object_id=offer.pk,
                             data={"application": offer.application_id, "vehicle": offer.vehicle_key})  # fmt: skip
    except IntegrityError as exc:  # one_job: another offer of this recruit was accepted meanwhile
        raise Conflict("该人员已接受其他岗位 (the recruit has taken another job)", "recruit_taken") from exc
    offer.refresh_from_db()
    return offer


def _travel(offer: Offer) -> None:
    """The accepted recruit's application and, when one is free, their seat and ticket."""
    from homeward.apps.applications import services as apps
    from homeward.apps.trips.services.tickets import tickets_issue

    recruit, vacancy = offer.recruit, offer.vacancy
    status = latest_statuses([recruit.id_number]).get(recruit.id_number)
    app = apps.application_create_draft(
        actor=RECRUITING, enterprise_id=vacancy.enterprise_id, notes=f"服务小分队招录：{vacancy.role}"
    )
    row = apps.application_worker_add(
        actor=RECRUITING, application_id=app.pk,
        values={"id_number": recruit.id_number, "name": recruit.name, "phone": recruit.phone,
                "pickup_county": recruit.county, "health_code": status.health_code if status else "green",
                "new_hire": "是", "new_hire_reason": f"服务小分队招录 {vacancy.role}"},
    )  # fmt: skip
    apps.application_submit(actor=RECRUITING, application_id=app.pk)
    apps.application_accept(actor=RECRUITING, application_id=app.pk)
    offer.application = app
    vehicle = _take_free_seat(row, app.pk, vacancy.enterprise_id, recruit.county)
    if vehicle is not None:
        offer.vehicle_key = vehicle.key
        tickets_issue(actor=RECRUITING, run_id=vehicle.run_id)
    offer.save(update_fields=["application", "vehicle_key"])


def _serves(vehicle: PlanVehicle, county: str) -> bool:
    area = vehicle.origin_area.rstrip("0")
    return bool(area) and county.startswith(area)


def _candidates(county: str | None = None, enterprise_id: int | None = None) -> list[PlanVehicle]:
    """Buses of the plan in force not yet dispatched nor gone, with a free seat (by its rows); with
    ``enterprise_id``, only those that already carry that enterprise's workers, so they stop at its
    factory (a seat on a bus to another factory would bring the recruit to the wrong gate)."""
    run = latest_done_run()
    if run is None:
        return []
    dispatched = Dispatch.objects.values("vehicle_id")
    buses = PlanVehicle.objects.filter(
        run=run, kind=PlanVehicle.Kind.BUS, departs__gt=timezone.now()
    ).exclude(pk__in=dispatched)
    out = []
    for v in buses.order_by("departs", "key"):
        if county is not None and not _serves(v, county):
            continue
        if enterprise_id is not None and not v.seat_rows.filter(enterprise_id=enterprise_id).exists():
            continue
        if v.seat_rows.filter(leg=0).count() < v.seat_cap:
            out.append(v)
    return out


def seat_areas() -> list[str]:
    """The origin areas (region code prefixes) free seats leave from, for the ranking."""
    return sorted({v.origin_area.rstrip("0") for v in _candidates() if v.origin_area.rstrip("0")})


def _take_free_seat(row: Any, application_id: int, enterprise_id: int, county: str) -> PlanVehicle | None:
    for candidate in _candidates(county, enterprise_id):
        vehicle = PlanVehicle.objects.select_for_update().get(pk=candidate.pk)
        taken = set(vehicle.seat_rows.values_list("seat", flat=True))
        if len(taken) >= vehicle.seat_cap:
            continue  # filled meanwhile
        label = next(s for s in seat_labels(vehicle.seats, vehicle.seat_cap, Rules()) if s not in taken)
        PlanSeat.objects.create(
            run_id=vehicle.run_id, vehicle=vehicle, leg=0, seat=label, worker=row, application_id=application_id,
            enterprise_id=enterprise_id, arrives=vehicle.arrives,
        )  # fmt: skip
        PlanVehicle.objects.filter(pk=vehicle.pk).update(passengers=vehicle.passengers + 1)
        return vehicle
    return None
