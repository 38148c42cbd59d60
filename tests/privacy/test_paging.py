"""Finding: ``limit`` was unbounded (100,000 rows in one call) and an offset beyond 2⁶³ answered with
a 500. The rule: every API list pages through ``CappedLimitOffsetPagination``."""

from __future__ import annotations

import pytest

from homeward.pagination import MAX_LIMIT, MAX_OFFSET

pytestmark = pytest.mark.django_db


def test_worker_list_limit_is_capped_and_bad_paging_is_a_422(client, taskforce, workers_a):
    client.force_login(taskforce)
    assert client.get("/api/v1/workers", {"limit": MAX_LIMIT}).status_code == 200
    for params in (
        {"limit": MAX_LIMIT + 1},
        {"limit": 100_000},
        {"limit": 0},
        {"offset": -1},
        {"offset": MAX_OFFSET + 1},
        {"offset": 2**64},
        {"limit": 2**70},
        {"offset": "1e20"},
    ):
        response = client.get("/api/v1/workers", params)
        assert response.status_code == 422, params
        assert response["Content-Type"].startswith("application/json") and response.json()["errors"], params
    beyond = client.get("/api/v1/workers", {"offset": MAX_OFFSET}).json()
    assert beyond["items"] == [] and beyond["count"] == 3
    shortfall = client.get("/api/v1/heatmap/shortfall/enterprises", {"limit": MAX_LIMIT + 1})
    assert shortfall.status_code == 422


def test_every_api_list_is_paginated_with_the_cap(client):
    """The rule, over the OpenAPI schema: no operation answers a bare array, and every paged one takes
    ``limit`` ≤ the cap and a bounded ``offset``."""
    schema = client.get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]
    paged = 0
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            body = op.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
            shape = body.get("schema", {})
            if "$ref" in shape:
                shape = components[shape["$ref"].rsplit("/", 1)[-1]]
            assert shape.get("type") != "array", f"{method} {path} answers an unpaged list"
            if {"items", "count"} <= set(shape.get("properties", {})):
                params = {p["name"]: p["schema"] for p in op.get("parameters", [])}
                assert params["limit"]["maximum"] == MAX_LIMIT, path
                assert params["offset"]["maximum"] == MAX_OFFSET, path
                paged += 1
    print(f"paged list operations: {paged}")
    assert paged >= 6
