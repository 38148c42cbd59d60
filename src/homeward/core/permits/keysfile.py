"""The keys file an offline verifier carries: public keys plus the signed revocation list.

Written by ``homeward permit export-keys FILE`` and read by ``homeward permit verify --keys FILE``::

    {
      "format": "homeward-permit-keys",
      "version": 1,
      "generated_at": "2020-02-12T08:00:00+00:00",
      "keys": [
        {"kid": "3f1c…", "department": "transport", "department_name": "交通运输局",
         "public_key": "<standard base64 of the raw 32-byte Ed25519 key>",
         "valid_from": "…", "valid_to": null, "revoked": false}
      ],
      "revocation_list": "HWR1.…",   (or null)
      "revocation_list_issued_at": "2020-02-11T20:00:00+00:00"   (or null; informational)
    }

``generated_at`` is when the file was exported: the revocation list was current then, and nothing
revoked since is in it. ``freshness`` says how old the file is; ``homeward permit verify`` warns when it
is older than its ``--max-age-hours``.

No private key is ever written here. Loading checks every kid against its key and verifies the
revocation list's task-force signature; any problem raises a DomainError (``format`` or
``revocation_list_invalid``) rather than returning a half-trusted keyring.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from homeward.core.errors import DomainError
from homeward.core.permits.keys import Keyring, PublicKey
from homeward.core.permits.model import Department, PermitFormatError, utc_seconds
from homeward.core.permits.revocation import (
    RevocationList,
    SignedRevocationList,
    decode_revocation_list,
    verify_revocation_list,
)

KEYS_FORMAT = "homeward-permit-keys"
KEYS_VERSION = 1
# How old a keys file may be before verification warns that revocations since then are unknown.
DEFAULT_MAX_AGE = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Freshness:
    """How old a keys file is at ``now``, and whether that is older than ``max_age``."""

    generated_at: datetime
    revocation_list_issued_at: datetime | None
    age: timedelta
    max_age: timedelta

    @property
    def stale(self) -> bool:
        return self.age > self.max_age

    @property
    def warning(self) -> str | None:
        if not self.stale:
            return None
        hours = self.age.total_seconds() / 3600
        return (
            f"密钥文件已导出 {hours:.1f} 小时，之后撤销的许可证无法识别；请重新导出 (the keys file was "
            f"exported {hours:.1f} h ago, at {self.generated_at.isoformat()}: permits revoked since "
            "then are not known to it; export it again)"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "generated_at": self.generated_at.isoformat(),
            "revocation_list_issued_at": _iso(self.revocation_list_issued_at),
            "age_hours": round(self.age.total_seconds() / 3600, 2),
            "max_age_hours": round(self.max_age.total_seconds() / 3600, 2),
            "stale": self.stale,
        }


@dataclass(frozen=True, slots=True)
class KeysFile:
    keyring: Keyring
    revocations: RevocationList | None
    generated_at: datetime

    def freshness(self, now: datetime, max_age: timedelta = DEFAULT_MAX_AGE) -> Freshness:
        issued = self.revocations.issued_at if self.revocations is not None else None
        return Freshness(self.generated_at, issued, utc_seconds(now) - self.generated_at, max_age)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def dump_keys_file(keyring: Keyring, revocations: SignedRevocationList | None, generated_at: datetime) -> str:
    """Serialise public keys and the current signed revocation list (JSON text, UTF-8, trailing newline)."""
    if revocations is not None:
        verify_revocation_list(revocations, keyring)  # never export a list the file cannot verify
    doc = {
        "format": KEYS_FORMAT,
        "version": KEYS_VERSION,
        "generated_at": utc_seconds(generated_at).isoformat(),
        "keys": [
            {
                "kid": key.kid,
                "department": str(key.department),
                "department_name": key.department.label,
                "public_key": base64.b64encode(key.public_key).decode("ascii"),
                "valid_from": _iso(key.valid_from),
                "valid_to": _iso(key.valid_to),
                "revoked": key.revoked,
            }
            for key in keyring
        ],
        "revocation_list": revocations.encode() if revocations is not None else None,
        "revocation_list_issued_at": _iso(revocations.revocations.issued_at) if revocations else None,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _time(value: object, name: str, *, optional: bool = False) -> datetime | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise PermitFormatError(f"keys file: {name} is not an ISO time")
    try:
        return utc_seconds(datetime.fromisoformat(value))
    except ValueError as exc:
        raise PermitFormatError(f"keys file: {name} is not an ISO time") from exc
    except DomainError as exc:  # a naive time
        raise PermitFormatError(f"keys file: {name} must carry a UTC offset") from exc


def _key(entry: Any) -> PublicKey:
    if not isinstance(entry, dict):
        raise PermitFormatError("keys file: a key entry is not an object")
    try:
        department = Department(entry["department"])
        raw = base64.b64decode(entry["public_key"], validate=True)
        valid_from = _time(entry["valid_from"], "valid_from")
        assert valid_from is not None
        key = PublicKey(
            department,
            raw,
            valid_from,
            _time(entry.get("valid_to"), "valid_to", optional=True),
            bool(entry.get("revoked", False)),
        )
    except PermitFormatError:
        raise
    except (KeyError, TypeError, ValueError, DomainError) as exc:
        raise PermitFormatError(f"keys file: bad key entry ({exc})") from exc
    if entry.get("kid") != key.kid:
        raise PermitFormatError(f"keys file: kid {entry.get('kid')!r} does not match its public key")
    return key


def load_keys_file(text: str | bytes) -> KeysFile:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise PermitFormatError("keys file is not JSON") from exc
    if not isinstance(doc, dict) or doc.get("format") != KEYS_FORMAT or doc.get("version") != KEYS_VERSION:
        raise PermitFormatError(f"not a {KEYS_FORMAT} version {KEYS_VERSION} file")
    entries = doc.get("keys")
    if not isinstance(entries, list):
        raise PermitFormatError("keys file: keys is not a list")
    try:
        keyring = Keyring(tuple(_key(e) for e in entries))
    except PermitFormatError:
        raise
    except DomainError as exc:  # e.g. the same key twice
        raise PermitFormatError(f"keys file: {exc.message}") from exc
    generated_at = _time(doc.get("generated_at"), "generated_at")
    assert generated_at is not None
    encoded = doc.get("revocation_list")
    revocations = None
    if encoded is not None:
        revocations = verify_revocation_list(decode_revocation_list(encoded), keyring)
    return KeysFile(keyring, revocations, generated_at)


def write_keys_file(
    path: str | Path, keyring: Keyring, revocations: SignedRevocationList | None, generated_at: datetime
) -> None:
    Path(path).write_text(dump_keys_file(keyring, revocations, generated_at), encoding="utf-8")


def read_keys_file(path: str | Path) -> KeysFile:
    return load_keys_file(Path(path).read_bytes())
