"""Department signing keys and the revocation list, stored in the database.

Choice: private seeds live in ``DepartmentKey.private_key_encrypted``, encrypted with Fernet under a
key derived by HKDF-SHA256 from ``HOMEWARD_PERMIT_KEY_SECRET`` (info ``homeward-permit-keys/1``) — a
secret of its own, never ``SECRET_KEY``: neither the database alone nor the database plus the web
secret reveals a seed. Production refuses to start without it; development uses a fixed development
secret (``homeward.conf.DEV_PERMIT_KEY_SECRET``), which ``check --deploy`` reports. ``reencrypt``
moves every seed from one secret to another (``homeward permit rotate-keys --old-secret-file``).
Public keys are stored plain and exported with ``export-keys``.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import connections
from django.db.models import Subquery
from django.utils import timezone

from homeward.apps.applications.models import DepartmentKey, RevocationList
from homeward.core.errors import DomainError
from homeward.core.permits import (
    Department,
    Keyring,
    PublicKey,
    SignedRevocationList,
    SigningKey,
    decode_revocation_list,
    generate_signing_key,
    verify_revocation_list,
)
from homeward.core.permits import (
    RevocationList as CoreRevocationList,
)


def _fernet(secret: str | None = None) -> Fernet:
    """The cipher of ``secret`` (default: the configured HOMEWARD_PERMIT_KEY_SECRET)."""
    secret = settings.HOMEWARD_PERMIT_KEY_SECRET if secret is None else secret
    if not secret:
        raise DomainError(
            "未设置许可证密钥口令 HOMEWARD_PERMIT_KEY_SECRET (HOMEWARD_PERMIT_KEY_SECRET is empty)",
            "key_secret_missing",
        )
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"homeward", info=b"homeward-permit-keys/1"
    ).derive(secret.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


def _public(row: DepartmentKey) -> PublicKey:
    return PublicKey(
        Department(row.department), bytes(row.public_key), row.valid_from, row.valid_to, row.revoked
    )


def _store(key: SigningKey, secret: str | None = None) -> DepartmentKey:
    public = key.public
    return DepartmentKey.objects.create(
        department=str(key.department),
        kid=public.kid,
        public_key=public.public_key,
        private_key_encrypted=_fernet(secret).encrypt(key.private_key).decode("ascii"),
        valid_from=key.valid_from,
        valid_to=key.valid_to,
    )


def signing_key_of(row: DepartmentKey) -> SigningKey:
    try:
        seed = _fernet().decrypt(row.private_key_encrypted.encode("ascii"))
    except InvalidToken as exc:
        raise DomainError(
            f"密钥 {row.kid} 无法解密 (the key secret changed; rotate the key)", "key_unreadable"
        ) from exc
    return SigningKey(Department(row.department), seed, row.valid_from, row.valid_to)


def _covers(row: DepartmentKey, at: datetime) -> bool:
    return not row.revoked and row.valid_from <= at and (row.valid_to is None or at < row.valid_to)


def current_key(department: Department, at: datetime | None = None) -> SigningKey:
    """The department's newest key that may sign at ``at``; one is generated on first use.
    Call inside a transaction."""
    at = (at or timezone.now()).replace(microsecond=0)
    rows = [r for r in DepartmentKey.objects.filter(department=str(department)) if _covers(r, at)]
    if rows:
        return signing_key_of(max(rows, key=lambda r: r.valid_from))
    key = generate_signing_key(department, at)
    _store(key)
    return key


def install_key(key: SigningKey) -> DepartmentKey:
    """Store a given key (the demo's deterministic keys); does nothing if its kid is known."""
    found = DepartmentKey.objects.filter(kid=key.kid).first()
    return found if found is not None else _store(key)


def rotate_key(department: Department, at: datetime | None = None, secret: str | None = None) -> SigningKey:
    """Close the department's open windows at ``at`` and start a new key there, stored under
    ``secret`` (default: the configured one). What the old keys signed keeps verifying."""
    at = (at or timezone.now()).replace(microsecond=0)
    if DepartmentKey.objects.filter(department=str(department), valid_from__gte=at).exists():
        raise DomainError(
            "不能在当前密钥生效之前轮换 (cannot rotate before the current key's window opens)", "bad_key"
        )
    DepartmentKey.objects.filter(department=str(department), valid_to__isnull=True).update(valid_to=at)
    DepartmentKey.objects.filter(department=str(department), valid_to__gt=at).update(valid_to=at)
    key = generate_signing_key(department, at)
    _store(key, secret)
    return key


def reencrypt(old_secret: str, new_secret: str) -> tuple[int, int]:
    """Store every private seed under ``new_secret``: seeds readable with ``old_secret`` are
    re-encrypted, seeds already under ``new_secret`` left alone (so a repeated run changes nothing).
    A seed readable with neither raises ``key_unreadable`` and nothing changes (call inside a
    transaction). Returns (re-encrypted, already under the new secret)."""
    old, new = _fernet(old_secret), _fernet(new_secret)
    moved = already = 0
    for row in DepartmentKey.objects.select_for_update().order_by("pk"):
        token = row.private_key_encrypted.encode("ascii")
        try:
            new.decrypt(token)
            already += 1
            continue
        except InvalidToken:
            pass
        try:
            seed = old.decrypt(token)
        except InvalidToken as exc:
            raise DomainError(
                f"密钥 {row.kid} 新旧密钥都无法解密 (key {row.kid} is readable with neither secret)",
                "key_unreadable",
            ) from exc
        row.private_key_encrypted = new.encrypt(seed).decode("ascii")
        row.save(update_fields=["private_key_encrypted"])
        moved += 1
    return moved, already


def keyring() -> Keyring:
    return Keyring(tuple(_public(r) for r in DepartmentKey.objects.order_by("pk")))


def latest_revocations() -> SignedRevocationList | None:
    row = RevocationList.objects.order_by("-sequence").first()
    return decode_revocation_list(row.encoded) if row is not None else None


# The fingerprint's query, compiled once per database (alias): it has no parameters, and compiling
# it was most of its cost on every scan. Its rows are read raw (as the database returns them): they
# are only compared with the rows read the time before.
_fingerprint_sqls: dict[str, tuple[str, tuple[Any, ...]]] = {}


def _fingerprint_sql(alias: str) -> tuple[str, tuple[Any, ...]]:
    compiled = _fingerprint_sqls.get(alias)
    if compiled is None:
        latest = RevocationList.objects.order_by("-sequence").values("sequence")[:1]
        rows = DepartmentKey.objects.order_by("pk").annotate(latest_list=Subquery(latest))
        fields = ("pk", "department", "kid", "public_key", "valid_from", "valid_to", "revoked", "latest_list")
        sql, params = rows.values_list(*fields).query.get_compiler(using=alias).as_sql()
        compiled = _fingerprint_sqls[alias] = (sql, tuple(params))
    return compiled


# What ``verification_material`` built last (per process): (fingerprint, keyring, verified list).
_material: tuple[tuple[object, ...], Keyring, CoreRevocationList | None] | None = None


def verification_material() -> tuple[Keyring, CoreRevocationList | None]:
    """The public keys and the latest revocation list verified against them: what a token is
    checked with (``permit_verify``, every scan). Cached per process, and each call first reads the
    keys' public fields and the latest list's sequence in one small query: the cache serves only
    while they are what it was built from, so a new or rotated or revoked key, or a new list (a
    revoked ticket or permit), written by whichever process, is seen by the very next call. The
    decoding and signature check of a list holding every revoked id is what the cache saves."""
    global _material
    alias = DepartmentKey.objects.db
    with connections[alias].cursor() as cursor:
        cursor.execute(*_fingerprint_sql(alias))
        fingerprint = tuple(
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in cursor.fetchall()
        )
    cached = _material
    if cached is not None and cached[0] == fingerprint:
        return cached[1], cached[2]
    ring = keyring()
    signed_list = latest_revocations()
    revocations = verify_revocation_list(signed_list, ring) if signed_list else None
    _material = (fingerprint, ring, revocations)
    return ring, revocations
