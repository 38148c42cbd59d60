"""Tickets from the plan in force: issued when a plan run finishes, idempotent, a re-plan re-issues
only changed legs and revokes the old ticket, which then verifies as revoked; a declined worker is
left out of the next plan."""

from __future__ import annotations

import pytest

from homeward.apps.applications.models import ApplicationWorker
from homeward.apps.applications.services import permit_verify
from homeward.apps.audit.models import AuditEvent
from homeward.apps.planning.models import PlanSeat
from homeward.apps.trips.models import Ticket
from homeward.apps.trips.services.tickets import tickets_issue
from homeward.core.errors import Conflict, PermissionDenied
from homeward.core.permits import Ticket as CoreTicket
from homeward.core.permits import decode_token
from tests.conftest import system_actor
from tests.planning.conftest import run_plan

pytestmark = pytest.mark.django_db


def _issued() -> dict[int, Ticket]:
    return {t.worker_id: t for t in Ticket.objects.filter(state="issued")}


def test_it_issues_a_ticket_per_seated_worker_when_the_plan_finishes(planned) -> None:
    seated = set(
        PlanSeat.objects.filter(run=planned, vehicle__isnull=False).values_list("worker_id", flat=True)
    )
    tickets = _issued()
    assert seated and set(tickets) == seated
    ticket = next(iter(tickets.values()))
    body = decode_token(ticket.token).permit
    assert isinstance(body, CoreTicket) and body.worker == ticket.worker_id and body.run == planned.pk
    assert [leg.leg for leg in body.legs] == [x["leg"] for x in ticket.legs]
    assert body.holder.endswith("＊") and ticket.worker.name not in ticket.token
    assert permit_verify(ticket.token).reason == "ok"
    # a train rider has the shuttle as a second leg, with the escort's phone where the plan has one
    train = [t for t in tickets.values() if t.legs[0]["kind"] == "train"]
    assert train and all(len(t.legs) == 2 and t.legs[1]["kind"] == "shuttle" for t in train)
    assert any(x["escort_phone"] == "13800000001" for t in tickets.values() for x in t.legs)


def test_every_issued_ticket_is_audited(planned) -> None:
    tickets = Ticket.objects.all()
    events = AuditEvent.objects.filter(action="ticket.issue")
    assert sorted(int(e.object_id) for e in events) == sorted(t.pk for t in tickets)
    assert {e.data["ticket_id"] for e in events} == {t.ticket_id for t in tickets}


def test_issuing_again_changes_nothing(planned) -> None:
    before = {t.pk: t.token for t in Ticket.objects.all()}
    events = AuditEvent.objects.count()
    summary = tickets_issue(actor=system_actor(), run_id=planned.pk)
    assert (summary.issued, summary.revoked) == (0, 0) and summary.unchanged == len(before)
    assert {t.pk: t.token for t in Ticket.objects.all()} == before
    assert AuditEvent.objects.count() == events


def test_a_replan_reissues_only_changed_tickets_and_the_old_verify_as_revoked(planned) -> None:
    first = _issued()
    # one worker's seat changes (as a re-plan moving them would): only their ticket is re-issued
    moved = next(iter(first.values()))
    second = run_plan(seed=planned.seed)
    PlanSeat.objects.filter(run=second, worker_id=moved.worker_id, leg=0).update(seat="99")
    summary = tickets_issue(actor=system_actor(), run_id=second.pk)
    assert (summary.issued, summary.revoked) == (1, 1)
    now = _issued()
    assert now[moved.worker_id].ticket_id != moved.ticket_id
    assert now[moved.worker_id].legs[0]["seat"] == "99"
    assert all(now[w].token == t.token for w, t in first.items() if w != moved.worker_id)
    assert all(t.run_id == second.pk for t in now.values())
    assert permit_verify(moved.token).reason == "revoked"
    assert permit_verify(now[moved.worker_id].token).reason == "ok"
    # each new and each revoked ticket has its own audit event, naming it
    revoke = AuditEvent.objects.get(action="ticket.revoke")
    assert (revoke.object_id, revoke.data) == (
        str(moved.pk),
        {"ticket_id": moved.ticket_id, "reason": "replanned"},
    )
    issue = AuditEvent.objects.filter(action="ticket.issue").order_by("pk").last()
    assert issue.object_id == str(now[moved.worker_id].pk) and issue.data["replaces"] == moved.ticket_id


def test_a_declined_worker_is_not_seated_by_the_next_plan_and_loses_the_ticket(planned) -> None:
    ticket = next(iter(_issued().values()))
    ApplicationWorker.objects.filter(pk=ticket.worker_id).update(declined_at=planned.finished_at)
    again = run_plan()
    assert not PlanSeat.objects.filter(run=again, worker_id=ticket.worker_id).exists()
    assert ticket.worker_id not in _issued()
    assert permit_verify(ticket.token).reason == "revoked"


def test_only_the_plan_in_force_is_ticketed(planned) -> None:
    newer = run_plan()
    with pytest.raises(Conflict):
        tickets_issue(actor=system_actor(), run_id=planned.pk)
    assert newer.pk != planned.pk


def test_it_is_the_task_forces_or_the_planners(planned, enterprise_user) -> None:
    with pytest.raises(PermissionDenied):
        tickets_issue(actor=enterprise_user, run_id=planned.pk)
    assert AuditEvent.objects.filter(actor=enterprise_user, action="denied.ticket.issue").exists()
