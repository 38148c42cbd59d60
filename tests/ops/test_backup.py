"""`homeward backup DIR` / `homeward restore DIR`: the database (with the encrypted permit keys) and
MEDIA_ROOT round-trip — row counts per table and checksums of content equal before and after — on
whichever engine the suite runs (SQLite, and PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.db import connection

from homeward.apps.accounts.policy import CLI
from homeward.apps.applications import keystore, services
from homeward.apps.applications.models import DepartmentKey, Permit
from homeward.apps.audit.models import AuditEvent
from homeward.apps.ops.backup import DATABASE_FILES, backup_create, backup_restore, table_counts
from homeward.apps.registry.models import Worker
from homeward.cli import main
from homeward.core.errors import DomainError
from homeward.core.permits import Department

pytestmark = pytest.mark.django_db(transaction=True)


def _digest(rows) -> str:
    return hashlib.sha256(json.dumps([list(map(str, r)) for r in rows]).encode()).hexdigest()


def _state(media):
    """Row counts per table (the audit trail's own backup/restore events aside) and checksums of
    content: workers' personal data, the encrypted permit keys, permit tokens, every media file."""
    counts = table_counts()
    counts["audit_auditevent"] = AuditEvent.objects.exclude(action__startswith="backup.").count()
    return {
        "counts": counts,
        "workers": _digest(Worker.objects.order_by("pk").values_list("id_number", "name", "phone", "status")),
        "keys": _digest(DepartmentKey.objects.order_by("pk").values_list("kid", "private_key_encrypted")),
        "permits": _digest(Permit.objects.order_by("pk").values_list("permit_id", "state", "token")),
        "media": {str(p.relative_to(media)): p.read_bytes() for p in sorted(media.rglob("*")) if p.is_file()},
    }


@pytest.fixture
def site(issued, workers_a, settings, tmp_path):
    """Issued permits (and so department keys), workers, and files under MEDIA_ROOT."""
    media = tmp_path / "media"
    (media / "imports").mkdir(parents=True)
    (media / "imports" / "roster.csv").write_bytes("身份证号,姓名\n".encode())
    (media / "plans").mkdir()
    (media / "plans" / "run-1.json.gz").write_bytes(bytes(range(256)))
    settings.MEDIA_ROOT = str(media)
    return media


def test_backup_and_restore_round_trip_the_database_files_and_keys(site, tmp_path, hr_officer, taskforce):
    before = _state(site)
    target = tmp_path / "backup"
    assert main(["backup", str(target)]) == 0
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["engine"] == connection.vendor and (target / DATABASE_FILES[connection.vendor]).is_file()
    assert manifest["tables"]["applications_departmentkey"] == DepartmentKey.objects.count() > 0

    # everything changes after the backup
    Worker.objects.order_by("pk").first().delete()
    Worker.objects.update(phone="13900000000")
    services.permit_revoke(actor=taskforce, permit_id=Permit.objects.first().pk, reason="测试")
    DepartmentKey.objects.filter(department="hr").delete()
    (site / "imports" / "roster.csv").unlink()
    (site / "imports" / "late.csv").write_bytes(b"late")
    assert _state(site) != before

    assert main(["restore", str(target), "--yes"]) == 0
    assert _state(site) == before
    assert keystore.current_key(Department.HR).kid in set(DepartmentKey.objects.values_list("kid", flat=True))
    assert all(services.permit_verify(p.token).valid for p in Permit.objects.all())
    assert AuditEvent.objects.filter(action="backup.restore").count() == 1


def test_a_tampered_backup_is_refused_and_nothing_changes(site, tmp_path):
    target = tmp_path / "backup"
    backup_create(actor=CLI, directory=target)
    (target / "media" / "plans" / "run-1.json.gz").write_bytes(b"tampered")
    Worker.objects.update(name="改过")
    with pytest.raises(DomainError) as refused:
        backup_restore(actor=CLI, directory=target)
    assert refused.value.code == "backup_corrupt"
    assert set(Worker.objects.values_list("name", flat=True)) == {"改过"}


def test_a_backup_from_another_engine_or_a_newer_version_is_refused(site, tmp_path):
    target = tmp_path / "backup"
    backup_create(actor=CLI, directory=target)
    manifest_path = target / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(
        json.dumps({**manifest, "migrations": [*manifest["migrations"], "ops.9999_future"]})
    )
    with pytest.raises(DomainError) as newer:
        backup_restore(actor=CLI, directory=target)
    assert newer.value.code == "backup_newer"
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    manifest_path.write_text(json.dumps({**manifest, "engine": other}))
    with pytest.raises(DomainError) as engine:
        backup_restore(actor=CLI, directory=target)
    assert engine.value.code == "backup_engine"


def test_backup_refuses_a_directory_that_is_not_empty(site, tmp_path, capsys):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    assert main(["backup", str(tmp_path / "full")]) == 1
    assert "backup_exists" in capsys.readouterr().err


def test_restore_asks_for_confirmation(site, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["restore", str(tmp_path)]) == 2
    assert "--yes" in capsys.readouterr().err
