"""Low findings "no CSP/HSTS/Permissions-Policy" and "14-day sessions with no idle timeout"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from homeward.apps.audit.models import AuditEvent


def test_no_csp_hsts_permissions_policy__every_page_sends_the_security_headers(client, enterprise_user):
    client.force_login(enterprise_user)
    for path in ("/login/", "/", "/api/v1/workers"):
        response = client.get(path)
        csp = response["Content-Security-Policy"]
        # a nonce appears when the page has an inline script to allow; never 'unsafe-inline'
        assert re.search(r"script-src 'self'( 'nonce-[\w+/=-]+')?;", csp), (path, csp)
        for directive in (
            "default-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ):
            assert directive in csp, (path, directive)
        assert "unsafe-eval" not in csp
        assert (
            "camera=()" in response["Permissions-Policy"]
            and "geolocation=()" in response["Permissions-Policy"]
        )
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"


def test_only_the_permit_verification_page_may_use_the_camera(client):
    """The checkpoint's QR reader needs the camera on its own page; everything else stays off there,
    and every other page keeps camera=()."""
    policy = client.get("/permits/verify/")["Permissions-Policy"]
    assert "camera=(self)" in policy and "camera=()" not in policy
    assert "microphone=()" in policy and "geolocation=()" in policy
    assert "camera=()" in client.get("/login/")["Permissions-Policy"]


def test_no_csp_hsts_permissions_policy__hsts_over_https_in_production(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = client.get("/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_inline_scripts_carry_the_nonce_of_their_response(client, taskforce):
    """The heat map's start-up script carries the request's CSP nonce (the one the middleware sends)."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.utils.csp import LazyNonce

    request = RequestFactory().get("/heatmap/")
    request._csp_nonce = LazyNonce()
    html = render_to_string("heatmap/screen.html", {"snapshot": True, "city": None}, request=request)
    assert f'<script nonce="{request._csp_nonce}">HeatmapScreen.start(' in html


def test_fourteen_day_sessions__sessions_last_hours_not_days(settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    assert settings.HOMEWARD_SESSION_IDLE_MINUTES == 30


def test_no_idle_timeout__an_idle_session_is_signed_out_and_audited(client, enterprise_user, time_machine):
    time_machine.move_to(timezone.now())
    client.force_login(enterprise_user)
    assert client.get("/").status_code == 200
    time_machine.shift(timedelta(minutes=20))
    assert client.get("/").status_code == 200  # a person's request keeps it alive
    time_machine.shift(timedelta(minutes=25))
    assert client.get("/").status_code == 200
    time_machine.shift(timedelta(minutes=31))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    event = AuditEvent.objects.get(action="auth.session_idle")
    assert (event.actor, event.data["idle_minutes"]) == (enterprise_user, 31)
    assert client.get("/").status_code == 302  # signed out for good


def test_background_polling_does_not_keep_an_idle_session_alive(client, enterprise_user, time_machine):
    time_machine.move_to(timezone.now())
    client.force_login(enterprise_user)
    assert client.get("/").status_code == 200
    for _ in range(3):
        time_machine.shift(timedelta(minutes=12))
        client.get("/", headers={"X-Homeward-Background": "1"})
    response = client.get("/api/v1/workers", headers={"X-Homeward-Background": "1"})
    assert response.status_code == 401


def test_an_idle_htmx_request_is_sent_to_the_login_page(client, enterprise_user, time_machine):
    time_machine.move_to(timezone.now())
    client.force_login(enterprise_user)
    client.get("/")
    time_machine.shift(timedelta(minutes=31))
    response = client.get("/", headers={"HX-Request": "true"})
    assert (response.status_code, response["HX-Redirect"]) == (204, "/login/")


@pytest.mark.parametrize("minutes", [0])
def test_the_idle_timeout_can_be_switched_off(client, enterprise_user, time_machine, settings, minutes):
    settings.HOMEWARD_SESSION_IDLE_MINUTES = minutes
    time_machine.move_to(timezone.now())
    client.force_login(enterprise_user)
    client.get("/")
    time_machine.shift(timedelta(hours=3))
    assert client.get("/").status_code == 200
