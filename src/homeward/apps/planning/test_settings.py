"""Temporary: the project settings plus this app, until the lead adds it to INSTALLED_APPS.
Delete this file once ``homeward.apps.planning`` is in ``homeward.settings.INSTALLED_APPS``."""

from homeward.settings import *  # noqa: F403
from homeward.settings import INSTALLED_APPS

if "homeward.apps.planning" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "homeward.apps.planning"]
ROOT_URLCONF = "homeward.apps.planning.test_urls"
