"""Sending a campaign: a background run (``audit.runs``) in two steps, each safe to repeat.

1. **Write the audience down**, once: one ``Letter`` per worker (INSERT … SELECT in one statement,
   numbered in worker order and cut into batches of the channel's size), in the transaction that
   stamps ``materialised_at``. A resumed campaign keeps these letters and their batches.
2. **Send the batches** still queued, in order. Per batch, in one transaction: new links for its
   workers (``trips.services.self_service.letter_links_issue``: the worker's one link, serving
   letters, replies and tickets), the letters rendered and handed to the channel under the batch's
   key, the letters' states stored, one audit event naming every letter. A crash before the commit
   leaves the batch queued; sent again, the channel overwrites the same batch (file, print) or the
   gateway drops the letter ids it has seen, and the unique worker × campaign constraint stops any
   second letter. Workers who opted out meanwhile are skipped (``opted_out``). The channel's rate
   limit paces the batches.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from homeward.apps.accounts.policy import authorize, user_of
from homeward.apps.audit.runs import run_claim, run_fail, run_finish_or_abandon, run_lease
from homeward.apps.audit.services import audit_record
from homeward.apps.letters.channels import channel_for, needs_phone
from homeward.apps.letters.models import Campaign, Letter, LetterState
from homeward.apps.letters.selectors import audience_workers
from homeward.apps.trips.services.self_service import letter_links_issue
from homeward.core.errors import Conflict, DomainError
from homeward.core.outreach.audience import Audience
from homeward.core.outreach.channels import FAILED, Channel, Outcome, Outgoing
from homeward.core.outreach.letter import Recipient, render
from homeward.core.outreach.pacing import batch_size_for, wait_before_next

log = logging.getLogger(__name__)

# A hook for tests and the benchmark: called with the batch number after the channel took the batch
# and before its transaction commits (raising there is a crash at the worst moment).
AfterDeliver = Callable[[int], None]


def _materialise(campaign: Campaign, channel: Channel) -> int:
    """Step 1: the audience as letters (once); returns how many."""
    size = batch_size_for(channel.per_minute, campaign.batch_size)
    audience = audience_workers(Audience.from_json(campaign.audience)).order_by().values(pid=F("pk"))
    select, params = audience.query.sql_with_params()
    table = connection.ops.quote_name(Letter._meta.db_table)
    # WHERE 1 = 1: SQLite needs it to read ON CONFLICT as the upsert clause, not a join's ON
    sql = (
        f"INSERT INTO {table} (campaign_id, person_id, seq, batch, state, error) "
        f"SELECT %s, a.pid, a.seq, (a.seq - 1) / %s, %s, '' FROM "
        f"(SELECT w.pid, ROW_NUMBER() OVER (ORDER BY w.pid) AS seq FROM ({select}) w) a WHERE 1 = 1 "
        "ON CONFLICT DO NOTHING"
    )
    with transaction.atomic():
        if (
            not Campaign.objects.filter(pk=campaign.pk, materialised_at__isnull=True)
            .select_for_update()
            .exists()
        ):
            return Letter.objects.filter(campaign=campaign).count()
        with connection.cursor() as cursor:
            cursor.execute(sql, [campaign.pk, size, LetterState.QUEUED, *params])
        total = Letter.objects.filter(campaign=campaign).count()
        Campaign.objects.filter(pk=campaign.pk).update(
            materialised_at=timezone.now(), letters_total=total, batch_size=size
        )
    return total


def _outcomes_store(batch: Any, outcomes: list[Outcome], opted_out: list[int]) -> dict[str, int]:
    """Store each letter's outcome; ``batch`` is the batch's queued letters (a queryset). The usual
    case, one outcome for the whole batch, is one UPDATE without a list of ids."""
    now = timezone.now()
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for o in outcomes:
        groups[(o.status, o.error[:200])].append(o.letter_id)
    whole = len(groups) == 1 and not opted_out and batch.count() == len(outcomes)
    for (status, error), ids in groups.items():
        (batch if whole else batch.filter(pk__in=ids)).update(state=status, sent_at=now, error=error)
    if opted_out:
        batch.filter(pk__in=opted_out).update(state=LetterState.OPTED_OUT)
    counts: dict[str, int] = defaultdict(int)
    for (status, _), ids in groups.items():
        counts[status] += len(ids)
    counts[LetterState.OPTED_OUT] = len(opted_out)
    return dict(counts)


def _send_batch(
    campaign: Campaign, channel: Channel, batch: int, actor: Any, after_deliver: AfterDeliver | None
) -> int:
    """Step 2 for one batch; returns how many letters it settled."""
    queued = Letter.objects.filter(campaign=campaign, batch=batch, state=LetterState.QUEUED)
    rows = list(
        queued.order_by("seq")
        .values_list(
            "pk", "person_id", "person__name", "person__phone", "person__employer__name",
            "person__employer__town__name", "person__opt_out",
        )
    )  # fmt: skip
    if not rows:
        return 0
    phone_needed = needs_phone(campaign.channel)
    with transaction.atomic():
        opted_out = [r[0] for r in rows if r[6] is not None]
        writing = [r for r in rows if r[6] is None]
        no_phone = [Outcome(r[0], FAILED, "no_phone") for r in writing if phone_needed and not r[3]]
        writing = [r for r in writing if not (phone_needed and not r[3])]
        links = letter_links_issue(created_by=user_of(actor), person_ids=[r[1] for r in writing])
        outgoing = []
        for pk, person, name, phone, employer, town, _ in writing:
            link = links[person]
            text = render(
                campaign.template,
                Recipient(name, employer or "", town or "", campaign.hotline, link.url, link.code),
            )
            outgoing.append(Outgoing(pk, person, name, phone, text, link.url))
        outcomes = channel.deliver(f"batch-{batch:06d}", outgoing) if outgoing else []
        if after_deliver is not None:
            after_deliver(batch)
        counts = _outcomes_store(queued, [*outcomes, *no_phone], opted_out)
        audit_record(
            actor=actor, action="letters.send", object_type="campaign", object_id=campaign.pk,
            data={"batch": batch, "channel": campaign.channel, "letters": [r[0] for r in rows], **counts},
        )  # fmt: skip
    return len(rows)


def campaign_execute_now(campaign_id: int, *, after_deliver: AfterDeliver | None = None) -> str:
    """Run a queued campaign (queued → running under a lease → done/failed); returns the final state,
    or ``"skipped"`` when it was not queued."""
    if not run_claim(Campaign, campaign_id):
        return "skipped"
    campaign = Campaign.objects.select_related("created_by__profile").get(pk=campaign_id)
    actor = campaign.created_by
    with run_lease(Campaign, campaign_id) as lease:
        try:
            authorize(actor, "campaign.send", campaign)
            channel = channel_for(campaign.channel, campaign.pk)
            total = _materialise(campaign, channel)
            settled = Letter.objects.filter(campaign=campaign).exclude(state=LetterState.QUEUED).count()
            lease.progress(letters_total=total, letters_done=settled)
            batches = list(
                Letter.objects.filter(campaign=campaign, state=LetterState.QUEUED)
                .values_list("batch", flat=True)
                .distinct()
                .order_by("batch")
            )
            started, sent = time.monotonic(), 0
            for batch in batches:
                if lease.lost:
                    raise Conflict("运行已被判定为中断 (the run was declared abandoned)", "abandoned")
                n = _send_batch(campaign, channel, batch, actor, after_deliver)
                settled += n
                sent += n
                lease.progress(letters_done=settled)
                time.sleep(wait_before_next(channel.per_minute, sent, time.monotonic() - started))
            with transaction.atomic():
                audit_record(
                    actor=actor, action="campaign.done", object_type="campaign", object_id=campaign.pk,
                    data={"letters": total},
                )  # fmt: skip
                run_finish_or_abandon(Campaign, campaign_id, state=Campaign.State.DONE, letters_done=settled)
        except Exception as exc:
            if not isinstance(exc, DomainError):
                log.exception("campaign %s failed", campaign_id)
            run_fail(Campaign, campaign_id, exc)
            return Campaign.State.FAILED.value
    return Campaign.State.DONE.value
