"""API behaviour at the role boundary that the access matrix (``tests/access``, which walks every
endpoint × role × own and foreign objects) does not spell out: each department's queue holds only
its own tasks and a role without one is refused (audited); a repeated submit applies once and a
refused one (another key, another enterprise) leaves the application as it was; public
verification; the documented schema."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _denials(user, action):
    from homeward.apps.audit.models import AuditEvent

    return list(
        AuditEvent.objects.filter(actor=user, action=f"denied.{action}").values_list("data", flat=True)
    )


def _as_stored(app):
    """What a refused call must not change: the row's state fields and its workers."""
    from homeward.apps.applications.models import ReturnApplication

    row = ReturnApplication.objects.get(pk=app.pk)
    workers = sorted(row.workers.values_list("pk", "active", "live"))
    return (row.state, row.submitted_at, row.idempotency_key, workers)


def _client(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_a_department_queue_holds_only_its_tasks(
    accepted, hr_officer, transport_officer, health_officer, town_officer, enterprise_user
):
    for user, kinds in (
        (hr_officer, {"list_check_subsidy"}),
        (transport_officer, {"vehicle_route_pass"}),
        (health_officer, {"escort_kit_checks"}),
        (town_officer, {"landing_handover"}),
    ):
        rows = _client(user).get("/api/v1/tasks").json()["items"]
        assert {r["kind"] for r in rows} == kinds
    assert _denials(enterprise_user, "task.read") == []
    refused = _client(enterprise_user).get("/api/v1/tasks")  # an enterprise has no task queue
    assert refused.status_code == 403 and refused.json()["reason"] == "forbidden"
    assert _denials(enterprise_user, "task.read") == [{"reason": "forbidden"}]


def test_submit_is_idempotent_over_the_api(draft, enterprise_user, other_enterprise_user):
    from homeward.apps.audit.models import AuditEvent

    client = _client(enterprise_user)
    first = client.post(f"/api/v1/applications/{draft.pk}/submit", HTTP_IDEMPOTENCY_KEY="same")
    second = client.post(f"/api/v1/applications/{draft.pk}/submit", HTTP_IDEMPOTENCY_KEY="same")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    submitted = _as_stored(draft)
    assert submitted[0] == "submitted" and submitted[2] == "same"

    third = client.post(f"/api/v1/applications/{draft.pk}/submit", HTTP_IDEMPOTENCY_KEY="different")
    assert third.status_code == 409 and third.json()["reason"] == "bad_state"
    assert _as_stored(draft) == submitted  # the key, the time and the workers as the first submit left them
    submits = AuditEvent.objects.filter(action="application.submit", object_id=str(draft.pk))
    assert submits.count() == 1

    # another enterprise's user does not even see it: 404, nothing changed, the denial audited
    foreign = _client(other_enterprise_user).post(
        f"/api/v1/applications/{draft.pk}/submit", HTTP_IDEMPOTENCY_KEY="other"
    )
    assert foreign.status_code == 404 and foreign.json()["reason"] == "not_found"
    assert _as_stored(draft) == submitted and submits.count() == 1
    assert _denials(other_enterprise_user, "application.submit") == [{"reason": "not_found"}]


def test_verification_is_public(issued):
    response = Client().get("/api/v1/permits/verify", {"token": issued[0].token})
    assert response.status_code == 200 and response.json()["valid"] is True
    keys = Client().get("/api/v1/permits/keys")
    assert keys.status_code == 200 and keys.json()["format"] == "homeward-permit-keys"


def test_the_openapi_schema_documents_the_endpoints():
    from homeward.api import api

    paths = api.get_openapi_schema()["paths"]
    for path in ("/api/v1/applications", "/api/v1/applications/{application_id}/submit", "/api/v1/tasks",
                 "/api/v1/permits/{permit_id}/sign", "/api/v1/permits/verify"):  # fmt: skip
        assert path in paths, path
