"""Co-signing a permit and the compact token that carries it (QR-friendly, URL- and shell-safe).

Token = ``"HW1."`` + base64url without padding of::

    version   1 byte   (1)
    body_len  2 bytes  big-endian
    body      body_len bytes: the permit's canonical JSON (model.Permit.body())
    count     1 byte   number of signatures (≥ 1)
    count ×   dept 1 byte | kid 8 bytes | signed_at 4 bytes (UTC seconds, big-endian) | Ed25519 sig 64 bytes
              in ascending department code, one per department

Each signature is over ``b"homeward-permit/1\\0" + dept + kid + signed_at + body``. Decoding is strict:
the base64 must be canonical (re-encodes to the same text), lengths exact, no trailing bytes, the body
canonical, so one permit and set of signatures has exactly one token and changing any character of a
token makes it fail to decode or to verify.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from homeward.core.errors import Conflict, DomainError, PermissionDenied
from homeward.core.permits.keys import SigningKey
from homeward.core.permits.model import (
    Department,
    Permit,
    PermitFormatError,
    permit_from_body,
    utc_seconds,
)

TOKEN_PREFIX = "HW1."
TOKEN_VERSION = 1
SIGNATURE_CONTEXT = b"homeward-permit/1\x00"
_SIG = struct.Struct(">B8sI64s")
MAX_TOKEN_CHARS = 2000  # the largest body (700 bytes) with four signatures is ~1,350 characters


@dataclass(frozen=True, slots=True)
class Signature:
    department: Department
    kid: str
    signed_at: datetime
    signature: bytes

    def to_dict(self) -> dict[str, str]:
        return {
            "department": str(self.department),
            "department_name": self.department.label,
            "kid": self.kid,
            "signed_at": self.signed_at.isoformat(),
        }


def signed_message(department: Department, kid: str, signed_at: datetime, body: bytes) -> bytes:
    return (
        SIGNATURE_CONTEXT
        + bytes([department.code])
        + bytes.fromhex(kid)
        + struct.pack(">I", int(signed_at.timestamp()))
        + body
    )


@dataclass(frozen=True, slots=True)
class SignedPermit:
    """A permit and the signatures it has gathered so far; issued when every signer has signed."""

    permit: Permit
    signatures: tuple[Signature, ...] = ()

    @property
    def signed_by(self) -> tuple[Department, ...]:
        return tuple(s.department for s in self.signatures)

    @property
    def missing(self) -> tuple[Department, ...]:
        return tuple(d for d in self.permit.signers if d not in self.signed_by)

    @property
    def is_issued(self) -> bool:
        return not self.missing

    @property
    def issued_at(self) -> datetime | None:
        """When the last required signature landed (None while one is missing)."""
        if not self.is_issued:
            return None
        return max(s.signed_at for s in self.signatures)

    def token(self) -> str:
        return encode_token(self)


def cosign(signed: SignedPermit, key: SigningKey, at: datetime) -> SignedPermit:
    """Add ``key``'s department's signature at time ``at``.

    Raises ``not_a_signer`` (the permit does not ask this department), ``already_signed``,
    ``permit_expired`` (``at`` is at or past the permit's ``valid_to``: an expired permit is never
    signed, so never issued), or ``key_not_in_window`` (the key may not sign at ``at``: rotated out,
    not yet valid).
    """
    at = utc_seconds(at)
    dept = key.department
    if at >= signed.permit.valid_to:
        raise Conflict(
            f"许可证 {signed.permit.permit_id} 已于 {signed.permit.valid_to.isoformat()} 过期，不能签发 "
            f"(permit expired; an expired permit is not signed)",
            "permit_expired",
        )
    if dept not in signed.permit.signers:
        raise PermissionDenied(f"{dept} does not sign this permit", "not_a_signer")
    if dept in signed.signed_by:
        raise Conflict(f"{dept} has already signed this permit", "already_signed")
    if not key.covers(at):
        raise DomainError(f"key {key.kid} may not sign at {at.isoformat()}", "key_not_in_window")
    kid = key.kid
    sig = key.sign(signed_message(dept, kid, at, signed.permit.body()))
    signatures = sorted((*signed.signatures, Signature(dept, kid, at, sig)), key=lambda s: s.department.code)
    return replace(signed, signatures=tuple(signatures))


def encode_token(signed: SignedPermit, *, allow_incomplete: bool = False) -> str:
    """The token of a signed permit. Raises ``not_issued`` while a signature is missing, unless asked."""
    if not signed.signatures:
        raise DomainError("a permit without signatures has no token", "not_issued")
    if signed.missing and not allow_incomplete:
        raise DomainError("permit still needs: " + ", ".join(str(d) for d in signed.missing), "not_issued")
    body = signed.permit.body()
    if len(body) > 0xFFFF:
        raise DomainError("permit body too large", "invalid_permit")
    parts = [bytes([TOKEN_VERSION]), struct.pack(">H", len(body)), body, bytes([len(signed.signatures)])]
    for s in signed.signatures:
        parts.append(
            _SIG.pack(s.department.code, bytes.fromhex(s.kid), int(s.signed_at.timestamp()), s.signature)
        )
    raw = b"".join(parts)
    return TOKEN_PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode_strict(text: str) -> bytes:
    if not text or not text.isascii():
        raise PermitFormatError("token is not base64url")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PermitFormatError("token is not base64url") from exc
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != text:
        raise PermitFormatError("token is not canonical base64url")
    return raw


def verify_link(verify_url: str, token: str) -> str:
    """The address a phone camera opens from the QR code: the verification page with the token in
    ``t`` (base64url needs no escaping in a query)."""
    return f"{verify_url}?t={token}"


def token_from_scan(text: str) -> str:
    """The token in what a scanner read: a verification link (``…?t=HW1.…``) or the bare token."""
    text = text.strip() if isinstance(text, str) else text
    if isinstance(text, str) and not text.startswith(TOKEN_PREFIX) and "?" in text:
        for part in text.split("?", 1)[1].split("#", 1)[0].split("&"):
            name, _, value = part.partition("=")
            if name == "t":
                return value
    return text


def decode_token(token: str) -> SignedPermit:
    """Parse a token without checking signatures; raises PermitFormatError (code ``format``)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or not token.startswith(TOKEN_PREFIX):
        raise PermitFormatError(f"a permit token starts with {TOKEN_PREFIX}")
    raw = _b64decode_strict(token[len(TOKEN_PREFIX) :])
    if len(raw) < 4 or raw[0] != TOKEN_VERSION:
        raise PermitFormatError("unsupported token version")
    (body_len,) = struct.unpack_from(">H", raw, 1)
    body = raw[3 : 3 + body_len]
    rest = raw[3 + body_len :]
    if len(body) != body_len or not rest:
        raise PermitFormatError("token is truncated")
    count = rest[0]
    if count == 0 or len(rest) != 1 + count * _SIG.size:
        raise PermitFormatError("token signature block has the wrong length")
    permit = permit_from_body(body)
    signatures: list[Signature] = []
    for i in range(count):
        code, kid, seconds, sig = _SIG.unpack_from(rest, 1 + i * _SIG.size)
        dept = Department.from_code(code)
        if signatures and dept.code <= signatures[-1].department.code:
            raise PermitFormatError("signatures are not one per department in ascending order")
        if dept not in permit.signers:
            raise PermitFormatError(f"{dept} signed but is not a signer of this permit")
        signatures.append(Signature(dept, kid.hex(), datetime.fromtimestamp(seconds, UTC), sig))
    return SignedPermit(permit, tuple(signatures))
