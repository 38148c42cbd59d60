"""What a department enters to complete its task, checked and normalised per task kind before it is
stored (``department_task_complete``) and drafted into permits (``permits.permit_draft``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from homeward.apps.applications.models import DepartmentTask, TaskKind
from homeward.core.errors import DomainError

DEFAULT_PERMIT_HOURS = 48


# What the task force says to a plan's late workers: it accepts the late arrival, or it has acted
# (a train requested, a deadline moved with the enterprise, ...) and says how in a note.
LATE_DECISIONS = ("accept", "act")


def _texts(value: object, name: str, *, required: bool = True) -> list[str]:
    if isinstance(value, str):
        items = [
            p.strip()
            for p in value.replace("、", "\n")
            .replace("→", "\n")
            .replace(";", "\n")
            .replace(",", "\n")
            .replace("，", "\n")
            .splitlines()
        ]
    elif isinstance(value, list):
        items = [str(v).strip() for v in value]
    elif value is None:
        items = []
    else:
        raise DomainError(f"{name} 应为文本列表 (must be a list of text)", "invalid_task_data")
    items = [i for i in items if i]
    if required and not items:
        raise DomainError(f"{name} 必填 (required)", "invalid_task_data")
    return items


def _text(data: Mapping[str, Any], name: str, default: str = "") -> str:
    value = str(data.get(name) or default).strip()
    if not value:
        raise DomainError(f"{name} 必填 (required)", "invalid_task_data")
    return value[:200]


def _time(value: object, name: str, default: datetime) -> datetime:
    if value in (None, ""):
        return default
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is None:
        raise DomainError(f"{name} 不是有效时间 (not a date-time)", "invalid_task_data")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _clean_task_data(task: DepartmentTask, data: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    stored = dict(task.data or {})
    if task.kind == TaskKind.VEHICLE_ROUTE_PASS:
        passengers = int(stored.get("passengers") or 0)
        raw_vehicles = data.get("vehicles")
        if not raw_vehicles:
            raw_vehicles = [
                {"plate": data.get("plate"), "carrier": data.get("carrier"), "passengers": passengers}
            ]
        if not isinstance(raw_vehicles, list):
            raise DomainError("vehicles 应为列表 (must be a list)", "invalid_task_data")
        vehicles = []
        for v in raw_vehicles:
            if not isinstance(v, Mapping):
                raise DomainError("vehicles 应为对象列表 (list of objects)", "invalid_task_data")
            try:
                count = int(v.get("passengers") or (passengers if len(raw_vehicles) == 1 else 0))
            except (TypeError, ValueError) as exc:
                raise DomainError("passengers 应为整数 (whole number)", "invalid_task_data") from exc
            if count < 1:
                raise DomainError("每辆车乘客人数至少 1 人 (at least one passenger)", "invalid_task_data")
            vehicles.append({"plate": _text(v, "plate"), "carrier": _text(v, "carrier"), "passengers": count})
        departure = _time(data.get("departure"), "departure", now)
        hours = int(data.get("window_hours") or DEFAULT_PERMIT_HOURS)
        if not 1 <= hours <= 240:
            raise DomainError("有效时长应为 1-240 小时 (window_hours)", "invalid_task_data")
        return {
            **stored,
            "vehicles": vehicles,
            "origin": _text(data, "origin", stored.get("origin", "")),
            "destination": _text(data, "destination", stored.get("destination", "")),
            "route": _texts(data.get("route"), "route"),
            "provinces": _texts(data.get("provinces"), "provinces"),
            "entry_station": _text(data, "entry_station"),
            "exit_station": _text(data, "exit_station"),
            "departure": departure.isoformat(),
            "window_hours": hours,
        }
    if task.kind == TaskKind.ESCORT_KIT_CHECKS:
        kit_raw = data.get("kit") or []
        kit: list[dict[str, Any]] = []
        if isinstance(kit_raw, str):
            for line in kit_raw.replace("、", "\n").splitlines():
                if not line.strip():
                    continue
                name, _, qty = line.replace("×", "*").replace("x", "*").partition("*")
                kit.append(
                    {"name": name.strip(), "quantity": int(qty.strip() or 0) if qty.strip().isdigit() else 0}
                )
        elif isinstance(kit_raw, list):
            for item in kit_raw:
                if not isinstance(item, Mapping):
                    raise DomainError("kit 应为 [{name, quantity}] (kit items)", "invalid_task_data")
                kit.append({"name": _text(item, "name"), "quantity": int(item.get("quantity") or 0)})
        if not kit:
            raise DomainError("kit 必填 (prevention kit required)", "invalid_task_data")
        return {
            **stored,
            "medical_escort": _texts(data.get("medical_escort"), "medical_escort"),
            "kit": kit,
            "health_checks": _texts(data.get("health_checks"), "health_checks"),
        }
    if task.kind == TaskKind.LIST_CHECK_SUBSIDY:
        shares = {}
        for part in ("government", "enterprise", "worker"):
            try:
                shares[part] = int(data.get(f"{part}_share", 0) or 0)
            except (TypeError, ValueError) as exc:
                raise DomainError(
                    "补贴比例应为整数 (shares are whole percents)", "invalid_task_data"
                ) from exc
        if sum(shares.values()) != 100 or min(shares.values()) < 0:
            raise DomainError("补贴分担比例之和应为 100 (shares must add up to 100)", "invalid_task_data")
        return {
            **stored,
            "subsidy_shares": shares,
            "list_checked": True,
            "note": str(data.get("note") or "")[:200],
        }
    if task.kind == TaskKind.LATE_ARRIVAL:
        decision = str(data.get("decision") or "").strip()
        if decision not in LATE_DECISIONS:
            raise DomainError(
                "decision 应为 accept（接受超时）或 act（已处理）(decision: accept or act)",
                "invalid_task_data",
            )
        note = str(data.get("note") or "").strip()[:200]
        if decision == "act" and not note:
            raise DomainError("已处理时请说明措施 (note: what was done)", "invalid_task_data")
        return {**stored, "decision": decision, "note": note}
    # landing handover
    return {
        **stored,
        "reception_point": _text(data, "reception_point"),
        "contact": _text(data, "contact"),
        "note": str(data.get("note") or "")[:200],
    }
