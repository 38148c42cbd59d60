"""Contact tracing for a worker who later tests positive (issue #13 item 6; DESIGN §5).

``contacts_for`` reads, for the health department and the task force only (``tracing.read``):

1. the case: an application worker row, found by its id or by the full ID number (the latest row
   of that person with a seat in the plan in force);
2. the legs the case rode: the vehicles of their seats in the plan in force, and any vehicle their
   boarding scans name (every leg counts: a bus, or a train and its shuttle);
3. per leg, who rode: the boarding scans on that vehicle (``trips.selectors.scan_state``, the
   conflict rule of ``core.scans``) when there are any, else the plan's seats; which one was used is
   part of the answer (``Leg.source``) and of the export;
4. per leg, the close contacts by ``core.tracing.close_contacts`` (sealed bus: everyone on board;
   ventilated: ±3 rows and the crew; train: the carriage).

Personal data goes out masked (the page; one list-read audit event) or, for the export to the
health authority, unmasked: one ``tracing.reveal`` audit event per export naming the case and the
number of contacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from homeward.apps.accounts.policy import authorize
from homeward.apps.applications.models import ApplicationWorker
from homeward.apps.planning.models import PlanSeat, PlanVehicle
from homeward.apps.planning.services import UNSTAFFED, latest_done_run
from homeward.apps.registry.personal_data import (
    PersonOut,
    audit_list_read,
    looks_like_id_number,
    people_reveal,
    person_out,
)
from homeward.apps.trips.selectors import scan_state
from homeward.core import tracing as rule
from homeward.core.errors import NotFound
from homeward.core.identity import mask_ric
from homeward.core.planning.planner.emit import seat_sort_key

SCANS, PLAN = "scans", "plan"
SOURCE_LABELS = {SCANS: _("扫码上车记录"), PLAN: _("排班座位（无上车扫码）")}
BASIS_LABELS = {
    rule.SEALED: _("密闭空调车：全车"),
    rule.NEAR_ROWS: _("通风车：前后三排"),
    rule.SEAT_UNKNOWN: _("座位不明：按同车"),
    rule.SAME_CARRIAGE: _("同一车厢"),
    rule.CREW: _("司乘人员"),
}
EXPORT_HEADERS = ["序号", "姓名", "身份证号", "手机号", "车辆", "座位", "关系/依据", "名单来源"]


@dataclass(frozen=True)
class Leg:
    vehicle: PlanVehicle
    seat: str  # the case's seat ("" when the case boarded without a planned seat)
    source: str  # SCANS or PLAN
    riders: int


@dataclass(frozen=True)
class ContactRow:
    """One close contact on one leg: a rider (``person`` set) or a crew member (``person`` None)."""

    name: str
    person: PersonOut | None
    leg: Leg
    seat: str
    basis: str

    @property
    def basis_label(self) -> str:
        return str(BASIS_LABELS[self.basis])

    def cells(self, number: int) -> list[object]:
        """The row under ``EXPORT_HEADERS``."""
        p = self.person
        return [
            number, self.name, p.id_number if p else "", p.phone if p else "",
            self.leg.vehicle.name, self.seat, self.basis_label, str(SOURCE_LABELS[self.leg.source]),
        ]  # fmt: skip


@dataclass(frozen=True)
class Tracing:
    case: ApplicationWorker
    case_person: PersonOut
    legs: tuple[Leg, ...]
    contacts: tuple[ContactRow, ...]

    @property
    def people(self) -> int:
        """How many distinct riders are contacts (a rider on two legs with the case counts once)."""
        return len({c.person.id for c in self.contacts if c.person is not None})


def find_case(term: str) -> ApplicationWorker | None:
    """The application worker row a page's ``?worker=`` names: a row id, or a full ID number (the
    latest row of that person with a seat in the plan in force, else the latest row). Internal:
    ``contacts_for`` authorizes first."""
    term = "".join(term.split()).upper()
    if term.isdigit() and not looks_like_id_number(term):
        return ApplicationWorker.objects.filter(pk=int(term)).first()
    if not looks_like_id_number(term):
        return None
    rows = ApplicationWorker.objects.filter(id_number=term).order_by("-pk")
    run = latest_done_run()
    seated = rows.filter(plan_seats__run=run, plan_seats__vehicle__isnull=False) if run else rows.none()
    return seated.first() or rows.first()


def contacts_for(*, actor: Any, worker: str | int, export: bool = False) -> Tracing:
    """The close contacts of the case ``worker`` (a row id or a full ID number), masked, or with
    ``export`` unmasked for the health authority. Audited once per call either way.

    Raises:
        PermissionDenied: not the health department or the task force (audited).
        NotFound: no such worker, or the worker has no seat in the plan in force and no boarding scan.
    """
    authorize(actor, "tracing.read")
    case = find_case(str(worker))
    run = latest_done_run()
    if case is None or run is None:
        raise NotFound("找不到该务工人员的行程 (no trip found for this worker)", "not_found")
    legs, found = _legs(case, run.pk)
    if not legs:
        raise NotFound("找不到该务工人员的行程 (no trip found for this worker)", "not_found")
    rows = found
    workers = ApplicationWorker.objects.in_bulk({c.who for _leg, c in rows if c.who is not None})
    records = [workers[c.who] for _leg, c in rows if c.who is not None]
    subject = {"case": case.pk, "id": mask_ric(case.id_number), "run": run.pk}
    if export:
        revealed = people_reveal(
            actor=actor, records=records, object_type="tracing", object_id=case.pk,
            data={**subject, "contacts": len({r.pk for r in records}), "legs": [_leg_note(g) for g in legs]},
        )  # fmt: skip
    else:
        revealed = [person_out(r) for r in records]
        audit_list_read(actor=actor, what="tracing", rows=len(rows), filters=subject, object_id=case.pk)
    people = iter(revealed)
    contacts = tuple(
        ContactRow(
            name=workers[c.who].name if c.who is not None else c.crew,
            person=next(people) if c.who is not None else None,
            leg=leg,
            seat=c.seat,
            basis=c.basis,
        )
        for leg, c in rows
    )
    return Tracing(case=case, case_person=person_out(case), legs=tuple(legs), contacts=contacts)


def _leg_note(leg: Leg) -> dict[str, object]:
    return {"vehicle": leg.vehicle.key, "source": leg.source, "riders": leg.riders}


def _legs(case: ApplicationWorker, run_id: int) -> tuple[list[Leg], list[tuple[Leg, rule.Contact]]]:
    """The legs the case rode and, per leg, its close contacts."""
    planned = {
        s.vehicle_id: s.seat
        for s in PlanSeat.objects.filter(run_id=run_id, worker=case, vehicle__isnull=False)
    }
    boarded = [key for key, riders in scan_state(workers=[case.pk]).riders.items() if case.pk in riders]
    vehicles = PlanVehicle.objects.filter(run_id=run_id).filter(
        pk__in=list(planned)
    ) | PlanVehicle.objects.filter(run_id=run_id, key__in=boarded)
    legs: list[Leg] = []
    found: list[tuple[Leg, rule.Contact]] = []
    for v in vehicles.order_by("departs", "key"):
        seats = dict(PlanSeat.objects.filter(vehicle=v).values_list("worker_id", "seat"))
        scanned = scan_state(vehicle_key=v.key).riders.get(v.key, frozenset())
        source = SCANS if scanned else PLAN
        who = sorted(scanned or seats, key=lambda w: (seat_sort_key(seats.get(w, "")), w))
        kind: rule.VehicleKind = "train" if v.kind == PlanVehicle.Kind.TRAIN else "bus"
        crew = tuple(
            name
            for names in (v.detail or {}).get("crew", {}).values()
            for name in names
            if name and name != UNSTAFFED
        )
        vehicle = rule.Vehicle(
            kind=kind,
            riders=tuple(rule.Rider(w, seats.get(w, "")) for w in who),
            crew=crew if kind != "train" else (),
            ventilated=v.ventilated,
        )
        leg = Leg(vehicle=v, seat=seats.get(case.pk, ""), source=source, riders=len(who))
        legs.append(leg)
        found.extend((leg, c) for c in rule.close_contacts(rule.Rider(case.pk, leg.seat), vehicle))
    return legs, found
