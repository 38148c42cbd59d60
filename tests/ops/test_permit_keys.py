"""Finding "the shipped default secret is accepted": permit signing keys are encrypted under their own
secret, never one derived from SECRET_KEY; `homeward permit rotate-keys` moves them to a new secret
and rotates the signing keys, and what old keys signed keeps verifying until revoked."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.utils import timezone

from homeward.apps.applications import keystore, services
from homeward.apps.applications.models import DepartmentKey
from homeward.apps.audit.models import AuditEvent
from homeward.cli import main
from homeward.core.errors import DomainError
from homeward.core.permits import Department

NEW_SECRET = "a-new-permit-key-secret-0123456789-abcdefghij"


def _fernet_of(secret: str) -> Fernet:
    """The cipher an attacker would derive from ``secret`` (the documented HKDF parameters)."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"homeward", info=b"homeward-permit-keys/1"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def test_default_secret_accepted__secret_key_does_not_decrypt_permit_keys(issued, settings):
    rows = list(DepartmentKey.objects.all())
    assert rows
    for row in rows:
        with pytest.raises(InvalidToken):
            _fernet_of(settings.SECRET_KEY).decrypt(row.private_key_encrypted.encode())
        assert (
            len(_fernet_of(settings.HOMEWARD_PERMIT_KEY_SECRET).decrypt(row.private_key_encrypted.encode()))
            == 32
        )


def test_rotate_keys_reencrypts_under_a_new_secret(issued, settings, tmp_path, hr_officer, taskforce):
    old = settings.HOMEWARD_PERMIT_KEY_SECRET
    new_file = tmp_path / "new"
    new_file.write_text(NEW_SECRET + "\n")
    assert main(["permit", "rotate-keys", "--new-secret-file", str(new_file)]) == 0
    for row in DepartmentKey.objects.all():
        with pytest.raises(InvalidToken):
            _fernet_of(old).decrypt(row.private_key_encrypted.encode())
    with pytest.raises(DomainError) as unreadable:
        keystore.current_key(Department.HR)
    assert unreadable.value.code == "key_unreadable"
    settings.HOMEWARD_PERMIT_KEY_SECRET = NEW_SECRET
    assert keystore.current_key(Department.HR).department == Department.HR
    assert all(services.permit_verify(p.token).valid for p in issued)
    event = AuditEvent.objects.get(action="permit.keys_reencrypt")
    assert event.data == {"reencrypted": DepartmentKey.objects.count(), "already": 0}


def test_rotate_keys_with_the_old_secret_file_is_idempotent(issued, settings, tmp_path):
    old_file = tmp_path / "old"
    old_file.write_text(settings.HOMEWARD_PERMIT_KEY_SECRET)
    settings.HOMEWARD_PERMIT_KEY_SECRET = NEW_SECRET
    assert main(["permit", "rotate-keys", "--old-secret-file", str(old_file)]) == 0
    before = list(DepartmentKey.objects.order_by("pk").values_list("private_key_encrypted", flat=True))
    assert main(["permit", "rotate-keys", "--old-secret-file", str(old_file)]) == 0
    after = list(DepartmentKey.objects.order_by("pk").values_list("private_key_encrypted", flat=True))
    assert before == after
    assert AuditEvent.objects.filter(action="permit.keys_reencrypt").last().data["already"] == len(before)


def test_rotate_keys_refuses_a_wrong_old_secret_and_changes_nothing(issued, settings, tmp_path, capsys):
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-secret-these-keys-were-encrypted-with")
    settings.HOMEWARD_PERMIT_KEY_SECRET = NEW_SECRET
    before = list(DepartmentKey.objects.order_by("pk").values_list("private_key_encrypted", flat=True))
    assert main(["permit", "rotate-keys", "--old-secret-file", str(wrong)]) == 1
    assert "key_unreadable" in capsys.readouterr().err
    after = list(DepartmentKey.objects.order_by("pk").values_list("private_key_encrypted", flat=True))
    assert before == after
    assert not AuditEvent.objects.filter(action="permit.keys_reencrypt").exists()


def test_rotated_signing_keys_sign_and_old_tokens_verify_until_revoked(
    issued, permits_drafted, time_machine, taskforce
):
    old_kids = set(DepartmentKey.objects.values_list("kid", flat=True))
    time_machine.move_to(timezone.now() + timedelta(minutes=1))
    assert main(["permit", "rotate-keys", "--signing-keys"]) == 0
    new_kids = set(DepartmentKey.objects.values_list("kid", flat=True)) - old_kids
    assert len(new_kids) == len(Department)
    assert AuditEvent.objects.filter(action="permit.key_rotate").count() == len(Department)
    for department in Department:
        assert keystore.current_key(department).kid in new_kids
    assert all(services.permit_verify(p.token).valid for p in issued)
    services.permit_revoke(actor=taskforce, permit_id=issued[0].pk, reason="钥匙轮换后撤销")
    assert services.permit_verify(issued[0].token).reason == "revoked"
    assert services.permit_verify(issued[1].token).valid
    exported = {key["kid"] for key in json.loads(services.keys_file_text())["keys"]}
    assert exported == old_kids | new_kids


def test_rotate_keys_without_a_change_says_so(db, capsys):
    assert main(["permit", "rotate-keys"]) == 2
    assert "nothing to do" in capsys.readouterr().err
