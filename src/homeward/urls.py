from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from homeward.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("homeward.apps.accounts.urls")),
    path("", include("homeward.apps.registry.urls")),
    path("", include("homeward.apps.applications.urls")),
    prefix_default_language=False,
)
