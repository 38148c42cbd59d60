"""The two permit kinds, the departments that sign them, and their canonical bytes.

A permit is a frozen dataclass. Its *body* is canonical JSON (sorted keys, compact separators, UTF-8,
short wire keys, times as whole UTC seconds); every signature is over those exact bytes, and decoding
insists that a body re-encodes to itself, so one permit has exactly one body.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from homeward.core.errors import DomainError

BODY_VERSION = 1
PERMIT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$")
MAX_TEXT = 200
MAX_ITEMS = 40
# A token carries the body plus 77 bytes per signature; 700 bytes keeps a token with four signatures
# within a version-30 QR code at error correction M (≤ 1,370 bytes): ~0.4 mm modules on a 52 mm code.
MAX_BODY_BYTES = 700


class Department(StrEnum):
    """Who signs. The wire code (one byte in a token) is fixed forever: never renumber."""

    HR = "hr"
    TRANSPORT = "transport"
    HEALTH = "health"
    TASK_FORCE = "task_force"

    @property
    def code(self) -> int:
        return _DEPARTMENT_CODES[self]

    @property
    def label(self) -> str:
        """Chinese name as printed on a permit."""
        return _DEPARTMENT_LABELS[self]

    @classmethod
    def from_code(cls, code: int) -> Department:
        for dept, value in _DEPARTMENT_CODES.items():
            if value == code:
                return dept
        raise PermitFormatError(f"unknown department code {code}")


_DEPARTMENT_CODES = {
    Department.HR: 1,
    Department.TRANSPORT: 2,
    Department.HEALTH: 3,
    Department.TASK_FORCE: 4,
}
_DEPARTMENT_LABELS = {
    Department.HR: "人社局 (人力资源和社会保障)",
    Department.TRANSPORT: "交通运输局",
    Department.HEALTH: "卫生健康局",
    Department.TASK_FORCE: "复工返岗专班",
}


class PermitKind(StrEnum):
    ROAD_PASS = "road_pass"  # 通行证, one per vehicle
    PREVENTION = "prevention"  # 防控许可证, one per trip
    TICKET = "ticket"  # 电子车票, one per worker and plan (``Ticket``)


class PermitFormatError(DomainError):
    """A token, body, keys file or revocation list is malformed. Code ``format``."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "format")


class InvalidPermit(DomainError):
    """A permit's fields break a rule (bad id, window, count). Code ``invalid_permit``."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "invalid_permit")


class PermitTooLarge(InvalidPermit):
    """The fields would not fit a scannable QR code (``MAX_BODY_BYTES``): a road pass's route can be
    shortened (``fitted_road_pass``), other fields cannot."""


# The departments that must sign each kind, at least. A permit may list more (it carries its own
# ``signers``, which is signed); a verifier rejects a body whose signers miss one of these.
REQUIRED_SIGNERS: dict[PermitKind, tuple[Department, ...]] = {
    # transport approves vehicle and route; HR organises the return (the organiser's seal)
    PermitKind.ROAD_PASS: (Department.HR, Department.TRANSPORT),
    # health approves escort, kit and checks; transport the vehicles; HR the organiser
    PermitKind.PREVENTION: (Department.HR, Department.TRANSPORT, Department.HEALTH),
    # transport alone: see ``Ticket``
    PermitKind.TICKET: (Department.TRANSPORT,),
}


def utc_seconds(value: datetime) -> datetime:
    """An aware datetime in UTC, floored to whole seconds (what a token can carry)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidPermit("times must be timezone-aware")
    return value.astimezone(UTC).replace(microsecond=0)


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


def _from_epoch(value: object) -> datetime:
    if type(value) is not int or not 0 <= value < 2**32:
        raise PermitFormatError("time is not a whole number of seconds since 1970")
    return datetime.fromtimestamp(value, UTC)


@dataclass(frozen=True, slots=True)
class KitItem:
    """One line of the prevention kit, e.g. ``KitItem("口罩", 120)``."""

    name: str
    quantity: int


