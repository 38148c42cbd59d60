"""``POST /api/v1/scans``: a scanner's queue of scans (uploaded when the network returns), each
answered on its own — recorded, duplicate, conflict or refused with a reason. Safe to retry: every
scan carries the nonce its device made, and a nonce seen before returns the first answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from homeward.api_contract import answers
from homeward.apps.trips.services.scans import scans_upload

router = Router(tags=["trips"])
MAX_BATCH = 200


class ScanIn(Schema):
    nonce: str = Field(..., min_length=8, max_length=64)
    checkpoint: Literal["board", "station_arrival", "shuttle_board", "gate"]
    token: str = Field("", max_length=4000)  # the ticket QR's text
    id_number: str = Field("", max_length=18)  # typed instead, when no QR can be read
    client_at: datetime
    vehicle_key: str = Field("", max_length=40)
    place: str = Field("", max_length=100)
    temperature_c: float | None = Field(None, ge=30, le=45)
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
