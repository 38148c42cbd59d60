"""Reads of personal data leave a trace: list reads and exports once each (filters and row count,
never the rows), admin reads and changes, and searches by ID that would be an oracle are refused."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from homeward.core.identity import mask_ric
from tests.conftest import export_workers

pytestmark = pytest.mark.django_db


def _events(action):
    from homeward.apps.audit.models import AuditEvent

    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_list_reads_of_workers_are_audited_once_per_read(client, town_officer, workers_a):
    client.force_login(town_officer)
    client.get("/api/v1/workers", {"status": "away", "limit": 2})
    client.get(reverse("worker-list"), {"status": "away"})
    api, page = _events("worker.list")
    assert api.data == {
        "rows": 2, "total": 3, "filters": {"status": "away", "limit": 2, "offset": 0},
    }  # fmt: skip
    assert page.data["rows"] == 3 and page.data["filters"] == {"status": "away", "page": 1}
    assert api.actor == town_officer and not any(w.id_number in str(api.data) for w in workers_a)


def test_bulk_xlsx_export_of_workers_is_audited(client, taskforce, workers_a, workers_b):
    """Finding: the bulk .xlsx export of workers was not audited."""
    from openpyxl import load_workbook

    client.force_login(taskforce)
    content = export_workers(client)
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 5 and mask_ric(workers_a[0].id_number) in rows[1] + rows[2] + rows[3]
    (event,) = _events("worker.export")
    assert event.data == {"rows": 5, "filters": {}} and event.actor == taskforce


def test_application_worker_lists_are_audited(client, enterprise_user, workers_a):
    from homeward.apps.applications import services

    app = services.application_create_draft(actor=enterprise_user)
    services.application_workers_add_from_roster(
        actor=enterprise_user, application_id=app.pk, worker_ids=[w.pk for w in workers_a]
    )
    client.force_login(enterprise_user)
    body = client.get(f"/api/v1/applications/{app.pk}").json()
    assert {w["id_number"] for w in body["workers"]} == {mask_ric(w.id_number) for w in workers_a}
    client.get(f"/applications/{app.pk}/")
    assert [(e.object_id, e.data["rows"]) for e in _events("application_worker.list")] == [
        (str(app.pk), 3),
        (str(app.pk), 3),
    ]


def test_searching_by_full_id_is_refused_to_roles_that_may_not_reveal(
    client, enterprise_user, health_officer, workers_a
):
    """Found in passing: "is this ID one of yours?" over the ~1,660 numbers a mask and a county leave
    rebuilds the number; only roles with personal-data rights may search by ID (audited)."""
    number = workers_a[0].id_number
    client.force_login(enterprise_user)
    api = client.get("/api/v1/workers", {"q": number})
    assert api.status_code == 403 and api.json()["reason"] == "id_search_forbidden"
    page = client.get(reverse("worker-list"), {"q": number})
    assert page.status_code == 403 and mask_ric(number) not in page.content.decode()  # no row listed
    by_name = client.get("/api/v1/workers", {"q": workers_a[0].name}).json()
    assert by_name["count"] == 1
    (denied, _second) = _events("denied.worker.search_by_id")
    assert denied.data == {"q": mask_ric(number)}
    client.force_login(health_officer)
    assert client.get("/api/v1/workers", {"q": number}).json()["count"] == 1
    (*_, read) = _events("worker.list")
    assert read.data["filters"]["q"] == mask_ric(number)  # the audit log never holds a full number


def test_django_admin_shows_ids_and_phones_masked_read_only_and_audited(client, taskforce, workers_a):
    """Finding: the admin showed and edited full IDs and phones with no audit event."""
    worker = workers_a[0]
    client.force_login(taskforce)
    listing = client.get("/admin/registry/worker/").content.decode()
    assert mask_ric(worker.id_number) in listing and worker.id_number not in listing
    change = client.get(f"/admin/registry/worker/{worker.pk}/change/").content.decode()
    assert worker.id_number not in change and worker.phone not in change and "birth_date" not in change
    assert mask_ric(worker.id_number) in change
    assert _events("worker.list")[-1].data["filters"] == {"admin": True}
    assert [e.object_id for e in _events("worker.admin_read")] == [str(worker.pk)]
    form = {
        "name": "改名",
        "employer": worker.employer_id,
        "status": "returned",
        "origin_code": worker.origin_code,
    }
    response = client.post(f"/admin/registry/worker/{worker.pk}/change/", form)
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.name == "改名" and worker.id_number == workers_a[0].id_number
    (change_event,) = _events("worker.admin_change")
    assert change_event.data == {"fields": ["name", "status"]}
    assert client.get("/admin/registry/worker/add/").status_code == 403


def test_responses_to_signed_in_users_are_not_stored_by_caches(client, town_officer, workers_a):
    """Finding: no ``Cache-Control: no-store`` on personal data. The rule: every answer to a
    signed-in user (pages, API, exports) is no-store, unless its view is marked ``public_data``."""
    client.force_login(town_officer)
    for url in ("/workers/", "/api/v1/workers", "/workers/?format=xlsx", "/enterprises/", "/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
    boundaries = client.get("/heatmap/boundaries/province.json")
    assert boundaries.status_code == 200 and "no-store" not in boundaries["Cache-Control"]
    assert "max-age=86400" in boundaries["Cache-Control"]
