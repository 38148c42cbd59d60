"""Permit key administration: rotate the departments' signing keys, move the stored private keys to
a new HOMEWARD_PERMIT_KEY_SECRET. ``homeward permit rotate-keys`` calls these.

Rotating closes each department's current key at the rotation time and starts a new one: permits the
old key signed while it was valid keep verifying (until they are revoked or expire), and offline
verifiers need the new public keys (``homeward permit export-keys``) before the first permit signed
with them reaches the road.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from homeward.apps.accounts.policy import authorize
from homeward.apps.applications import keystore
from homeward.apps.audit.services import audit_record
from homeward.core.errors import DomainError
from homeward.core.permits import Department, SigningKey


def permit_keys_reencrypt(*, actor: Any, old_secret: str, new_secret: str) -> tuple[int, int]:
    """Re-encrypt every stored private key from ``old_secret`` to ``new_secret``, all or nothing.
    Returns (re-encrypted, already under the new secret)."""
    authorize(actor, "permit.keys")
    if old_secret == new_secret:
        raise DomainError("新旧密钥相同 (the old and new secrets are the same)", "same_secret")
    with transaction.atomic():
        moved, already = keystore.reencrypt(old_secret, new_secret)
        audit_record(
            actor=actor, action="permit.keys_reencrypt", object_type="department_key",
            data={"reencrypted": moved, "already": already},
        )  # fmt: skip
    return moved, already


def permit_keys_rotate(
    *,
    actor: Any,
    departments: Iterable[Department] | None = None,
    at: datetime | None = None,
    secret: str | None = None,
) -> list[SigningKey]:
    """A new signing key from ``at`` for each of ``departments`` (default: all), stored under
    ``secret`` (default: the configured one); the old keys stop signing at ``at``."""
    authorize(actor, "permit.keys")
    at = (at or timezone.now()).replace(microsecond=0)
    chosen = list(departments) if departments is not None else list(Department)
    with transaction.atomic():
        keys = [keystore.rotate_key(dept, at, secret) for dept in chosen]
        for key in keys:
            audit_record(
                actor=actor, action="permit.key_rotate", object_type="department_key", object_id=key.kid,
                data={"department": str(key.department), "valid_from": at.isoformat()},
            )  # fmt: skip
    return keys
