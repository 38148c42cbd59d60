"""What a service team's workspace (``/team/``) shows of its origin province: the heat map's count
of workers away there and the letters-home intentions to return (``letters.selectors``), the
workers away with their intentions, the passengers boarding there by county (pickup point and
time, vehicle, escort's phone, recognition and test booking), what needs a hand today, and the
origin-side health statuses recorded. Reads only; the province is the actor's (``scope``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F
from django.utils.translation import gettext as _

from homeward.apps.accounts.policy import scoped
from homeward.apps.heatmap.selectors import Filters, latest_snapshot, origin_rows
from homeward.apps.letters.models import Intention
from homeward.apps.letters.selectors import intentions_of, province_intentions
from homeward.apps.registry.models import Worker
from homeward.apps.teams.models import HealthStatus, Offer, Recruit, Team, TeamMember, TestBooking, TestResult
from homeward.apps.teams.recognition import latest_statuses, reason_labels, recognise, recognition_rules
from homeward.apps.teams.scope import team_province
from homeward.apps.trips.models import Ticket, TicketState
from homeward.apps.trips.selectors import scan_state
from homeward.core import regions
from homeward.core.identity import mask_phone, mask_ric
from homeward.core.recognition import RecognitionRules
from homeward.core.scans import STAGE_HOME
from homeward.i18n import beijing_time

AWAY_SHOWN = 20
OVERDUE = "overdue"  # a booked test whose time passed with no result entered
TODAY = timedelta(hours=24)


@dataclass
class Passenger:
    worker_id: int
    name: str
    id_number: str  # masked
    phone: str  # masked
    county: str
    pickup: str
    pickup_at: datetime
    pickup_time: str  # Beijing time
    vehicle: str
    vehicle_key: str
    escort_phone: str
    recognised: bool
    reason: str  # "" or a core.recognition reason
    reason_label: str
    stage: str
    test_at: str  # a booked test's time, Beijing time ("" when none)
    booking_id: int | None = None  # the test booked for this passenger's vehicle
    test_result: str = ""  # the booking's result: "negative"/"positive", "overdue" past its time, "" pending
    test_result_label: str = ""
    tested_at: str = ""  # the result's sampling time, Beijing time


@dataclass
class Trip:
    vehicle_key: str
    vehicle: str
    kind: str
    first_pickup: str
    passengers: int = 0
    recognised: int = 0
    booked: int = 0


@dataclass
class Workspace:
    province: str
    province_name: str
    team: Team | None
    members: list[TeamMember]
    teams: list[Team]
    rules: RecognitionRules
    away: int | None  # the heat map's count for the province (None: no snapshot yet)
    away_workers: list[dict[str, Any]]
    away_listed: int
    counties: list[tuple[str, list[Passenger]]]
    trips: list[Trip]
    today: list[Passenger]
    unverified: list[HealthStatus]
    statuses: list[dict[str, Any]]
    counts: dict[str, int | None] = field(default_factory=dict)


def _county_name(code: str) -> str:
    region = regions.get(code)
    return region.name if region is not None else code


def heatmap_away(actor: Any, province: str) -> int | None:
    """Workers away from ``province`` as the heat map counts them (its province row, the same cells
    and protection as the map), or None when there is no snapshot yet."""
    if latest_snapshot() is None:
        return None
    _snap, rows = origin_rows(actor=actor, level="province", filters=Filters())
    code = province.ljust(6, "0")
    return next((int(r["away"] or 0) for r in rows if r["code"] == code), 0)


def _intention_row(intention: Intention | None) -> dict[str, Any] | None:
    """What a worker away answered a letter home with (None: no reply yet)."""
    if intention is None:
        return None
    return {
        "kind": intention.kind,
        "label": intention.get_kind_display(),
        "return_date": intention.return_date,
        "county": _county_name(intention.county_code) if intention.county_code else "",
        "needs_transport": intention.needs_transport,
    }


def _passengers(province: str, now: datetime) -> list[Passenger]:
    tickets = list(
        Ticket.objects.filter(
            state=TicketState.ISSUED, worker__active=True, worker__declined_at__isnull=True,
            worker__pickup_county_code__startswith=province,
        ).select_related("worker")
    )  # fmt: skip
    workers = [t.worker for t in tickets]
    statuses = latest_statuses({w.id_number for w in workers})
    stages = scan_state(workers=[w.pk for w in workers]).stages
    bookings = {
        (b.worker_id, b.vehicle_key): b
        for b in TestBooking.objects.filter(worker_id__in=[w.pk for w in workers]).select_related("result")
    }
    labels = reason_labels()
    results = dict(TestResult.choices) | {OVERDUE: _("逾期未出结果"), "": _("待出结果")}
    out = []
    for t in tickets:
        w, leg = t.worker, (t.legs or [{}])[0]
        pickup_at = datetime.fromisoformat(leg["pickup_at"]) if leg.get("pickup_at") else now
        rec = recognise(statuses.get(w.id_number), pickup_at if pickup_at > now else now)
        booking = bookings.get((w.pk, str(leg.get("vehicle_key", ""))))
        result = _booking_result(booking, now)
        out.append(
            Passenger(
                worker_id=w.pk, name=w.name, id_number=mask_ric(w.id_number), phone=mask_phone(w.phone),
                county=w.pickup_county_code, pickup=str(leg.get("pickup", "")), pickup_at=pickup_at,
                pickup_time=beijing_time(pickup_at, zone_name=False), vehicle=str(leg.get("vehicle", "")),
                vehicle_key=str(leg.get("vehicle_key", "")), escort_phone=str(leg.get("escort_phone", "")),
                recognised=rec.recognised, reason=rec.reason, reason_label=labels.get(rec.reason, ""),
                stage=stages.get(w.pk, STAGE_HOME),
                test_at=beijing_time(booking.scheduled_at, zone_name=False) if booking is not None else "",
                booking_id=booking.pk if booking is not None else None, test_result=result,
                test_result_label=str(results[result]) if booking is not None else "",
                tested_at=beijing_time(booking.result.tested_at, zone_name=False)
                if booking is not None and booking.result is not None and booking.result.tested_at
                else "",
            )
        )  # fmt: skip
    out.sort(key=lambda p: (p.county, p.pickup_at, p.pickup, p.name))
    return out


def _booking_result(booking: TestBooking | None, now: datetime) -> str:
    """The result entered against ``booking``; ``OVERDUE`` when its time passed without one."""
    if booking is None:
        return ""
    if booking.result is not None and booking.result.test_result:
        return booking.result.test_result
    return OVERDUE if booking.scheduled_at < now else ""


def _trips(passengers: list[Passenger]) -> list[Trip]:
    trips: dict[str, Trip] = {}
    for p in passengers:
        trip = trips.get(p.vehicle_key)
        if trip is None:
            trip = trips[p.vehicle_key] = Trip(p.vehicle_key, p.vehicle, "", p.pickup_time)
        trip.passengers += 1
        trip.recognised += p.recognised
        trip.booked += bool(p.test_at)
    return sorted(trips.values(), key=lambda t: (t.first_pickup, t.vehicle))


def workspace(*, actor: Any, province: str = "", now: datetime) -> Workspace:
    """The workspace of ``actor``'s province (a service team's own; the task force's choice).

    Raises:
        PermissionDenied: the role has no team workspace, or a team asks for another province.
    """
    province = team_province(actor, "team.read", province)
    team = Team.objects.filter(province_code=province).first() if province else None
    away_qs = scoped(actor, Worker.objects.filter(origin_code__startswith=province or "--", status="away"))
    # those with the earliest return date first: whom the team helps next
    listed = list(
        away_qs.select_related("employer").order_by(
            F("intention__return_date").asc(nulls_last=True), "origin_code", "pk"
        )[:AWAY_SHOWN]
    )
    intentions = intentions_of([w.pk for w in listed])
    away_workers = [
        {"name": w.name, "id_number": mask_ric(w.id_number), "phone": mask_phone(w.phone),
         "county": _county_name(w.origin_code), "employer": w.employer.name if w.employer else "",
         "intention": _intention_row(intentions.get(w.pk))}
        for w in listed
    ]  # fmt: skip
    intending = province_intentions(actor=actor, province=province) if province else None
    passengers = _passengers(province, now) if province else []
    by_county: dict[str, list[Passenger]] = defaultdict(list)
    for p in passengers:
        by_county[p.county].append(p)
    statuses = list(
        scoped(actor, HealthStatus.objects.filter(province=province)).order_by("-recorded_at")[:50]
    )
    latest = latest_statuses({s.id_number for s in statuses})
    labels = reason_labels()
    rows = []
    for s in statuses:
        rec = recognise(s, now)
        rows.append({"status": s, "id_number": mask_ric(s.id_number), "current": latest.get(s.id_number) == s,
                     "recognised": rec.recognised, "reason_label": labels.get(rec.reason, "")})  # fmt: skip
    departed = sum(p.stage != STAGE_HOME for p in passengers)
    province_region = regions.get(province.ljust(6, "0")) if province else None
    away = heatmap_away(actor, province) if province else None
    return Workspace(
        province=province,
        province_name=province_region.name if province_region is not None else province,
        team=team,
        members=list(team.members.all()) if team is not None else [],
        teams=list(Team.objects.filter(active=True)),
        rules=recognition_rules(),
        away=away,
        away_workers=away_workers,
        away_listed=away_qs.count(),
        counties=[(f"{_county_name(c)} ({c})", ps) for c, ps in sorted(by_county.items())],
        trips=_trips(passengers),
        today=[p for p in passengers if not p.recognised and p.pickup_at <= now + TODAY],
        unverified=[s for s in statuses if s.verified_at is None and latest.get(s.id_number) == s],
        statuses=rows,
        counts={
            "away": away,
            "passengers": len(passengers),
            "departed": departed,
            "arrived": sum(p.stage == "arrived" for p in passengers),
            "recognised": sum(p.recognised for p in passengers),
            "intending": intending.returning if intending is not None else None,
            "intending_transport": intending.transport if intending is not None else None,
            "recruited": Recruit.objects.filter(province=province).count() if province else 0,
            "hired": Offer.objects.filter(recruit__province=province, state="accepted").count()
            if province
            else 0,
        },
    )
