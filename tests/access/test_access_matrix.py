"""Every API operation and page × anonymous and every role × own and foreign objects (see ``matrix``
for what is asserted and how to add an endpoint); the counts are printed at the end of the run."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access import tally
from tests.access.matrix import ADMIN_ALLOW, API, PAGES, Row, call
from tests.access.world import ROLES, SCOPED, WORKER_SESSION

pytestmark = pytest.mark.django_db

# Everything a refused call must leave as it was (audit events are expected to grow; sessions too).
WATCHED_APPS = (
    "auth",
    "accounts",
    "registry",
    "applications",
    "heatmap",
    "planning",
    "trips",
    "letters",
    "teams",
    "django_tasks_db",
)


def _state() -> str:
    """A digest of every watched table's rows (raw SQL: the ORM's per-row work is too slow here)."""
    digest = hashlib.sha256()
    tables = [
        m._meta.db_table
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_label in WATCHED_APPS
    ]
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
            digest.update(repr(cursor.fetchall()).encode())
    return digest.hexdigest()


def _denials(user: Any) -> int:
    from homeward.apps.audit.models import AuditEvent

    return AuditEvent.objects.filter(actor=user, action__startswith="denied.").count()


def _client(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _allowed(row: Row, world: Any, client: Client, role: str, side: str) -> None:
    """The call succeeds; it is rolled back, so the next role starts from the same world."""
    with transaction.atomic():
        response = call(client, row, world, side)
        transaction.set_rollback(True)
    assert response.status_code == row.ok, (role, side, response.status_code, response.content[:300])
    tally.COUNTS["allowed"] += 1
    if row.sees is not None and row.marker is not None:
        json_body = response["Content-Type"].startswith("application/json")
        text = json.dumps(response.json(), ensure_ascii=False) if json_body else response.content.decode()
        for shown in ("own", "foreign"):
            expected = role in row.sees and (shown == "own" or role not in SCOPED)
            assert (row.marker(world, shown) in text) == expected, (role, shown, "list visibility")
            tally.COUNTS["list_checks"] += 1


def _refused(row: Row, world: Any, client: Client, identity: str, side: str, before: str) -> None:
    """401/403/404 or the login page; the state as ``before``; a signed-in persona's refusal audited."""
    user = world.users.get(identity)
    denials = _denials(user) if user is not None else 0
    response = call(client, row, world, side)
    status = response.status_code
    if user is None:
        if row.is_api:
            assert status == 401, (identity, side, status)
        else:
            assert status == 302 and response["Location"].startswith(row.login), (identity, side, status)
    elif identity in row.allow:  # allowed on its own side only
        assert status == row.foreign_status, (identity, side, status, response.content[:300])
    elif side == "foreign" and row.obj is not None and identity in SCOPED and identity not in row.seen_by:
        assert status == 404, (identity, side, status, response.content[:300])  # not even seen
    else:
        assert status in (403, 404), (identity, side, status, response.content[:300])
    assert _state() == before, (identity, side, "state changed by a refused call")
    tally.COUNTS["denied"] += 1
    if user is not None:
        tally.COUNTS["denied_signed_in"] += 1
        assert _denials(user) > denials, (identity, side, "refusal not audited")
        tally.COUNTS["audited"] += 1


ROWS = [*API, *PAGES]


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.key} [{r.obj or ''}]" for r in ROWS])
def test_access_matrix(row: Row, world: Any) -> None:
    sides = ("own",) if row.obj in world.shared or row.sees is not None else row.sides
    tally.COUNTS["api_rows" if row.is_api else "page_rows"] += 1
    identities = ("anonymous", *ROLES, WORKER_SESSION)
    clients = {identity: _client(world.users.get(identity)) for identity in identities}
    world.sign_in_worker(clients[WORKER_SESSION])
    before = _state()  # allowed calls are rolled back, so this holds between calls
    for side in sides:
        for identity in identities:
            tally.IDENTITIES.add(identity)
            tally.COUNTS["checks"] += 1
            allowed = identity in row.allow and (side == "own" or identity not in SCOPED)
            if identity == "anonymous" and allowed:
                response = call(clients[identity], row, world, side)
                assert response.status_code == row.ok, (identity, response.status_code)
                tally.COUNTS["allowed"] += 1
            elif allowed:
                _allowed(row, world, clients[identity], identity, side)
            else:
                _refused(row, world, clients[identity], identity, side, before)


def test_the_admin_is_the_task_forces(world: Any) -> None:
    """The Django admin's index and every registered model's list: the task force (staff) gets
    them, every other role and anonymous are sent to the admin's login page."""
    urls = ["/admin/"] + [
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m in admin.site._registry
    ]
    for identity in ("anonymous", *ROLES):
        tally.IDENTITIES.add(identity)
        client = _client(world.users.get(identity))
        for url in urls:
            response = client.get(url)
            tally.COUNTS["admin_checks"] += 1
            if identity in ADMIN_ALLOW:
                assert response.status_code == 200, (identity, url, response.status_code)
            else:
                # the admin's own login page; anonymous visitors meet the site's first
                assert response.status_code == 302, (identity, url, response.status_code)
                assert response["Location"].startswith(("/admin/login/", "/login/")), (identity, url)
    tally.COUNTS["admin_pages"] = len(urls)


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[str]:
    out: list[str] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            out += _routes(p.url_patterns, prefix + str(p.pattern))
        else:
            out.append(prefix + str(p.pattern))
    return out


def test_every_endpoint_is_in_the_matrix() -> None:
    """Fails when an endpoint or page exists that the matrix does not declare (add a row to
    ``tests/access/matrix.py``), or when a row names one that no longer exists."""
    from homeward.api import api

    operations = {
        f"{method.upper()} {path}"
        for path, methods in api.get_openapi_schema()["paths"].items()
        for method in methods
    }
    declared_api = {r.key for r in API}
    assert operations - declared_api == set(), "API operations missing from tests/access/matrix.py"
    assert declared_api - operations == set(), "matrix rows for API operations that do not exist"
    routes = {r for r in _routes(get_resolver().url_patterns) if not r.startswith(("api/", "admin/"))}
    declared_pages = {r.path for r in PAGES}
    assert routes - declared_pages == set(), "pages missing from tests/access/matrix.py"
    assert declared_pages - routes == set(), "matrix rows for pages that do not exist"
    tally.COUNTS["api_operations"] = len(operations)
    tally.COUNTS["page_routes"] = len(routes)
