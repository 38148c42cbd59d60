"""Scans at the handovers: ``scan_record`` (one scan, idempotent by its device nonce) and
``scans_upload`` (a device's batch, each answered on its own).

What a scan reads: a ticket token (the QR text or the verify link it holds), checked with the same
offline rules a device applies (``core.permits.verify_token`` at the device's time, against the
published keys and revocation list), then against the ticket row (revoked, declined, removed); or,
as a last resort, a typed ID number, resolved to that worker's issued ticket.

Refusals (``outcome`` refused, a ``reason``; the event is stored so a replay gets the same answer):
the token's verification reason (``format``, ``tampered``, ``revoked``, ``expired``, ...),
``no_ticket`` (a typed ID with no issued ticket), ``revoked``, ``declined``, ``removed``,
``no_leg`` (e.g. a shuttle scan on a bus ticket), ``wrong_vehicle`` (the ticket's seat is on another
vehicle than the scanner's), ``over_capacity`` (the vehicle's seat cap is reached), ``wrong_place``
(station staff scan at their own place only), ``out_of_scope`` (an enterprise user: only the gate
handover of its own workers), ``not_your_vehicle`` (a medical escort: only tickets whose leg rides
on a vehicle they are crewed on, ``trips.services.escorts``). These scope refusals hide the holder
and are audited as ``denied.scan.record`` beside the scan's own event.

Capacity: a boarding locks the vehicle's plan row (``FOR UPDATE``) after the ticket's row (that
row alone: ``of=("self",)``, so one application's workers do not queue behind each other) and
counts the distinct workers with a boarding not refused on that vehicle (by its stable key) inside
the same transaction, so concurrent scanners on one bus serialise there and the count never passes
``seat_cap`` (on SQLite the whole database is locked by the write anyway). A worker already counted
boards again without taking a second seat (the conflict rule below decides which scan stands). What
the vehicle's lock does not guard (the declaration, the standing scan of this worker, whose scans
queue on the ticket's lock) is read before it is taken, so the scanners of one bus wait for each
other's count, insert and commit only.

Conflicts: ``core.scans`` — the earliest device time wins per worker, leg and checkpoint; a later
one is stored and answered ``conflict`` (``already_boarded`` on the same vehicle, ``conflict``
elsewhere) and derives nothing. The answer is stored with the scan (``answer``) and a duplicate
upload is answered ``duplicate`` with it (``first_answer``). A scan uploaded late with an earlier
device time than the one standing is answered ``recorded`` and takes over in the derived state (the
other becomes the conflict there), so the state does not depend on upload order.

Health at boarding: the scanner's temperature and health-code reading; what it did not check is
taken from the worker's latest health declaration made before the scan.

Effects of a winning scan: a boarding puts a planned application on the road (planned →
in_transit); a gate handover marks the registry worker ``returned`` (audited as
``worker.returned``; the heat map's next rebuild reads gate arrivals beside the police's) and, when
every worker of the application who holds a ticket has arrived (the others are explained: declined,
removed, or given no seat by the plan), completes the application at the last arrival.

Cost: a scan runs on every handover, so its small fixed reads (the vehicle lock and riders, the
declaration, the standing scan, whether anyone of the application is still on the way) are written
as SQL in ``scan_sql``, each beside the ORM query it stands for and tested equal to it; the ticket is
read with the fields listed in ``TICKET_FIELDS`` only; the scan and its audit row are inserted by
``homeward.db_insert.insert_one``. The rules above do not depend on how the rows are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone

from homeward.apps.accounts.policy import authorize, user_of
from homeward.apps.accounts.roles import Role, profile_of
from homeward.apps.applications.models import ApplicationWorker
from homeward.apps.applications.services.transit import application_arrive
from homeward.apps.audit.services import audit_record
from homeward.apps.registry.models import Worker
from homeward.apps.teams.boarding import recognition_refusal, team_at_origin
from homeward.apps.trips.models import ScanEvent, Ticket, TicketState
from homeward.apps.trips.services import scan_sql as sql
from homeward.apps.trips.services.escorts import escort_vehicle_keys
from homeward.apps.trips.services.tickets import holder_name
from homeward.core import scans as rules
from homeward.core.errors import DomainError
from homeward.db_insert import insert_one
from homeward.db_select import INT_PLACEHOLDER, STR_PLACEHOLDER, compiled_get

RECORDED, DUPLICATE, CONFLICT, REFUSED = "recorded", "duplicate", "conflict", "refused"
NONCE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
TEMPERATURE_MIN, TEMPERATURE_MAX = Decimal("30.0"), Decimal("45.0")
HEALTH_CODES = ("", "green", "yellow", "red")


@dataclass(frozen=True, slots=True)
class ScanResult:
    nonce: str
    answer: str  # recorded / duplicate / conflict / refused
    outcome: str  # ok / observation / refused
    reason: str
    event_id: int | None
    holder: str = ""  # the masked name (张＊) and the ID's last four, for the scanner's screen
    seat: str = ""
    vehicle: str = ""
    first_answer: str = ""  # a duplicate: what the scan was answered when it was first recorded

    def to_dict(self) -> dict[str, Any]:
        return {
            "nonce": self.nonce, "answer": self.answer, "outcome": self.outcome, "reason": self.reason,
            "event_id": self.event_id, "holder": self.holder, "seat": self.seat, "vehicle": self.vehicle,
            "first_answer": self.first_answer or self.answer,
        }  # fmt: skip


# What a scan reads of the ticket, its worker and their application (the scope and escort checks,
# 返岗互认, the effects and the answer): of ~55 columns, compiling and loading the others was a
# third of the ticket read. A field read that is not listed here costs a query of its own.
TICKET_FIELDS = (
    "ticket_id", "legs", "state", "worker__name", "worker__id_number", "worker__active",
    "worker__declined_at", "worker__pickup_county_code", "worker__worker_id",
    "worker__application__state", "worker__application__enterprise_id",
)  # fmt: skip
# 返岗互认 asks whether the holder's origin province has a service team: read with the ticket, whose
# query joins the worker's table under its own name (``select_related``)
TEAM_AT_ORIGIN = team_at_origin('"applications_applicationworker"."pickup_county_code"')

# Refusals for the scanner's own scope: who the ticket names is not theirs to see.
HIDES_HOLDER = frozenset({"out_of_scope", "wrong_place", "not_your_vehicle"})


def _result(event: ScanEvent, answer: str) -> ScanResult:
    hidden = event.reason in HIDES_HOLDER
    leg = _leg(event.ticket, event.leg) if event.ticket is not None and not hidden else {}
    holder = ""
    if event.worker is not None and not hidden:
        holder = f"{holder_name(event.worker.name)} {event.worker.id_number[-4:]}"
    return ScanResult(
        event.nonce, answer, event.outcome, event.reason, event.pk, holder,
        str(leg.get("seat", "")), str(leg.get("vehicle", "" if hidden else event.vehicle)), event.answer,
    )  # fmt: skip


def _kinds(ticket: Ticket | None) -> list[tuple[str, str]]:
    """The ticket's (vehicle kind, vehicle key) in leg order, as ``core.scans.leg_of`` reads them."""
    legs = sorted(ticket.legs, key=lambda x: x.get("leg", 0)) if ticket is not None else []
    return [(str(x.get("kind", "")), str(x.get("vehicle_key", ""))) for x in legs]


