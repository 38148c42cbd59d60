"""A database locked past its timeout or unreachable: the API answers 503 ``{status, reason,
message}``, pages an error page with 503 — not Django's HTML 500 — wherever the error is raised (a
view, or a middleware loading the session)."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from tests.planning.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_like(taskforce):
    """A logged-in client that gets the response a browser would (no exception re-raised)."""
    return logged_in(Client(raise_request_exception=False), taskforce)


@pytest.mark.parametrize(
    "error", [OperationalError("database is locked"), InterfaceError("connection already closed")]
)
def test_an_api_call_while_the_database_is_away_answers_503_json(browser_like, monkeypatch, error):
    from homeward.apps.planning import selectors

    def away(*args, **kwargs):
        raise error

    monkeypatch.setattr(selectors, "status_run", away)
    response = browser_like.get("/api/v1/plans/latest")
    assert response.status_code == 503 and response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "status": 503,
        "reason": "db_unavailable",
        "message": "数据库暂时不可用，请稍后重试 (the database is temporarily unavailable; try again shortly)",
        "localized_message": "数据库暂时不可用，请稍后重试",  # the reader's half (Chinese by default)
    }
    assert response["Retry-After"] == "30"


def test_a_page_while_the_database_is_away_is_a_503_error_page(browser_like, monkeypatch):
    from homeward.apps.planning import views

    def away(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(views.selectors, "status_run", away)
    response = browser_like.get("/planning/")
    assert response.status_code == 503 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "服务暂时不可用" in page and "db_unavailable" in page


def test_a_session_that_cannot_be_loaded_is_a_503_too(browser_like, monkeypatch):
    """Raised in a middleware, before any view: the API still answers JSON, pages the error page."""
    from django.contrib.sessions.backends import db

    def away(self, *args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(db.SessionStore, "load", away)
    api = browser_like.get("/api/v1/plans/latest")
    page = browser_like.get("/planning/")
    assert (api.status_code, api.json()["reason"]) == (503, "db_unavailable")
    assert page.status_code == 503 and "服务暂时不可用" in page.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/plans/latest", "/planning/", "/healthz"])
def test_a_failed_session_load_is_tried_once_per_request(browser_like, monkeypatch, path):
    """Each try waits out the lock timeout (30 s on a locked session table): what runs on the way out
    (the request log, the no-store header) must not load the user again. /healthz answers its JSON."""
    from django.contrib.sessions.backends import db

    tries: list[str] = []

    def away(self, *args, **kwargs):
        tries.append(path)
        raise OperationalError("canceling statement due to lock timeout")

    monkeypatch.setattr(db.SessionStore, "load", away)
    response = browser_like.get(path)
    assert response.status_code == 503 and tries == [path]
    if path == "/healthz":
        assert response.json()["database"] == {"ok": False} and response.json()["status"] == "unavailable"


def test_other_errors_stay_500(browser_like, monkeypatch):
    from homeward.apps.planning import views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.selectors, "status_run", broken)
    assert browser_like.get("/planning/").status_code == 500
