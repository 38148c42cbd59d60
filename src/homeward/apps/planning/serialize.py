"""``PlanResult`` ⇄ JSON (gzipped under ``MEDIA_ROOT/plans/``), so that a later run can re-plan around
the dispatched vehicles of an earlier one. Datetimes are ISO strings with their offset."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from homeward.core.planning import (
    Assignment,
    CostLedger,
    DriveSpan,
    Kit,
    Late,
    PermitDraft,
    PlanResult,
    Point,
    Stop,
    StopCriterion,
    TrainRequest,
    Unassigned,
    Vehicle,
)

FORMAT = 1


def _dt(value: datetime) -> str:
    return value.isoformat()


def _stop(s: Stop) -> dict[str, Any]:
    return {
        "kind": s.kind, "place": s.place, "lat": s.point.lat, "lon": s.point.lon,
        "arrive": _dt(s.arrive), "depart": _dt(s.depart), "board": list(s.board), "alight": list(s.alight),
    }  # fmt: skip


def stop_dict(stop: StopCriterion) -> dict[str, Any]:
    """A stop criterion as JSON (in plan files and on ``PlanRun.stop``)."""
    return {
        "max_iterations": stop.max_iterations,
        "no_improvement": stop.no_improvement,
        "max_seconds": stop.max_seconds,
    }


def permit_draft_dict(p: PermitDraft) -> dict[str, Any]:
    """A bus's road-pass draft as JSON (also kept on the ``PlanVehicle`` row, ``detail["permit"]``)."""
    return {
        "plate": p.plate, "carrier": p.carrier, "origin": p.origin, "destination": p.destination,
        "route": list(p.route), "provinces_crossed": list(p.provinces_crossed),
        "window_start": _dt(p.window_start), "window_end": _dt(p.window_end), "passengers": p.passengers,
        "toll_stations": list(p.toll_stations), "seal": p.seal,
    }  # fmt: skip


def permit_draft_from_dict(d: dict[str, Any]) -> PermitDraft:
    return PermitDraft(
        plate=d["plate"],
        carrier=d["carrier"],
        origin=d["origin"],
        destination=d["destination"],
        route=tuple(d["route"]),
        provinces_crossed=tuple(d["provinces_crossed"]),
        window_start=datetime.fromisoformat(d["window_start"]),
        window_end=datetime.fromisoformat(d["window_end"]),
        passengers=d["passengers"],
        toll_stations=tuple(d.get("toll_stations", ())),
        seal=d.get("seal", ""),
    )


def train_request_dict(t: TrainRequest) -> dict[str, Any]:
    """A proposed special train as JSON (in plan files, on ``PlanRun.train_requests``, in the CLI)."""
    return {
        "origin_station": t.origin_station, "destination_station": t.destination_station,
        "departs_earliest": _dt(t.departs_earliest), "departs_latest": _dt(t.departs_latest),
        "journey_min": t.journey_min, "workers": t.workers, "late_in_time": t.late_in_time,
        "hours_late_saved": t.hours_late_saved, "buses_saved": t.buses_saved,
    }  # fmt: skip


def train_request_from_dict(d: dict[str, Any]) -> TrainRequest:
    return TrainRequest(
        origin_station=d["origin_station"],
        destination_station=d["destination_station"],
        departs_earliest=datetime.fromisoformat(d["departs_earliest"]),
        departs_latest=datetime.fromisoformat(d["departs_latest"]),
        journey_min=int(d["journey_min"]),
        workers=int(d["workers"]),
        late_in_time=int(d["late_in_time"]),
        hours_late_saved=float(d["hours_late_saved"]),
        buses_saved=int(d["buses_saved"]),
    )