def _places(ticket: Ticket) -> list[str]:
    """Every place the ticket's journey stops at: each leg's pickup and destination."""
    return [str(x.get(end, "")) for x in ticket.legs for end in ("pickup", "destination")]


def _leg(ticket: Ticket | None, leg: int) -> dict[str, Any]:
    if ticket is None:
        return {}
    return next((x for x in ticket.legs if x.get("leg") == leg), {})


def _temperature(value: object) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        t = Decimal(str(value)).quantize(Decimal("0.1"))
    except InvalidOperation:
        raise DomainError("体温格式不对 (temperature is not a number)", "bad_temperature") from None
    if not TEMPERATURE_MIN <= t <= TEMPERATURE_MAX:
        raise DomainError("体温超出范围 (temperature out of range)", "bad_temperature")
    return t


def _resolve(actor: Any, token_or_id: str, manual: bool, at: datetime) -> tuple[dict[str, Any] | None, str]:
    """How to find the ticket a scan names (a lookup for ``Ticket.objects.filter``, made under the
    ticket's row lock in ``_record``, so the token path reads the ticket once) and the refusal
    reason its token gives ("" when none). A typed ID number finds an enterprise user's own workers
    only (it does not tell who else holds a ticket)."""
    from homeward.apps.applications.services import permit_verify

    text = (token_or_id or "").strip()
    if manual:
        tickets = Ticket.objects.filter(state=TicketState.ISSUED, worker__id_number=text.upper()[:18])
        profile = profile_of(actor)
        if profile is not None and profile.role == Role.ENTERPRISE:
            tickets = tickets.filter(worker__application__enterprise_id=profile.enterprise_id)
        pk = tickets.order_by("-issued_at", "-pk").values_list("pk", flat=True).first()
        return ({"pk": pk}, "") if pk is not None else (None, "no_ticket")
    verification = permit_verify(text[:4000], at)
    if verification.permit is None:  # format, unknown key, tampered: nothing to trust
        return None, verification.reason
    return {"ticket_id": verification.permit.permit_id}, ("" if verification.valid else verification.reason)


