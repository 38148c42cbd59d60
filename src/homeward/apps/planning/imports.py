"""Importing planning resources from .xlsx/.xls/.csv: train slots, coaches, drivers, escorts, kits.

Chinese or English headers (case, spaces, BOM ignored). Every row is checked first; bad rows are
reported by row, field and reason (``RowError``); good rows are upserted on their natural key in one
transaction with one audit event, so importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import IO, Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from homeward.apps.accounts.policy import authorize
from homeward.apps.audit.services import audit_record
from homeward.apps.planning.models import HOME_BASE, Coach, Driver, MedicalEscort, PreventionKit, TrainSlot
from homeward.apps.registry.selectors import home_city
from homeward.apps.registry.services.imports import upload_refused
from homeward.apps.registry.uploads import sync_limits
from homeward.core import regions, typed_dates
from homeward.core.errors import DomainError
from homeward.core.identity import normalize_mobile
from homeward.core.ingest import Columns, RowError, cell_text, looks_like_formula, read_mapped
from homeward.core.ingest.validate import FORMULA, duplicate_message

MAX_ROWS = 20_000


class _Bad(Exception):
    def __init__(self, field: str, reason: str, message: str) -> None:
        self.field, self.reason, self.message = field, reason, message


def _text(v: object, field: str, *, required: bool = True, max_len: int = 100) -> str:
    s = cell_text(v)
    if required and not s:
        raise _Bad(field, "required", "必填 (required)")
    if len(s) > max_len:
        raise _Bad(field, "too_long", f"超过 {max_len} 字 (too long)")
    if looks_like_formula(s):
        raise _Bad(field, "formula", FORMULA)
    return s


def _int(v: object, field: str, *, default: int | None = None, lo: int = 0, hi: int = 10**9) -> int:
    s = cell_text(v)
    if not s:
        if default is None:
            raise _Bad(field, "required", "必填 (required)")
        return default
    try:
        n = int(float(s.replace(",", "").rstrip("%")))
    except ValueError as exc:
        raise _Bad(field, "number", "应为数字 (must be a number)") from exc
    if not lo <= n <= hi:
        raise _Bad(field, "number", f"应在 {lo}-{hi} 之间 (out of range)")
    return n


def _fen(v: object, field: str, default_fen: int) -> int:
    s = cell_text(v)
    if not s:
        return default_fen
    try:
        return int(round(float(s.replace(",", "")) * 100))
    except ValueError as exc:
        raise _Bad(field, "number", "应为金额(元) (amount in yuan)") from exc


def _when(v: object, field: str) -> datetime:
    if isinstance(v, datetime):
        dt = v
    else:
        s = cell_text(v).replace("/", "-")
        dt = parse_datetime(s) or parse_datetime(s.replace(" ", "T")) if s else None  # type: ignore[assignment]
        if dt is None:
            raise _Bad(field, "date", "不是有效时间，如 2020-02-20 14:00 (not a date-time)")
    try:
        typed_dates.in_range(dt)
    except typed_dates.OutOfRange as exc:
        raise _Bad(field, "date", str(exc)) from None
    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt)
    return dt


def _station(v: object, field: str) -> regions.Station:
    s = regions.station_name(_text(v, field, max_len=20))
    st = regions.station_by_name(s) or next((x for x in regions.stations() if x.telecode == s.upper()), None)
    if st is None:
        raise _Bad(field, "unknown_station", f"未知车站 {s} (unknown station)")
    return st


@cache
def _regions_by_name() -> dict[str, str]:
    out: dict[str, str] = {}
    for r in regions.all_regions():
        if r.level in ("prefecture", "county"):
            out.setdefault(r.name, r.code)
            out.setdefault(r.full_name, r.code)
    return out


def _base(v: object, field: str) -> str:
    s = cell_text(v)
    if s.lower() in ("", "本市", HOME_BASE):
        return HOME_BASE
    if s.isdigit() and len(s) == 6 and regions.get(s) is not None:
        return s
    code = _regions_by_name().get(s)
    if code is None:
        raise _Bad(field, "unknown_county", f"未知驻地 {s}：填 本市 或地区代码 (home or a region code)")
    return code


def _home_names() -> frozenset[str]:
    """How a file may name the home city as a base: its code and names, with or without 市/县/区."""
    home = home_city()
    if home is None:
        return frozenset()
    names = {home.code, home.name, home.full_name, home.display_name}
    return frozenset(names | {regions.short_name(n) for n in names})


def _phone(v: object, field: str, *, required: bool = True) -> str:
    s = cell_text(v)
    if not s and not required:
        return ""
    try:
        return normalize_mobile(s)
    except DomainError as exc:
        raise _Bad(field, "phone", "不是有效的手机号 (not a mobile number)") from exc


def _bool(v: object, default: bool = True) -> bool:
    s = cell_text(v).lower()
    if not s:
        return default
    return s not in ("否", "0", "false", "no", "停用", "n")


_LEVELS = {"市级": "city", "city": "city", "市": "city", "镇级": "town", "town": "town", "镇": "town"}
_STATES = {
    "已申请": "requested", "requested": "requested", "申请": "requested",
    "已批准": "granted", "granted": "granted", "批准": "granted",
    "已取消": "cancelled", "cancelled": "cancelled", "取消": "cancelled",
}  # fmt: skip


def _choice(v: object, field: str, table: Mapping[str, str], default: str) -> str:
    s = cell_text(v)
    if not s:
        return default
    value = table.get(s) or table.get(s.lower())
    if value is None:
        raise _Bad(field, "choice", f"取值应为 {'/'.join(sorted(set(table)))} (invalid value)")
    return value


def _train_slot(r: Mapping[str, object]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    o = _station(r.get("origin_station"), "origin_station")
    d = _station(r.get("destination_station"), "destination_station")
    departs = _when(r.get("departs"), "departs")
    arrives = _when(r.get("arrives"), "arrives")
    if arrives <= departs:
        raise _Bad("arrives", "date", "到达应晚于发车 (arrival must be after departure)")
    name = _text(r.get("name"), "name", max_len=40)
    values = {
        "level": _choice(r.get("level"), "level", _LEVELS, "city"),
        "origin_telecode": o.telecode, "destination_station": d.name, "destination_telecode": d.telecode,
        "arrives": arrives, "seats": _int(r.get("seats"), "seats", lo=1, hi=5000),
        "load_cap_pct": _int(r.get("load_cap_pct"), "load_cap_pct", default=50, lo=1, hi=100),
        "state": _choice(r.get("state"), "state", _STATES, "requested"),
        "notes": _text(r.get("notes"), "notes", required=False, max_len=200),
    }  # fmt: skip
    return (name, o.name, departs), values


def _coach(r: Mapping[str, object]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    plate = "".join(_text(r.get("plate"), "plate", max_len=20).split()).upper()
    return (plate,), {
        "seats": _int(r.get("seats"), "seats", lo=5, hi=80),
        "carrier": _text(r.get("carrier"), "carrier"),
        "base": _base(r.get("base"), "base"),
        "cost_per_km_fen": _fen(r.get("cost_per_km"), "cost_per_km", 800),
        "cost_per_day_fen": _fen(r.get("cost_per_day"), "cost_per_day", 100_000),
        "active": _bool(r.get("active")),
    }


def _driver(r: Mapping[str, object]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return (_text(r.get("licence_no"), "licence_no", max_len=30).upper(),), {
        "name": _text(r.get("name"), "name", max_len=50),
        "phone": _phone(r.get("phone"), "phone", required=False),
        "carrier": _text(r.get("carrier"), "carrier", required=False),
        "base": _base(r.get("base"), "base"),
        "active": _bool(r.get("active")),
    }


def _escort(r: Mapping[str, object]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return (_text(r.get("name"), "name", max_len=50), _phone(r.get("phone"), "phone")), {
        "organisation": _text(r.get("organisation"), "organisation", required=False),
        "base": _base(r.get("base"), "base"),
        "active": _bool(r.get("active")),
    }


def _kit(r: Mapping[str, object]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return (_text(r.get("name"), "name", max_len=50),), {
        "masks": _int(r.get("masks"), "masks", default=0),
        "thermometers": _int(r.get("thermometers"), "thermometers", default=0),
        "disinfectant_ml": _int(r.get("disinfectant_ml"), "disinfectant_ml", default=0),
        "stock": _int(r.get("stock"), "stock", default=0),
        "location": _text(r.get("location"), "location", required=False),
    }


@dataclass(frozen=True)
class ResourceKind:
    model: type[models.Model]
    key: tuple[str, ...]
    fields: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    parse: Callable[[Mapping[str, object]], tuple[tuple[Any, ...], dict[str, Any]]]

    @property
    def label(self) -> str:
        """The model's name in the active language (专列车次, Train slots)."""
        return str(self.model._meta.verbose_name_plural)

    @property
    def columns(self) -> Columns:
        return Columns(self.fields, self.required)