def vehicle_dict(v: Vehicle) -> dict[str, Any]:
    return {
        "id": v.id, "kind": v.kind, "name": v.name, "base": v.base, "seats": v.seats, "seat_cap": v.seat_cap,
        "origin_area": v.origin_area, "stops": [_stop(s) for s in v.stops],
        "drive": [[d.driver, _dt(d.start), _dt(d.end)] for d in v.drive],
        "drivers": v.drivers, "escorts": v.escorts,
        "kit": {"masks": v.kit.masks, "thermometers": v.kit.thermometers, "disinfectant_ml": v.kit.disinfectant_ml},
        "km": v.km, "manifest": list(v.manifest),
        "cost": {
            "total_fen": v.cost.total_fen, "government_fen": v.cost.government_fen,
            "enterprise_fen": v.cost.enterprise_fen, "worker_fen": v.cost.worker_fen,
            "by_enterprise_fen": [list(p) for p in v.cost.by_enterprise_fen],
        },
        "deadline_met": v.deadline_met, "feeds": v.feeds, "load_cap_pct": v.load_cap_pct,
        "permit": permit_draft_dict(v.permit) if v.permit is not None else None,
    }  # fmt: skip


def result_dict(result: PlanResult) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "seed": result.seed,
        "solver": result.solver,
        "stop": stop_dict(result.stop),
        "kpis": result.kpis,
        "vehicles": [vehicle_dict(v) for v in result.vehicles],
        "assignments": [[a.worker_id, a.vehicle_id, a.seat, a.leg] for a in result.assignments],
        "unassigned": [[u.worker_id, u.application_id, u.reason, u.detail] for u in result.unassigned],
        "late": [
            [x.worker_id, x.application_id, x.vehicle_id, _dt(x.arrives), _dt(x.deadline), x.minutes_over]
            for x in result.late
        ],
        "train_requests": [train_request_dict(t) for t in result.train_requests],
    }


def _vehicle(d: dict[str, Any]) -> Vehicle:
    cost = d["cost"]
    return Vehicle(
        id=d["id"],
        kind=d["kind"],
        name=d["name"],
        base=d["base"],
        seats=d["seats"],
        seat_cap=d["seat_cap"],
        origin_area=d["origin_area"],
        stops=tuple(
            Stop(
                s["kind"],
                s["place"],
                Point(s["lat"], s["lon"]),
                datetime.fromisoformat(s["arrive"]),
                datetime.fromisoformat(s["depart"]),
                tuple(s["board"]),
                tuple(s["alight"]),
            )  # fmt: skip
            for s in d["stops"]
        ),
        drive=tuple(
            DriveSpan(x[0], datetime.fromisoformat(x[1]), datetime.fromisoformat(x[2])) for x in d["drive"]
        ),
        drivers=d["drivers"],
        escorts=d["escorts"],
        kit=Kit(**d["kit"]),
        km=d["km"],
        manifest=tuple(d["manifest"]),
        cost=CostLedger(
            cost["total_fen"],
            cost["government_fen"],
            cost["enterprise_fen"],
            cost["worker_fen"],
            tuple((str(e), int(n)) for e, n in cost["by_enterprise_fen"]),
        ),  # fmt: skip
        deadline_met=d["deadline_met"],
        feeds=d.get("feeds", ""),
        load_cap_pct=d.get("load_cap_pct", 0),
        # files written before drafts were kept have none: a re-plan then carries the bus without one
        permit=permit_draft_from_dict(d["permit"]) if d.get("permit") else None,
    )


def result_from_dict(d: dict[str, Any]) -> PlanResult:
    return PlanResult(
        assignments=tuple(Assignment(w, v, s, leg) for w, v, s, leg in d["assignments"]),
        vehicles=tuple(_vehicle(v) for v in d["vehicles"]),
        unassigned=tuple(Unassigned(*u) for u in d["unassigned"]),
        kpis=dict(d["kpis"]),
        seed=d["seed"],
        stop=StopCriterion(**d["stop"]),
        solver=d["solver"],
        # files written before late workers were carried have none
        late=tuple(
            Late(w, app, vid, datetime.fromisoformat(at), datetime.fromisoformat(due), int(over))
            for w, app, vid, at, due, over in d.get("late", ())
        ),
        train_requests=tuple(train_request_from_dict(t) for t in d.get("train_requests", ())),
    )


def write_result(path: Path, result: PlanResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=5) as fh:
        json.dump(result_dict(result), fh, ensure_ascii=False, separators=(",", ":"))
    tmp.replace(path)


def read_result(path: Path) -> PlanResult:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return result_from_dict(json.load(fh))
