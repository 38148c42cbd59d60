"""Offline verification of a permit token: pure, no database, no network.

Checks run in this order and the first failure is the reason (each a stable code):

1. ``format``            the token does not decode (prefix, base64url, lengths, canonical body)
2. ``unknown_key``       a signature's key id is not in the keyring, belongs to another department,
                         is revoked, or its window did not cover the signing time
3. ``tampered``          a signature does not verify against the exact bytes
4. ``missing_signature`` a department the permit requires has not signed
5. ``revoked``           the permit id is on the (verified) revocation list
6. ``not_yet_valid`` / ``expired``  ``now`` is outside [valid_from, valid_to)

``permit`` is returned only when every signature present verified (reasons ok, missing_signature,
revoked, not_yet_valid, expired): a permit from a token that failed 1-3 is not to be trusted or shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from homeward.core.permits.keys import Keyring
from homeward.core.permits.model import Permit, PermitFormatError, utc_seconds
from homeward.core.permits.revocation import RevocationList
from homeward.core.permits.token import Signature, decode_token, signed_message, token_from_scan

OK: Final = "ok"
FORMAT: Final = "format"
UNKNOWN_KEY: Final = "unknown_key"
TAMPERED: Final = "tampered"
MISSING_SIGNATURE: Final = "missing_signature"
REVOKED: Final = "revoked"
NOT_YET_VALID: Final = "not_yet_valid"
EXPIRED: Final = "expired"
REASONS: Final = (OK, FORMAT, UNKNOWN_KEY, TAMPERED, MISSING_SIGNATURE, REVOKED, NOT_YET_VALID, EXPIRED)


@dataclass(frozen=True, slots=True)
class Verification:
    valid: bool
    reason: str
    detail: str
    permit: Permit | None = None
    signatures: tuple[Signature, ...] = ()
    revocations: RevocationList | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "reason": self.reason,
            "detail": self.detail,
            "permit": self.permit.to_dict() if self.permit is not None else None,
            "signatures": [s.to_dict() for s in self.signatures] if self.permit is not None else [],
            "revocation_list": self.revocations.to_dict() if self.revocations is not None else None,
        }


def verify_token(
    token: str, keyring: Keyring, revocations: RevocationList | None, now: datetime
) -> Verification:
    """Verify ``token`` at ``now`` against trusted keys and an already-verified revocation list.

    ``token`` may also be the verification link a QR code carries (``token_from_scan``).
    ``revocations`` None means no list is available: the permit is not checked for revocation (the
    detail says so). Use ``keysfile.load_keys_file`` to get a keyring and a verified list.
    """
    now = utc_seconds(now)
    try:
        signed = decode_token(token_from_scan(token))
    except PermitFormatError as exc:
        return Verification(False, FORMAT, exc.message, revocations=revocations)
    permit = signed.permit
    body = permit.body()
    for sig in signed.signatures:
        key = keyring.get(sig.kid)
        if key is None:
            return Verification(
                False, UNKNOWN_KEY, f"key {sig.kid} is not in the keyring", revocations=revocations
            )
        if key.department != sig.department:
            return Verification(
                False, UNKNOWN_KEY, f"key {sig.kid} is not a {sig.department} key", revocations=revocations
            )
        if key.revoked:
            return Verification(
                False, UNKNOWN_KEY, f"key {sig.kid} has been revoked", revocations=revocations
            )
        if not key.covers(sig.signed_at):
            return Verification(
                False,
                UNKNOWN_KEY,
                f"key {sig.kid} was not valid at the signing time {sig.signed_at.isoformat()}",
                revocations=revocations,
            )
    for sig in signed.signatures:
        key = keyring.get(sig.kid)
        assert key is not None
        if not key.verify(sig.signature, signed_message(sig.department, sig.kid, sig.signed_at, body)):
            return Verification(
                False, TAMPERED, f"the {sig.department} signature does not match", revocations=revocations
            )
    found = (permit, signed.signatures, revocations)
    if signed.missing:
        names = ", ".join(str(d) for d in signed.missing)
        return Verification(False, MISSING_SIGNATURE, f"not signed by {names}", *found)
    if revocations is not None and permit.permit_id in revocations:
        return Verification(
            False, REVOKED, f"permit {permit.permit_id} is on revocation list #{revocations.sequence}", *found
        )
    if now < permit.valid_from:
        return Verification(False, NOT_YET_VALID, f"valid from {permit.valid_from.isoformat()}", *found)
    if now >= permit.valid_to:
        return Verification(False, EXPIRED, f"expired at {permit.valid_to.isoformat()}", *found)
    detail = "all signatures verified"
    if revocations is None:
        detail += "; no revocation list was available"
    return Verification(True, OK, detail, *found)