RESOURCE_KINDS: dict[str, ResourceKind] = {
    "train_slots": ResourceKind(
        TrainSlot, ("name", "origin_station", "departs"),
        {
            "name": ("车次名称", "name", "车次", "专列名称"), "level": ("级别", "level"),
            "origin_station": ("始发站", "origin_station", "出发站"),
            "destination_station": ("到达站", "destination_station", "终到站"),
            "departs": ("发车时间", "departs", "出发时间"), "arrives": ("到达时间", "arrives"),
            "seats": ("座位数", "seats", "定员"), "load_cap_pct": ("上座率上限", "load_cap_pct", "上座率"),
            "state": ("状态", "state"), "notes": ("备注", "notes"),
        },
        ("name", "origin_station", "destination_station", "departs", "arrives", "seats"), _train_slot,
    ),
    "coaches": ResourceKind(
        Coach, ("plate",),
        {
            "plate": ("车牌号", "plate", "车牌"), "seats": ("核定座位", "seats", "座位数"),
            "carrier": ("承运单位", "carrier", "运输公司"), "base": ("驻地", "base"),
            "cost_per_km": ("每公里费用", "cost_per_km", "每公里费用(元)"),
            "cost_per_day": ("每日费用", "cost_per_day", "每日费用(元)"), "active": ("可用", "active"),
        },
        ("plate", "seats", "carrier"), _coach,
    ),
    "drivers": ResourceKind(
        Driver, ("licence_no",),
        {
            "name": ("姓名", "name"), "licence_no": ("驾驶证号", "licence_no", "驾驶证"),
            "phone": ("手机号", "phone", "电话"), "carrier": ("承运单位", "carrier"), "base": ("驻地", "base"),
            "active": ("可用", "active"),
        },
        ("name", "licence_no"), _driver,
    ),
    "escorts": ResourceKind(
        MedicalEscort, ("name", "phone"),
        {
            "name": ("姓名", "name"), "phone": ("手机号", "phone", "电话"),
            "organisation": ("所属单位", "organisation", "单位"), "base": ("驻地", "base"),
            "active": ("可用", "active"),
        },
        ("name", "phone"), _escort,
    ),
    "kits": ResourceKind(
        PreventionKit, ("name",),
        {
            "name": ("物资包名称", "name", "名称"), "masks": ("口罩", "masks"),
            "thermometers": ("体温计", "thermometers", "额温枪"),
            "disinfectant_ml": ("消毒液(毫升)", "disinfectant_ml", "消毒液"), "stock": ("库存", "stock"),
            "location": ("存放地点", "location"),
        },
        ("name",), _kit,
    ),
}  # fmt: skip


