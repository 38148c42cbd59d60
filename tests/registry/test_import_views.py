"""Import pages and API: task force only, upload → run → polled status → report → rejected rows."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from homeward.apps.audit.models import AuditEvent
from homeward.apps.registry.models import ImportRun
from homeward.apps.registry.services import import_run_execute_now
from tests.registry.conftest import uscc

pytestmark = pytest.mark.django_db
PASSWORD = "persona-pass-1"


def roster_csv(ids: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["统一社会信用代码", "企业名称", "镇街", "身份证号", "姓名", "手机号", "参保日期"])
    writer.writerow([uscc(1), "慈溪甲电器有限公司", "浒山", ids[0], "王芳", "13812345678", "2019-03-01"])
    writer.writerow([uscc(1), "慈溪甲电器有限公司", "火星镇", ids[1], "李强", "", ""])
    writer.writerow([uscc(1), '=HYPERLINK("http://x")', "浒山", "bad", "张伟", "", ""])
    return out.getvalue().encode("utf-8-sig")


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def tf_client(client, taskforce):
    client.force_login(taskforce)
    return client


def upload(client, ids, kind="roster"):
    file = SimpleUploadedFile("名册.csv", roster_csv(ids), content_type="text/csv")
    return client.post(reverse("import-upload"), {"kind": kind, "file": file})


@pytest.mark.parametrize(
    ("name", "action"), [("import-list", "import.read"), ("import-upload", "import.run")]
)
def test_it_forbids_other_roles_and_audits_the_denial(client, town_officer, name, action):
    client.force_login(town_officer)
    response = client.get(reverse(name))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action=f"denied.{action}", actor=town_officer).count() == 1


def test_it_forbids_other_roles_from_posting_a_file(client, town_officer, media, ids):
    client.force_login(town_officer)
    assert upload(client, ids).status_code == 403
    assert not ImportRun.objects.exists()


def test_the_upload_page_renders_for_the_task_force(tf_client):
    response = tf_client.get(reverse("import-upload"))
    assert response.status_code == 200
    assert '<code lang="zh-Hans">统一社会信用代码</code>/<code>uscc</code>' in response.content.decode()


def test_upload_then_poll_until_the_report_shows(tf_client, media, cixi_towns, ids):
    response = upload(tf_client, ids)
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("import-detail", args=[run.pk])

    detail = tf_client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in detail and reverse("import-status", args=[run.pk]) in detail

    polling = tf_client.get(reverse("import-status", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in polling and 'data-state="queued"' in polling

    assert import_run_execute_now(run.pk) == "done"
    final = tf_client.get(reverse("import-status", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in final and 'data-state="done"' in final
    assert "unknown_town" in final and "formula" in final
    assert reverse("import-rejects", args=[run.pk]) in final

    listing = tf_client.get(reverse("import-list")).content.decode()
    assert "名册.csv" in listing


def test_the_rejected_rows_download_as_xlsx(tf_client, media, cixi_towns, ids):
    from openpyxl import load_workbook

    upload(tf_client, ids)
    run = ImportRun.objects.get()
    import_run_execute_now(run.pk)
    response = tf_client.get(reverse("import-rejects", args=[run.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("行号 row", "字段 field", "原因 reason", "说明 message")
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [
        (3, "town", "unknown_town"),
        (4, "enterprise_name", "formula"),
    ]
    assert isinstance(rows[1][0], int)  # numbers stay numbers


def test_the_api_uploads_and_reads_a_run(tf_client, media, cixi_towns, ids):
    file = SimpleUploadedFile("r.csv", roster_csv(ids), content_type="text/csv")
    response = tf_client.post("/api/v1/imports/roster", {"file": file}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 202, response.content
    run_id = response.json()["id"]
    file = SimpleUploadedFile("r.csv", roster_csv(ids) + b"\n", content_type="text/csv")
    retry = tf_client.post("/api/v1/imports/roster", {"file": file}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert retry.json()["id"] == run_id
    import_run_execute_now(run_id)
    body = tf_client.get(f"/api/v1/imports/{run_id}").json()
    assert body["state"] == "done" and body["report"]["accepted"] == 1
    assert [r["reason"] for r in body["report"]["rejected"]] == ["unknown_town", "formula"]


def test_the_api_forbids_other_roles(client, town_officer, media, ids):
    client.force_login(town_officer)
    file = SimpleUploadedFile("r.csv", roster_csv(ids), content_type="text/csv")
    response = client.post("/api/v1/imports/roster", {"file": file})
    assert response.status_code == 403 and response.json()["reason"] == "forbidden"
