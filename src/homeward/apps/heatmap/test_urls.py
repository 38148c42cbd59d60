"""URLs for ``test_settings``: the project's URLs plus the heat map's pages and API router (until the
lead adds them to ``homeward/urls.py`` and ``homeward/api.py``)."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from homeward.api import api
from homeward.apps.heatmap.api import router as heatmap_router

if not any(r is heatmap_router for _prefix, r in api._routers):
    api.add_router("/", heatmap_router)

from homeward.urls import urlpatterns as _project  # noqa: E402

urlpatterns = [
    *_project,
    *i18n_patterns(path("", include("homeward.apps.heatmap.urls")), prefix_default_language=False),
]
