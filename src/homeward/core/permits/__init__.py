"""Permits: co-signed road passes 通行证 and epidemic-prevention permits 防控许可证, verifiable offline.

Pure and Django-free. The flow (the Django side stores keys, permits and signatures and calls these):

1. Build a ``RoadPass``, ``PreventionPermit`` or a worker's ``Ticket`` (frozen; its ``body()`` is the canonical bytes signed).
2. ``SignedPermit(permit)``, then ``cosign(signed, department_key, at)`` once per required department
   (``permit.signers``); ``signed.is_issued`` turns true when the last one lands; ``signed.token()``.
3. ``render_permit_pdf(permit, token, verify_url)`` for the printable one-page A5 PDF; its QR code
   is the verification link ``verify_link(verify_url, token)`` (or the bare token without a URL).
   ``placeholder_fields(permit)`` names what a drafter left unknown (a road pass is signed only
   without any).
4. Verifiers load a keys file (``load_keys_file``/``read_keys_file``: keyring + verified revocation
   list) and call ``verify_token(token, keyring, revocations, now)`` → ``Verification``.

Keys: ``generate_signing_key``, ``Keyring.rotate`` (old keys keep verifying what they signed inside
their window), ``Keyring.revoke``. Revocations: ``RevocationList`` signed by the task force with
``sign_revocation_list``. Reasons: see ``verify``.
"""

from __future__ import annotations

from homeward.core.permits.keys import Keyring, PublicKey, SigningKey, generate_signing_key, key_id
from homeward.core.permits.keysfile import (
    KeysFile,
    dump_keys_file,
    load_keys_file,
    read_keys_file,
    write_keys_file,
)
from homeward.core.permits.model import (
    PLATE_RE,
    REQUIRED_SIGNERS,
    TO_BE_ASSIGNED,
    Department,
    InvalidPermit,
    KitItem,
    LegKind,
    Permit,
    PermitFormatError,
    PermitKind,
    PermitTooLarge,
    PreventionPermit,
    RoadPass,
    Ticket,
    TicketLeg,
    fitted_road_pass,
    fitted_ticket,
    permit_from_body,
    placeholder_fields,
    refitted,
    shorter_routes,
)
from homeward.core.permits.revocation import (
    RevocationList,
    SignedRevocationList,
    decode_revocation_list,
    sign_revocation_list,
    verify_revocation_list,
)
from homeward.core.permits.token import (
    Signature,
    SignedPermit,
    cosign,
    decode_token,
    encode_token,
    token_from_scan,
    verify_link,
)
from homeward.core.permits.verify import REASONS, Verification, verify_token


def render_permit_pdf(permit: Permit, token: str, verify_url: str = "") -> bytes:
    """One-page A5 PDF of the permit with its QR code, the verification link when ``verify_url`` is
    given (imports fpdf2 and segno only when called)."""
    from homeward.core.permits.pdf import render_permit_pdf as render

    return render(permit, token, verify_url)


__all__ = [
    "PLATE_RE",
    "TO_BE_ASSIGNED",
    "placeholder_fields",
    "token_from_scan",
    "verify_link",
    "REASONS",
    "REQUIRED_SIGNERS",
    "Department",
    "InvalidPermit",
    "PermitTooLarge",
    "fitted_ticket",
    "fitted_road_pass",
    "refitted",
    "shorter_routes",
    "Keyring",
    "KeysFile",
    "KitItem",
    "LegKind",
    "Permit",
    "PermitFormatError",
    "PermitKind",
    "PreventionPermit",
    "PublicKey",
    "RevocationList",
    "RoadPass",
    "Signature",
    "SignedPermit",
    "SignedRevocationList",
    "SigningKey",
    "Ticket",
    "TicketLeg",
    "Verification",
    "cosign",
    "decode_revocation_list",
    "decode_token",
    "dump_keys_file",
    "encode_token",
    "generate_signing_key",
    "key_id",
    "load_keys_file",
    "permit_from_body",
    "read_keys_file",
    "render_permit_pdf",
    "sign_revocation_list",
    "verify_revocation_list",
    "verify_token",
    "write_keys_file",
]
