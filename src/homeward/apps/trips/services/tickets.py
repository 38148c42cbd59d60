"""Tickets from the plan in force: ``tickets_issue`` (idempotent; a re-plan re-issues only changed
legs and revokes the old ticket) and ``ticket_revoke`` (a decline).

Where it runs: ``planning.services.plan_run_execute_now`` calls ``tickets_issue`` as the planner once
a run is stored as done (outside the run's storing transaction, so a failure to issue never undoes a
plan; it is audited as ``tickets.failed`` and the task force can issue again with ``homeward`` or the
service, which does the same thing again and changes nothing that is already right).

Legs come from the run's rows and its stored ``PlanResult``: a worker's seat (``PlanSeat``) on each
leg, the vehicle's kind and name (plate or train name), the stop where the worker boards (from the
result's ``Stop.board``, falling back to the vehicle's first stop) and where they get off, and the
vehicle's first medical escort's phone (``MedicalEscort`` by the name the plan crewed it with).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from homeward.apps.accounts.policy import authorize
from homeward.apps.applications import keystore
from homeward.apps.applications.models import ApplicationWorker
from homeward.apps.audit.services import BATCH, audit_record_many
from homeward.apps.planning.models import MedicalEscort, PlanRun, PlanSeat, PlanVehicle
from homeward.apps.planning.services import latest_done_run
from homeward.apps.trips.models import Ticket, TicketState
from homeward.core import permits as core_permits
from homeward.core.errors import Conflict
from homeward.core.permits.model import canonical_json

# A ticket is good from a day before its first pickup to a day after its last leg arrives.
VALID_BEFORE = timedelta(hours=24)
VALID_AFTER = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class IssueSummary:
    run: int
    issued: int  # new tickets (first ones, or re-issued because the legs changed)
    unchanged: int  # kept with their token
    revoked: int  # old tickets whose legs changed, and tickets of workers no longer seated


def _boarding(run: PlanRun) -> dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]]:
    """(vehicle key, worker row id) → (the stop where they board, where they get off), from the
    run's stored result; empty when the file is gone (retention keeps the in-force plan's)."""
    from homeward.apps.planning import serialize

    path = Path(settings.MEDIA_ROOT) / run.result_path if run.result_path else None
    if path is None or not path.exists():
        return {}
    out: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {}
    for v in serialize.read_result(path).vehicles:
        on: dict[str, dict[str, Any]] = {}
        for s in v.stops:
            stop = {"place": s.place, "at": s.depart}
            for w in s.board:
                on[w] = stop
            for w in s.alight:
                if w in on:
                    out[(v.id, w)] = (on[w], {"place": s.place, "at": s.arrive})
    return out


def _escort_phones() -> dict[str, str]:
    phones: dict[str, str] = {}
    for name, phone in MedicalEscort.objects.filter(active=True).order_by("pk").values_list("name", "phone"):
        phones.setdefault(name, phone)
    return phones


def _first_stop(v: PlanVehicle) -> dict[str, Any]:
    stops = (v.detail or {}).get("stops") or []
    boarding = [s for s in stops if s.get("on")] or stops
    if boarding:
        return {"place": boarding[0]["place"], "at": datetime.fromisoformat(boarding[0]["d"])}
    return {"place": v.origin_name or v.name, "at": v.departs}


def plan_legs(run: PlanRun) -> dict[int, list[dict[str, Any]]]:
    """Every seated worker row of ``run`` → its legs in the stored form (``Ticket.legs``)."""
    vehicles = {v.pk: v for v in PlanVehicle.objects.filter(run=run)}
    boarding = _boarding(run)
    phones = _escort_phones()
    legs: dict[int, list[dict[str, Any]]] = defaultdict(list)
    seats = PlanSeat.objects.filter(run=run, vehicle__isnull=False).order_by("worker_id", "leg")
    rows = list(seats.values_list("worker_id", "vehicle_id", "leg", "seat", "enterprise_id"))
    # A seat taken after the solve (a recruit placed on a free seat) is in no stop of the stored
    # result: its rider gets off where the vehicle drops their enterprise's other workers.
    drops: dict[tuple[int, Any], dict[str, Any]] = {}
    for worker_id, vehicle_id, _leg, _seat, enterprise_id in rows:
        off = boarding.get((vehicles[vehicle_id].key, str(worker_id)), (None, None))[1]
        if off is not None:
            drops.setdefault((vehicle_id, enterprise_id), off)
    for worker_id, vehicle_id, leg, seat, enterprise_id in rows:
        v = vehicles[vehicle_id]
        on, off = boarding.get((v.key, str(worker_id)), (None, None))
        on = on or _first_stop(v)
        off = off or drops.get((vehicle_id, enterprise_id))
        escorts = ((v.detail or {}).get("crew") or {}).get("escorts") or []
        legs[worker_id].append(
            {
                "leg": leg, "kind": v.kind, "vehicle": v.name[:40], "vehicle_id": v.pk, "vehicle_key": v.key,
                "pickup": str(on["place"])[:40], "pickup_at": on["at"].replace(microsecond=0).isoformat(),
                "seat": (seat or "—")[:40], "destination": str((off or {}).get("place") or v.destination_name)[:40],
                "arrives_at": ((off or {}).get("at") or v.arrives).replace(microsecond=0).isoformat(),
                "escort_phone": next((phones[n] for n in escorts if n in phones), ""),
            }
        )  # fmt: skip
    return {w: ls for w, ls in legs.items() if [x["leg"] for x in ls] == list(range(len(ls)))}


def legs_hash(worker: ApplicationWorker, legs: list[dict[str, Any]]) -> str:
    """What a re-plan compares: the legs (and the holder they name), not the run that planned them
    (a vehicle's row id is the run's; its key, plate or train name and times are what it is)."""
    same = [{k: v for k, v in leg.items() if k != "vehicle_id"} for leg in legs]
    return hashlib.sha256(canonical_json({"w": worker.pk, "id": worker.id_number, "l": same})).hexdigest()


def holder_name(name: str) -> str:
    """The masked name a ticket carries: the surname and a mark (``张＊``)."""
    return (name.strip()[:1] or "?") + "＊"


def core_ticket(
    ticket_id: str, run: PlanRun, worker: ApplicationWorker, legs: list[dict[str, Any]]
) -> core_permits.Ticket:
    core_legs = tuple(
        core_permits.TicketLeg(
            leg=x["leg"],
            kind=x["kind"],
            vehicle=x["vehicle"],
            pickup=x["pickup"],
            pickup_at=datetime.fromisoformat(x["pickup_at"]),
            seat=x["seat"],
            destination=x["destination"],
            escort_phone=x["escort_phone"],
        )  # fmt: skip
        for x in legs
    )
    first = min(leg.pickup_at for leg in core_legs)
    last = max(datetime.fromisoformat(x["arrives_at"]) for x in legs)
    valid_to = max(last + VALID_AFTER, timezone.now() + timedelta(hours=1))
    # Long place names on a three-leg ticket can outgrow the QR code: they are cut, not the ticket.
    return core_permits.fitted_ticket(
        core_legs, permit_id=ticket_id, valid_from=first - VALID_BEFORE, valid_to=valid_to, run=run.pk,
        worker=worker.pk, holder=holder_name(worker.name), id_tail=worker.id_number[-4:].upper(),
    )  # fmt: skip


def tickets_issue(*, actor: Any, run_id: int) -> IssueSummary:
    """Issue the tickets of plan run ``run_id``, which must be the plan in force (Conflict
    ``stale_plan`` otherwise). Idempotent: a worker whose legs are what their issued ticket says keeps
    it (token and all, moved on to this run); changed legs revoke the old ticket and issue the next;
    a worker no longer seated (declined, removed, unassigned) has their ticket revoked. Revocations
    publish one new signed revocation list. Each new and revoked ticket is audited."""
    authorize(actor, "ticket.issue")
    from homeward.apps.applications.services import revocation_list_publish

    now = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        run = PlanRun.objects.select_for_update().filter(pk=run_id, state=PlanRun.State.DONE).first()
        latest = latest_done_run()
        if run is None or latest is None or latest.pk != run.pk:
            raise Conflict("只能为现行计划出票 (tickets come from the plan in force only)", "stale_plan")
        legs = plan_legs(run)
        workers = {
            w.pk: w
            for w in ApplicationWorker.objects.filter(
                pk__in=list(legs), active=True, declined_at__isnull=True
            )
        }
        current = {
            t.worker_id: t for t in Ticket.objects.select_for_update().filter(state=TicketState.ISSUED)
        }
        key = keystore.current_key(core_permits.Department.TRANSPORT, now) if workers else None
        issued_so_far = dict(
            Ticket.objects.filter(worker_id__in=list(workers))
            .values("worker_id")
            .annotate(n=Count("pk"))
            .values_list("worker_id", "n")
        )
        gone = [(current[w], "not_seated") for w in sorted(set(current) - set(workers))]
        new: list[tuple[Ticket, str]] = []  # the ticket and the one it replaces
        unchanged = 0
        for worker_id in sorted(workers):
            worker, worker_legs = workers[worker_id], legs[worker_id]
            digest = legs_hash(worker, worker_legs)
            old = current.get(worker_id)
            if old is not None and old.legs_hash == digest:
                if old.run_id != run.pk:  # the same seats on this run's vehicle rows
                    Ticket.objects.filter(pk=old.pk).update(run=run, legs=worker_legs)
                unchanged += 1
                continue
            if old is not None:
                gone.append((old, "replanned"))
            assert key is not None
            ticket_id = f"TK-{worker_id}-{issued_so_far.get(worker_id, 0) + 1}"
            body = core_ticket(ticket_id, run, worker, worker_legs)
            token = core_permits.cosign(core_permits.SignedPermit(body), key, now).token()
            ticket = Ticket(
                ticket_id=ticket_id, worker=worker, run=run, legs=worker_legs, legs_hash=digest,
                token=token, issued_at=now,
            )  # fmt: skip
            new.append((ticket, old.ticket_id if old is not None else ""))
        _revoke_all(actor, gone, now)  # before the new ones: one issued ticket per worker
        Ticket.objects.bulk_create([t for t, _ in new], batch_size=BATCH)
        audit_record_many(
            actor=actor, action="ticket.issue", object_type="ticket",
            events=[
                (t.pk, {"ticket_id": t.ticket_id, "run": run.pk, "worker": t.worker_id, "replaces": replaces})
                for t, replaces in new
            ],
        )  # fmt: skip
        issued, revoked = len(new), len(gone)
        if revoked:
            revocation_list_publish(actor=actor, at=now)
    return IssueSummary(run.pk, issued, unchanged, revoked)


def _revoke_all(actor: Any, tickets: list[tuple[Ticket, str]], now: datetime) -> None:
    """Revoke ``tickets`` (each with its reason) inside the caller's transaction, each audited; the
    caller publishes the revocation list."""
    for reason in sorted({r for _, r in tickets}):
        pks = [t.pk for t, r in tickets if r == reason]
        for start in range(0, len(pks), BATCH):
            Ticket.objects.filter(pk__in=pks[start : start + BATCH], state=TicketState.ISSUED).update(
                state=TicketState.REVOKED, revoked_at=now, revoked_reason=reason
            )
    audit_record_many(
        actor=actor, action="ticket.revoke", object_type="ticket",
        events=[(t.pk, {"ticket_id": t.ticket_id, "reason": reason}) for t, reason in tickets],
    )  # fmt: skip


def revoked_ticket_ids() -> list[str]:
    """What the revocation list carries of tickets (``revocation_list_publish`` adds it to permits')."""
    return list(Ticket.objects.filter(state=TicketState.REVOKED).values_list("ticket_id", flat=True))
