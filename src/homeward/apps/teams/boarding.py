"""The boarding check of mutual recognition (返岗互认): called by the boarding scan
(``trips.services.scans``), it names the reason a passenger is refused, or "" to let them on.

Which passengers are checked is ``RECOGNITION_AT_BOARDING``: those from a province with an active
service team (``teams``, the default: the team at the origin is who records and verifies their
statuses), everyone (``all``), or nobody (``off``). The status that counts is the latest recorded
by the scan's device time. ``boarding_recognitions`` is the same check for a vehicle's manifest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from homeward.apps.applications.models import ApplicationWorker
from homeward.apps.teams.models import Team
from homeward.apps.teams.recognition import latest_statuses, reason_labels, recognise


def team_at_origin(county_sql: str) -> RawSQL:
    """Whether the province of a county code has an active service team, as an annotation of the
    caller's query (``county_sql``: the county column as that query names it), so that the boarding
    scan reads it with the ticket. Written as SQL: ``Exists(Team.objects.filter(province_code=Substr(
    OuterRef(...), 1, 2), active=True))`` cost more to compile than the rest of the ticket read."""
    table = Team._meta.db_table
    return RawSQL(
        f'EXISTS (SELECT 1 FROM "{table}" WHERE "{table}"."province_code" = SUBSTR({county_sql}, 1, 2)'
        f' AND "{table}"."active" = %s)',
        (True,),
        output_field=BooleanField(),
    )


def checked_at_boarding(province: str, team_at_origin: bool | None = None) -> bool:
    """``team_at_origin``: whether the province has an active service team, when the caller read it
    already (the boarding scan reads it with the ticket: ``team_at_origin``)."""
    mode = settings.RECOGNITION_AT_BOARDING
    if mode == "off":
        return False
    if mode == "all":
        return True
    if team_at_origin is not None:
        return team_at_origin
    return Team.objects.filter(province_code=province[:2], active=True).exists()


def recognition_refusal(worker: ApplicationWorker, at: datetime, team_at_origin: bool | None = None) -> str:
    """The recognition reason refusing ``worker`` at a boarding at ``at`` ("" when they may board)."""
    if not checked_at_boarding(worker.pickup_county_code, team_at_origin):
        return ""
    status = latest_statuses([worker.id_number], at).get(worker.id_number)
    return recognise(status, at).reason


@dataclass(frozen=True, slots=True)
class BoardingRecognition:
    checked: bool  # whether boarding checks this passenger at all (``RECOGNITION_AT_BOARDING``)
    recognised: bool
    reason: str  # "" or a ``core.recognition`` reason
    label: str  # in the page's language: 已互认, the reason's words, or 无需互认


def boarding_recognitions(
    workers: Sequence[ApplicationWorker], at: datetime
) -> dict[int, BoardingRecognition]:
    """Application worker id → how the boarding check at ``at`` would see them (the manifest's
    column), in two queries however many workers: the active teams and the latest statuses."""
    mode = settings.RECOGNITION_AT_BOARDING
    teams = (
        set()
        if mode != "teams"
        else set(Team.objects.filter(active=True).values_list("province_code", flat=True))
    )
    statuses = latest_statuses({w.id_number for w in workers}, at) if mode != "off" else {}
    labels = reason_labels()
    out = {}
    for w in workers:
        checked = mode == "all" or (mode == "teams" and w.pickup_county_code[:2] in teams)
        if not checked:
            out[w.pk] = BoardingRecognition(False, True, "", _("无需互认"))
            continue
        rec = recognise(statuses.get(w.id_number), at)
        label = _("已互认") if rec.recognised else labels[rec.reason]
        out[w.pk] = BoardingRecognition(True, rec.recognised, rec.reason, label)
    return out
