from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from homeward.api import api
from homeward.health import healthz

# A database locked past its timeout or away is a 503 with a clear message, not a 500 (dbfaults).
handler500 = "homeward.dbfaults.server_error"

urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
# Language comes from the switcher's cookie, then the browser's Accept-Language, then zh-Hans; URLs
# carry no language prefix so that links printed on permits and letters stay valid in every language.
urlpatterns += [
    path("admin/", admin.site.urls),
    path("", include("homeward.apps.accounts.urls")),
    path("", include("homeward.apps.registry.urls")),
    path("", include("homeward.apps.applications.urls")),
    path("", include("homeward.apps.heatmap.urls")),
    path("", include("homeward.apps.planning.urls")),
    path("", include("homeward.apps.audit.urls")),
]