# The checkpoints a role can ever record, where it is not every one, and the reason the others are
# refused: an enterprise hands over at its gate; a station's place is a station, never a factory
# gate. The scanner page offers these (``checkpoints_for``); ``_checkpoint_refusal`` refuses the rest.
_ROLE_CHECKPOINTS: dict[str, tuple[tuple[str, ...], str]] = {
    Role.ENTERPRISE: ((rules.GATE,), "out_of_scope"),
    Role.STATION: ((rules.BOARD, rules.STATION_ARRIVAL, rules.SHUTTLE_BOARD), "wrong_place"),
}


def checkpoints_for(role: str) -> tuple[str, ...]:
    """The checkpoints ``role`` can record scans at."""
    scope = _ROLE_CHECKPOINTS.get(role)
    return scope[0] if scope is not None else rules.CHECKPOINTS


def _checkpoint_refusal(profile: Any, checkpoint: str) -> str:
    """Why the actor's role never records at ``checkpoint`` ("" when it may): decided before what
    was scanned is looked at, so the answer tells nothing about the ID or ticket (a station typing
    ID numbers at a gate learnt which ones held a ticket: ``no_ticket`` against ``wrong_place``)."""
    scope = _ROLE_CHECKPOINTS.get(profile.role if profile is not None else "")
    return scope[1] if scope is not None and checkpoint not in scope[0] else ""


def _scope_refusal(
    profile: Any, checkpoint: str, place: str, ticket: Ticket | None, leg: dict[str, Any], escorted: set[str]
) -> str:
    """Why the actor may not make this scan ("" when they may); ``escorted``: an escort's vehicles."""
    if profile is None or profile.role == Role.TASKFORCE:
        return ""
    if profile.role == Role.STATION:  # at their place, and a scan of a journey that passes it
        if not (profile.place and place == profile.place):
            return "wrong_place"
        if ticket is not None and not rules.stops_at(profile.place, _places(ticket)):
            return "wrong_place"  # a journey elsewhere, whatever the checkpoint: not even ``no_leg``
        if leg and not rules.same_place(rules.checkpoint_place(checkpoint, leg), profile.place):
            return "wrong_place"
        return ""
    if profile.role == Role.ENTERPRISE:
        own = ticket is not None and ticket.worker.application.enterprise_id == profile.enterprise_id
        return "" if own else "out_of_scope"  # at its gate (``_checkpoint_refusal``)
    if profile.role == Role.ESCORT:  # the leg this scan reads rides one of their vehicles
        return "" if ticket is None or leg.get("vehicle_key") in escorted else "not_your_vehicle"
    return "out_of_scope"


