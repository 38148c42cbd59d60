"""#9 "one upload sinks the server": a 2.9 MB .xlsx whose sheet unpacks to 2 GiB, posted to every
upload endpoint, is refused before parsing, within 2 s, the process growing by less than 100 MB.

The rule that closes the class: every upload path reads through ``core.ingest.read_table``, which
checks the zip's directory (part count, unpacked size, expansion ratio) before anything unpacks
and the row and cell counts before anything parses. The refusal reads only the zip's end record
and directory (asserted in bytes) and never opens a part or calls openpyxl (asserted by traps).
Memory is the kernel's high-water mark of this process (see ``measure``).
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from homeward.apps.accounts.policy import CLI
from homeward.core.errors import DomainError
from homeward.core.ingest import Limits, read_table
from tests.data.adversarial.corpus import zip_bomb
from tests.ingest.measure import MB, CountingReader, cost

REFUSALS = ("unpacked_too_large", "compression_ratio")


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = zip_bomb("workers")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        unpacked = sum(i.file_size for i in z.infolist())
    assert len(data) < 4 * MB and unpacked > 2000 * MB  # the shape of the file that sank the server
    return data


@pytest.fixture
def no_parsing(monkeypatch):
    """Fail the test if anything opens a part of the zip or hands it to openpyxl."""
    import openpyxl

    def trap(*args, **kwargs):
        raise AssertionError("the bomb reached the parser")

    monkeypatch.setattr(openpyxl, "load_workbook", trap)
    monkeypatch.setattr(zipfile.ZipFile, "open", trap)


def test_the_reader_refuses_it_from_the_zip_directory_alone(bomb, no_parsing):
    stream = CountingReader(bomb)
    for limits in (Limits(), Limits(max_unpacked_bytes=20 * MB)):
        stream.seek(0)
        stream.bytes_read = 0
        with pytest.raises(DomainError) as info:
            list(read_table(stream, limits))
        assert info.value.code in REFUSALS
        assert stream.bytes_read < 100_000, stream.bytes_read  # 8 KB sniffed + the end record + directory
    assert "2047" in info.value.message and "20.0 MB" in info.value.message  # names the size and the limit


@pytest.mark.django_db
def test_posting_the_zip_bomb_to_every_upload_endpoint_is_refused_in_under_2s_and_100mb(
    bomb, no_parsing, settings, tmp_path, taskforce, enterprise_user, capsys
):
    from homeward.apps.applications import services
    from homeward.apps.applications.models import ApplicationWorker
    from homeward.apps.registry.models import ImportRun, Worker
    from homeward.apps.registry.services import import_run_from_path

    settings.MEDIA_ROOT = tmp_path / "media"
    draft = services.application_create_draft(actor=enterprise_user)
    enterprise, task_force = Client(), Client()
    enterprise.force_login(enterprise_user)
    task_force.force_login(taskforce)

    def post(client, url, **fields):
        return client.post(url, {"file": SimpleUploadedFile("名单.xlsx", bomb), **fields})

    endpoints = {
        "worker list page (web, synchronous)": lambda: post(
            enterprise, reverse("applications:upload", args=[draft.pk])
        ),
        "worker list API": lambda: post(enterprise, f"/api/v1/applications/{draft.pk}/upload"),
        "import page": lambda: post(task_force, reverse("import-upload"), kind="roster"),
        "import API": lambda: post(task_force, "/api/v1/imports/roster"),
        "planning resources page": lambda: post(task_force, reverse("planning:resources"), kind="coaches"),
    }
    for warm_up in endpoints.values():  # first requests build URL resolvers and API schemas
        warm_up()

    figures = []
    for name, send in endpoints.items():
        with cost() as spent:
            response = send()
        body = response.content.decode()
        assert response.status_code in (200, 400), (name, response.status_code)
        assert any(reason in body for reason in REFUSALS), (name, body[:500])
        figures.append((name, spent))

    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    with cost() as spent, pytest.raises(DomainError) as info:
        import_run_from_path(actor=CLI, kind="roster", path=path)  # the task worker's import
    assert info.value.code in REFUSALS
    figures.append(("roster import (task worker / CLI)", spent))

    assert ApplicationWorker.objects.count() == 0 and Worker.objects.count() == 0
    assert not ImportRun.objects.exclude(state="failed").exists()
    with capsys.disabled():
        print(f"\nzip bomb {len(bomb) / MB:.1f} MB → 2,048 MB unpacked:")
        for name, spent in figures:
            print(
                f"  {name:<38} refused in {spent.seconds:.3f} s, RSS +{spent.rss_growth / MB:.1f} MB ({spent.method})"
            )
    for name, spent in figures:
        assert spent.seconds < 2.0, (name, spent.seconds)
        assert spent.rss_growth < 100 * MB, (name, spent.rss_growth)