def _check_text(name: str, value: object, *, allow_empty: bool = False) -> None:
    if not isinstance(value, str):
        raise InvalidPermit(f"{name} must be text")
    if (not value.strip() and not allow_empty) or len(value) > MAX_TEXT or value != value.strip():
        raise InvalidPermit(f"{name} must be 1-{MAX_TEXT} characters without surrounding spaces")
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in value):
        raise InvalidPermit(f"{name} must not contain control characters")


def _check_texts(name: str, values: object, *, allow_empty: bool = False) -> None:
    if not isinstance(values, tuple):
        raise InvalidPermit(f"{name} must be a tuple")
    if not values and not allow_empty:
        raise InvalidPermit(f"{name} must not be empty")
    if len(values) > MAX_ITEMS:
        raise InvalidPermit(f"{name} has more than {MAX_ITEMS} items")
    for value in values:
        _check_text(name, value)


def _check_count(name: str, value: object, *, minimum: int = 0) -> None:
    if type(value) is not int or not minimum <= value <= 100_000:
        raise InvalidPermit(f"{name} must be a whole number ≥ {minimum}")


@dataclass(frozen=True, slots=True, kw_only=True)
class _PermitBase:
    kind: ClassVar[PermitKind]
    permit_id: str
    valid_from: datetime
    valid_to: datetime
    signers: tuple[Department, ...] = ()

    def _check_common(self) -> None:
        if not isinstance(self.permit_id, str) or not PERMIT_ID_RE.match(self.permit_id):
            raise InvalidPermit("permit_id must be 1-48 of A-Z a-z 0-9 . _ - (starting alphanumeric)")
        object.__setattr__(self, "valid_from", utc_seconds(self.valid_from))
        object.__setattr__(self, "valid_to", utc_seconds(self.valid_to))
        if self.valid_to <= self.valid_from:
            raise InvalidPermit("valid_to must be after valid_from")
        required = REQUIRED_SIGNERS[self.kind]
        signers = tuple(Department(s) for s in self.signers) if self.signers else required
        missing = [d for d in required if d not in signers]
        if missing:
            raise InvalidPermit(f"a {self.kind} must be signed by {', '.join(missing)}")
        if len(set(signers)) != len(signers):
            raise InvalidPermit("signers must not repeat")
        object.__setattr__(self, "signers", tuple(sorted(signers, key=lambda d: d.code)))

    def _check_size(self) -> None:
        size = len(self.body())
        if size > MAX_BODY_BYTES:
            raise PermitTooLarge(
                f"证件内容过长，二维码放不下：{size} 字节，最多 {MAX_BODY_BYTES} 字节 "
                f"(the permit's fields take {size} bytes; at most {MAX_BODY_BYTES} fit a scannable QR code)"
            )

    def body(self) -> bytes:
        """The canonical bytes every department signs."""
        return canonical_json(self._wire())

    def to_dict(self) -> dict[str, Any]:
        """Readable form (full field names, ISO times) for JSON output and templates."""
        out: dict[str, Any] = {"kind": str(self.kind)}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                out[f.name] = value.isoformat()
            elif f.name == "signers":
                out[f.name] = [str(d) for d in value]
            elif f.name == "kit":
                out[f.name] = [{"name": k.name, "quantity": k.quantity} for k in value]
            elif isinstance(value, tuple):
                out[f.name] = list(value)
            else:
                out[f.name] = value
        return out

    def _wire(self) -> dict[str, Any]:
        raise NotImplementedError

    def _wire_common(self) -> dict[str, Any]:
        return {
            "v": BODY_VERSION,
            "k": _KIND_CODES[self.kind],
            "id": self.permit_id,
            "vf": _epoch(self.valid_from),
            "vt": _epoch(self.valid_to),
            "s": [d.code for d in self.signers],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RoadPass(_PermitBase):
    """农民工返岗包车通行证: one per vehicle (DESIGN §5)."""

    kind: ClassVar[PermitKind] = PermitKind.ROAD_PASS
    trip_id: str
    plate: str
    carrier: str
    origin: str
    destination: str
    route: tuple[str, ...]
    provinces: tuple[str, ...]
    entry_station: str
    exit_station: str
    passengers: int
    organiser: str

    def __post_init__(self) -> None:
        self._check_common()
        for name in ("trip_id", "plate", "carrier", "origin", "destination", "entry_station", "exit_station"):
            _check_text(name, getattr(self, name))
        _check_text("organiser", self.organiser)
        _check_texts("route", self.route)
        _check_texts("provinces", self.provinces)
        _check_count("passengers", self.passengers, minimum=1)
        self._check_size()

    def _wire(self) -> dict[str, Any]:
        out = self._wire_common()
        out["d"] = {
            "t": self.trip_id,
            "pl": self.plate,
            "c": self.carrier,
            "o": self.origin,
            "de": self.destination,
            "r": list(self.route),
            "pv": list(self.provinces),
            "en": self.entry_station,
            "ex": self.exit_station,
            "n": self.passengers,
            "og": self.organiser,
        }
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class PreventionPermit(_PermitBase):
    """防控许可证: one per trip — vehicles, passengers, medical escort, kit and health checks."""

    kind: ClassVar[PermitKind] = PermitKind.PREVENTION
    trip_id: str
    vehicles: tuple[str, ...]
    passengers: int
    medical_escort: tuple[str, ...]
    kit: tuple[KitItem, ...]
    health_checks: tuple[str, ...]
    organiser: str
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        self._check_common()
        _check_text("trip_id", self.trip_id)
        _check_text("organiser", self.organiser)
        _check_texts("vehicles", self.vehicles)
        _check_texts("medical_escort", self.medical_escort)
        _check_texts("health_checks", self.health_checks)
        _check_texts("notes", self.notes, allow_empty=True)
        _check_count("passengers", self.passengers, minimum=1)
        if not isinstance(self.kit, tuple) or len(self.kit) > MAX_ITEMS:
            raise InvalidPermit("kit must be a tuple of KitItem")
        for item in self.kit:
            if not isinstance(item, KitItem):
                raise InvalidPermit("kit must be a tuple of KitItem")
            _check_text("kit item", item.name)
            _check_count("kit quantity", item.quantity)
        self._check_size()

    def _wire(self) -> dict[str, Any]:
        out = self._wire_common()
        out["d"] = {
            "t": self.trip_id,
            "vh": list(self.vehicles),
            "n": self.passengers,
            "me": list(self.medical_escort),
            "kt": [[k.name, k.quantity] for k in self.kit],
            "hc": list(self.health_checks),
            "og": self.organiser,
            "nt": list(self.notes),
        }
        return out


class LegKind(StrEnum):
    """A ticket leg's vehicle; the wire code is fixed forever."""

    TRAIN = "train"
    BUS = "bus"
    SHUTTLE = "shuttle"


_LEG_CODES = {LegKind.TRAIN: "t", LegKind.BUS: "b", LegKind.SHUTTLE: "s"}
# A phone on a ticket: a mainland mobile, or empty (no escort on that vehicle).
_PHONE_RE = re.compile(r"^(1[3-9]\d{9})?$")
MAX_LEGS = 3
# One signature (77 bytes) beside at most 420 bytes of body is a ~670-character token: with the
# verification link it fits a QR code of version 22 at most at error correction M, readable on a phone
# screen at arm's length and on a 40 mm print (``tests/core/test_tickets.py`` checks the version).
MAX_TICKET_BODY_BYTES = 420
MAX_TICKET_TEXT = 40


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketLeg:
    """One vehicle of a worker's trip: leg 0 is the train or the bus, leg 1 the station shuttle.
    ``vehicle`` is the plate or the train's name; ``pickup`` where and ``pickup_at`` when the worker
    boards (the vehicle's stop), ``seat`` the seat or carriage-and-seat, ``destination`` where the
    leg ends, ``escort_phone`` the medical escort's mobile ("" when the vehicle has none)."""

    leg: int
    kind: LegKind
    vehicle: str
    pickup: str
    pickup_at: datetime
    seat: str
    destination: str
    escort_phone: str = ""

    def __post_init__(self) -> None:
        if type(self.leg) is not int or not 0 <= self.leg < MAX_LEGS:
            raise InvalidPermit(f"车票行程段号无效 (leg must be 0-{MAX_LEGS - 1})")
        object.__setattr__(self, "kind", LegKind(self.kind))
        object.__setattr__(self, "pickup_at", utc_seconds(self.pickup_at))
        for name in ("vehicle", "pickup", "seat", "destination"):
            value = getattr(self, name)
            _check_text(name, value)
            if len(value) > MAX_TICKET_TEXT:
                raise InvalidPermit(f"车票字段过长 ({name} is longer than {MAX_TICKET_TEXT} characters)")
        if not isinstance(self.escort_phone, str) or not _PHONE_RE.match(self.escort_phone):
            raise InvalidPermit("随车医护电话无效 (escort_phone must be a mobile number or empty)")

    def wire(self) -> list[Any]:
        return [
            self.leg, _LEG_CODES[self.kind], self.vehicle, self.pickup, _epoch(self.pickup_at),
            self.seat, self.destination, self.escort_phone,
        ]  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "leg": self.leg, "kind": str(self.kind), "vehicle": self.vehicle, "pickup": self.pickup,
            "pickup_at": self.pickup_at.isoformat(), "seat": self.seat, "destination": self.destination,
            "escort_phone": self.escort_phone,
        }  # fmt: skip

    @classmethod
    def from_wire(cls, value: object) -> TicketLeg:
        if not isinstance(value, list) or len(value) != 8:
            raise PermitFormatError("a ticket leg is not a list of 8 fields")
        kinds = {code: kind for kind, code in _LEG_CODES.items()}
        if value[1] not in kinds:
            raise PermitFormatError("unknown ticket leg kind")
        for i in (2, 3, 5, 6, 7):
            if not isinstance(value[i], str):
                raise PermitFormatError("a ticket leg's text field is not text")
        return cls(
            leg=value[0], kind=kinds[value[1]], vehicle=value[2], pickup=value[3],
            pickup_at=_from_epoch(value[4]), seat=value[5], destination=value[6], escort_phone=value[7],
        )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Ticket(_PermitBase):
    """电子车票: one worker's seat on each leg of the plan in force, shown as a QR code and checked at
    every handover (boarding, station, shuttle, factory gate) with no network.

    Signed by transport alone. A ticket asserts "this person has this seat on this vehicle", which is
    the transport bureau's word (it approves the vehicles, routes and road passes the seats sit in),
    not the organiser's or health's; a single signature keeps the token under ~700 characters so the
    QR stays scannable from a cheap phone's screen. The task force still withdraws tickets through
    the one revocation list it signs. ``run`` and ``worker`` are the plan run and the application's
    worker row, so a scan event can name both; ``holder`` is the masked name (surname + ＊) and
    ``id_tail`` the ID number's last four: enough to match the person at the door, not to identify
    them to whoever photographs the code.
    """

    kind: ClassVar[PermitKind] = PermitKind.TICKET
    run: int
    worker: int
    holder: str
    id_tail: str
    legs: tuple[TicketLeg, ...]

    def __post_init__(self) -> None:
        self._check_common()
        _check_count("run", self.run, minimum=1)
        if type(self.worker) is not int or not 1 <= self.worker < 2**53:
            raise InvalidPermit("乘客编号无效 (worker must be a positive whole number)")
        _check_text("holder", self.holder)
        if len(self.holder) > 20:
            raise InvalidPermit("乘客姓名过长 (holder is longer than 20 characters)")
        if not isinstance(self.id_tail, str) or not re.fullmatch(r"\d{3}[\dX]", self.id_tail):
            raise InvalidPermit("身份证后四位无效 (id_tail must be the ID number's last four)")
        if not isinstance(self.legs, tuple) or not 1 <= len(self.legs) <= MAX_LEGS:
            raise InvalidPermit(f"车票须有 1-{MAX_LEGS} 段行程 (a ticket has 1-{MAX_LEGS} legs)")
        if any(not isinstance(leg, TicketLeg) for leg in self.legs):
            raise InvalidPermit("legs must be a tuple of TicketLeg")
        if [leg.leg for leg in self.legs] != list(range(len(self.legs))):
            raise InvalidPermit("车票行程段须从 0 连续编号 (legs must be numbered 0, 1, …)")
        size = len(self.body())
        if size > MAX_TICKET_BODY_BYTES:
            raise PermitTooLarge(
                f"车票内容 {size} 字节，超过二维码容量 {MAX_TICKET_BODY_BYTES} 字节 "
                f"(the ticket takes {size} bytes; at most {MAX_TICKET_BODY_BYTES} keep its QR code scannable)"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind), "permit_id": self.permit_id, "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat(), "signers": [str(d) for d in self.signers],
            "run": self.run, "worker": self.worker, "holder": self.holder, "id_tail": self.id_tail,
            "legs": [leg.to_dict() for leg in self.legs],
        }  # fmt: skip

    def _wire(self) -> dict[str, Any]:
        out = self._wire_common()
        out["d"] = {
            "r": self.run,
            "w": self.worker,
            "h": self.holder,
            "i": self.id_tail,
            "l": [leg.wire() for leg in self.legs],
        }
        return out