def _existing(rk: ResourceKind, keys: Collection[tuple[Any, ...]]) -> dict[tuple[Any, ...], models.Model]:
    """The stored rows the file names, by natural key, locked: one query per 500 first key values
    rather than one per row."""
    firsts = sorted({k[0] for k in keys})
    found: dict[tuple[Any, ...], models.Model] = {}
    for i in range(0, len(firsts), 500):
        chunk = {f"{rk.key[0]}__in": firsts[i : i + 500]}
        for obj in rk.model.objects.select_for_update().filter(**chunk):  # type: ignore[attr-defined]
            found[tuple(getattr(obj, f) for f in rk.key)] = obj
    return found


def resource_import(
    *, actor: Any, kind: str, source: str | os.PathLike[str] | IO[bytes] | None, file_name: str = ""
) -> dict[str, Any]:
    """Import one resource file. Returns ``{kind, created, updated, unchanged, rejected, rejected_count}``;
    a file-level problem (none, unreadable) raises DomainError and changes nothing."""
    authorize(actor, "plan.resources")
    if source is None:
        raise DomainError("请选择文件 (choose a file)", "no_file")
    rk = RESOURCE_KINDS.get(kind)
    if rk is None:
        raise DomainError(f"未知的资源类型 {kind!r} (use {', '.join(RESOURCE_KINDS)})", "kind")
    parsed: dict[tuple[Any, ...], tuple[int, dict[str, Any]]] = {}
    rejected: list[dict[str, object]] = []
    home_names = _home_names()
    try:
        rows = list(read_mapped(source, rk.columns, sync_limits(max_rows=MAX_ROWS)))
    except DomainError as exc:
        upload_refused(actor, exc, what=f"plan.resource_import.{kind}", name=file_name)
        raise
    for n, row in rows:
        if cell_text(row.get("base")) in home_names:
            row["base"] = HOME_BASE
        try:
            key, values = rk.parse(row)
        except _Bad as bad:
            rejected.append(RowError(n, bad.field, bad.reason, bad.message).as_dict())
            continue
        if key in parsed:
            rejected.append(
                RowError(n, rk.key[0], "duplicate_in_file", duplicate_message(parsed[key][0])).as_dict()
            )
            continue
        parsed[key] = (n, values)
    updated = unchanged = 0
    new: list[models.Model] = []
    with transaction.atomic():
        existing = _existing(rk, parsed)
        for key, (_, values) in parsed.items():
            obj = existing.get(key)
            if obj is None:
                new.append(rk.model(**dict(zip(rk.key, key, strict=True)), **values))
                continue
            changed = [f for f, v in values.items() if getattr(obj, f) != v]
            if changed:
                for f in changed:
                    setattr(obj, f, values[f])
                obj.save(update_fields=changed)
                updated += 1
            else:
                unchanged += 1
        rk.model.objects.bulk_create(new, batch_size=500)  # type: ignore[attr-defined]
        report = {
            "kind": kind, "created": len(new), "updated": updated, "unchanged": unchanged,
            "rejected": rejected[:500], "rejected_count": len(rejected),
        }  # fmt: skip
        audit_record(
            actor=actor, action="plan.resource_import", object_type=kind, object_id="",
            data={**{k: v for k, v in report.items() if k != "rejected"}, "file": file_name[:200]},
        )  # fmt: skip
    return report
