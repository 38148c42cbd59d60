"""Every endpoint × every persona: the one(s) allowed succeed, everyone else gets 401/403/404 and
nothing changes. Denials inside a scope are audited."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.applications.conftest import (
    GOOD_COUNTY,
    HEALTH_DATA,
    TRANSPORT_DATA,
    csv_bytes,
    good_rows,
    task_of,
)

pytestmark = pytest.mark.django_db

PERSONAS = (
    "enterprise_user", "other_enterprise_user", "town_officer", "other_town_officer", "taskforce",
    "hr_officer", "health_officer", "transport_officer", "service_team", "station_staff", "worker_user",
)  # fmt: skip
NEW_WORKER = {
    "id_number": good_rows(1, 77)[0][0],
    "name": "新人",
    "phone": "13600000000",
    "pickup_county": GOOD_COUNTY,
}


def _client(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _call(client, method, path, body=None, **extra):
    if method == "get":
        return client.get(path, **extra)
    if method == "delete":
        return client.delete(path, **extra)
    if isinstance(body, bytes):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return client.post(path, {"file": SimpleUploadedFile("list.csv", body)}, **extra)
    return client.post(path, body or {}, content_type="application/json", **extra)


# name: (state fixture, method, path(app, permit, task), body, allowed personas, success status)
ENDPOINTS = {
    "list": ("draft", "get", lambda a, p, t: "/api/v1/applications", None, None, 200),
    "create": (None, "post", lambda a, p, t: "/api/v1/applications", {}, {"enterprise_user", "other_enterprise_user", "taskforce"}, 201),
    "detail": ("draft", "get", lambda a, p, t: f"/api/v1/applications/{a.pk}", None, {"enterprise_user", "taskforce"}, 200),
    "upload": ("draft", "post", lambda a, p, t: f"/api/v1/applications/{a.pk}/upload", csv_bytes(good_rows(2, 50)), {"enterprise_user", "taskforce"}, 200),
    "worker_add": ("draft", "post", lambda a, p, t: f"/api/v1/applications/{a.pk}/workers", NEW_WORKER, {"enterprise_user", "taskforce"}, 201),
    "worker_remove": ("draft", "delete", lambda a, p, t: f"/api/v1/applications/{a.pk}/workers/{a.workers.first().pk}", None, {"enterprise_user", "taskforce"}, 200),
    "worker_replace": ("accepted", "post", lambda a, p, t: f"/api/v1/applications/{a.pk}/workers/{a.workers.first().pk}/replace", NEW_WORKER, {"enterprise_user", "taskforce"}, 201),
    "submit": ("draft", "post", lambda a, p, t: f"/api/v1/applications/{a.pk}/submit", {}, {"enterprise_user", "taskforce"}, 200),
    "accept": ("submitted", "post", lambda a, p, t: f"/api/v1/applications/{a.pk}/accept", {}, {"town_officer", "taskforce"}, 200),
    "cancel": ("submitted", "post", lambda a, p, t: f"/api/v1/applications/{a.pk}/cancel", {}, {"enterprise_user", "town_officer", "taskforce"}, 200),
    "transition": ("accepted", "post", lambda a, p, t: f"/api/v1/applications/{a.pk}/transition", {"to": "planned"}, {"taskforce"}, 200),
    "case": ("accepted", "get", lambda a, p, t: f"/api/v1/applications/{a.pk}/case", None,
             {"enterprise_user", "town_officer", "taskforce", "hr_officer", "health_officer", "transport_officer"}, 200),
    "task_transport": ("accepted", "post", lambda a, p, t: f"/api/v1/tasks/{task_of(a, 'vehicle_route_pass').pk}/complete", {"data": TRANSPORT_DATA}, {"transport_officer", "taskforce"}, 200),
    "task_health": ("accepted", "post", lambda a, p, t: f"/api/v1/tasks/{task_of(a, 'escort_kit_checks').pk}/complete", {"data": HEALTH_DATA}, {"health_officer", "taskforce"}, 200),
    "task_hr": ("accepted", "post", lambda a, p, t: f"/api/v1/tasks/{task_of(a, 'list_check_subsidy').pk}/complete", {"data": {"government_share": 100}}, {"hr_officer", "taskforce"}, 200),
    "task_reception": ("accepted", "post", lambda a, p, t: f"/api/v1/tasks/{task_of(a, 'landing_handover').pk}/complete", {"data": {"reception_point": "余姚北站", "contact": "李"}}, {"town_officer", "taskforce"}, 200),
    "permit_detail": ("issued", "get", lambda a, p, t: f"/api/v1/permits/{p.pk}", None,
                      {"enterprise_user", "town_officer", "taskforce", "hr_officer", "transport_officer", "health_officer"}, 200),
    "permit_sign_hr": ("permits_drafted", "post", lambda a, p, t: f"/api/v1/permits/{p.pk}/sign", {}, {"hr_officer", "transport_officer", "health_officer"}, 200),
    "permit_revoke": ("issued", "post", lambda a, p, t: f"/api/v1/permits/{p.pk}/revoke", {}, {"taskforce"}, 200),
    "permit_pdf": ("issued", "get", lambda a, p, t: f"/api/v1/permits/{p.pk}/pdf", None,
                   {"enterprise_user", "town_officer", "taskforce", "hr_officer", "transport_officer", "health_officer"}, 200),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_it_holds_the_role_boundary(name, request):
    state, method, path_of, body, allowed, ok_status = ENDPOINTS[name]
    app = request.getfixturevalue(state) if state in ("draft", "submitted", "accepted") else None
    permit = None
    if state in ("issued", "permits_drafted"):
        permits = request.getfixturevalue(state)
        permit = next(p for p in permits if p.kind == "prevention")  # signed by all three departments
        app = permit.application
    users = {p: request.getfixturevalue(p) for p in PERSONAS}
    if app is None:
        request.getfixturevalue("enterprise_a")
    path = path_of(app, permit, None)
    assert _call(_client(None), method, path, body).status_code == 401
    if allowed is None:  # a list: everyone may call it, each sees only their own
        for persona, user in users.items():
            response = _call(_client(user), method, path, body)
            assert response.status_code == 200
            ids = {row["id"] for row in response.json()["items"]}
            assert (app.pk in ids) == (persona in {"enterprise_user", "taskforce"}), persona
        return
    if name == "permit_sign_hr":  # each signer signs once; the task force has no department key
        allowed_order = ["hr_officer", "transport_officer", "health_officer"]
    else:
        allowed_order = ["enterprise_user"] if "enterprise_user" in allowed else sorted(allowed)[:1]
    for persona, user in users.items():
        if persona in allowed:
            continue
        response = _call(_client(user), method, path, body)
        assert response.status_code in (403, 404), (persona, response.status_code, response.content[:200])
        if method != "get" or response.status_code == 404:
            assert response.json()["reason"] in ("forbidden", "not_found"), persona
    for persona in allowed_order:
        response = _call(_client(users[persona]), method, path, body, HTTP_IDEMPOTENCY_KEY="k-api")
        assert response.status_code == ok_status, (persona, response.content[:300])


def test_a_department_queue_holds_only_its_tasks(
    accepted, hr_officer, transport_officer, health_officer, town_officer, enterprise_user
):
    for user, kinds in (
        (hr_officer, {"list_check_subsidy"}),
        (transport_officer, {"vehicle_route_pass"}),
        (health_officer, {"escort_kit_checks"}),
        (town_officer, {"landing_handover"}),
        (enterprise_user, set()),
    ):
        rows = _client(user).get("/api/v1/tasks").json()["items"]
        assert {r["kind"] for r in rows} == kinds


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
