"""What a department enters to complete its task: one schema per task kind (pydantic), checked and
normalised before it is stored (``department_task_complete``) and drafted into permits
(``permits.permit_draft``). A form posts flat text (lists one item per line, 、 or ;); the API posts
JSON; both go through the same schema, and a failure names the field (and the vehicle or item row)
in both languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from homeward.apps.applications.models import DepartmentTask, TaskKind
from homeward.core import typed_dates
from homeward.core.errors import DomainError

DEFAULT_PERMIT_HOURS = 48
TEXT_MAX = 200

# What the task force says to a plan's late workers: it accepts the late arrival, or it has acted
# (a train requested, a deadline moved with the enterprise, ...) and says how in a note.
LATE_DECISIONS = ("accept", "act")

# Field labels for error messages: (Chinese, English).
LABELS: dict[str, tuple[str, str]] = {
    "vehicles": ("车辆", "vehicles"),
    "buses": ("计划车辆", "planned buses"),
    "vehicle": ("车辆编号", "vehicle"),
    "plate": ("车牌号", "plate"),
    "carrier": ("承运单位", "carrier"),
    "passengers": ("乘客人数", "passengers"),
    "origin": ("起点", "origin"),
    "destination": ("终点", "destination"),
    "route": ("行驶路线", "route"),
    "provinces": ("途经省份", "provinces"),
    "entry_station": ("入口收费站", "entry toll station"),
    "exit_station": ("出口收费站", "exit toll station"),
    "departure": ("出发时间", "departure"),
    "window_hours": ("有效时长", "validity hours"),
    "medical_escort": ("跟车医护", "medical escort"),
    "kit": ("防疫物资", "prevention kit"),
    "name": ("名称", "name"),
    "quantity": ("数量", "quantity"),
    "health_checks": ("健康检测", "health checks"),
    "government_share": ("政府分担比例", "government share"),
    "enterprise_share": ("企业分担比例", "enterprise share"),
    "worker_share": ("个人分担比例", "worker share"),
    "decision": ("处理决定", "decision"),
    "note": ("说明", "note"),
    "reception_point": ("接站地点", "reception point"),
    "contact": ("联系人", "contact"),
}


def _lines(text: str) -> list[str]:
    for sep in ("、", "→", ";", ",", "，"):
        text = text.replace(sep, "\n")
    return [p.strip() for p in text.splitlines() if p.strip()]


def _split_lines(value: object) -> object:
    """A form's text box: one item per line (or separated by 、 → ; or commas); a JSON list passes."""
    if isinstance(value, str):
        return _lines(value)
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=TEXT_MAX)]
TextList = Annotated[list[Text], BeforeValidator(_split_lines), Field(min_length=1)]


class _Schema(BaseModel):
    # Unknown keys are ignored (a form posts its buttons too).
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        """A form's empty box is a value not given: required fields say so, others take defaults."""
        if isinstance(data, Mapping):
            return {k: v for k, v in data.items() if v is not None and v != ""}
        return data


class VehicleIn(_Schema):
    plate: Text
    carrier: Text
    passengers: Annotated[int, Field(ge=1, le=100)]


class RoutePassData(_Schema):
    """Transport's task when the enterprise brings its own vehicles (no plan bus carries them): the
    vehicles and the route, typed in. A single vehicle may come as flat ``plate``/``carrier``."""

    vehicles: Annotated[list[VehicleIn], Field(min_length=1, max_length=50)]
    origin: Text
    destination: Text
    route: TextList
    provinces: TextList
    entry_station: Text
    exit_station: Text
    departure: datetime | None = None
    window_hours: Annotated[int, Field(ge=1, le=240)] = DEFAULT_PERMIT_HOURS

    @model_validator(mode="before")
    @classmethod
    def _one_vehicle(cls, data: Any, info: ValidationInfo) -> Any:
        """One vehicle may come flat; it carries all the task's passengers unless told otherwise
        (``context["passengers"]``: what the enterprise listed)."""
        if not isinstance(data, Mapping):
            return data
        vehicles = data.get("vehicles") or [{"plate": data.get("plate"), "carrier": data.get("carrier")}]
        if isinstance(vehicles, list) and len(vehicles) == 1 and isinstance(vehicles[0], Mapping):
            given = {k: v for k, v in vehicles[0].items() if v not in (None, "")}
            vehicles = [{"passengers": (info.context or {}).get("passengers"), **given}]
        return {**data, "vehicles": vehicles}


