"""Matching a roster's 镇街 value to one of the city's towns, tolerant of a missing 街道/镇 suffix."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

_SUFFIXES = ("街道办事处", "街道", "镇", "乡")


def _clean(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


def town_base(name: str) -> str:
    """``浒山街道`` → ``浒山``; ``观海卫镇`` → ``观海卫``; a name that is only a suffix stays."""
    s = _clean(name)
    for suffix in _SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            return s[: -len(suffix)]
    return s


class TownMatcher:
    """``match("浒山")``, ``match("浒山街道")`` → that town's key; None when no town fits."""

    def __init__(self, towns: Iterable[tuple[str, int]]) -> None:
        self._exact: dict[str, int] = {}
        base: dict[str, int | None] = {}
        for name, key in towns:
            self._exact[_clean(name)] = key
            b = town_base(name)
            base[b] = key if b not in base or base[b] == key else None  # ambiguous base: exact only
        self._base = {b: k for b, k in base.items() if k is not None}
        self._cache: dict[str, int | None] = {}

    def match(self, value: str) -> int | None:
        try:
            return self._cache[value]
        except KeyError:
            pass
        s = _clean(value)
        key = self._exact.get(s)
        if key is None:
            key = self._base.get(town_base(s))
        self._cache[value] = key
        return key
