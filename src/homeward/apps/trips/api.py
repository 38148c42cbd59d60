"""``GET /api/v1/command/board``: the live command dashboard (``trips.command``), polled by the big
screen.

``POST /api/v1/scans``: a scanner's queue of scans (uploaded when the network returns), each
answered on its own — recorded, duplicate, conflict or refused with a reason. Safe to retry: every
scan carries the nonce its device made, and a nonce seen before returns the first answer.

``GET /api/v1/scans/manifest``: the passenger list of an escort's vehicle or a station's arrivals
(``trips.manifest``). ``POST /api/v1/observations/handover``: a worker in observation handed to a
health post (``trips.services.observations``), once per observation scan."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.views.decorators.gzip import gzip_page
from ninja import Field, Router, Schema
from ninja.decorators import decorate_view

from homeward.api_contract import JsonDatetime, JsonFloat, JsonId, answers
from homeward.apps.trips.command import command_board
from homeward.apps.trips.services.scans import TEMPERATURE_MAX, TEMPERATURE_MIN, scans_upload

router = Router(tags=["trips"])
MAX_BATCH = 200


class ScanIn(Schema):
    nonce: str = Field(..., min_length=8, max_length=64)
    checkpoint: Literal["board", "station_arrival", "shuttle_board", "gate"]
    token: str = Field("", max_length=4000)  # the ticket QR's text
    id_number: str = Field("", max_length=18)  # typed instead, when no QR can be read
    client_at: JsonDatetime
    vehicle_key: str = Field("", max_length=40)
    place: str = Field("", max_length=100)
    temperature_c: JsonFloat | None = Field(None, ge=float(TEMPERATURE_MIN), le=float(TEMPERATURE_MAX))
    health_code: Literal["", "green", "yellow", "red"] = ""


class ScansIn(Schema):
    scans: list[ScanIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class ScanOut(Schema):
    nonce: str
    answer: str  # recorded / duplicate / conflict / refused
    first_answer: str  # a duplicate: the answer the scan got when first recorded (else = answer)
    outcome: str  # ok / observation / refused
    reason: str
    event_id: int | None
    holder: str
    seat: str
    vehicle: str


class ScansOut(Schema):
    results: list[ScanOut]


@router.post(
    "/scans",
    response=answers(ScansOut),
    url_name="scans_upload",
    summary="Record a batch of scans (station, gate staff, task force); each answered on its own",
)
def scans(request: HttpRequest, body: ScansIn) -> Any:
    events = [
        {
            "nonce": s.nonce,
            "checkpoint": s.checkpoint,
            "client_at": s.client_at,
            "token_or_id": s.id_number if s.id_number and not s.token else s.token,
            "manual": bool(s.id_number and not s.token),
            "vehicle_key": s.vehicle_key,
            "place": s.place,
            "temperature_c": None if s.temperature_c is None else f"{s.temperature_c:.1f}",
            "health_code": s.health_code,
        }  # fmt: skip
        for s in body.scans
    ]
    return {"results": [r.to_dict() for r in scans_upload(actor=request.user, events=events)]}


# ------------------------------------------------------------------------------ command dashboard


class CommandVehicleOut(Schema):
    key: str
    kind: str  # train / bus / shuttle
    name: str
    state: str  # in_transit / waiting (late to leave)
    origin: str
    destination: str
    lon: float
    lat: float
    riders: int  # boarded (standing scans)
    passengers: int  # planned
    eta_text: str  # HH:MM, Beijing time
    delay_min: int
    late: bool


class CommandAtRiskOut(Schema):
    id: int
    enterprise: str
    town: str
    workers: int
    level: str  # the clock: ok / warn / critical / overdue
    at_risk: bool  # the planner says the deadline cannot be met
    deadline_text: str
    remaining: str
    reason: str  # in the request's language


class CommandAtRiskListOut(Schema):
    total: int
    rows: list[CommandAtRiskOut]


class CommandCountsOut(Schema):
    town: str  # "" for the total
    buses_today: int
    buses_total: int
    trains_today: int
    trains_total: int
    workers_today: int
    workers_total: int


class CommandBoardOut(Schema):
    now: datetime
    now_text: str
    plan: int | None
    vehicles: list[CommandVehicleOut]
    vehicle_states: dict[str, int]  # waiting / in_transit / arrived / late
    stages: dict[str, int]  # home / vehicle / station / shuttle / factory / observation
    at_risk: CommandAtRiskListOut
    towns: list[CommandCountsOut]
    total: CommandCountsOut


@router.get(
    "/command/board",
    response=answers(CommandBoardOut),
    url_name="command_board",
    summary="The live command dashboard: vehicles on the road, workers by stage, deadlines at risk, arrivals by town",
)
@decorate_view(gzip_page)  # a poll is ~0.3 KB per vehicle shown; gzip cuts it about tenfold
def command_board_read(request: HttpRequest) -> Any:
    return command_board(actor=request.user)


class HealthOut(Schema):
    scan_id: int
    reason: str  # fever / health_code
    temperature: str


class HandoverOut(Schema):
    id: int
    rear_seat: str
    health_post: str
    handed_by: str
    received_by: str
    handed_at: str  # Beijing time
    outcome: str  # pending / cleared / isolated


class PassengerOut(Schema):
    worker: int
    seat: str
    holder: str  # masked name and the ID's last four
    pickup: str
    pickup_at: str  # Beijing time
    health_code: str  # declared: green / yellow / red, or "" (none)
    temperature: str
    state: str  # expected / boarded / arrived / observation / handed_over / cleared / isolated / no_show / declined
    observation: HealthOut | None
    handover: HandoverOut | None


class VehicleOptionOut(Schema):
    key: str
    name: str
    kind: str
    label: str = ""  # the name, with origin and departure where several vehicles share it


class VehicleOut(VehicleOptionOut):
    origin: str
    destination: str
    departs: str
    arrives: str


class ManifestOut(Schema):
    vehicles: list[VehicleOptionOut]
    vehicle: VehicleOut | None
    passengers: list[PassengerOut]
    counts: dict[str, int]
    total: int
    fetched_at: datetime
    fetched_at_text: str  # the same in Beijing time, as the page shows it


@router.get(
    "/scans/manifest",
    response=answers(ManifestOut, errors=(404,)),
    url_name="scan_manifest",
    summary="The scanner's passenger list: an escort's vehicle, a station's arrivals (masked names)",
)
def scan_manifest(request: HttpRequest, vehicle_key: str = "") -> Any:
    from homeward.apps.trips.manifest import scan_manifest as manifest

    return manifest(actor=request.user, vehicle_key=vehicle_key[:40])


class HandoverIn(Schema):
    scan_id: JsonId
    rear_seat: str = Field(..., min_length=1, max_length=20)
    health_post: str = Field(..., min_length=1, max_length=100)
    received_by: str = Field(..., min_length=1, max_length=60)
    handed_at: JsonDatetime | None = None  # the phone's time of the hand-over (default: now)


class HandoverResultOut(HandoverOut):
    created: bool  # false: this scan was handed over before (a resend), the first is answered


@router.post(
    "/observations/handover",
    response=answers(HandoverResultOut, errors=(404,)),
    url_name="observation_handover",
    summary="Hand a worker in observation to a health post (escort, station, task force); idempotent per scan",
)
def observation_handover(request: HttpRequest, body: HandoverIn) -> Any:
    from homeward.apps.trips.manifest import handover_dict
    from homeward.apps.trips.services.observations import observation_handover as handover

    row, created = handover(
        actor=request.user, scan_id=body.scan_id, rear_seat=body.rear_seat, health_post=body.health_post,
        received_by=body.received_by, handed_at=body.handed_at,
    )  # fmt: skip
    return handover_dict(row) | {"created": created}
