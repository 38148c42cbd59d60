"""Identity numbers: resident IDs (with origin resolution), unified social credit codes, mobiles, masks.

Plain Python; region history comes from ``homeward.core.regions``.
"""

from __future__ import annotations

from homeward.core.identity.masking import mask_phone, mask_ric
from homeward.core.identity.phone import normalize_mobile
from homeward.core.identity.ric import (
    RegionSource,
    RicInspection,
    SpanSource,
    clear_origin_cache,
    inspect_ric,
    normalize_ric,
    require_ric,
    ric_check_char,
)
from homeward.core.identity.uscc import USCC_CHARS, uscc_check_char, validate_uscc

__all__ = [
    "USCC_CHARS",
    "RegionSource",
    "RicInspection",
    "SpanSource",
    "clear_origin_cache",
    "inspect_ric",
    "mask_phone",
    "mask_ric",
    "normalize_mobile",
    "normalize_ric",
    "require_ric",
    "ric_check_char",
    "uscc_check_char",
    "validate_uscc",
]
