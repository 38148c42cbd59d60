"""The /api/v1/ registry endpoints: scoped, masked, reasons on errors, documented."""

from __future__ import annotations

import pytest

from homeward.core.identity import mask_ric

pytestmark = pytest.mark.django_db


def test_it_refuses_anonymous_callers(client):
    assert client.get("/api/v1/workers").status_code == 401


def test_it_lists_masked_workers_of_the_callers_enterprise(client, enterprise_user, workers_a, workers_b):
    client.force_login(enterprise_user)
    body = client.get("/api/v1/workers").json()
    assert body["count"] == 3
    assert {item["id_number"] for item in body["items"]} == {mask_ric(w.id_number) for w in workers_a}
    assert all(item["masked"] for item in body["items"])


def test_it_lists_only_the_callers_enterprise(client, enterprise_user, enterprise_a, enterprise_b):
    client.force_login(enterprise_user)
    body = client.get("/api/v1/enterprises").json()
    assert [item["uscc"] for item in body["items"]] == [enterprise_a.uscc]


def test_it_reveals_with_a_reason_code_on_denial(client, enterprise_user, health_officer, workers_a):
    client.force_login(enterprise_user)
    denied = client.post(f"/api/v1/workers/{workers_a[0].pk}/reveal")
    assert denied.status_code == 403
    assert denied.json()["reason"] == "forbidden"
    client.force_login(health_officer)
    allowed = client.post(f"/api/v1/workers/{workers_a[0].pk}/reveal")
    assert allowed.status_code == 200
    assert allowed.json()["id_number"] == workers_a[0].id_number


def test_it_tells_the_caller_who_they_are(client, town_officer, town_a):
    client.force_login(town_officer)
    assert client.get("/api/v1/me").json() == {
        "username": "town_a",
        "role": "town",
        "enterprise_id": None,
        "town_code": town_a.code,
        "sees_personal_data": False,
    }


def test_it_publishes_the_openapi_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Homeward API"
    assert "/api/v1/workers" in schema["paths"]
    assert "/api/v1/workers/{worker_id}/reveal" in schema["paths"]
