"""Error pages: Chinese first (English when asked), never Django's bare defaults; a page's id past
2⁶⁴ is a 404, never a 500."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter

pytestmark = pytest.mark.django_db

BEYOND_2_64 = 2**64 + 1


def _page_routes(patterns=None, prefix=""):
    """Every page route (not the API, not the admin) whose parameters are all integers."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from _page_routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            converters = p.pattern.converters
            ints_only = converters and all(isinstance(c, IntConverter) for c in converters.values())
            if ints_only and not route.startswith(("api/", "admin/")):
                yield route, list(converters)


def test_it_answers_404_not_500_for_ids_beyond_2_64_on_pages(client, taskforce):
    """Every page route with integer ids, GET and POST, as the task force (who may see everything)."""
    client.force_login(taskforce)
    routes = list(_page_routes())
    assert len(routes) >= 15
    for route, names in routes:
        url = "/" + route
        for name in names:
            url = url.replace(f"<int:{name}>", str(BEYOND_2_64))
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code in (404, 405), (method.__name__, url, response.status_code)


def test_it_answers_404_for_a_page_upload_without_a_file_outside_the_callers_scope(
    client, other_enterprise_user, enterprise_user
):
    """Found by the route walk above: with no file the scope check never ran, and the page's
    reading of the application raised NotFound as a 500."""
    from homeward.apps.applications import services

    foreign = services.application_create_draft(actor=other_enterprise_user)
    client.force_login(enterprise_user)
    response = client.post(f"/applications/{foreign.pk}/upload/")
    assert response.status_code == 404
    assert "not_found" in response.content.decode()


def test_it_answers_the_404_page_in_chinese(client, taskforce):
    client.force_login(taskforce)
    response = client.get(f"/workers/{BEYOND_2_64}/", HTTP_ACCEPT_LANGUAGE="")
    assert response.status_code == 404
    page = response.content.decode()
    assert "找不到该页面" in page and 'lang="zh-hans"' in page
    assert "The requested resource was not found" not in page  # Django's bare default


def test_it_answers_the_404_page_in_english_when_asked(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_it_answers_a_chinese_400_page_for_a_request_django_refuses(client):
    """More form fields than DATA_UPLOAD_MAX_NUMBER_FIELDS: Django refuses the request (400)."""
    response = client.post("/login/", {f"field{i}": "x" for i in range(1_001)})
    assert response.status_code == 400
    assert "请求无效" in response.content.decode()


def test_it_answers_a_chinese_403_page():
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    request = RequestFactory().get("/somewhere/")
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_it_answers_a_chinese_500_page_for_an_unexpected_error(client, taskforce, home_city, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("secret detail 4242")

    monkeypatch.setattr("homeward.apps.accounts.views.registry_stats", broken)
    client.raise_request_exception = False
    client.force_login(taskforce)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="")
    assert response.status_code == 500
    page = response.content.decode()
    assert "服务器出错了" in page
    assert "secret detail" not in page
