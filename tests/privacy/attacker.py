"""The attacker of ``test_id_rebuild``: what one role's outward representations say about a person's
ID number, and how many full ID numbers stay consistent with all of it.

The attacker knows everything shown: every mask (visible characters at their positions, several masks
combined), the origin county (as a code or a name), anything that tells the birth date (the date in
any usual format, the year, the age, the age band). Only facts true of the person are kept — the
attacker is granted perfect knowledge of which shown field is which. It then counts, by brute force
over the hidden characters, the 18-character numbers that are consistent: an area code in use in the
birth year (resolving to the shown county, if shown), a birth date of a working-age person (16–65)
that fits what is shown, the shown sequence digits, and the check character (ISO 7064 MOD 11-2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from homeward.core import regions
from homeward.core.identity import inspect_ric, ric_check_char

WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
CHECK_CHARS = "10X98765432"
MIN_AGE, MAX_AGE = 16, 65
MASK_TOKEN = re.compile(r"(?<![0-9A-Za-z*•])[0-9Xx*•]{15,18}(?![0-9A-Za-z*•])")


@dataclass
class Knowledge:
    """What one role has seen of one person, facts true of that person only."""

    visible: dict[int, str] = field(default_factory=dict)  # position → character
    county: bool = False  # the origin county (or the area code at issue) was shown
    birth_date: bool = False
    birth_year: bool = False
    age: bool = False
    age_band: str = ""
    sources: set[str] = field(default_factory=set)


def _age(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _standalone(token: str, text: str) -> bool:
    return re.search(rf"(?<!\d){re.escape(token)}(?!\d)", text) is not None


def learn(knowledge: Knowledge, text: str, number: str, origin: str, today: date, source: str) -> None:
    """Add to ``knowledge`` what ``text`` (one record: a JSON object, a table row, a page) says about
    the person with ID ``number`` and origin county ``origin``."""
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    seen = False
    if number in text or number.lower() in text:
        knowledge.visible.update(enumerate(number))
        seen = True
    for token in MASK_TOKEN.findall(text):
        if len(token) != len(number) or not any(c in "*•" for c in token):
            continue
        shown = {i: c.upper() for i, c in enumerate(token) if c not in "*•"}
        if shown and all(number[i] == c for i, c in shown.items()):
            knowledge.visible.update(shown)
            seen = True
    if not seen:
        return
    knowledge.sources.add(source)
    area = number[:6]
    names = {r.full_name for r in (regions.get(origin), regions.get(area)) if r} | {
        r.name for r in (regions.get(origin), regions.get(area)) if r and len(r.name) > 2
    }
    if _standalone(origin, text) or _standalone(area, text) or any(n and n in text for n in names):
        knowledge.county = True
    y, m, d = born.year, born.month, born.day
    dates = (
        f"{y}-{m:02d}-{d:02d}",
        f"{y}/{m}/{d}",
        f"{y}/{m:02d}/{d:02d}",
        f"{y}年{m}月{d}日",
        f"{y}.{m:02d}.{d:02d}",
    )
    if any(s in text for s in dates) or _standalone(f"{y}{m:02d}{d:02d}", text):
        knowledge.birth_date = True
    if _standalone(str(y), text.replace(number, "")):
        knowledge.birth_year = True
    age = _age(born, today)
    if f"{age}岁" in text or re.search(rf'"age"\s*:\s*{age}(?!\d)', text):
        knowledge.age = True
    for band in _bands(age):
        if band in text:
            knowledge.age_band = band


def _bands(age: int) -> list[str]:
    """How a band holding ``age`` may be written (ours: ``30–39``, ``<20``, ``60+``)."""
    lo = age // 10 * 10
    out = [f"{lo}–{lo + 9}", f"{lo}-{lo + 9}"]
    if age < 20:
        out.append("<20")
    if age >= 60:
        out.append("60+")
    return out


@cache
def _area_codes(prefix: str) -> tuple[str, ...]:
    """Every area code ever in use that starts with ``prefix``."""
    return tuple(sorted(c for c in regions._spans() if c.startswith(prefix) and len(c) == 6))


@cache
def _origin(area: str, year: int) -> str | None:
    """Today's county for ``area`` as issued to someone born in ``year`` (None: not in use then)."""
    probe = f"{area}{year}0101000"
    result = inspect_ric(probe + ric_check_char(probe), today=date(2030, 1, 1))
    return (result.origin_code or area) if result.valid else None


def _residue(digits: str, start: int) -> int:
    return sum(int(c) * WEIGHTS[start + i] for i, c in enumerate(digits)) % 11


@cache
def _seq_residues(shown: tuple[tuple[int, str], ...]) -> tuple[int, ...]:
    """How many sequence numbers (positions 14–16) fit the shown digits, per residue mod 11."""
    vis = dict(shown)
    out = [0] * 11
    for n in range(1000):
        seq = f"{n:03d}"
        if all(vis.get(14 + i, c) == c for i, c in enumerate(seq)):
            out[_residue(seq, 14)] += 1
    return tuple(out)


@cache
def _date_residues(
    first: date, last: date, today: date, year: int | None, age: int | None, band: str,
    shown: tuple[tuple[int, str], ...],
) -> dict[int, tuple[int, ...]]:  # fmt: skip
    """Per birth year, how many birth dates in ``[first, last]`` fit (the year, the age, the band,
    the shown digits at positions 6–13), per residue mod 11."""
    vis = dict(shown)
    by_year: dict[int, list[int]] = {}
    day = first
    while day <= last:
        a = _age(day, today)
        text = f"{day:%Y%m%d}"
        if (
            (year is None or day.year == year)
            and (age is None or a == age)
            and (not band or band in _bands(a))
            and all(vis.get(6 + i, c) == c for i, c in enumerate(text))
        ):
            by_year.setdefault(day.year, [0] * 11)[_residue(text, 6)] += 1
        day += timedelta(days=1)
    return {y: tuple(r) for y, r in by_year.items()}


def candidates(knowledge: Knowledge, number: str, origin: str, today: date) -> int:
    """How many ID numbers fit everything the role has seen of this person."""
    vis = knowledge.visible
    if len(vis) == 18:
        return 1
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    first = date(today.year - MAX_AGE - 1, today.month, today.day) + timedelta(days=1)
    last = date(today.year - MIN_AGE, today.month, today.day)
    if knowledge.birth_date:
        first = last = born
    dates = _date_residues(
        first, last, today,
        born.year if knowledge.birth_year else None, _age(born, today) if knowledge.age else None,
        knowledge.age_band, tuple(sorted((i, c) for i, c in vis.items() if 6 <= i < 14)),
    )  # fmt: skip
    seqs = _seq_residues(tuple(sorted((i, c) for i, c in vis.items() if 14 <= i < 17)))
    check = vis.get(17)
    prefix = "".join(vis[i] for i in range(4)) if all(i in vis for i in range(4)) else ""
    total = 0
    for year, date_residues in dates.items():
        for area in _area_codes(prefix):
            if not all(vis.get(i, c) == c for i, c in enumerate(area)):
                continue
            resolved = _origin(area, year)
            if resolved is None or (knowledge.county and origin not in (area, resolved)):
                continue
            ra = _residue(area, 0)
            for rd, nd in enumerate(date_residues):
                for rs, ns in enumerate(seqs):
                    if nd and ns and (check is None or CHECK_CHARS[(ra + rd + rs) % 11] == check):
                        total += nd * ns
    return total
