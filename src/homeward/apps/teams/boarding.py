"""The boarding check of mutual recognition (返岗互认): called by the boarding scan
(``trips.services.scans``), it names the reason a passenger is refused, or "" to let them on.

Which passengers are checked is ``RECOGNITION_AT_BOARDING``: those from a province with an active
service team (``teams``, the default: the team at the origin is who records and verifies their
statuses), everyone (``all``), or nobody (``off``). The status that counts is the latest recorded
by the scan's device time.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.db.models.functions import Substr

from homeward.apps.applications.models import ApplicationWorker
from homeward.apps.teams.models import Team
from homeward.apps.teams.recognition import latest_statuses, recognise


def team_at_origin(county_field: str) -> Exists:
    """Whether the province of the county code in ``county_field`` (of the outer query) has an
    active service team: for the scan to read it with the ticket instead of in a query of its own."""
    province = Substr(OuterRef(county_field), 1, 2)
    return Exists(Team.objects.filter(province_code=province, active=True))


def checked_at_boarding(province: str, team_at_origin: bool | None = None) -> bool:
    """``team_at_origin``: the ``team_at_origin`` annotation when the caller read it already."""
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
