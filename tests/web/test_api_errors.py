"""The API's error contract (issue #9, "unhandled 500s as HTML"): every error is JSON
``{status, reason, message}``; integers from the client are bounded; a caller without a session
gets 401 before CSRF is considered; and the schema documents every status an operation answers."""

from __future__ import annotations

import io
import logging
import zipfile

import openpyxl
import pytest
from django.db import OperationalError
from django.test import Client

from homeward.api_contract import MAX_BIGINT
from homeward.pagination import MAX_OFFSET

pytestmark = pytest.mark.django_db

BEYOND_2_64 = 2**64 + 1


def error_of(response, status: int, reason: str | None = None) -> dict:
    """The JSON error body of ``response``, checked against the contract."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status
    assert body["message"]
    assert body["localized_message"]
    if reason is not None:
        assert body["reason"] == reason
    return body


@pytest.fixture
def schema(client):
    """The OpenAPI schema as clients read it."""
    return client.get("/api/v1/openapi.json").json()


def test_it_answers_json_for_offset_beyond_2_63(client, taskforce, workers_a):
    client.force_login(taskforce)
    for offset in (2**63, BEYOND_2_64):
        body = error_of(client.get(f"/api/v1/workers?offset={offset}"), 422, "invalid_input")
        assert body["errors"][0]["loc"] == ["query", "offset"]
    # the largest offset paging accepts is a valid, empty page
    assert client.get(f"/api/v1/workers?offset={MAX_OFFSET}").json()["items"] == []


def test_it_answers_json_for_limit_beyond_2_63(client, taskforce, workers_a):
    client.force_login(taskforce)
    error_of(client.get(f"/api/v1/workers?limit={2**63}"), 422, "invalid_input")
    error_of(client.get(f"/api/v1/enterprises?limit={BEYOND_2_64}"), 422, "invalid_input")
    error_of(client.get(f"/api/v1/heatmap/shortfall/enterprises?limit={BEYOND_2_64}"), 422, "invalid_input")


def test_it_answers_json_for_enterprise_1e20(client, taskforce, workers_a):
    client.force_login(taskforce)
    error_of(client.get("/api/v1/workers?enterprise=1e20"), 422, "invalid_input")
    error_of(client.get("/api/v1/heatmap?enterprise=1e20"), 400, "heatmap_bad_filter")


def test_it_answers_json_for_ids_beyond_2_64_in_queries(client, taskforce, workers_a):
    client.force_login(taskforce)
    body = error_of(client.get(f"/api/v1/workers?enterprise={BEYOND_2_64}"), 422, "invalid_input")
    assert "query.enterprise" in body["message"]


def test_it_answers_json_for_ids_beyond_2_64_in_paths(client, taskforce, schema):
    """Every operation with an integer in its path, that integer past 2⁶⁴: a 422, never a 500."""
    client.force_login(taskforce)
    tried = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            ints = [
                p["name"]
                for p in operation.get("parameters", [])
                if p["in"] == "path" and p["schema"].get("type") == "integer"
            ]
            if not ints:
                continue
            url = path
            for name in ints:
                url = url.replace("{" + name + "}", str(BEYOND_2_64))
            response = client.generic(method.upper(), url, b"{}", content_type="application/json")
            body = error_of(response, 422, "invalid_input")
            assert {e["loc"][-1] for e in body["errors"] if e["loc"][0] == "path"} == set(ints)
            tried += 1
    assert tried >= 19


def test_it_answers_404_for_the_largest_id_the_database_holds(client, taskforce):
    client.force_login(taskforce)
    error_of(client.get(f"/api/v1/applications/{MAX_BIGINT}"), 404, "not_found")
    error_of(client.post(f"/api/v1/workers/{MAX_BIGINT}/reveal"), 404, "not_found")


def test_it_answers_401_to_anonymous_writes_before_csrf():
    """No session and no CSRF token: 401 (sign in), not 403 (CSRF) — for writes and reads alike."""
    anonymous = Client(enforce_csrf_checks=True)
    for method, url in [
        ("post", "/api/v1/applications"),
        ("post", "/api/v1/plans"),
        ("post", "/api/v1/workers/1/reveal"),
        ("delete", "/api/v1/applications/1/workers/1"),
        ("get", "/api/v1/workers"),
    ]:
        response = getattr(anonymous, method)(url, {}, content_type="application/json")
        error_of(response, 401, "unauthenticated")


def test_it_answers_403_csrf_failed_to_a_signed_in_write_without_its_token(enterprise_user):
    from homeward.apps.applications.models import ReturnApplication

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(enterprise_user)
    browser.get("/login/")  # sets the csrftoken cookie, as any page does
    error_of(browser.post("/api/v1/applications", {}, content_type="application/json"), 403, "csrf_failed")
    assert not ReturnApplication.objects.exists()

    token = browser.cookies["csrftoken"].value
    created = browser.post(
        "/api/v1/applications", {}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert created.status_code == 201


def test_it_answers_json_500_without_details_for_an_unexpected_error(client, taskforce, monkeypatch, caplog):
    def broken():
        raise RuntimeError("secret detail 4242")

    monkeypatch.setattr("homeward.apps.registry.selectors.town_list", broken)
    client.force_login(taskforce)
    with caplog.at_level(logging.ERROR, logger="homeward.api"):
        response = client.get("/api/v1/towns")
    error_of(response, 500, "internal_error")
    assert b"secret detail" not in response.content
    logged = [r for r in caplog.records if r.name == "homeward.api"]
    assert logged and logged[0].exc_info is not None
    assert "secret detail 4242" in caplog.text  # the traceback went to the log


def test_it_answers_json_for_a_write_under_a_long_lock(client, taskforce, monkeypatch):
    """A database locked past its timeout raises OperationalError in the middle of a write: the
    client gets the API's JSON error (a 5xx), not Django's HTML 500 page."""

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("homeward.apps.planning.api.plan_run_request", locked)
    client.force_login(taskforce)
    response = client.post("/api/v1/plans", {}, content_type="application/json")
    assert response.status_code in (500, 503)
    error_of(response, response.status_code)


def truncated_sheet_inside_a_valid_zip() -> bytes:
    """An .xlsx whose zip is intact but whose sheet XML stops halfway."""
    book = openpyxl.Workbook()
    book.active.append(["身份证号", "姓名", "手机号", "接送区县", "健康码"])
    for i in range(40):
        book.active.append([f"52240119900301{i:04d}", f"王{i}", f"139{i:08d}", "520502", "绿码"])
    whole = io.BytesIO()
    book.save(whole)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(whole.getvalue())) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    return out.getvalue()


def test_it_answers_json_for_a_truncated_sheet_inside_a_valid_zip(client, enterprise_user, workers_a):
    """Whatever the parser makes of it (the upload limits and parsers are another change), the
    answer is the API's JSON error and the draft's list is unchanged."""
    from homeward.apps.applications import services

    draft = services.application_create_draft(actor=enterprise_user)
    services.application_workers_add_from_roster(
        actor=enterprise_user, application_id=draft.pk, worker_ids=[w.pk for w in workers_a]
    )
    before = list(draft.workers.values_list("id_number", flat=True))
    assert len(before) == 3
    client.force_login(enterprise_user)
    upload = io.BytesIO(truncated_sheet_inside_a_valid_zip())
    upload.name = "workers.xlsx"
    response = client.post(f"/api/v1/applications/{draft.pk}/upload", {"file": upload})
    assert response.status_code in (400, 500)
    error_of(response, response.status_code)
    assert list(draft.workers.values_list("id_number", flat=True)) == before


def test_it_answers_json_for_an_api_url_that_matches_no_route(client, taskforce):
    client.force_login(taskforce)
    error_of(client.get("/api/v1/no-such-thing"), 404, "not_found")
    error_of(client.get("/api/v1/applications/abc"), 404, "not_found")  # not a number
    error_of(client.get("/api/v1/imports/abc"), 404, "not_found")  # neither an id nor a kind


def test_it_answers_json_405_with_the_allowed_methods(client, taskforce):
    client.force_login(taskforce)
    response = client.put("/api/v1/workers")
    error_of(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_it_refuses_a_json_body_that_is_not_an_object(client, taskforce):
    """``POST /plans`` with the body ``true`` queued a plan with the default seed."""
    from homeward.apps.planning.models import PlanRun

    client.force_login(taskforce)
    for body in ("true", "5", "[1]", '"x"'):
        response = client.post("/api/v1/plans", body, content_type="application/json")
        error_of(response, 400, "bad_request")
    assert not PlanRun.objects.exists()


def test_it_refuses_an_idempotency_key_reused_for_another_import_kind(client, taskforce, settings, tmp_path):
    """The key is unique per user: reused for another kind it answered an IntegrityError as a 500."""
    from homeward.apps.registry.models import ImportRun

    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(taskforce)
    key = {"HTTP_IDEMPOTENCY_KEY": "upload-1"}
    roster = io.BytesIO("身份证号,姓名\n".encode())
    roster.name = "roster.csv"
    first = client.post("/api/v1/imports/roster", {"file": roster}, **key)
    assert first.status_code == 202
    police = io.BytesIO("身份证号,到达日期\n".encode())
    police.name = "police.csv"
    error_of(client.post("/api/v1/imports/police", {"file": police}, **key), 409, "idempotency_key_reused")
    assert ImportRun.objects.count() == 1


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_documents_the_errors_it_can_answer(schema):
    """The rule behind "undocumented status codes": bad input (400, 422) and a failing server or
    database (500, 503) for every operation, 401 and 403 for those that need a session — all with
    the one error schema. The fuzzer checks that nothing else is answered."""
    error_ref = {"$ref": "#/components/schemas/ErrorOut"}
    for label, operation in _operations(schema):
        responses = operation["responses"]
        needed = {"400", "422", "500", "503"} | ({"401", "403"} if operation.get("security") else set())
        assert needed <= set(responses), label
        for status, answer in responses.items():
            if int(status) >= 400:
                assert answer["content"]["application/json"]["schema"] == error_ref, (label, status)


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _integers(schema, node, where):
    """Every integer schema in ``node`` (following $refs), with where it was found."""
    node = _resolve(schema, node)
    if node.get("type") == "integer":
        yield where, node
    for key in ("anyOf", "oneOf", "allOf"):
        for i, branch in enumerate(node.get(key, [])):
            yield from _integers(schema, branch, f"{where}|{i}")
    for name, prop in node.get("properties", {}).items():
        yield from _integers(schema, prop, f"{where}.{name}")
    if "items" in node:
        yield from _integers(schema, node["items"], f"{where}[]")


def test_every_integer_input_is_bounded(schema):
    """The rule behind "offset beyond 2⁶³" and "ids beyond 2⁶⁴": every integer a client sends (path,
    query, header, body) has a minimum and a maximum within a 64-bit signed column."""
    found = []
    for label, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            found += _integers(schema, parameter["schema"], f"{label} {parameter['in']}.{parameter['name']}")
        for media in operation.get("requestBody", {}).get("content", {}).values():
            found += _integers(schema, media["schema"], f"{label} body")
    assert len(found) >= 25
    unbounded = [
        where
        for where, node in found
        if not (-(2**63) <= node.get("minimum", -(2**64)) <= node.get("maximum", 2**64) <= MAX_BIGINT)
    ]
    assert unbounded == []


def test_it_refuses_a_nul_character_in_a_query(client, taskforce, workers_a):
    """On PostgreSQL ``?q=%00`` (a search, a state filter) raised an error in the database: a 500 on
    the API and on the pages alike."""
    client.force_login(taskforce)
    for url in ("/api/v1/workers?q=%00", "/api/v1/applications?state=a%00", "/api/v1/permits?state=%00"):
        body = error_of(client.get(url), 400, "bad_request")
        assert "NUL" in body["message"]
    page = client.get("/workers/?q=%00")
    assert page.status_code == 400
    assert "请求无效" in page.content.decode()


def test_it_refuses_a_nul_character_in_a_json_body(client, enterprise_user):
    from homeward.apps.applications.models import ReturnApplication

    client.force_login(enterprise_user)
    response = client.post("/api/v1/applications", {"notes": "a\x00b"}, content_type="application/json")
    body = error_of(response, 400, "bad_request")
    assert "body.notes" in body["message"]
    assert not ReturnApplication.objects.exists()


def test_an_error_says_its_message_in_both_languages_and_in_the_requests(client, taskforce):
    """``message`` stays as written (both languages); ``localized_message`` is the half of the
    request's language, Chinese by default; ``reason`` does not change with the language."""
    client.force_login(taskforce)
    zh = error_of(client.get("/api/v1/applications/999999"), 404, "not_found")
    en = error_of(client.get("/api/v1/applications/999999", HTTP_ACCEPT_LANGUAGE="en"), 404, "not_found")
    assert zh["message"] == en["message"] == "找不到该对象 (no such application in your scope)"
    assert zh["localized_message"] == "找不到该对象"
    assert en["localized_message"] == "No such application in your scope"  # shown alone: a sentence
    routed = error_of(client.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE="en"), 404, "not_found")
    assert routed["localized_message"] == "Not found"


def test_a_422_names_a_body_field_as_the_client_wrote_it(client, taskforce):
    # found by a Chromium walk: "body.body.scans.0.client_at" named ninja's view parameter too
    client.force_login(taskforce)
    scan = {"nonce": "n-1", "checkpoint": "board", "token": "x", "client_at": "9999-12-31T23:59:59-08:00"}
    response = client.post("/api/v1/scans", {"scans": [scan]}, content_type="application/json")
    assert response.status_code == 422
    assert "body.scans.0.client_at" in response.json()["message"]
    assert "body.body" not in response.json()["message"]
