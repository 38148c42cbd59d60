"""Mainland China mobile numbers."""

from __future__ import annotations

import re
import unicodedata

from homeward.core.errors import DomainError

_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
_SEPARATORS = re.compile(r"[\s\-().]+")
MESSAGE = "手机号码无效，应为11位中国大陆手机号 (not a mainland China mobile number)"


def normalize_mobile(phone: str) -> str:
    """Return the 11-digit mobile number; accept spaces, dashes, brackets, dots and a +86/0086/86 prefix.

    Raises DomainError with reason ``phone`` otherwise.
    """
    if not phone.isascii():
        phone = unicodedata.normalize("NFKC", phone)
    s = _SEPARATORS.sub("", phone)
    if s.startswith("+86"):
        s = s[3:]
    elif s.startswith("0086"):
        s = s[4:]
    elif s.startswith("86") and len(s) == 13:
        s = s[2:]
    if not _MOBILE.fullmatch(s):
        raise DomainError(MESSAGE, "phone")
    return s
