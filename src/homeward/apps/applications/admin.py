from django.contrib import admin

from homeward.apps.applications.models import (
    ApplicationWorker,
    Case,
    DepartmentKey,
    DepartmentTask,
    Permit,
    PermitSignature,
    ReturnApplication,
    RevocationList,
)


class WorkerInline(admin.TabularInline[ApplicationWorker, ReturnApplication]):
    model = ApplicationWorker
    extra = 0
    fields = ("name", "pickup_county_code", "health_code", "active", "removed_at")
    readonly_fields = fields
    can_delete = False


@admin.register(ReturnApplication)
class ReturnApplicationAdmin(admin.ModelAdmin[ReturnApplication]):
    list_display = ("pk", "enterprise", "state", "submitted_at", "accepted_at", "deadline_at", "at_risk")
    list_filter = ("state", "at_risk")
    raw_id_fields = ("enterprise",)
    readonly_fields = (
        "state",
        "submitted_at",
        "accepted_at",
        "accepted_by",
        "deadline_at",
        "idempotency_key",
    )
    inlines = [WorkerInline]


@admin.register(DepartmentTask)
class DepartmentTaskAdmin(admin.ModelAdmin[DepartmentTask]):
    list_display = ("pk", "case", "department", "kind", "state", "done_by", "done_at")
    list_filter = ("department", "state")


@admin.register(Permit)
class PermitAdmin(admin.ModelAdmin[Permit]):
    list_display = ("permit_id", "kind", "state", "application", "issued_at", "revoked_at")
    list_filter = ("kind", "state")
    readonly_fields = ("body", "token", "state")


@admin.register(DepartmentKey)
class DepartmentKeyAdmin(admin.ModelAdmin[DepartmentKey]):
    list_display = ("kid", "department", "valid_from", "valid_to", "revoked")
    exclude = ("private_key_encrypted",)  # never shown


admin.site.register(Case)
admin.site.register(PermitSignature)
admin.site.register(RevocationList)
