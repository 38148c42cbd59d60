from django.contrib import admin

from homeward.apps.audit.runs import LEASE_FIELDS
from homeward.apps.registry.models import (
    CarrierAggregate,
    CountyRisk,
    Enterprise,
    ImportRun,
    PoliceArrival,
    RosterMembership,
    Town,
    Worker,
)


@admin.register(Town)
class TownAdmin(admin.ModelAdmin[Town]):
    list_display = ["code", "name", "kind"]
    search_fields = ["name", "code"]


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin[Enterprise]):
    list_display = ["name", "uscc", "town", "industry", "size", "is_key"]
    list_filter = ["is_key", "size", "town"]
    search_fields = ["name", "uscc"]
    list_select_related = ["town"]


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin[Worker]):
    # The admin is for the task force, whose role may see personal data; lists still avoid phones.
    list_display = ["name", "origin_code", "employer", "status"]
    list_filter = ["status"]
    search_fields = ["=id_number", "name"]
    raw_id_fields = ["employer"]
    show_full_result_count = False


@admin.register(RosterMembership)
class RosterMembershipAdmin(admin.ModelAdmin[RosterMembership]):
    list_display = ["worker", "enterprise", "insured_since"]
    raw_id_fields = ["worker", "enterprise"]
    show_full_result_count = False


@admin.register(PoliceArrival)
class PoliceArrivalAdmin(admin.ModelAdmin[PoliceArrival]):
    list_display = ["arrived_on", "place"]
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
