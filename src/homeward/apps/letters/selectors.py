"""Reads of letters home: the audience of a set of filters, campaigns with their counts, the
intentions an employer sees and the intention counts the heat map shows (and, summed per
origin province, a service team's dashboard)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from homeward.apps.accounts.policy import WorkerSession, allows, authorize, authorized, scoped
from homeward.apps.letters.models import Campaign, Intention, IntentionKind, Letter, LetterState
from homeward.apps.registry.models import CountyRisk, Worker
from homeward.core import regions
from homeward.core.outreach.audience import Audience, origin_prefix


def audience_workers(audience: Audience) -> QuerySet[Worker]:
    """The registry workers a campaign with ``audience`` writes to: the heat map's filters, the
    status asked for, and nobody who opted out. An origin county without a published risk level
    counts as low risk."""
    qs = Worker.objects.filter(status__in=audience.status, opt_out__isnull=True)
    if audience.origin:
        qs = qs.filter(origin_code__startswith=origin_prefix(audience.origin))
    if audience.town:
        qs = qs.filter(employer__town__code=audience.town)
    if audience.enterprise:
        qs = qs.filter(employer_id=audience.enterprise)
    if audience.risk and set(audience.risk) != {"low", "medium", "high"}:
        others = CountyRisk.objects.exclude(level__in=audience.risk).values("county_code")
        listed = CountyRisk.objects.filter(level__in=audience.risk).values("county_code")
        qs = (
            qs.exclude(origin_code__in=others)
            if "low" in audience.risk
            else qs.filter(origin_code__in=listed)
        )
    return qs


def audience_size(*, actor: Any, audience: Audience) -> int:
    authorize(actor, "campaign.read")
    return audience_workers(audience).count()


def campaign_list(*, actor: Any) -> QuerySet[Campaign]:
    authorize(actor, "campaign.read")
    return Campaign.objects.select_related("created_by")


def campaign_get(*, actor: Any, campaign_id: int) -> Campaign:
    return authorized(actor, "campaign.read", Campaign.objects.all(), campaign_id)


@dataclass(frozen=True, slots=True)
class CampaignCounts:
    letters: int
    queued: int
    sent: int  # handed to the channel, delivered or not
    delivered: int
    failed: int
    opted_out: int
    replied: int
    converted: int


def campaign_counts(campaign: Campaign) -> CampaignCounts:
    """The campaign page's figures: letters by state; replied = workers written to who answered
    since their letter went out; converted = those whose intention became a return application."""
    by_state = dict(
        Letter.objects.filter(campaign=campaign).values_list("state").annotate(n=Count("pk")).order_by()
    )
    out = Letter.objects.filter(campaign=campaign, sent_at__isnull=False)
    replied = out.filter(person__intention__updated_at__gte=campaign.created_at).count()
    converted = out.filter(person__intention__application__isnull=False).count()
    delivered = by_state.get(LetterState.DELIVERED, 0)
    return CampaignCounts(
        letters=sum(by_state.values()),
        queued=by_state.get(LetterState.QUEUED, 0),
        sent=by_state.get(LetterState.SENT, 0) + delivered,
        delivered=delivered,
        failed=by_state.get(LetterState.FAILED, 0),
        opted_out=by_state.get(LetterState.OPTED_OUT, 0),
        replied=replied,
        converted=converted,
    )


def intention_list(*, actor: Any, enterprise_id: int | None = None) -> QuerySet[Intention]:
    """The return intentions of the workers the actor sees (an enterprise: its own), not yet
    turned into an application, returning first, earliest date first."""
    authorize(actor, "intention.read")
    workers = scoped(actor, Worker.objects.all())
    if enterprise_id is not None:
        workers = workers.filter(employer_id=enterprise_id)
    return (
        Intention.objects.filter(person__in=workers, application__isnull=True)
        .select_related("person", "person__employer")
        .order_by("kind", "return_date", "person_id")
    )


# fewer intending workers than this in a row are not shown to roles without personal-data rights
# (the heat map's small-cell rule)
SMALL_CELL = 5


def intention_counts(*, actor: Any, by: str = "county") -> list[dict[str, Any]]:
    """Workers the actor sees who intend to return, by their current county (``by="county"``),
    their origin county (``"origin"``) or their employer's town (``"town"``): the heat map's
    intention layer. Rows under ``SMALL_CELL`` are left out unless the actor may read personal data."""
    field = {
        "county": "county_code",
        "origin": "person__origin_code",
        "town": "person__employer__town__name",
    }[by]
    rows = (
        Intention.objects.filter(kind=IntentionKind.RETURNING, person__in=scoped(actor, Worker.objects.all()))
        .values(field)
        .annotate(returning=Count("pk"), transport=Count("pk", filter=Q(needs_transport=True)))
        .order_by("-returning", field)
    )
    floor = 1 if allows(actor, "personal_data.read") else SMALL_CELL
    return [
        {"key": r[field] or "", "returning": r["returning"], "transport": r["transport"]}
        for r in rows
        if r["returning"] >= floor
    ]


def intention_layer(*, actor: Any, by: str, limit: int = 30) -> list[dict[str, Any]]:
    """``intention_counts`` with region names (and, by county, the county seat's ``lon``/``lat`` for
    the heat map's intention bubbles): the heat map's and the intentions page's layer."""
    rows = intention_counts(actor=actor, by=by)[:limit]
    for row in rows:
        code = row["key"]
        row["name"] = (regions.full_name_or_code(code) if by != "town" else code) if code else "—"
        region = regions.get(code) if by != "town" and code else None
        row["lon"], row["lat"] = (region.lon, region.lat) if region is not None else (None, None)
    return rows


def replying_worker(*, actor: Any, action: str = "letter.reply") -> Worker:
    """The registry worker signed in on their own page (a letter's link or code); anyone else is
    refused (audited) — a staff user has no reply form of their own."""
    person_id = actor.person_id if isinstance(actor, WorkerSession) else 0
    return authorized(actor, action, Worker.objects.all(), person_id)


@dataclass(frozen=True, slots=True)
class ProvinceIntentions:
    returning: int
    transport: int


def province_intentions(*, actor: Any, province: str) -> ProvinceIntentions:
    """Workers from origin ``province`` (2 digits) who intend to return, and of them those needing
    transport: the heat map's intention table by origin (``intention_counts``, its small-cell rule
    included) summed over the province's counties — the same numbers, one query."""
    rows = [r for r in intention_counts(actor=actor, by="origin") if r["key"][:2] == province[:2]]
    return ProvinceIntentions(
        returning=sum(r["returning"] for r in rows), transport=sum(r["transport"] for r in rows)
    )


def intentions_of(person_ids: Collection[int]) -> dict[int, Intention]:
    """Registry worker id → their intention, for the workers listed (one query; callers list only
    workers their actor may see)."""
    return {i.person_id: i for i in Intention.objects.filter(person_id__in=list(person_ids))}