Permit = RoadPass | PreventionPermit | Ticket

# What a drafter writes where it does not know yet (the planner knows no toll stations; a bus with
# no coach yet has no plate): a pass carrying one is not ready to be signed.
TO_BE_ASSIGNED = "待定"
# A Chinese motor-vehicle plate: the province's one-character abbreviation, the issuing office's
# letter, then five characters (six on new-energy plates), optionally after a middle dot: 浙B·12345,
# 贵FD12345. Letters I and O are never used.
PLATE_RE = re.compile(
    r"^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][·•]?[A-HJ-NP-Z0-9]{5,6}$"
)


# A shortened route's stand-in for the places it leaves out: 「…另 3 处」 (3 more places).
_LEFT_OUT = re.compile(r"^…另 (\d+) 处$")


def shorter_routes(route: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """The route, then shorter ones keeping its first places and its last and saying how many they
    leave out — counted over the places of the full route, also when ``route`` is already shortened.
    A pass must fit a scannable QR code, and the bus's whole timetable travels with it anyway."""
    yield route
    left_out = [int(m[1]) if (m := _LEFT_OUT.match(p)) else 0 for p in route]
    places = [p for p, n in zip(route, left_out, strict=True) if not n]
    total = len(places) + sum(left_out)
    for keep in range(len(places) - 2, 0, -1):
        yield (*places[:keep], f"…另 {total - 1 - keep} 处", places[-1])


def fitted_road_pass(route: tuple[str, ...], **fields: Any) -> RoadPass:
    """A road pass with ``fields`` and the longest of ``shorter_routes(route)`` that has at most
    ``MAX_ITEMS`` places and lets it fit a scannable QR code; PermitTooLarge when even the shortest
    does not."""
    problem: PermitTooLarge | None = None
    for candidate in shorter_routes(route):
        if len(candidate) > MAX_ITEMS:  # a bus with many stops: its pass names the first and last
            continue
        try:
            return RoadPass(route=candidate, **fields)
        except PermitTooLarge as exc:
            problem = exc
    assert problem is not None
    raise problem


# How far a ticket's place names shrink, longest first, before it gives up: the vehicle, seat and
# times are what a checkpoint matches; the places are for the worker, whose page shows them whole.
_TICKET_PLACE_LENGTHS = (MAX_TICKET_TEXT, 16, 10, 6, 3, 1)


def _shortened(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def fitted_ticket(legs: tuple[TicketLeg, ...], **fields: Any) -> Ticket:
    """A ticket with ``fields`` and ``legs`` whose pickup and destination names are cut (``…``) only as
    far as it takes to fit a scannable QR code; PermitTooLarge when even ``…`` for every place does not."""
    problem: PermitTooLarge | None = None
    for length in _TICKET_PLACE_LENGTHS:
        shortened = tuple(
            dataclasses.replace(
                leg, pickup=_shortened(leg.pickup, length), destination=_shortened(leg.destination, length)
            )
            for leg in legs
        )
        try:
            return Ticket(legs=shortened, **fields)
        except PermitTooLarge as exc:
            problem = exc
    assert problem is not None
    raise problem


def refitted(permit: Permit, **changes: Any) -> Permit:
    """``permit`` with ``changes``; a road pass that would outgrow its QR code gives up route places."""
    if not isinstance(permit, RoadPass):
        return dataclasses.replace(permit, **changes)
    values = {f.name: getattr(permit, f.name) for f in fields(permit) if f.name != "route"}
    return fitted_road_pass(changes.pop("route", permit.route), **{**values, **changes})


def placeholder_fields(permit: Permit) -> tuple[str, ...]:
    """The fields of a road pass that are not yet real (a plate that is no plate, ``待定`` for a
    carrier or a toll station): a checkpoint could not match it to the bus in front of it. A
    prevention permit lists no such fields."""
    if not isinstance(permit, RoadPass):
        return ()
    found = [] if PLATE_RE.match(permit.plate) else ["plate"]
    for name in ("carrier", "entry_station", "exit_station"):
        if TO_BE_ASSIGNED in getattr(permit, name):
            found.append(name)
    return tuple(found)


_KIND_CODES = {PermitKind.ROAD_PASS: "rp", PermitKind.PREVENTION: "pp", PermitKind.TICKET: "tk"}


def canonical_json(value: object) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _texts(value: object, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PermitFormatError(f"{name} is not a list of text")
    return tuple(value)


def _obj(value: object, keys: set[str], name: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != keys:
        raise PermitFormatError(f"{name} does not have exactly the fields {sorted(keys)}")
    return value


def permit_from_body(body: bytes) -> Permit:
    """Parse canonical body bytes back into a permit; anything but the one canonical form is ``format``."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PermitFormatError("permit body is not UTF-8 JSON") from exc
    top = _obj(data, {"v", "k", "id", "vf", "vt", "s", "d"}, "permit body")
    if top["v"] != BODY_VERSION or type(top["v"]) is not int:
        raise PermitFormatError("unsupported permit body version")
    codes = top["s"]
    if not isinstance(codes, list) or not all(type(c) is int for c in codes):
        raise PermitFormatError("signers is not a list of department codes")
    signers = tuple(Department.from_code(c) for c in codes)
    common: dict[str, Any] = {
        "permit_id": top["id"],
        "valid_from": _from_epoch(top["vf"]),
        "valid_to": _from_epoch(top["vt"]),
        "signers": signers,
    }
    d = top["d"]
    permit: Permit
    try:
        if top["k"] == "rp":
            d = _obj(d, {"t", "pl", "c", "o", "de", "r", "pv", "en", "ex", "n", "og"}, "road pass")
            permit = RoadPass(
                **common,
                trip_id=d["t"],
                plate=d["pl"],
                carrier=d["c"],
                origin=d["o"],
                destination=d["de"],
                route=_texts(d["r"], "route"),
                provinces=_texts(d["pv"], "provinces"),
                entry_station=d["en"],
                exit_station=d["ex"],
                passengers=d["n"],
                organiser=d["og"],
            )
        elif top["k"] == "pp":
            d = _obj(d, {"t", "vh", "n", "me", "kt", "hc", "og", "nt"}, "prevention permit")
            kit = d["kt"]
            if not isinstance(kit, list) or not all(isinstance(k, list) and len(k) == 2 for k in kit):
                raise PermitFormatError("kit is not a list of [name, quantity]")
            permit = PreventionPermit(
                **common,
                trip_id=d["t"],
                vehicles=_texts(d["vh"], "vehicles"),
                passengers=d["n"],
                medical_escort=_texts(d["me"], "medical_escort"),
                kit=tuple(KitItem(k[0], k[1]) for k in kit),
                health_checks=_texts(d["hc"], "health_checks"),
                organiser=d["og"],
                notes=_texts(d["nt"], "notes"),
            )
        elif top["k"] == "tk":
            d = _obj(d, {"r", "w", "h", "i", "l"}, "ticket")
            if not isinstance(d["l"], list):
                raise PermitFormatError("ticket legs are not a list")
            permit = Ticket(
                **common,
                run=d["r"],
                worker=d["w"],
                holder=d["h"],
                id_tail=d["i"],
                legs=tuple(TicketLeg.from_wire(leg) for leg in d["l"]),
            )
        else:
            raise PermitFormatError("unknown permit kind")
    except InvalidPermit as exc:
        raise PermitFormatError(f"permit fields are invalid: {exc.message}") from exc
    if permit.body() != body:
        raise PermitFormatError("permit body is not in canonical form")
    return permit
