"""The revocation list: permit ids withdrawn before they expire, signed by the task force.

The list has a sequence number (a verifier keeps the highest it has seen and refuses an older one) and
an issue time. Its body is canonical JSON ``{"v":1,"seq":N,"iat":seconds,"ids":[sorted ids]}``, signed
as ``b"homeward-revocations/1\\0" + body`` by a task-force key that covers ``issued_at``. It travels as
``"HWR1."`` + base64url(kid 8 bytes | signature 64 bytes | zlib(body)) — small enough to carry on a
phone or in a keys file: about 4-5 bytes per revoked permit.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from homeward.core.errors import DomainError
from homeward.core.permits.keys import Keyring, SigningKey
from homeward.core.permits.model import (
    PERMIT_ID_RE,
    Department,
    PermitFormatError,
    canonical_json,
    utc_seconds,
)

REVOCATION_PREFIX = "HWR1."
REVOCATION_CONTEXT = b"homeward-revocations/1\x00"
MAX_BODY = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RevocationList:
    sequence: int
    issued_at: datetime
    permit_ids: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if type(self.sequence) is not int or not 0 <= self.sequence < 2**53:
            raise DomainError("sequence must be a non-negative whole number", "invalid_revocations")
        object.__setattr__(self, "issued_at", utc_seconds(self.issued_at))
        object.__setattr__(self, "permit_ids", frozenset(self.permit_ids))
        for pid in self.permit_ids:
            if not isinstance(pid, str) or not PERMIT_ID_RE.match(pid):
                raise DomainError(f"not a permit id: {pid!r}", "invalid_revocations")

    def __contains__(self, permit_id: object) -> bool:
        return permit_id in self.permit_ids

    def __len__(self) -> int:
        return len(self.permit_ids)

    def body(self) -> bytes:
        return canonical_json(
            {
                "v": 1,
                "seq": self.sequence,
                "iat": int(self.issued_at.timestamp()),
                "ids": sorted(self.permit_ids),
            }
        )

    def supersedes(self, other: RevocationList | None) -> bool:
        """True if this list is newer than ``other`` (higher sequence number)."""
        return other is None or self.sequence > other.sequence

    def adding(self, *permit_ids: str, issued_at: datetime) -> RevocationList:
        """The next list: one sequence number up, with ``permit_ids`` added."""
        return RevocationList(self.sequence + 1, issued_at, self.permit_ids | set(permit_ids))

    def to_dict(self) -> dict[str, object]:
        return {"sequence": self.sequence, "issued_at": self.issued_at.isoformat(), "count": len(self)}


@dataclass(frozen=True, slots=True)
class SignedRevocationList:
    revocations: RevocationList
    kid: str
    signature: bytes

    def encode(self) -> str:
        raw = bytes.fromhex(self.kid) + self.signature + zlib.compress(self.revocations.body(), 9)
        return REVOCATION_PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sign_revocation_list(revocations: RevocationList, key: SigningKey) -> SignedRevocationList:
    if key.department != Department.TASK_FORCE:
        raise DomainError("only the task force signs the revocation list", "not_a_signer")
    if not key.covers(revocations.issued_at):
        raise DomainError("the key may not sign at the list's issue time", "key_not_in_window")
    signature = key.sign(REVOCATION_CONTEXT + revocations.body())
    return SignedRevocationList(revocations, key.kid, signature)


def decode_revocation_list(text: str) -> SignedRevocationList:
    """Parse an ``HWR1.`` string (signature not checked: see verify_revocation_list)."""
    if not isinstance(text, str) or not text.startswith(REVOCATION_PREFIX) or not text.isascii():
        raise PermitFormatError(f"a revocation list starts with {REVOCATION_PREFIX}")
    payload = text[len(REVOCATION_PREFIX) :]
    try:
        raw = base64.b64decode(payload + "=" * (-len(payload) % 4), altchars=b"-_", validate=True)
        inflater = zlib.decompressobj()
        body = inflater.decompress(raw[72:], MAX_BODY)
        if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
            raise PermitFormatError("revocation list body is not one complete zlib stream")
        data = json.loads(body.decode("utf-8"))
    except (binascii.Error, ValueError, zlib.error) as exc:
        raise PermitFormatError("revocation list is not readable") from exc
    if (
        len(raw) < 72
        or not isinstance(data, dict)
        or set(data) != {"v", "seq", "iat", "ids"}
        or data["v"] != 1
    ):
        raise PermitFormatError("revocation list has the wrong shape")
    ids, iat = data["ids"], data["iat"]
    if not isinstance(ids, list) or type(iat) is not int or not 0 <= iat < 2**32:
        raise PermitFormatError("revocation list has the wrong shape")
    try:
        revocations = RevocationList(data["seq"], datetime.fromtimestamp(iat, UTC), frozenset(ids))
    except (DomainError, TypeError) as exc:
        raise PermitFormatError("revocation list entries are invalid") from exc
    if revocations.body() != body:
        raise PermitFormatError("revocation list body is not canonical")
    return SignedRevocationList(revocations, raw[:8].hex(), raw[8:72])


def verify_revocation_list(signed: SignedRevocationList, keyring: Keyring) -> RevocationList:
    """Check the task force's signature; raises ``revocation_list_invalid`` on any failure."""
    key = keyring.get(signed.kid)
    if key is None or key.department != Department.TASK_FORCE:
        raise DomainError(f"revocation list signed by unknown key {signed.kid}", "revocation_list_invalid")
    if not key.covers(signed.revocations.issued_at):
        raise DomainError("revocation list key not valid at its issue time", "revocation_list_invalid")
    if not key.verify(signed.signature, REVOCATION_CONTEXT + signed.revocations.body()):
        raise DomainError("revocation list signature is invalid", "revocation_list_invalid")
    return signed.revocations