def scan_record(
    *,
    actor: Any,
    nonce: str,
    token_or_id: str,
    checkpoint: str,
    client_at: datetime,
    manual: bool = False,
    vehicle_key: str = "",
    place: str = "",
    temperature_c: object = None,
    health_code: str = "",
) -> ScanResult:
    """Record one scan (see the module docstring for the rules), or return the first answer again
    when ``nonce`` was recorded before (answer ``duplicate``, no second row).

    Raises:
        PermissionDenied: the actor's role may not scan (``scan.record``).
        DomainError: a malformed nonce, checkpoint, temperature or health code (``bad_scan``,
            ``bad_temperature``): nothing is stored.
    """
    authorize(actor, "scan.record")
    if not NONCE.match(nonce or ""):
        raise DomainError("扫码编号无效 (bad nonce)", "bad_scan")
    if checkpoint not in rules.CHECKPOINTS:
        raise DomainError("扫码环节无效 (unknown checkpoint)", "bad_scan")
    if health_code not in HEALTH_CODES:
        raise DomainError("健康码颜色无效 (unknown health code colour)", "bad_scan")
    temperature = _temperature(temperature_c)
    if timezone.is_naive(client_at):
        raise DomainError("设备时间缺少时区 (client time needs a time zone)", "bad_scan")
    profile = profile_of(actor)
    if profile is not None and profile.role == Role.STATION and not place:
        place = profile.place
    # A nonce seen before is not looked up first: the insert's unique nonce refuses it (below), and
    # a retry is rare while a read per scan is not. Nothing a duplicate did before the insert stays.
    lookup, reason = _resolve(actor, token_or_id, manual, client_at)
    now = timezone.now()
    try:
        with transaction.atomic():
            return _record(
                actor, nonce, lookup, reason, checkpoint, client_at, now, manual=manual,
                vehicle_key=vehicle_key[:40], place=place[:100], temperature=temperature,
                health_code=health_code,
            )  # fmt: skip
    except IntegrityError:  # the nonce was stored before (a retry), or meanwhile by a concurrent upload
        first = ScanEvent.objects.filter(nonce=nonce).select_related("ticket", "worker").first()
        if first is None:
            raise
        return _result(first, DUPLICATE)


def _ticket_locked(lookup: dict[str, Any], *, board: bool) -> Ticket:
    """The ticket a scan names, under its row lock, with its worker and application (the fields in
    ``TICKET_FIELDS``; at boarding also ``team_at_origin``). ``lookup`` is ``{"ticket_id": ...}``
    (a token) or ``{"pk": ...}`` (a typed ID number); the statement is compiled once per shape."""
    ((field, value),) = lookup.items()

    def tickets(key: Any) -> Any:
        found = Ticket.objects.select_for_update(of=("self",)).select_related("worker__application")
        found = found.only(*TICKET_FIELDS).filter(**{field: key})
        if board:  # 返岗互认 asks whether the origin has a service team
            found = found.annotate(team_at_origin=TEAM_AT_ORIGIN)
        return found

    placeholder = INT_PLACEHOLDER if field == "pk" else STR_PLACEHOLDER
    name = f"trips.scan_ticket.{field}.{'board' if board else 'other'}"
    return compiled_get(name, Ticket, tickets, value, placeholder=placeholder)


