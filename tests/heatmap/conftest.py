"""Heat-map fixtures: the small demo city (6,700 workers, 120 enterprises, 20 towns) loaded once per
session through the real import services, and a snapshot built from it.

The city is committed to the test database outside any test transaction, so every ``db`` test of this
package sees it (and rolls its own changes back); when the package is done the database is flushed so
that no other test sees it. Transactional tests (the browser ones, run last by pytest-django) flush
the database afterwards; ``small_city_live`` reloads the city when it is gone.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.conftest import flush_database, system_actor

SEED = 1
PASSWORD = "homeward-demo"


@pytest.fixture(scope="package", autouse=True)
def heatmap_settings(tmp_path_factory):
    media = tmp_path_factory.mktemp("heatmap-media")
    with override_settings(
        MEDIA_ROOT=str(media),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}},
        # the small city is 1/100 of the article's: 10,000 away becomes 100
        HEATMAP_HOTSPOT_MIN_AWAY=100,
    ):
        yield media


def ensure_small_city():
    """Load the small city and build a snapshot unless both are there; return (city, snapshot)."""
    from homeward.apps.heatmap.models import HeatmapSnapshot
    from homeward.apps.heatmap.services import heatmap_rebuild_execute_now, heatmap_rebuild_request
    from homeward.apps.registry.models import Enterprise
    from homeward.demo.generate import generate_city
    from homeward.demo.load import load_city

    city = generate_city("small", SEED)
    if not Enterprise.objects.exists():
        load_city(city)
    snap = HeatmapSnapshot.objects.filter(state="done").order_by("-pk").first()
    if snap is None:
        queued = heatmap_rebuild_request(actor=system_actor(), reason="test")
        assert heatmap_rebuild_execute_now(queued.pk) == "done"
        snap = HeatmapSnapshot.objects.get(pk=queued.pk)
    return city, snap


@pytest.fixture(scope="package")
def small_city_session(django_db_setup, django_db_blocker, heatmap_settings):
    with django_db_blocker.unblock():
        city = ensure_small_city()
    yield city
    with django_db_blocker.unblock():
        flush_database()


@pytest.fixture
def small_city(small_city_session, db):
    """(city, snapshot) for ordinary db tests."""
    return small_city_session


@pytest.fixture
def small_city_live(transactional_db, heatmap_settings):
    """(city, snapshot) for transactional (browser) tests."""
    return ensure_small_city()


def user(name: str):
    from django.contrib.auth.models import User

    return User.objects.select_related("profile").get(username=f"demo-{name}")


@pytest.fixture
def api_as(client):
    """``api_as("taskforce")`` → a test client logged in as that demo user."""

    def login_as(name: str):
        client.force_login(user(name))
        return client

    return login_as
