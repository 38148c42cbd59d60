"""API behaviour at the role boundary that the access matrix (``tests/access``, which walks every
endpoint × role × own and foreign objects) does not spell out: each department's queue holds only
its own tasks, a repeated submit, public verification, the documented schema."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


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
    assert _client(enterprise_user).get("/api/v1/tasks").status_code == 403  # no task queue


def test_submit_is_idempotent_over_the_api(draft, enterprise_user):
    client = _client(enterprise_user)
    first = client.post(f"/api/v1/applications/{draft.pk}/submit", HTTP_IDEMPOTENCY_KEY="same")
    second = client.post(f"/api/v1/applications/{draft.pk}/submit", HTTP_IDEMPOTENCY_KEY="same")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    third = client.post(f"/api/v1/applications/{draft.pk}/submit", HTTP_IDEMPOTENCY_KEY="different")
    assert third.status_code == 409 and third.json()["reason"] == "bad_state"


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