def _record(
    actor: Any, nonce: str, lookup: dict[str, Any] | None, reason: str, checkpoint: str,
    client_at: datetime, now: datetime, *, manual: bool, vehicle_key: str, place: str,
    temperature: Decimal | None, health_code: str,
) -> ScanResult:  # fmt: skip
    ticket = None
    if lookup is not None:  # one worker's scans serialise on their ticket, before any vehicle lock
        try:
            ticket = _ticket_locked(lookup, board=checkpoint == rules.BOARD)
        except Ticket.DoesNotExist:  # a valid signature on a ticket this database does not hold
            reason = "no_ticket"
    worker = ticket.worker if ticket is not None else None
    profile = profile_of(actor)
    escort = profile is not None and profile.role == Role.ESCORT and ticket is not None
    escorted = escort_vehicle_keys(profile) if escort else set()
    found = rules.leg_of(checkpoint, _kinds(ticket), {vehicle_key} if vehicle_key else escorted)
    leg_no = 0 if found is None else found  # no such leg: refused below, recorded against leg 0
    leg = _leg(ticket, leg_no) if found is not None else {}
    reason = (
        _checkpoint_refusal(profile, checkpoint)
        or reason
        or _scope_refusal(profile, checkpoint, place, ticket, leg, escorted)
    )
    if not reason and ticket is not None:
        assert worker is not None
        if ticket.state != TicketState.ISSUED:
            reason = "revoked"
        elif worker.declined_at is not None:
            reason = "declined"
        elif not worker.active:
            reason = "removed"
        elif not leg:
            reason = "no_leg"
        elif vehicle_key and vehicle_key != leg.get("vehicle_key"):
            reason = "wrong_vehicle"
        elif checkpoint in rules.BOARDINGS and not vehicle_key:
            vehicle_key = str(leg.get("vehicle_key", ""))
    if not reason and worker is not None and checkpoint == rules.BOARD:  # 返岗互认 (apps.teams)
        reason = recognition_refusal(worker, client_at, getattr(ticket, "team_at_origin", None))
    # What the vehicle's lock does not guard is read before it is taken: the lock is held until the
    # commit and every scanner of the vehicle waits for it. (This worker's other scans wait on the
    # ticket's lock, taken above, so the standing scan cannot change meanwhile.)
    declared: tuple[Decimal | None, str] = (None, "")
    standing: str | None = None
    if not reason:
        declared = _declared(worker, checkpoint, client_at, temperature, health_code)
        if worker is not None:
            standing = sql.standing_before(worker.pk, leg_no, checkpoint, client_at, nonce)
    if not reason and ticket is not None and checkpoint in rules.BOARDINGS:
        reason = _capacity_refusal(ticket.worker, leg, checkpoint)
    if reason:
        outcome = rules.REFUSED
    else:
        outcome, reason = rules.health_outcome(*declared)
    answer = REFUSED if outcome == rules.REFUSED else RECORDED
    vehicle_key = vehicle_key or str(leg.get("vehicle_key", ""))
    if answer == RECORDED and standing is not None:
        answer = CONFLICT  # an earlier scan stands (core.scans): this one is kept and derives nothing
        same = standing == vehicle_key and checkpoint in rules.BOARDINGS
        reason = "already_boarded" if same else "conflict"
    event = insert_one(ScanEvent(
        nonce=nonce, ticket=ticket, worker=worker, leg=leg_no, checkpoint=checkpoint, place=place,
        vehicle_key=vehicle_key, vehicle=str(leg.get("vehicle", ""))[:40], manual=manual,
        temperature_c=temperature, health_code=health_code, outcome=outcome, reason=reason, answer=answer,
        scanned_by=user_of(actor), scanned_by_name=str(getattr(actor, "username", actor))[:60],
        client_at=client_at, server_at=now,
    ))  # fmt: skip
    if answer == RECORDED and worker is not None:
        _effects(actor, event, worker)
    audit_record(
        actor=actor, action="scan.record", object_type="scan", object_id=event.pk,
        data={"nonce": nonce, "checkpoint": checkpoint, "answer": answer, "outcome": outcome,
              "reason": event.reason, "ticket": ticket.ticket_id if ticket else "", "manual": manual},
    )  # fmt: skip
    if event.reason in HIDES_HOLDER:  # outside the scanner's own scope: a refusal of the policy's kind
        audit_record(
            actor=actor, action="denied.scan.record", object_type="scan", object_id=event.pk,
            data={"reason": event.reason},
        )  # fmt: skip
    return _result(event, answer)


