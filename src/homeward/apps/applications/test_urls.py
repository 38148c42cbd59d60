"""URLconf for ``test_settings``: the project's URLs plus this app's pages and API router, unless the
project already includes them."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from homeward.api import api
from homeward.apps.applications.api import router

if not any(r is router for _, r in api._routers):  # not yet mounted by homeward/api.py
    api.add_router("/", router)

from homeward.urls import urlpatterns as _project  # noqa: E402

urlpatterns = list(_project)
if not any(getattr(p, "namespace", None) == "applications" for p in _project):
    urlpatterns += i18n_patterns(
        path("", include("homeward.apps.applications.urls")), prefix_default_language=False
    )
