from django.contrib import admin

from homeward.apps.audit.runs import LEASE_FIELDS
from homeward.apps.planning.models import (
    Coach,
    Dispatch,
    Driver,
    MedicalEscort,
    PlanRun,
    PlanVehicle,
    PreventionKit,
    TrainSlot,
)


@admin.register(TrainSlot)
class TrainSlotAdmin(admin.ModelAdmin[TrainSlot]):
    list_display = ["name", "level", "origin_station", "destination_station", "departs", "arrives", "seats",
                    "load_cap_pct", "state"]  # fmt: skip
    list_filter = ["state", "level", "destination_station"]
    search_fields = ["name", "origin_station"]


@admin.register(Coach)
class CoachAdmin(admin.ModelAdmin[Coach]):
    list_display = ["plate", "seats", "carrier", "base", "cost_per_km_fen", "cost_per_day_fen", "active"]
    list_filter = ["active", "base"]
    search_fields = ["plate", "carrier"]


@admin.register(Driver)
class DriverAdmin(admin.ModelAdmin[Driver]):
    list_display = ["name", "licence_no", "carrier", "base", "active"]
    list_filter = ["active", "base"]
    search_fields = ["name", "licence_no"]


@admin.register(MedicalEscort)
class MedicalEscortAdmin(admin.ModelAdmin[MedicalEscort]):
    list_display = ["name", "organisation", "base", "active"]
    list_filter = ["active", "base"]
    search_fields = ["name"]


@admin.register(PreventionKit)
class PreventionKitAdmin(admin.ModelAdmin[PreventionKit]):
    list_display = ["name", "masks", "thermometers", "disinfectant_ml", "stock", "location"]


@admin.register(PlanRun)
class PlanRunAdmin(admin.ModelAdmin[PlanRun]):
    list_display = [
        "pk",
        "state",
        "progress",
        "stage",
        "seed",
        "solver",
        "created_by",
        "created_at",
        "finished_at",
        "error_code",
    ]
    list_filter = ["state"]
    readonly_fields = ["kpis", "baseline", "stop", "result_path", "error", "created_by", "created_at",
                       "finished_at", "previous", "solver", "basis", *LEASE_FIELDS]  # fmt: skip


@admin.register(PlanVehicle)
class PlanVehicleAdmin(admin.ModelAdmin[PlanVehicle]):
    list_display = ["run", "key", "kind", "name", "origin_name", "passengers", "seat_cap", "km", "departs",
                    "arrives", "deadline_met"]  # fmt: skip
    list_filter = ["kind", "deadline_met"]
    raw_id_fields = ["run"]
    search_fields = ["name", "key"]
    show_full_result_count = False


@admin.register(Dispatch)
class DispatchAdmin(admin.ModelAdmin[Dispatch]):
    list_display = ["vehicle", "dispatched_at", "dispatched_by"]
    raw_id_fields = ["vehicle"]
