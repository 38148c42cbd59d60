"""Ed25519 keys per department, key ids, and a keyring with validity windows (rotation).

A key id (``kid``) is the first 8 bytes of SHA-256 of the raw 32-byte public key, in hex. A keyring
may hold several keys per department: rotating closes the current key's window at the rotation time
and opens a new key, so a permit signed with the old key while its window was open stays valid.
A revoked key verifies nothing, whatever its window.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from homeward.core.errors import DomainError
from homeward.core.permits.model import Department, utc_seconds

KID_BYTES = 8


def key_id(public_key: bytes) -> str:
    if len(public_key) != 32:
        raise DomainError("an Ed25519 public key is 32 bytes", "bad_key")
    return hashlib.sha256(public_key).digest()[:KID_BYTES].hex()


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A department's verification key and the window in which it may sign (``valid_to`` None: open)."""

    department: Department
    public_key: bytes
    valid_from: datetime
    valid_to: datetime | None = None
    revoked: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "department", Department(self.department))
        key_id(self.public_key)  # length check
        object.__setattr__(self, "valid_from", utc_seconds(self.valid_from))
        if self.valid_to is not None:
            object.__setattr__(self, "valid_to", utc_seconds(self.valid_to))
            if self.valid_to <= self.valid_from:
                raise DomainError("a key's valid_to must be after its valid_from", "bad_key")

    @property
    def kid(self) -> str:
        return key_id(self.public_key)

    def covers(self, at: datetime) -> bool:
        """May this key sign at ``at``? (in window and not revoked)"""
        if self.revoked:
            return False
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A department's private key (32-byte Ed25519 seed) with its window. Keep it secret."""

    department: Department
    private_key: bytes
    valid_from: datetime
    valid_to: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "department", Department(self.department))
        if len(self.private_key) != 32:
            raise DomainError("an Ed25519 private key is a 32-byte seed", "bad_key")
        object.__setattr__(self, "valid_from", utc_seconds(self.valid_from))
        if self.valid_to is not None:
            object.__setattr__(self, "valid_to", utc_seconds(self.valid_to))

    def _key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.private_key)

    @property
    def public(self) -> PublicKey:
        raw = self._key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return PublicKey(self.department, raw, self.valid_from, self.valid_to)

    @property
    def kid(self) -> str:
        return self.public.kid

    def covers(self, at: datetime) -> bool:
        return self.public.covers(at)

    def sign(self, message: bytes) -> bytes:
        return self._key().sign(message)

    def __repr__(self) -> str:  # never print the seed
        return f"SigningKey({self.department!s}, kid={self.kid}, {self.valid_from.isoformat()}..)"


def generate_signing_key(
    department: Department, valid_from: datetime, valid_to: datetime | None = None
) -> SigningKey:
    seed = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return SigningKey(department, seed, valid_from, valid_to)


@dataclass(frozen=True, slots=True)
class Keyring:
    """The public keys a verifier trusts, any number per department."""

    keys: tuple[PublicKey, ...] = ()

    def __post_init__(self) -> None:
        kids = [k.kid for k in self.keys]
        if len(set(kids)) != len(kids):
            raise DomainError("a keyring must not hold the same key twice", "bad_key")
        object.__setattr__(
            self, "keys", tuple(sorted(self.keys, key=lambda k: (k.department.code, k.valid_from, k.kid)))
        )

    def __iter__(self) -> Iterator[PublicKey]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def get(self, kid: str) -> PublicKey | None:
        for key in self.keys:
            if key.kid == kid:
                return key
        return None

    def for_department(self, department: Department) -> tuple[PublicKey, ...]:
        return tuple(k for k in self.keys if k.department == department)

    def current(self, department: Department, at: datetime) -> PublicKey | None:
        """The newest key of ``department`` that may sign at ``at``."""
        usable = [k for k in self.for_department(department) if k.covers(utc_seconds(at))]
        return max(usable, key=lambda k: k.valid_from) if usable else None

    def with_keys(self, keys: Iterable[PublicKey]) -> Keyring:
        return Keyring((*self.keys, *keys))

    def rotate(self, new_key: PublicKey, at: datetime) -> Keyring:
        """Close the open windows of ``new_key``'s department at ``at`` and add ``new_key``.

        Permits the old keys signed before ``at`` stay valid; the old keys cannot sign after it.
        """
        at = utc_seconds(at)
        kept = []
        for key in self.keys:
            if key.department == new_key.department and (key.valid_to is None or key.valid_to > at):
                if key.valid_from >= at:
                    raise DomainError("cannot rotate before the current key's window opens", "bad_key")
                key = replace(key, valid_to=at)
            kept.append(key)
        return Keyring((*kept, new_key))

    def revoke(self, kid: str) -> Keyring:
        """Mark a key revoked (compromised): nothing it signed verifies any more."""
        if self.get(kid) is None:
            raise DomainError(f"no key {kid} in the keyring", "unknown_key")
        return Keyring(tuple(replace(k, revoked=True) if k.kid == kid else k for k in self.keys))
