from django.contrib import admin

from homeward.apps.accounts.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin[Profile]):
    list_display = ["user", "role", "display_name", "town", "enterprise", "province_code", "place"]
    list_filter = ["role"]
    raw_id_fields = ["enterprise"]
    search_fields = ["user__username", "display_name"]
