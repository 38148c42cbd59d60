"""Settings for running this app before it is wired into ``homeward.settings`` (and harmless after).

Use: ``pytest --ds homeward.apps.applications.test_settings tests/applications``.
"""

from homeward.settings import *  # noqa: F403
from homeward.settings import INSTALLED_APPS

if "homeward.apps.applications" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "homeward.apps.applications"]
ROOT_URLCONF = "homeward.apps.applications.test_urls"
# Personas are created per test; the default hasher would spend most of the test time hashing.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
