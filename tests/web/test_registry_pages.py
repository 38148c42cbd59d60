"""Enterprise and worker lists: masked by default, scoped by role and ownership, reveals audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from homeward.apps.audit.models import AuditEvent
from homeward.core.identity import mask_ric
from tests.conftest import export_workers

pytestmark = pytest.mark.django_db


def test_it_requires_login(client):
    response = client.get(reverse("worker-list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_it_shows_the_login_page_in_chinese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录返岗通" in response.content.decode()


def test_it_masks_ids_and_phones_for_enterprise_users(client, enterprise_user, workers_a):
    client.force_login(enterprise_user)
    body = client.get(reverse("worker-list")).content.decode()
    for worker in workers_a:
        assert worker.id_number not in body
        assert mask_ric(worker.id_number) in body
        assert worker.phone not in body
    assert "显示" not in body.split("<tbody>")[1]  # no reveal button for a role without the right


def test_it_shows_an_enterprise_only_its_own_workers(client, enterprise_user, workers_a, workers_b):
    client.force_login(enterprise_user)
    body = client.get(reverse("worker-list")).content.decode()
    assert all(w.name in body for w in workers_a)
    assert not any(mask_ric(w.id_number) in body for w in workers_b)


def test_it_ignores_another_enterprise_in_the_filter(client, enterprise_user, workers_b, enterprise_b):
    client.force_login(enterprise_user)
    body = client.get(reverse("worker-list"), {"enterprise": enterprise_b.pk}).content.decode()
    assert not any(mask_ric(w.id_number) in body for w in workers_b)


def test_it_shows_an_enterprise_only_its_own_enterprise(client, enterprise_user, enterprise_a, enterprise_b):
    client.force_login(enterprise_user)
    body = client.get(reverse("enterprise-list")).content.decode()
    assert enterprise_a.name in body
    assert enterprise_b.name not in body


def test_it_scopes_a_town_officer_to_the_town(client, town_officer, enterprise_a, enterprise_b):
    client.force_login(town_officer)
    body = client.get(reverse("enterprise-list")).content.decode()
    assert enterprise_a.name in body
    assert enterprise_b.name not in body


def test_it_shows_the_taskforce_everything_with_counts(client, taskforce, workers_a, workers_b, enterprise_a):
    client.force_login(taskforce)
    response = client.get(reverse("enterprise-list"))
    page = response.context["page"]
    rows = {e.name: e for e in page.object_list}
    assert set(rows) == {w.employer.name for w in workers_a + workers_b}
    assert rows[enterprise_a.name].roster_count == 3
    assert rows[enterprise_a.name].away_count == 3


def test_it_lists_key_enterprises_first(client, taskforce, enterprise_a, enterprise_b, workers_b):
    client.force_login(taskforce)
    names = [e.name for e in client.get(reverse("enterprise-list")).context["page"].object_list]
    assert names[0] == enterprise_a.name  # key enterprise first despite fewer workers


def test_it_reveals_to_the_health_department_and_audits(client, health_officer, workers_a):
    client.force_login(health_officer)
    worker = workers_a[0]
    response = client.post(reverse("worker-reveal", args=[worker.pk]))
    assert response.status_code == 200
    assert worker.id_number in response.content.decode()
    event = AuditEvent.objects.get(action="worker.reveal")
    assert event.actor == health_officer
    assert event.object_id == str(worker.pk)


def test_it_refuses_to_reveal_to_an_enterprise_and_audits_the_denial(client, enterprise_user, workers_a):
    client.force_login(enterprise_user)
    worker = workers_a[0]
    response = client.post(reverse("worker-reveal", args=[worker.pk]))
    assert response.status_code == 403
    assert worker.id_number not in response.content.decode()
    assert AuditEvent.objects.filter(action="denied.worker.reveal", object_id=str(worker.pk)).exists()


def test_it_hides_workers_of_other_enterprises_from_reveal(
    client, health_officer, other_enterprise_user, workers_a
):
    client.force_login(other_enterprise_user)
    response = client.post(reverse("worker-reveal", args=[workers_a[0].pk]))
    assert response.status_code == 404


def test_it_scopes_a_service_team_to_its_province(client, service_team, workers_a, workers_b):
    client.force_login(service_team)
    body = client.get(reverse("worker-list")).content.decode()
    assert all(mask_ric(w.id_number) in body for w in workers_a)  # 5205xx: 贵州
    assert not any(mask_ric(w.id_number) in body for w in workers_b)  # 3412xx: 安徽


def test_it_refuses_a_station_the_registry(client, station_staff, workers_a):
    from homeward.apps.audit.models import AuditEvent

    client.force_login(station_staff)
    response = client.get(reverse("worker-list"))
    assert response.status_code == 403 and workers_a[0].name not in response.content.decode()
    assert AuditEvent.objects.filter(action="denied.registry.read", actor=station_staff).exists()


def test_it_lists_workers_in_a_bounded_number_of_queries(
    client, taskforce, enterprise_a, django_assert_max_num_queries
):
    from tests.factories import WorkerFactory

    WorkerFactory.create_batch(40, employer=enterprise_a)
    client.force_login(taskforce)
    # The page's own queries (8) and the one audit event of the list read (personal data).
    with django_assert_max_num_queries(9):
        response = client.get(reverse("worker-list"))
    assert len(response.context["rows"]) == 40


def test_it_exports_the_enterprise_list_as_xlsx(client, taskforce, workers_a, enterprise_a):
    import io

    import openpyxl

    client.force_login(taskforce)
    response = client.get(reverse("enterprise-list"), {"format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(
        io.BytesIO(b"".join(response.streaming_content if response.streaming else [response.content]))
    ).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "企业名称"
    assert [enterprise_a.name, enterprise_a.uscc] == values[1][:2]


def test_it_exports_workers_masked(client, enterprise_user, workers_a):
    import io

    import openpyxl

    client.force_login(enterprise_user)
    content = export_workers(client)
    cells = [c.value for row in openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows() for c in row]
    assert mask_ric(workers_a[0].id_number) in cells
    assert workers_a[0].id_number not in cells
