"""One way in for every uploaded file: the rule that keeps the upload limits on every path.

Every file parse lives in ``core/ingest/reader.py`` (behind the limits); the endpoints that take a
file are the ones the adversarial corpus and the zip bomb test post to, so a new one fails here
until it is added there. An upload past the largest limit stops being stored and is refused by
the size that arrived; every refusal is audited.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

SRC = Path(__file__).resolve().parents[2] / "src" / "homeward"
PARSERS = re.compile(
    r"load_workbook\(|open_workbook\(|csv\.reader\(|csv\.DictReader\(|read_excel\(|read_csv\("
)
# Files that read what Homeward ships itself (region tables), not uploads.
SHIPPED_DATA = {"core/regions/__init__.py"}
# The endpoints taking a file, each posted to by tests/ingest/test_adversarial.py and test_zip_bomb.py.
UPLOAD_ENDPOINTS = {
    "apps/applications/api.py",  # POST /api/v1/applications/{id}/upload
    "apps/applications/views.py",  # the application page's upload
    "apps/registry/api_imports.py",  # POST /api/v1/imports/{kind}
    "apps/registry/views_imports.py",  # the import page
    "apps/planning/views.py",  # the planning resources page
}


def _sources():
    for path in SRC.rglob("*.py"):
        yield path.relative_to(SRC).as_posix(), path.read_text(encoding="utf-8")


def test_files_are_parsed_only_behind_the_limits():
    parsing = {name for name, text in _sources() if PARSERS.search(text)}
    assert parsing - SHIPPED_DATA == {"core/ingest/reader.py"}


def test_every_endpoint_taking_a_file_is_one_the_adversarial_tests_post_to():
    taking = {name for name, text in _sources() if "request.FILES" in text or "UploadedFile, File()" in text}
    assert taking == UPLOAD_ENDPOINTS


@pytest.mark.django_db
def test_an_upload_past_the_limit_stops_being_stored_and_is_refused_by_its_size(
    client, settings, tmp_path, taskforce
):
    from homeward.apps.audit.models import AuditEvent
    from homeward.apps.registry.models import ImportRun

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.UPLOAD_IMPORT_MAX_BYTES = 1 << 20
    settings.UPLOAD_SYNC_MAX_BYTES = 1 << 18
    client.force_login(taskforce)
    big = SimpleUploadedFile("roster.csv", (b"a,b\r\n" + b"1,2\r\n" * 700_000)[: 3 << 20])  # 3.0 MB
    response = client.post("/api/v1/imports/roster", {"file": big})
    assert response.status_code == 400
    body = response.json()
    assert body["reason"] == "too_large" and "3.0 MB" in body["message"] and "1.0 MB" in body["message"]
    assert not ImportRun.objects.exists() and not (tmp_path / "media").exists()
    event = AuditEvent.objects.get(action="upload.refused")
    assert event.data == {"what": "import.roster", "file": "roster.csv", "reason": "too_large"}


def test_the_handler_passes_chunks_on_until_the_limit_then_drops_them(settings):
    from homeward.apps.registry.uploads import BoundedUploadHandler

    settings.UPLOAD_IMPORT_MAX_BYTES = 10
    settings.UPLOAD_SYNC_MAX_BYTES = 5
    handler = BoundedUploadHandler()
    handler.new_file("file", "x.csv", "text/csv", None)
    passed = [handler.receive_data_chunk(chunk, 0) for chunk in (b"1234", b"5678", b"9abc", b"def")]
    assert passed == [b"1234", b"5678", None, None]
    cut = handler.file_complete(15)
    assert cut is not None and cut.size == 15 and cut.read() == b""


@pytest.mark.django_db
def test_a_refused_worker_list_is_audited_and_changes_nothing(enterprise_user):
    import io

    from homeward.apps.applications import services
    from homeward.apps.audit.models import AuditEvent
    from homeward.core.errors import DomainError

    draft = services.application_create_draft(actor=enterprise_user)
    with pytest.raises(DomainError) as info:
        services.application_workers_upload(
            actor=enterprise_user,
            application_id=draft.pk,
            source=io.BytesIO(b"%PDF-1.4"),
            file_name="名单.pdf",
        )
    assert info.value.code == "wrong_type"
    assert draft.workers.count() == 0
    assert AuditEvent.objects.get(action="upload.refused").data["reason"] == "wrong_type"
