"""Every JSON request body takes each value as the type its schema names (``api_contract.JsonInt`` and
kin): ``true`` is not 1, ``"5"`` is not 5, 1 is not ``true``, a number of seconds is not a date-time,
and a date at the calendar's edge is out of range.
Lax parsing accepted ``{"deadline_hours": true}`` as one hour (found by the schemathesis pass). Walked
from the OpenAPI schema, so a body added later is checked without naming it here."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

WRONG = {
    "integer": (True, "5"),
    "number": (True, "5"),
    "boolean": (1, "yes"),
    # a time at the calendar's edge has no UTC instant (it was a 500): outside core.typed_dates' range
    "date-time": (1_600_000_000, "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00"),
    "date": (1_600_000_000, "0001-01-01", "9999-12-31"),
}


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _kind(schema: dict[str, Any], prop: dict[str, Any]) -> str | None:
    """The scalar kind of a property (``anyOf`` with null unwrapped), or None."""
    prop = _resolve(schema, prop)
    options = [o for o in prop.get("anyOf", [prop]) if o.get("type") != "null"]
    if len(options) != 1:
        return None
    only = _resolve(schema, options[0])
    if only.get("type") == "string":
        return only.get("format") if only.get("format") in ("date-time", "date") else None
    return only.get("type") if only.get("type") in ("integer", "number", "boolean") else None


def _mistyped_bodies(schema: dict[str, Any], body: dict[str, Any]):
    """(field path, body with that one field mistyped), one level into arrays of objects too."""
    for name, prop in _resolve(schema, body).get("properties", {}).items():
        kind = _kind(schema, prop)
        if kind is not None:
            for value in WRONG[kind]:
                yield name, {name: value}
            continue
        items = _resolve(schema, prop).get("items")
        if items is None:
            continue
        inner_kind = _kind(schema, items)
        if inner_kind is not None:
            for value in WRONG[inner_kind]:
                yield f"{name}[]", {name: [value]}
        for inner, payload in _mistyped_bodies(schema, items):
            yield f"{name}[].{inner}", {name: [payload]}


def test_every_json_body_refuses_values_of_another_type(client, taskforce):
    client.force_login(taskforce)
    schema = client.get("/api/v1/openapi.json").json()
    tried: list[str] = []
    for path, ops in schema["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method, op in ops.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body is None:
                continue
            for field, payload in _mistyped_bodies(schema, body):
                response = getattr(client, method)(url, payload, content_type="application/json")
                tried.append(f"{method.upper()} {path} {field}={payload}")
                assert response.status_code == 422, (tried[-1], response.status_code, response.content[:300])
                assert field.split("[]")[0] in response.content.decode(), tried[-1]
    # the walk reached the bodies it exists for (numbers, ids, flags, times), not an empty schema
    assert any("deadline_hours" in t for t in tried) and any("client_at" in t for t in tried)
    assert any("new_hire" in t for t in tried) and any("worker_ids" in t for t in tried)
