"""Matching a roster's 镇街 value to one of the city's towns as offices write it: with or without the
街道/镇 suffix, with the county (or province and city) written before it, by a former name or
another alias the task force recorded, or by the town's code."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

_SUFFIXES = ("街道办事处", "街道", "镇", "乡")
_REGION_SUFFIXES = ("省", "市", "县", "区")


def _clean(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


def town_base(name: str) -> str:
    """``浒山街道`` → ``浒山``; ``观海卫镇`` → ``观海卫``; a name that is only a suffix stays."""
    s = _clean(name)
    for suffix in _SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            return s[: -len(suffix)]
    return s


def region_prefixes(names: Iterable[str]) -> tuple[str, ...]:
    """``["浙江省", "金华市", "义乌市"]`` → those and their short forms (浙江, 金华, 义乌), longest
    first: what may be written before a town's name."""
    out: set[str] = set()
    for name in names:
        s = _clean(name)
        if not s:
            continue
        out.add(s)
        if len(s) > 2 and s.endswith(_REGION_SUFFIXES):
            out.add(s[:-1])
    return tuple(sorted(out, key=len, reverse=True))


class TownMatcher:
    """``match("稠城")``, ``match("稠城街道")``, ``match("义乌市稠城街道")`` → that town's key; None
    when no town fits. ``towns`` are ``(name, key)`` pairs: names, aliases and codes alike."""

    def __init__(self, towns: Iterable[tuple[str, int]], prefixes: Iterable[str] = ()) -> None:
        self._exact: dict[str, int] = {}
        base: dict[str, int | None] = {}
        for name, key in towns:
            self._exact[_clean(name)] = key
            b = town_base(name)
            base[b] = key if b not in base or base[b] == key else None  # ambiguous base: exact only
        self._base = {b: k for b, k in base.items() if k is not None}
        self._prefixes = region_prefixes(prefixes)
        self._cache: dict[str, int | None] = {}

    def _direct(self, s: str) -> int | None:
        key = self._exact.get(s)
        return key if key is not None else self._base.get(town_base(s))

    def match(self, value: str) -> int | None:
        try:
            return self._cache[value]
        except KeyError:
            pass
        s = _clean(value)
        key = self._direct(s)
        stripped = s
        while key is None:
            prefix = next(
                (p for p in self._prefixes if stripped.startswith(p) and len(stripped) > len(p)), None
            )
            if prefix is None:
                break
            stripped = stripped[len(prefix) :]
            key = self._direct(stripped)
        if len(self._cache) < 100_000:
            self._cache[value] = key
        return key
