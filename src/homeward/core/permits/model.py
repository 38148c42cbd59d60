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


Permit = RoadPass | PreventionPermit

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
    """A road pass with ``fields`` and the longest of ``shorter_routes(route)`` that lets it fit a
    scannable QR code; PermitTooLarge when even the shortest does not."""
    problem: PermitTooLarge | None = None
    for candidate in shorter_routes(route):
        try:
            return RoadPass(route=candidate, **fields)
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


_KIND_CODES = {PermitKind.ROAD_PASS: "rp", PermitKind.PREVENTION: "pp"}


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
        else:
            raise PermitFormatError("unknown permit kind")
    except InvalidPermit as exc:
        raise PermitFormatError(f"permit fields are invalid: {exc.message}") from exc
    if permit.body() != body:
        raise PermitFormatError("permit body is not in canonical form")
    return permit
