from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import URLPattern, URLResolver, include, path
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from homeward.api import api
from homeward.apps.accounts.middleware import public_data
from homeward.health import healthz


@login_not_required
@require_safe
@public_data
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """``/favicon.ico`` for what asks for it without reading the page's icon link (PDF viewers,
    JSON tabs, the big screen, bookmarks): the static SVG icon."""
    response = HttpResponseRedirect(static("homeward/favicon.svg"))
    patch_cache_control(response, public=True, max_age=86400)
    return response


# A database locked past its timeout or away is a 503 with a clear message, not a 500 (dbfaults).
handler500 = "homeward.dbfaults.server_error"

urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
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
    path("", include("homeward.apps.trips.urls")),
    path("", include("homeward.apps.letters.urls")),
    path("", include("homeward.apps.teams.urls")),
    path("", include("homeward.apps.audit.urls")),
]
