"""Replies: the worker answers through their link (a short phone form) — returning (when, from
which county, whether they need transport), their health code, or not returning (why). A reply is a
return intention: the worker's known whereabouts and plan (``Intention``, one per worker), which the
heat map counts and the employer turns into a return application with one action."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from homeward.apps.accounts.policy import area_of, authorize
from homeward.apps.applications.models import HealthCode, ReturnApplication
from homeward.apps.applications.services import application_create_draft, application_worker_add
from homeward.apps.audit.services import audit_record
from homeward.apps.letters.models import Intention, IntentionKind, OptOut, Reply
from homeward.apps.letters.selectors import intention_list, replying_worker
from homeward.apps.registry.models import Worker
from homeward.core import regions
from homeward.core.errors import Conflict, DomainError

# how far ahead a return date may be
MAX_DAYS_AHEAD = 120
PICKUP_HOUR = time(8, 0)  # an application from intentions picks up from this hour of the stated day


def _clean(
    kind: str, return_date: str, county: str, health_code: str, reason: str
) -> tuple[date | None, str, str, str]:
    if kind not in IntentionKind.values:
        raise DomainError("请选择是否返岗 (choose whether you are coming back)", "bad_kind")
    if health_code and health_code not in HealthCode.values:
        raise DomainError("请选择健康码颜色 (choose the health code colour)", "bad_health_code")
    if kind == IntentionKind.NOT_RETURNING:
        return None, "", health_code, str(reason).strip()[:200]
    try:
        when = date.fromisoformat(str(return_date).strip())
    except ValueError:
        raise DomainError("请填写返程日期 (give the date you plan to travel)", "bad_date") from None
    today = timezone.localdate()
    if not today <= when <= today + timedelta(days=MAX_DAYS_AHEAD):
        raise DomainError(
            f"返程日期须在今天起 {MAX_DAYS_AHEAD} 天内 (the date must be within {MAX_DAYS_AHEAD} days)",
            "bad_date",
        )
    county = str(county).strip()
    if not regions.is_county(county):
        raise DomainError("请选择现在所在的区县 (choose the county you are in now)", "bad_county")
    return when, county, health_code, ""


def letter_reply(
    *,
    actor: Any,
    kind: str,
    return_date: str = "",
    county: str = "",
    needs_transport: bool = False,
    health_code: str = "",
    reason: str = "",
    opt_out: bool = False,
    nonce: str,
) -> Reply:
    """Store the worker's reply and make it their intention; a resent form (same nonce) returns the
    reply already stored. ``opt_out``: no more letters."""
    person = replying_worker(actor=actor)
    return reply_record(
        actor=actor, person=person, kind=kind, return_date=return_date, county=county,
        needs_transport=needs_transport, health_code=health_code, reason=reason, opt_out=opt_out,
        nonce=nonce, source="reply",
    )  # fmt: skip


def reply_record(
    *,
    actor: Any,
    person: Worker,
    kind: str,
    return_date: str = "",
    county: str = "",
    needs_transport: bool = False,
    health_code: str = "",
    reason: str = "",
    opt_out: bool = False,
    nonce: str,
    source: str,
) -> Reply:
    """The reply of ``person`` (already authorized by the caller: their own page, or the SMS gateway
    that matched their phone), made their intention. A returning worker's county is also their
    declared location in the registry (``Worker.declared_code``), so the next heat-map rebuild counts
    them where they are now; the intention itself (returning or not) is the fusion's intention input
    (``heatmap.adapters.intentions_table``). ``source``: ``reply`` (the form) or ``keyword`` (SMS)."""
    when, county, health_code, reason = _clean(kind, return_date, county, health_code, reason)
    nonce = str(nonce or "")[:64]
    if not nonce:
        raise DomainError("表单已过期，请刷新 (the form expired: reload the page)", "bad_nonce")
    found = Reply.objects.filter(person=person, nonce=nonce).first()
    if found is not None:
        return found
    now = timezone.now()
    fields = {
        "kind": kind, "return_date": when, "county_code": county, "needs_transport": bool(needs_transport)
        and kind == IntentionKind.RETURNING, "health_code": health_code,
    }  # fmt: skip
    try:
        with transaction.atomic():
            reply = Reply.objects.create(person=person, reason=reason, replied_at=now, nonce=nonce, **fields)
            Intention.objects.update_or_create(
                person=person, defaults={"reply": reply, "updated_at": now, **fields}
            )
            if county:
                Worker.objects.filter(pk=person.pk).update(declared_code=county)
            if opt_out:
                OptOut.objects.get_or_create(person=person, defaults={"at": now, "source": source})
            audit_record(
                actor=actor, action="letter.reply", object_type="worker", object_id=person.pk,
                data={"reply": reply.pk, "kind": kind, "county": county, "opt_out": bool(opt_out),
                      "source": source},
            )  # fmt: skip
    except IntegrityError:  # the same form twice at once
        return Reply.objects.get(person=person, nonce=nonce)
    return reply


def _ready_from(intentions: list[Intention]) -> datetime | None:
    """When the workers of ``intentions`` can all be picked up: 08:00 (city time) on the latest
    return date they stated, so that nobody is fetched before the day they said they would leave;
    None when that is not in the future (or nobody stated a date)."""
    dates = [i.return_date for i in intentions if i.return_date is not None]
    if not dates:
        return None
    at = timezone.make_aware(datetime.combine(max(dates), PICKUP_HOUR))
    return at if at > timezone.now() else None


def intentions_to_application(*, actor: Any, person_ids: Iterable[int]) -> ReturnApplication:
    """One action for the employer: a draft return application with the picked workers who intend
    to return, each picked up in the county they said they are in (their origin county if they gave
    none), their declared health code. Sent again after it worked, it returns the same application."""
    authorize(actor, "intention.read")
    wanted = list(dict.fromkeys(int(p) for p in person_ids))
    if not wanted:
        raise DomainError("请勾选人员 (pick at least one worker)", "nothing_picked")
    area = area_of(actor)
    enterprise_id = area.enterprise_id if area is not None else None
    visible = Intention.objects.filter(person__in=Worker.objects.filter(pk__in=wanted))
    if enterprise_id is not None:
        visible = visible.filter(person__employer_id=enterprise_id)
    done = {i.application_id for i in visible if i.application_id is not None}
    open_ = list(
        intention_list(actor=actor, enterprise_id=enterprise_id).filter(
            person_id__in=wanted, kind=IntentionKind.RETURNING
        )
    )
    if not open_:
        if len(done) == 1:  # already turned into this application (a resent form)
            return ReturnApplication.objects.get(pk=done.pop())
        raise Conflict(
            "所选人员没有待处理的返岗意向 (no open return intentions among those picked)", "no_intentions"
        )
    employers = {i.person.employer_id for i in open_}
    if len(employers) != 1 or None in employers:
        raise DomainError("一次只能为一家企业生成申请 (one enterprise at a time)", "one_enterprise")
    app = application_create_draft(
        actor=actor, enterprise_id=employers.pop(), notes="", pickup_from=_ready_from(open_)
    )
    added = []
    for i in open_:
        p = i.person
        application_worker_add(
            actor=actor, application_id=app.pk,
            values={
                "id_number": p.id_number, "name": p.name, "phone": p.phone,
                "pickup_county": i.county_code or p.origin_code, "health_code": i.health_code or "green",
            },
        )  # fmt: skip
        added.append(i.pk)
    with transaction.atomic():
        Intention.objects.filter(pk__in=added).update(application=app)
        audit_record(
            actor=actor, action="intention.convert", object_type="application", object_id=app.pk,
            data={"workers": [i.person_id for i in open_]},
        )  # fmt: skip
    return app
