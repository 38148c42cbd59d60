"""Finding "no login rate limit and no login audit": sign-ins are audited (success, failure, lockout,
logout) and refused per user name and per client address once failures reach the limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from homeward.apps.audit.models import AuditEvent
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(timezone.now())
    return time_machine


def _login(client, username, password, ip="203.0.113.5", path="/login/", **headers):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip, headers=headers)


def _actions():
    return list(
        AuditEvent.objects.filter(object_type="login").order_by("pk").values_list("action", flat=True)
    )


def test_no_login_audit__success_failure_and_logout_are_audited(client, enterprise_user):
    assert _login(client, enterprise_user.username, "wrong").status_code == 200
    assert _login(client, enterprise_user.username, PASSWORD).status_code == 302
    client.post("/logout/")
    assert _actions() == ["auth.login_failed", "auth.login", "auth.logout"]
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert (failed.object_id, failed.data) == (enterprise_user.username, {"ip": "203.0.113.5"})
    assert AuditEvent.objects.get(action="auth.login").actor == enterprise_user


def test_no_login_rate_limit__a_user_name_is_locked_after_five_failures(client, enterprise_user, _now):
    for _ in range(5):
        _login(client, enterprise_user.username, "wrong")
    response = _login(client, enterprise_user.username, PASSWORD)
    assert response.status_code == 429
    assert 'data-testid="login-locked"' in response.content.decode()
    assert "_auth_user_id" not in client.session
    lockout = AuditEvent.objects.get(action="auth.lockout")
    assert (lockout.object_id, lockout.data["scope"]) == (enterprise_user.username, "user")
    # from another address too: the user name is locked, not the address
    assert _login(client, enterprise_user.username, PASSWORD, ip="198.51.100.7").status_code == 429
    _now.shift(timedelta(minutes=16))
    assert _login(client, enterprise_user.username, PASSWORD).status_code == 302


def test_a_success_clears_the_user_name_count(client, enterprise_user):
    for _ in range(4):
        _login(client, enterprise_user.username, "wrong")
    assert _login(client, enterprise_user.username, PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(4):
        _login(client, enterprise_user.username, "wrong")
    assert _login(client, enterprise_user.username, PASSWORD).status_code == 302


def test_no_login_rate_limit__an_address_is_locked_across_user_names(client, enterprise_user, settings):
    settings.HOMEWARD_LOGIN_FAILURES_PER_IP = 4
    for i in range(4):
        _login(client, f"guess{i}", "wrong", ip="192.0.2.9")
    assert _login(client, enterprise_user.username, PASSWORD, ip="192.0.2.9").status_code == 429
    assert AuditEvent.objects.get(action="auth.lockout").data == {"ip": "192.0.2.9", "scope": "ip"}
    assert _login(client, enterprise_user.username, PASSWORD, ip="192.0.2.10").status_code == 302


def test_the_admin_login_is_limited_too(client, taskforce):
    for _ in range(5):
        _login(client, taskforce.username, "wrong", path="/admin/login/")
    response = _login(client, taskforce.username, PASSWORD, path="/admin/login/")
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200  # the admin's own form, refusing
    assert AuditEvent.objects.filter(action="auth.lockout").count() == 1


def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, enterprise_user, settings):
    settings.HOMEWARD_LOGIN_FAILURES_PER_IP = 2
    proxy = "10.0.0.1"
    for _ in range(2):  # a client forging X-Forwarded-For: only the entry the proxy appended counts
        _login(client, "x", "wrong", ip=proxy, x_forwarded_for="1.1.1.1, 192.0.2.50")
    settings.HOMEWARD_TRUSTED_PROXIES = 1
    assert _login(client, "x", "wrong", ip=proxy, x_forwarded_for="192.0.2.50").status_code == 200
    assert AuditEvent.objects.filter(action="auth.login_failed").last().data == {"ip": "192.0.2.50"}
    settings.HOMEWARD_TRUSTED_PROXIES = 0
    assert AuditEvent.objects.filter(action="auth.login_failed", data__ip=proxy).count() == 2


def test_the_worker_code_shares_the_rule_but_not_the_count(client, enterprise_user, settings):
    """ops.lockout serves both doors; each counts only its own failures (per address here)."""
    from homeward.apps.trips.services.self_service import TooManyAttempts, worker_code_signin
    from homeward.core.errors import PermissionDenied

    settings.HOMEWARD_LOGIN_FAILURES_PER_IP = 2
    for i in range(2):
        _login(client, f"guess{i}", "wrong", ip="192.0.2.9")
    assert _login(client, enterprise_user.username, PASSWORD, ip="192.0.2.9").status_code == 429
    with pytest.raises(PermissionDenied):  # a wrong code, not a lock-out: staff failures don't count
        worker_code_signin(code="ABCDEFGH", id_last4="1234", ip="192.0.2.9")
    for i in range(2):
        with pytest.raises(PermissionDenied):
            worker_code_signin(code=f"ZZZZZZZ{i}", id_last4="1234", ip="192.0.2.77")
    with pytest.raises(TooManyAttempts):  # the address is locked for codes now ...
        worker_code_signin(code="ABCDEFGH", id_last4="1234", ip="192.0.2.77")
    assert (
        _login(client, enterprise_user.username, PASSWORD, ip="192.0.2.77").status_code == 302
    )  # ... not staff
    lockout = AuditEvent.objects.get(action="worker.lockout")
    assert lockout.data == {"ip": "192.0.2.77"}
