"""Masking for display and logs: show just enough to tell people apart, never the whole number."""

from __future__ import annotations

from homeward.core.errors import DomainError
from homeward.core.identity.phone import normalize_mobile


def _mask(s: str, head: int, tail: int) -> str:
    n = len(s)
    if head + tail >= n:  # too short to show both ends: keep at most a quarter on each side
        head = tail = n // 4
    return s[:head] + "*" * (n - head - tail) + (s[n - tail :] if tail else "")


def mask_ric(number: str) -> str:
    """``330282199001011234`` → ``3302**********1234`` (first 4, last 4; 15-digit numbers too).

    Shorter input (typos, fragments) shows at most a quarter at each end; empty stays empty.
    """
    s = "".join(number.split()).upper()
    return _mask(s, 4, 4) if len(s) >= 15 else _mask(s, len(s) // 4, len(s) // 4)


def mask_phone(phone: str) -> str:
    """``13812345678`` (or ``+86 138-1234-5678``) → ``138****5678``. Tolerates short/empty input."""
    try:
        s = normalize_mobile(phone)
    except DomainError:
        s = "".join(phone.split())
    return _mask(s, 3, 4) if len(s) >= 11 else _mask(s, len(s) // 4, len(s) // 4)
