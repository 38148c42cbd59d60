"""The registries in Django's admin (task force). People are behind the same policy as everywhere
(``personal_data``): ID numbers and phones shown masked and never edited here, the birth date not
shown, every list read, page read and change audited. Full data goes through the pages' reveal."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse

from homeward.apps.audit.runs import LEASE_FIELDS
from homeward.apps.audit.services import audit_record
from homeward.apps.registry.models import (
    CarrierAggregate,
    CountyRisk,
    Enterprise,
    HomeCity,
    HomeStation,
    ImportRun,
    PoliceArrival,
    RosterMembership,
    Town,
    Worker,
)
from homeward.apps.registry.personal_data import HIDDEN_BY_MASK, audit_list_read, person_out


@admin.register(Town)
class TownAdmin(admin.ModelAdmin[Town]):
    list_display = ["code", "name", "kind", "aliases", "lat", "lon", "approximate_point"]
    list_filter = ["kind", "approximate_point"]
    search_fields = ["name", "code", "aliases"]


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin[Enterprise]):
    list_display = ["name", "uscc", "town", "industry", "size", "is_key"]
    list_filter = ["is_key", "size", "town"]
    search_fields = ["name", "uscc"]
    list_select_related = ["town"]


class PersonalDataAdmin(admin.ModelAdmin[Any]):
    """An admin of records that hold ID numbers (and phones): masked, read-only for those fields,
    audited. ``object_type`` names the records in the audit log."""

    object_type = ""
    masked_fields: tuple[str, ...] = ("masked_id_number",)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        personal = {"id_number", "phone"} | HIDDEN_BY_MASK
        return [f.name for f in self.model._meta.fields if f.name in personal]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*super().get_readonly_fields(request, obj), *self.masked_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # people come from imports and applications, which check and audit them

    @admin.display(description="身份证号(脱敏)")
    def masked_id_number(self, obj: Any) -> str:
        return person_out(obj).id_number if obj.id_number else ""

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            audit_list_read(
                actor=request.user,
                what=self.object_type,
                rows=len(changelist.result_list),
                filters={**request.GET.dict(), "admin": True},
            )
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "GET":
            audit_record(
                actor=request.user, action=f"{self.object_type}.admin_read", object_type=self.object_type,
                object_id=object_id,
            )  # fmt: skip
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user, action=f"{self.object_type}.admin_change", object_type=self.object_type,
            object_id=obj.pk, data={"fields": sorted(form.changed_data)},
        )  # fmt: skip

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_record(
            actor=request.user, action=f"{self.object_type}.admin_delete", object_type=self.object_type,
            object_id=obj.pk,
        )  # fmt: skip
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        audit_record(
            actor=request.user, action=f"{self.object_type}.admin_delete", object_type=self.object_type,
            data={"count": queryset.count()},
        )  # fmt: skip
        super().delete_queryset(request, queryset)


@admin.register(Worker)
class WorkerAdmin(PersonalDataAdmin):
    object_type = "worker"
    masked_fields = ("masked_id_number", "masked_phone", "origin_name")
    list_display = ["name", "masked_id_number", "origin_code", "employer", "status"]
    list_filter = ["status"]
    search_fields = ["=id_number", "name"]  # the task force may search by full ID (audited as a list read)
    raw_id_fields = ["employer"]
    show_full_result_count = False

    @admin.display(description="手机号(脱敏)")
    def masked_phone(self, obj: Worker) -> str:
        return person_out(obj).phone

    @admin.display(description="籍贯")
    def origin_name(self, obj: Worker) -> str:
        return person_out(obj).origin_name


@admin.register(RosterMembership)
class RosterMembershipAdmin(admin.ModelAdmin[RosterMembership]):
    list_display = ["worker", "enterprise", "insured_since"]
    raw_id_fields = ["worker", "enterprise"]
    show_full_result_count = False


@admin.register(PoliceArrival)
class PoliceArrivalAdmin(PersonalDataAdmin):
    object_type = "police_arrival"
    list_display = ["masked_id_number", "arrived_on", "place"]
    search_fields = ["=id_number"]
    show_full_result_count = False


@admin.register(CarrierAggregate)
class CarrierAggregateAdmin(admin.ModelAdmin[CarrierAggregate]):
    list_display = ["date", "county_code", "count"]
    search_fields = ["county_code"]


@admin.register(CountyRisk)
class CountyRiskAdmin(admin.ModelAdmin[CountyRisk]):
    list_display = ["county_code", "level", "updated_at"]
    list_filter = ["level"]
    search_fields = ["county_code"]


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin[ImportRun]):
    list_display = ["created_at", "kind", "state", "original_name", "rows_done", "created_by", "error_code"]
    list_filter = ["kind", "state"]
    readonly_fields = ["report", *LEASE_FIELDS]


@admin.register(HomeCity)
class HomeCityAdmin(admin.ModelAdmin[HomeCity]):
    """Names and the coach base may be corrected here; the city itself changes through the setup."""

    list_display = ["name", "code", "display_name", "organiser", "lat", "lon"]
    readonly_fields = ["code", "name", "full_name", "set_up_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(HomeStation)
class HomeStationAdmin(admin.ModelAdmin[HomeStation]):
    list_display = ["name", "rank", "telecode", "distance_km", "active"]
    list_editable = ["rank", "active"]
    ordering = ["rank", "name"]
