"""The per-request sign-in reads (``accounts.sessions``, ``accounts.backends``): the session row is
read by one compiled statement and answers as Django's database sessions do (a live session signs
in, an expired, deleted or unknown one does not, one written by Django's own store reads the same);
the user's profile comes with the user, in one query, and what it says is what was stored at that
request (a role changed in between is seen at once)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from homeward.apps.accounts.models import Profile
from homeward.apps.accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db

API = "/api/v1/workers"


def test_a_live_session_signs_in_and_an_expired_or_deleted_one_does_not(client, enterprise_user) -> None:
    assert client.get(API).status_code == 401
    client.force_login(enterprise_user)
    assert client.get(API).status_code == 200
    key = client.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get(API).status_code == 401
    client.force_login(enterprise_user)
    assert client.get(API).status_code == 200
    Session.objects.all().delete()  # signed out elsewhere (another process, the admin)
    assert client.get(API).status_code == 401


def test_it_reads_what_djangos_own_store_wrote_and_nothing_for_an_unknown_key() -> None:
    theirs = DjangoSessionStore()
    theirs["answer"] = {"n": 42, "text": "四十二"}
    theirs.create()
    theirs.save()
    assert theirs.session_key is not None
    ours = SessionStore(theirs.session_key)
    assert ours.load() == {"answer": {"n": 42, "text": "四十二"}}
    assert ours.session_key == theirs.session_key
    unknown = SessionStore("x" * 32)
    assert unknown.load() == {} and unknown.session_key is None


def test_the_profile_is_read_with_the_user_in_one_query(client, enterprise_user) -> None:
    client.force_login(enterprise_user)
    client.get(API)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(API).status_code == 200
    profile_reads = [q["sql"] for q in queries.captured_queries if '"accounts_profile"' in q["sql"]]
    assert profile_reads, "the profile was not read at all"
    assert all('FROM "auth_user"' in sql for sql in profile_reads), profile_reads


def test_a_role_changed_between_requests_counts_at_the_next(client, enterprise_user) -> None:
    client.force_login(enterprise_user)
    assert client.get(API).status_code == 200
    Profile.objects.filter(user=enterprise_user).update(role="worker")  # a role with no registry access
    assert client.get(API).status_code == 403


def test_a_deactivated_user_or_one_without_a_profile(client, enterprise_user) -> None:
    client.force_login(enterprise_user)
    Profile.objects.filter(user=enterprise_user).delete()
    assert client.get(API).status_code == 403  # signed in, no role: refused, not a crash
    get_user_model().objects.filter(pk=enterprise_user.pk).update(is_active=False)
    assert client.get(API).status_code == 401
