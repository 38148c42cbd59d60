"""The task force's audit-log viewer: filters by actor, action, object and time; paging with true
totals; an .xlsx export that is itself audited; everyone else refused and the refusal recorded."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.utils import timezone

from homeward.apps.accounts.policy import SystemActor
from homeward.apps.audit.models import AuditEvent
from homeward.apps.audit.services import audit_record


@pytest.fixture
def trail(db, time_machine):
    """120 events: 100 worker.reveal by hr_x on worker:1..100 yesterday, 20 auth.login today."""
    now = timezone.now().replace(microsecond=0)
    time_machine.move_to(now - timedelta(days=1))
    for i in range(1, 101):
        audit_record(
            actor=SystemActor("hr_x", frozenset()), action="worker.reveal", object_type="worker", object_id=i
        )
    time_machine.move_to(now)
    for _ in range(20):
        audit_record(
            actor=SystemActor("ent_a", frozenset()),
            action="auth.login",
            object_type="login",
            object_id="ent_a",
        )
    return now


def _rows(client, **params):
    response = client.get("/audit/", params)
    assert response.status_code == 200
    return response


def test_it_pages_with_the_true_total(client, taskforce, trail):
    client.force_login(taskforce)
    total = AuditEvent.objects.count()  # the trail plus the sign-in's own event
    html = _rows(client).content.decode()
    assert f"共 {total} 条" in html and f"第 1 / {-(-total // 50)} 页" in html
    assert html.count("<tr><td>") == 50
    last = _rows(client, page=3).content.decode()
    assert last.count("<tr><td>") == total - 100


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"actor": "hr_"}, 100),
        ({"action": "auth.*", "actor": "ent_a"}, 20),
        ({"action": "worker.reveal", "object_type": "worker", "object_id": "42"}, 1),
        ({"action": "worker.reveal", "until": "TODAY"}, 100),
        ({"since": "TODAY", "actor": "ent_a"}, 20),
    ],
)
def test_it_filters_by_actor_action_object_and_time(client, taskforce, trail, params, count):
    client.force_login(taskforce)
    today = timezone.localtime(trail - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    params = {k: (today if v == "TODAY" else v) for k, v in params.items()}
    html = _rows(client, **params).content.decode()
    assert f"共 {count} 条" in html


def test_the_export_is_audited_and_holds_the_filtered_rows(client, taskforce, trail):
    client.force_login(taskforce)
    response = client.get("/audit/export.xlsx", {"action": "worker.reveal", "object_id": "7"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1:5] == ("hr_x", "worker.reveal", "worker", "7")
    event = AuditEvent.objects.get(action="audit.export")
    assert event.actor == taskforce
    assert event.data == {"filters": {"action": "worker.reveal", "object_id": "7"}, "rows": 1}


def test_an_export_beyond_the_limit_is_refused(client, taskforce, trail, monkeypatch):
    from homeward.apps.audit import services

    monkeypatch.setattr(services, "EXPORT_MAX_ROWS", 10)
    client.force_login(taskforce)
    response = client.get("/audit/export.xlsx")
    assert response.status_code == 400 and "export_too_large" in response.content.decode()
    assert not AuditEvent.objects.filter(action="audit.export").exists()


@pytest.mark.parametrize("persona", ["town_officer", "enterprise_user", "health_officer"])
def test_other_roles_are_refused_and_the_refusal_is_recorded(client, trail, persona, request):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.xlsx").status_code == 403
    denials = AuditEvent.objects.filter(action__startswith="denied.audit.", actor=user)
    assert sorted(d.action for d in denials) == ["denied.audit.export", "denied.audit.read"]
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_it_speaks_english_from_the_catalogue(client, taskforce, trail):
    client.force_login(taskforce)
    client.cookies["django_language"] = "en"
    html = client.get("/audit/").content.decode()
    assert "Audit log" in html and "No events match." not in html and "An action ending in *" in html
