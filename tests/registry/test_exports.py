"""The workers .xlsx export as a background run (issue #12: 670,000 rows took 69 s in the request,
with no progress): asked for on the page, built by the task with progress, downloaded by the one who
asked and by nobody else; the rows are the asker's list (scope, filters, masks); audited."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from homeward.core.identity import mask_ric
from tests.conftest import export_workers

pytestmark = pytest.mark.django_db


def _ids(content: bytes) -> list[str]:
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    return [r[1] for r in rows[1:]]


def test_an_enterprise_exports_its_own_workers_masked(client, enterprise_user, workers_a, workers_b):
    client.force_login(enterprise_user)
    ids = _ids(export_workers(client))
    assert sorted(ids) == sorted(mask_ric(w.id_number) for w in workers_a)
    assert not any(w.id_number in ids for w in [*workers_a, *workers_b])


def test_the_list_filters_apply(client, taskforce, workers_a, workers_b, enterprise_b):
    client.force_login(taskforce)
    ids = _ids(export_workers(client, enterprise=str(enterprise_b.pk)))
    assert sorted(ids) == sorted(mask_ric(w.id_number) for w in workers_b)


def test_progress_is_written_and_the_run_is_done_with_its_row_count(
    client, taskforce, workers_a, monkeypatch
):
    from homeward.apps.registry.models import ExportRun
    from homeward.apps.registry.services import exports

    monkeypatch.setattr(exports, "PROGRESS_ROWS", 1)
    seen: list[int] = []
    real = exports._rows

    def watched(qs, progress):
        def record(done):
            seen.append(done)
            progress(done)

        return real(qs, record)

    monkeypatch.setattr(exports, "_rows", watched)
    client.force_login(taskforce)
    export_workers(client)
    run = ExportRun.objects.get()
    assert (run.state, run.rows_total, run.rows_done, run.percent) == ("done", 3, 3, 100)
    assert seen[:3] == [1, 2, 3]


def test_asking_twice_while_it_runs_starts_one_export(client, taskforce, workers_a):
    from homeward.apps.registry.models import ExportRun

    client.force_login(taskforce)
    first = client.post(reverse("worker-export"), {"status": "away"})
    again = client.post(reverse("worker-export"), {"status": "away"})
    other = client.post(reverse("worker-export"), {"status": "returned"})
    assert (first.status_code, again.status_code, other.status_code) == (202, 202, 202)
    assert ExportRun.objects.count() == 2
    assert (
        'data-state="queued"' in again.content.decode() and 'hx-trigger="every 1s"' in again.content.decode()
    )


def test_nobody_else_sees_or_downloads_an_export(client, taskforce, town_officer, workers_a):
    from homeward.apps.audit.models import AuditEvent
    from homeward.apps.registry.models import ExportRun

    client.force_login(taskforce)
    export_workers(client)
    run = ExportRun.objects.get()
    client.force_login(town_officer)
    for url in (reverse("export-status", args=[run.pk]), reverse("export-download", args=[run.pk])):
        assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action__startswith="denied", actor=town_officer).count() >= 2


def test_a_download_before_it_is_built_is_refused(client, taskforce, workers_a):
    from homeward.apps.registry.models import ExportRun

    client.force_login(taskforce)
    client.post(reverse("worker-export"))
    run = ExportRun.objects.get()
    response = client.get(reverse("export-download", args=[run.pk]))
    assert response.status_code == 409 and "export_not_ready" in response.content.decode()


def test_an_id_search_the_role_may_not_make_is_refused_before_queueing(client, enterprise_user, workers_a):
    from homeward.apps.registry.models import ExportRun

    client.force_login(enterprise_user)
    response = client.post(reverse("worker-export"), {"q": workers_a[0].id_number})
    assert response.status_code in (400, 403) and not ExportRun.objects.exists()


def test_the_export_is_audited_once_with_its_rows(client, taskforce, workers_a):
    from homeward.apps.audit.models import AuditEvent

    client.force_login(taskforce)
    export_workers(client, status="away")
    (event,) = AuditEvent.objects.filter(action="worker.export")
    assert event.data == {"rows": 3, "filters": {"status": "away"}}
    assert AuditEvent.objects.filter(action="export.download").count() == 1