def _declared(
    worker: ApplicationWorker | None, checkpoint: str, at: datetime, temperature: Decimal | None, code: str
) -> tuple[Decimal | None, str]:
    """What the health rule reads: the scanner's reading; at boarding, what it did not check comes
    from the worker's latest health declaration made before the scan (the self-service page)."""
    if checkpoint != rules.BOARD or worker is None or (temperature is not None and code):
        return temperature, code
    declaration = sql.declaration(worker.pk, at)
    if declaration is None:
        return temperature, code
    declared_t, declared_code = declaration
    return (temperature if temperature is not None else declared_t, code or declared_code)


def _capacity_refusal(worker: ApplicationWorker, leg: dict[str, Any], checkpoint: str) -> str:
    """``over_capacity`` when the vehicle's seats are all taken by other workers (under its row lock)."""
    vehicle = sql.vehicle_locked(int(leg.get("vehicle_id") or 0))  # its key and cap: the lock is the point
    if vehicle is None:
        return ""
    key, seat_cap = vehicle
    riders, this_one = sql.riders(key, checkpoint, worker.pk)  # read under the lock
    if this_one:
        return ""
    return "over_capacity" if riders >= seat_cap else ""


def _effects(actor: Any, event: ScanEvent, worker: ApplicationWorker) -> None:
    if event.checkpoint in rules.BOARDINGS:
        from homeward.apps.applications.models import ApplicationState, ReturnApplication
        from homeward.apps.applications.services.transit import DEPARTS_FROM

        # the application was read with the ticket just now: once on the road, nothing to update
        if worker.application.state not in DEPARTS_FROM:
            return
        if ReturnApplication.objects.filter(pk=worker.application_id, state__in=DEPARTS_FROM).update(
            state=ApplicationState.IN_TRANSIT
        ):
            audit_record(
                actor=actor, action="application.in_transit", object_type="application",
                object_id=worker.application_id, data={"from": "planned", "by": "scan", "scan": event.pk},
            )  # fmt: skip
        return
    if event.checkpoint != rules.GATE:
        return
    if worker.worker_id is not None:
        changed = Worker.objects.filter(pk=worker.worker_id).exclude(status=Worker.Status.RETURNED)
        if changed.update(status=Worker.Status.RETURNED):
            audit_record(
                actor=actor, action="worker.returned", object_type="worker", object_id=worker.worker_id,
                data={"scan": event.pk, "application": worker.application_id},
            )  # fmt: skip
    _maybe_complete(actor, worker.application_id)


def _maybe_complete(actor: Any, application_id: int) -> None:
    """Complete the application once every worker of it holding an issued ticket has a gate scan
    that stands; the clock stops at the latest of those arrivals. While someone holding a ticket
    has not arrived (every gate scan but an application's last), one query says so and that is all."""
    if sql.someone_on_the_way(application_id):
        return
    expected = set(
        Ticket.objects.filter(
            worker__application_id=application_id, state=TicketState.ISSUED,
            worker__active=True, worker__declined_at__isnull=True,
        ).values_list("worker_id", flat=True)
    )  # fmt: skip
    gate = ScanEvent.objects.filter(worker__application_id=application_id, checkpoint=rules.GATE).exclude(
        outcome=rules.REFUSED
    )
    # each worker's standing arrival is their earliest (core.scans); the last of those stops the clock
    first_arrivals = dict(
        gate.values("worker_id").annotate(first=Min("client_at")).values_list("worker_id", "first")
    )
    if not expected or not expected <= set(first_arrivals):
        return
    application_arrive(
        actor=actor, application_id=application_id, at=max(first_arrivals[w] for w in expected)
    )


def scans_upload(*, actor: Any, events: list[dict[str, Any]]) -> list[ScanResult]:
    """A device's queue: each event recorded with ``scan_record`` on its own (its own transaction),
    in the order given; a malformed one is answered refused with its reason code and nothing is
    stored for it. Safe to retry: every event carries its nonce."""
    authorize(actor, "scan.record")
    out: list[ScanResult] = []
    for e in events:
        try:
            out.append(scan_record(actor=actor, **e))
        except DomainError as exc:
            if exc.status in (401, 403):
                raise
            out.append(ScanResult(str(e.get("nonce", "")), REFUSED, rules.REFUSED, exc.code, None))
    return out
