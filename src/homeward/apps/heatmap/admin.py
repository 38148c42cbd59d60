from django.contrib import admin

from homeward.apps.audit.runs import LEASE_FIELDS
from homeward.apps.heatmap.models import HeatmapSnapshot, WorkerStatus


@admin.register(HeatmapSnapshot)
class HeatmapSnapshotAdmin(admin.ModelAdmin[HeatmapSnapshot]):
    list_display = [
        "pk",
        "as_of",
        "state",
        "progress",
        "stage",
        "reason",
        "created_at",
        "built_at",
        "error_code",
    ]
    list_filter = ["state"]
    readonly_fields = [
        "summary",
        "params",
        "path",
        "error",
        "created_by",
        "created_at",
        "built_at",
        *LEASE_FIELDS,
    ]


@admin.register(WorkerStatus)
class WorkerStatusAdmin(admin.ModelAdmin[WorkerStatus]):
    list_display = ["worker", "status", "source", "date", "origin_code", "snapshot"]
    list_filter = ["status", "source"]
    raw_id_fields = ["worker"]
    search_fields = ["=worker__id_number"]
    show_full_result_count = False
