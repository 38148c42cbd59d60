"""Campaigns: written by the task force (template, hotline, channel, audience), previewed, sent as a
background run, resumed after a crash. Every step audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from homeward.apps.accounts.policy import authorize, authorized
from homeward.apps.audit.runs import run_enqueue, runs_expire
from homeward.apps.audit.services import audit_record
from homeward.apps.letters.channels import channel_for
from homeward.apps.letters.models import Campaign, Channel
from homeward.apps.letters.selectors import audience_workers
from homeward.apps.registry.models import Enterprise, Town
from homeward.core.errors import DomainError
from homeward.core.outreach.audience import Audience
from homeward.core.outreach.channels import ChannelNotConfigured, HttpGateway
from homeward.core.outreach.letter import Recipient, render, template_check

SAMPLE_LINK = "https://…/w/start/?k=…"
SAMPLE_CODE = "ABCD2345"


def audience_parse(raw: Mapping[str, Any]) -> Audience:
    """The audience from form or JSON values: ``origin`` (a province, prefecture or county code),
    ``town`` (its code), ``enterprise`` (an id), ``risk`` and ``status`` (lists or comma lists)."""

    def many(key: str) -> tuple[str, ...]:
        value = raw.get(key) or ()
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(sorted({str(x).strip() for x in items if str(x).strip()}))

    enterprise = str(raw.get("enterprise") or "").strip()
    if enterprise and (not enterprise.isdigit() or len(enterprise) > 18):
        raise DomainError("企业参数无效 (bad enterprise id)", "bad_audience")
    town = str(raw.get("town") or "").strip() or None
    if town is not None and not Town.objects.filter(code=town).exists():
        raise DomainError("没有这个镇街 (no such town)", "bad_audience")
    if enterprise and not Enterprise.objects.filter(pk=int(enterprise)).exists():
        raise DomainError("没有这个企业 (no such enterprise)", "bad_audience")
    return Audience(
        origin=str(raw.get("origin") or "").strip() or None,
        town=town,
        enterprise=int(enterprise) if enterprise else None,
        risk=many("risk"),
        status=many("status") or ("away",),
    )


def campaign_create(
    *, actor: Any, name: str, template: str, hotline: str, channel: str, audience: Mapping[str, Any]
) -> Campaign:
    """A draft campaign (nothing is sent until ``campaign_send``)."""
    authorize(actor, "campaign.create")
    name, hotline = str(name).strip()[:100], str(hotline).strip()[:40]
    if not name:
        raise DomainError("请填写活动名称 (name the campaign)", "name_required")
    if not hotline:
        raise DomainError("请填写咨询热线 (give the hotline)", "hotline_required")
    if channel not in Channel.values:
        raise DomainError("渠道无效 (unknown channel)", "bad_channel")
    text = template_check(template)
    aud = audience_parse(audience)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            template=text,
            hotline=hotline,
            channel=channel,
            audience=aud.as_json(),
            created_by=actor,
        )
        audit_record(
            actor=actor, action="campaign.create", object_type="campaign", object_id=campaign.pk,
            data={"channel": channel, "audience": aud.as_json()},
        )  # fmt: skip
    return campaign


def _mask_name(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def campaign_preview(*, actor: Any, campaign_id: int) -> str:
    """The letter as the audience's first worker would read it, their name masked and a sample link
    (the real link is made when the letter is sent, and shown only in the letter)."""
    campaign = authorized(actor, "campaign.read", Campaign.objects.all(), campaign_id)
    first = (
        audience_workers(Audience.from_json(campaign.audience))
        .select_related("employer__town")
        .order_by("pk")
        .first()
    )
    employer = first.employer if first is not None else None
    return render(
        campaign.template,
        Recipient(
            name=_mask_name(first.name) if first is not None else "张*",
            employer=employer.name if employer is not None else "",
            town=employer.town.name if employer is not None else "",
            hotline=campaign.hotline,
            link=SAMPLE_LINK,
            code=SAMPLE_CODE,
        ),
    )


def _check_channel(campaign: Campaign) -> None:
    channel = channel_for(campaign.channel, campaign.pk)
    if isinstance(channel, HttpGateway) and not channel.configured():
        raise ChannelNotConfigured(
            f"渠道 {campaign.get_channel_display()} 未配置，不能发送 (the channel is not configured)",
            "channel_not_configured",
        )


def _enqueue(campaign_id: int) -> None:
    from homeward.apps.letters.tasks import campaign_execute

    run_enqueue(Campaign, campaign_id, campaign_execute)


def _queue(actor: Any, campaign_id: int, *, was: str, action: str) -> Campaign:
    campaign = authorized(actor, "campaign.send", Campaign.objects.all(), campaign_id)
    _check_channel(campaign)
    with transaction.atomic():
        # conditional: a second click (or a resent form) finds it no longer ``was`` and changes nothing
        if Campaign.objects.filter(pk=campaign.pk, state=was).update(
            state=Campaign.State.QUEUED, error="", error_code="", task_id="", finished_at=None
        ):
            audit_record(
                actor=actor, action=action, object_type="campaign", object_id=campaign.pk,
                data={"channel": campaign.channel, "letters_done": campaign.letters_done},
            )  # fmt: skip
            transaction.on_commit(lambda: _enqueue(campaign.pk))
    campaign.refresh_from_db()
    return campaign


def campaign_send(*, actor: Any, campaign_id: int) -> Campaign:
    """draft → queued: the task worker writes the audience down as letters and sends them in
    batches. Sending again changes nothing."""
    return _queue(actor, campaign_id, was=Campaign.State.DRAFT, action="campaign.send")


def campaign_resume(*, actor: Any, campaign_id: int) -> Campaign:
    """failed (a crash, a stopped worker, a gateway down) → queued again: the letters not yet sent
    go out, none twice. A run still running whose lease has lapsed is failed first."""
    runs_expire(Campaign, actor=actor)
    return _queue(actor, campaign_id, was=Campaign.State.FAILED, action="campaign.resume")