# What the typed-in form posts (RoutePassData); a planned application's task takes none of it.
TYPED_IN = ("vehicles", "plate", "route", "provinces", "departure")


class PlannedBusIn(_Schema):
    """What transport confirms of a plan bus before signing its road pass: the fields the planner
    could not know (``permits.FILLABLE_FIELDS``); blank keeps what the pass already says."""

    vehicle: int
    plate: OptionalText = ""
    carrier: OptionalText = ""
    entry_station: OptionalText = ""
    exit_station: OptionalText = ""


class PlannedRoutePassData(_Schema):
    """Transport's task when the plan in force carries the application's workers on its buses: the
    task signs those buses' road passes (``plan_route_passes``) instead of drafting new ones. A form
    posts ``bus-<vehicle id>-<field>``; the API a ``buses`` list."""

    buses: list[PlannedBusIn] = Field(default_factory=list, max_length=200)

    @model_validator(mode="before")
    @classmethod
    def _from_form(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        typed = sorted(k for k in TYPED_IN if data.get(k) not in (None, "", []))
        if typed:  # a form drawn before the plan, or a client that does not know: say, do not drop
            raise PydanticCustomError(
                "planned_buses",
                "本申请已由计划车辆承运，请确认计划车辆的通行证，无需填写 {fields} "
                "(the plan carries this application: confirm its buses' passes instead of typing {fields})",
                {"fields": ", ".join(typed)},
            )
        if data.get("buses"):
            return data
        rows: dict[str, dict[str, Any]] = {}
        for key, value in data.items():
            prefix, _, rest = str(key).partition("-")
            vehicle, _, field = rest.partition("-")
            if prefix == "bus" and vehicle.isdigit() and field:
                rows.setdefault(vehicle, {"vehicle": int(vehicle)})[field] = value
        return {**data, "buses": list(rows.values())}


class KitItemIn(_Schema):
    name: Text
    quantity: Annotated[int, Field(ge=0, le=1_000_000)] = 0


def _kit_lines(value: object) -> object:
    """``医用口罩*100`` (or ×, x) per line; a JSON list of {name, quantity} passes as is."""
    if not isinstance(value, str):
        return value
    items = []
    for line in _lines(value):
        name, _, qty = line.replace("×", "*").replace("x", "*").partition("*")
        items.append({"name": name.strip(), "quantity": qty.strip() or 0})
    return items


class EscortKitData(_Schema):
    medical_escort: TextList
    kit: Annotated[list[KitItemIn], BeforeValidator(_kit_lines), Field(min_length=1, max_length=100)]
    health_checks: TextList


class SubsidyData(_Schema):
    government_share: Annotated[int, Field(ge=0, le=100)] = 0
    enterprise_share: Annotated[int, Field(ge=0, le=100)] = 0
    worker_share: Annotated[int, Field(ge=0, le=100)] = 0
    note: OptionalText = ""

    @model_validator(mode="after")
    def _adds_up(self) -> SubsidyData:
        if self.government_share + self.enterprise_share + self.worker_share != 100:
            raise PydanticCustomError("shares_sum", "补贴分担比例之和应为 100 (shares must add up to 100)")
        return self

    def stored(self) -> dict[str, Any]:
        shares = {"government": self.government_share, "enterprise": self.enterprise_share}
        shares["worker"] = self.worker_share
        return {"subsidy_shares": shares, "list_checked": True, "note": self.note}


class LateArrivalData(_Schema):
    decision: Literal["accept", "act"]
    note: OptionalText = ""

    @model_validator(mode="after")
    def _act_says_how(self) -> LateArrivalData:
        if self.decision == "act" and not self.note:
            raise PydanticCustomError("note_required", "已处理时请说明措施 (note: what was done)")
        return self


class HandoverData(_Schema):
    reception_point: Text
    contact: Text
    note: OptionalText = ""


SCHEMAS: dict[str, type[_Schema]] = {
    TaskKind.VEHICLE_ROUTE_PASS: RoutePassData,
    TaskKind.ESCORT_KIT_CHECKS: EscortKitData,
    TaskKind.LIST_CHECK_SUBSIDY: SubsidyData,
    TaskKind.LATE_ARRIVAL: LateArrivalData,
    TaskKind.LANDING_HANDOVER: HandoverData,
}


def _label(loc: tuple[int | str, ...]) -> tuple[str, str]:
    """``("vehicles", 1, "plate")`` → ("第 2 辆车 车牌号", "vehicle 2 plate")."""
    zh, en = [], []
    for i, part in enumerate(loc):
        if isinstance(part, int):
            zh.append(f"第 {part + 1} {'项' if loc[i - 1] == 'kit' else '辆车'}")
            en.append(f"{'item' if loc[i - 1] == 'kit' else 'vehicle'} {part + 1}")
        elif part in ("vehicles", "buses") and i + 1 < len(loc):  # "第 2 辆车" says it already
            continue
        elif part in LABELS:
            zh.append(LABELS[part][0])
            en.append(LABELS[part][1])
    return " ".join(zh), " ".join(en)


def _message(error: Mapping[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in ("shares_sum", "note_required", "planned_buses"):
        return str(error["msg"])
    zh, en = _label(tuple(error["loc"]))
    if kind in ("missing", "too_short", "string_too_short", "none_required"):
        return f"{zh} 必填 ({en}: required)"
    if kind.startswith("int_"):
        return f"{zh} 应为整数 ({en}: a whole number)"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge", ctx.get("le"))
        word = ("不能小于", "at least") if kind == "greater_than_equal" else ("不能大于", "at most")
        return f"{zh} {word[0]} {bound} ({en}: {word[1]} {bound})"
    if kind in ("string_too_long", "too_long"):
        return f"{zh} 过长 ({en}: too long, at most {ctx.get('max_length')})"
    if kind.startswith("datetime"):
        return f"{zh} 不是有效时间 ({en}: not a date-time)"
    if kind == "literal_error":
        return f"{zh} 取值无效 ({en}: one of {ctx.get('expected')})"
    return f"{zh} 格式不对 ({en}: {error['msg']})"


def validated(schema: type[_Schema], data: Mapping[str, Any], **context: Any) -> Any:
    """``data`` checked against ``schema``; the first problem as a DomainError naming the field."""
    try:
        return schema.model_validate(dict(data), context=context)
    except ValidationError as exc:
        raise DomainError(_message(exc.errors()[0]), "invalid_task_data") from exc


def parse_time(value: object, default: datetime) -> datetime:
    """A stored ISO time (or blank: ``default``), aware in the current time zone when naive."""
    if value in (None, ""):
        return default
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is None:
        raise DomainError("出发时间不是有效时间 (departure: not a date-time)", "invalid_task_data")
    try:
        typed_dates.in_range(parsed)
    except typed_dates.OutOfRange as exc:
        raise DomainError(f"出发时间 (departure): {exc}", "invalid_task_data") from None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def clean_task_data(task: DepartmentTask, data: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The data to store on ``task`` when it is completed with ``data`` (its kind's schema), over
    what the task already held (passengers, destination, ...). The planned-bus form of transport's
    task is ``plan_route_passes``' to check."""
    stored = dict(task.data or {})
    schema = SCHEMAS[task.kind]
    if schema is RoutePassData:
        raw = {**data}
        for key in ("origin", "destination"):
            raw[key] = raw.get(key) or stored.get(key, "")
        clean = validated(RoutePassData, raw, passengers=stored.get("passengers"))
        fields = clean.model_dump(mode="json", exclude={"departure"})
        return {**stored, **fields, "departure": parse_time(clean.departure, now).isoformat()}
    clean = validated(schema, data)
    if isinstance(clean, SubsidyData):
        return {**stored, **clean.stored()}
    return {**stored, **clean.model_dump(mode="json")}
