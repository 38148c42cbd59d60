"""The access matrix's world, built once for the package (committed, then flushed when it is done, as
the heat-map package does with its city), and its counts printed at the end of every run."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.access import tally
from tests.conftest import flush_database


@pytest.fixture(scope="package")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    from tests.access.world import build_world

    media = tmp_path_factory.mktemp("access-media")
    with override_settings(
        MEDIA_ROOT=str(media),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}},
    ):
        with django_db_blocker.unblock():
            built = build_world()
        yield built
        with django_db_blocker.unblock():
            flush_database()


def pytest_terminal_summary(terminalreporter):
    if tally.COUNTS["checks"]:
        terminalreporter.write_sep("-", "access matrix")
        terminalreporter.write_line(tally.summary())
