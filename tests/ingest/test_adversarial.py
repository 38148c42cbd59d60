"""#9 item 3: the adversarial corpus through the real endpoints of every upload path.

Each input of ``tests/data/adversarial/corpus.py`` goes through (1) the roster import API and its
task, (2) an application's worker-list upload, by API and by page, and (3) for the refusals that
come before any row is read, the planning resources page. Each must get a clear refusal (a 4xx
with its reason, never a 500) or a row report; nothing is half-written; no row is lost
(accepted + updated + unchanged + rejected = the data rows counted by an independent reader).
The test prints the counts.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.data.adversarial.corpus import CASES, FILE_LEVEL, Case
from tests.ingest.measure import MB, cost

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

IMPORT_MAX_BYTES = 16 * MB


def data_rows(case: Case, data: bytes) -> int:
    """Non-blank rows below the header (row 1), counted without homeward's reader."""
    if case.suffix == ".csv":
        text = data.decode("utf-8-sig") if case.name != "gbk" else data.decode("gbk")
        rows = list(csv.reader(io.StringIO(text)))[1:]
    elif case.suffix == ".xlsx":
        from openpyxl import load_workbook

        rows = [
            list(r) for r in load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2, values_only=True)
        ]
    else:
        import xlrd

        sheet = xlrd.open_workbook(file_contents=data).sheet_by_index(0)
        rows = [sheet.row_values(n) for n in range(1, sheet.nrows)]
    return sum(1 for r in rows if any(v not in (None, "") for v in r))


def _stored():
    from homeward.apps.applications.models import ApplicationWorker
    from homeward.apps.planning.models import Coach
    from homeward.apps.registry.models import Enterprise, RosterMembership, Worker

    return {
        "workers": Worker.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "memberships": RosterMembership.objects.count(),
        "list_rows": ApplicationWorker.objects.filter(active=True).count(),
        "coaches": Coach.objects.count(),
    }


def _import(client, case: Case, data: bytes) -> dict:
    """POST /api/v1/imports/roster, then run the queued task as the worker would."""
    from homeward.apps.registry.models import ImportRun
    from homeward.apps.registry.services import import_run_execute_now

    upload = SimpleUploadedFile(f"{case.name}{case.suffix}", data)
    response = client.post("/api/v1/imports/roster", {"file": upload})
    if response.status_code != 202:
        return {"status": response.status_code, "reason": response.json().get("reason")}
    run_id = response.json()["id"]
    import_run_execute_now(run_id)
    run = ImportRun.objects.get(pk=run_id)
    if run.state == "failed":
        return {"status": 400, "reason": (run.report or {}).get("reason", "internal")}
    report = run.report
    taken = report["accepted"] + report["updated"] + report["unchanged"]
    return {
        "status": 202,
        "taken": taken,
        "accepted": report["accepted"],
        "rejected": report["rejected_count"],
    }


def _worker_list(client, app_id: int, case: Case, data: bytes) -> dict:
    upload = SimpleUploadedFile(f"{case.name}{case.suffix}", data)
    response = client.post(f"/api/v1/applications/{app_id}/upload", {"file": upload})
    body = response.json()
    if response.status_code != 200:
        return {"status": response.status_code, "reason": body.get("reason")}
    return {
        "status": 200,
        "taken": body["accepted"],
        "accepted": body["added"],
        "rejected": body["rejected_count"],
    }


def _worker_list_page(client, app_id: int, case: Case, data: bytes) -> tuple[int, str]:
    upload = SimpleUploadedFile(f"{case.name}{case.suffix}", data)
    response = client.post(reverse("applications:upload", args=[app_id]), {"file": upload})
    return response.status_code, response.content.decode()


def _resources_page(client, case: Case, data: bytes) -> tuple[int, str]:
    upload = SimpleUploadedFile(f"{case.name}{case.suffix}", data)
    response = client.post(reverse("planning:resources"), {"kind": "coaches", "file": upload})
    return response.status_code, response.content.decode()


def test_every_adversarial_input_gets_a_clear_refusal_or_a_row_report(
    settings, tmp_path, taskforce, enterprise_user, town_a, capsys
):
    """town_a is 浒山街道, the town of the corpus's roster rows."""
    from django.test import Client

    from homeward.apps.applications import services

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.UPLOAD_IMPORT_MAX_BYTES = IMPORT_MAX_BYTES
    tf = Client()
    tf.force_login(taskforce)
    ent = Client()
    ent.force_login(enterprise_user)
    draft = services.application_create_draft(actor=enterprise_user)

    lines, failures = [], []
    tried = refused = reports = lost = half_written = 0
    for case in CASES:
        for shape, path in (("roster", "import"), ("workers", "worker list"), ("workers", "resources")):
            if path == "resources" and (
                case.while_streaming
                or not case.expects_refusal(shape)
                or not set(case.refused[shape]) <= FILE_LEVEL | {"empty"}
            ):
                continue  # a resources file has its own columns: only refusals before the header apply
            data = case.build(shape)
            before = _stored()
            with cost() as spent:
                if path == "import":
                    outcome = _import(tf, case, data)
                elif path == "worker list":
                    outcome = _worker_list(ent, draft.pk, case, data)
                    page_status, page = _worker_list_page(ent, draft.pk, case, data)
                    if page_status >= 500 or (case.expects_refusal(shape) and outcome["reason"] not in page):
                        failures.append(f"{case.name}/{path} page: {page_status}, reason not shown")
                else:
                    status, page = _resources_page(tf, case, data)
                    reason = next((r for r in case.refused[shape] if f"<code>{r}</code>" in page), None)
                    outcome = {"status": status, "reason": reason}
            after = _stored()
            tried += 1
            label = f"{case.name:<16} {path:<11}"
            figures = f"{spent.seconds:6.2f}s {spent.rss_growth / MB:6.1f} MB"
            if outcome["status"] >= 500:
                failures.append(f"{label} answered {outcome['status']}")
            if case.expects_refusal(shape):
                refused += 1
                ok = outcome["status"] in (400, 413) and outcome["reason"] in case.refused[shape]
                if after != before:
                    half_written += 1
                    failures.append(f"{label} refused but wrote {before} → {after}")
                lines.append(f"{label} refused {outcome.get('reason')!s:<20} {figures}")
            else:
                reports += 1
                expected = data_rows(case, data)
                missing = expected - outcome.get("taken", 0) - outcome.get("rejected", 0)
                lost += max(missing, 0)
                stored_key = "workers" if path == "import" else "list_rows"
                ok = outcome["status"] in (200, 202) and missing == 0
                ok = ok and after[stored_key] - before[stored_key] == outcome["accepted"]
                lines.append(
                    f"{label} report  taken {outcome.get('taken', 0):>6,} rejected {outcome.get('rejected', 0):>6,} "
                    f"of {expected:>6,} {figures}"
                )
            if not ok:
                failures.append(f"{label} got {outcome}, expected {case.refused.get(shape, 'a report')}")
            if spent.seconds > 60 or spent.rss_growth > 400 * MB:
                failures.append(f"{label} took {figures}")
            if (
                case.expects_refusal(shape)
                and set(case.refused[shape]) <= FILE_LEVEL
                and spent.rss_growth > 100 * MB
            ):
                failures.append(f"{label} refused but grew memory by {figures}")

    with capsys.disabled():
        print("\nadversarial corpus:")
        print("\n".join(f"  {line}" for line in lines))
        print(
            f"  inputs tried {tried}, refused {refused}, row reports {reports}, records lost {lost}, "
            f"half-written {half_written}"
        )
    assert not failures, "\n".join(failures)
    assert lost == 0 and half_written == 0
