"""Settings for running the heat map before the lead wires it into ``homeward.settings``:
``DJANGO_SETTINGS_MODULE=homeward.apps.heatmap.test_settings``. Harmless once the app is installed."""

from homeward.settings import *  # noqa: F403
from homeward.settings import INSTALLED_APPS, PACKAGE_DIR, STATICFILES_DIRS

if "homeward.apps.heatmap" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "homeward.apps.heatmap"]

_ECHARTS = ("vendor/echarts", PACKAGE_DIR.parent.parent / "node_modules" / "echarts" / "dist")
if not any(isinstance(d, tuple) and d[0] == "vendor/echarts" for d in STATICFILES_DIRS):
    STATICFILES_DIRS = [*STATICFILES_DIRS, _ECHARTS]

ROOT_URLCONF = "homeward.apps.heatmap.test_urls"
