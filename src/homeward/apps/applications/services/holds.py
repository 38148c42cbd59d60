"""Who an application may hold: workers on its enterprise's roster, or people flagged as new hires
with a reason who are on no other enterprise's roster; a worker is held by one live application at a
time, which the database enforces (``ApplicationWorker.live``). A refusal never says which other
application or enterprise holds someone: an ID that is not on the roster gets the same answer
whether it is unknown, on another roster or in another application. Drafts expire after
``HOMEWARD_DRAFT_TTL_HOURS`` and then hold nobody (``drafts_expire`` runs before every hold is taken).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import IntegrityError

from homeward.apps.applications.models import ApplicationWorker, ReturnApplication
from homeward.apps.applications.worker_rows import WorkerRow
from homeward.apps.registry.models import CountyRisk, Worker
from homeward.core.errors import Conflict

# The answers to "may this application hold this ID number?" (reason, message). Neither names
# another application or enterprise.
NOT_ON_ROSTER = (
    "not_on_roster",
    "不在本企业参保名册上；新招员工请标记为新员工并填写说明 "
    "(not on your enterprise's roster: mark someone recruited since as a new hire, with a reason)",
)
UNAVAILABLE = (
    "unavailable",
    "该人员不能加入本申请：已登记在其他企业或已在另一份有效申请中，如有疑问请联系专班 "
    "(cannot join this application: registered with another enterprise or held by another live "
    "application; ask the task force)",
)


def _high_risk() -> Callable[[str], bool]:
    high = set(CountyRisk.objects.filter(level=CountyRisk.Level.HIGH).values_list("county_code", flat=True))
    return high.__contains__


def _refusals(app: ReturnApplication, rows: Iterable[WorkerRow]) -> dict[str, tuple[str, str]]:
    """Why each of ``rows`` may not join ``app`` (reason, message) by ID number; absent: it may.

    Not flagged as a new hire: the ID must be on the enterprise's roster, else ``NOT_ON_ROSTER``,
    whatever else is true of it. Flagged: it must be on no other enterprise's roster. Either way it
    must not be held by another live application: the enterprise's own says which; anyone else's,
    or another roster, gets ``UNAVAILABLE``, one answer for both."""
    wanted = {r.id_number: r for r in rows}
    if not wanted:
        return {}
    employers = dict(
        Worker.objects.filter(id_number__in=list(wanted)).values_list("id_number", "employer_id")
    )
    holders = dict(
        ApplicationWorker.objects.filter(active=True, live=True, id_number__in=list(wanted))
        .exclude(application=app)
        .values_list("id_number", "application_id")
    )
    own_holders = set(
        ReturnApplication.objects.filter(
            pk__in=set(holders.values()), enterprise_id=app.enterprise_id
        ).values_list("pk", flat=True)
    )
    refusals: dict[str, tuple[str, str]] = {}
    for number, row in wanted.items():
        employer = employers.get(number)
        on_roster = employer is not None and employer == app.enterprise_id
        if not on_roster and not row.new_hire:
            refusals[number] = NOT_ON_ROSTER
        elif not on_roster and employer is not None:
            refusals[number] = UNAVAILABLE
        elif number in holders and holders[number] in own_holders:
            refusals[number] = (
                "already_applied",
                f"该人员已在本企业的接返申请 #{holders[number]} 中 (already in your application #{holders[number]})",
            )
        elif number in holders:
            refusals[number] = UNAVAILABLE
    return refusals


def _roster_ids(app: ReturnApplication, id_numbers: Iterable[str]) -> dict[str, int]:
    return dict(
        Worker.objects.filter(employer_id=app.enterprise_id, id_number__in=list(id_numbers)).values_list(
            "id_number", "pk"
        )
    )


def _held_meanwhile(exc: IntegrityError) -> Conflict:
    """The database refused a second live hold on an ID (``one_live_application_per_id``): another
    application took it between our check and our write."""
    return Conflict(f"{UNAVAILABLE[1]}", UNAVAILABLE[0])
