"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, Z, S, V): registration authority,
organisation kind, a 6-digit area code (positions 3–8), the 9-character organisation code and a
check character, ``31 - (Σ value × weight mod 31)`` with 31 written as ``0``.
"""

from __future__ import annotations

import unicodedata

from homeward.core.errors import DomainError

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {c: i for i, c in enumerate(USCC_CHARS)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_DIGITS = frozenset("0123456789")

MESSAGES: dict[str, str] = {
    "length": "统一社会信用代码应为18位 (a unified social credit code has 18 characters)",
    "format": (
        "统一社会信用代码格式错误 (bad format: characters from 0-9 and A-Y without I, O, S, V, Z; "
        "positions 3-8 are digits)"
    ),
    "checksum": "统一社会信用代码校验码错误 (bad checksum)",
}


def _check_char(first17: str) -> str:
    total = sum(_VALUES[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def uscc_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a unified social credit code."""
    first17 = first17.upper()
    if len(first17) != 17 or any(c not in _VALUES for c in first17):
        raise ValueError(f"expected 17 characters from {USCC_CHARS}, got {first17!r}")
    return _check_char(first17)


def validate_uscc(code: str) -> str:
    """Return the normalised (upper-case, no spaces) code, or raise DomainError
    with reason ``length``, ``format`` or ``checksum``."""
    if not code.isascii():
        code = unicodedata.normalize("NFKC", code)
    s = "".join(code.split()).upper()
    if len(s) != 18:
        raise DomainError(MESSAGES["length"], "length")
    if any(c not in _VALUES for c in s) or not _DIGITS.issuperset(s[2:8]):
        raise DomainError(MESSAGES["format"], "format")
    if _check_char(s[:17]) != s[17]:
        raise DomainError(MESSAGES["checksum"], "checksum")
    return s
