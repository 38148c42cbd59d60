"""SMS keyword replies to a letter home: the text a worker sends back, parsed into a reply.

Grammar (full-width characters and spaces are read as their ASCII forms; words after the keyword
are separated by spaces and may come in any order):

- ``回 <月>月<日>日 <区县代码> [要车|不要车] [绿码|黄码|红码]`` — coming back on that date (the next
  such day from today, this year or next), from the county (its 6-digit code) they are in now;
  ``要车``: they need transport; the health code colour if they give it.
  Example: ``回 3月2日 520502 要车 绿码``.
- ``不回 <原因>`` — not coming back; the rest of the text (optional) is the reason.
  Example: ``不回 家中有事``.
- ``退订`` — no more letters.

``parse_keywords`` never raises: anything else is a ``Refused`` with a reason code and a bilingual
message for the gateway's log. ``format_keywords`` writes a reply in this grammar (what a letter
shows as the example to send back); parsing its text gives the same reply.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

MAX_REASON = 200
HEALTH_WORDS = {"绿码": "green", "黄码": "yellow", "红码": "red"}
HEALTH_OF = {code: word for word, code in HEALTH_WORDS.items()}
TRANSPORT_WORDS = {"要车": True, "不要车": False}
_DATE = re.compile(r"(\d{1,2})月(\d{1,2})[日号]?")
_COUNTY = re.compile(r"\d{6}")


@dataclass(frozen=True, slots=True)
class KeywordReply:
    kind: Literal["returning", "not_returning"]
    return_date: date | None = None
    county: str = ""
    needs_transport: bool = False
    health_code: str = ""  # green / yellow / red, or blank
    reason: str = ""


@dataclass(frozen=True, slots=True)
class KeywordOptOut:
    pass


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str
    message: str


Parsed = KeywordReply | KeywordOptOut | Refused


def _next_date(month: int, day: int, today: date) -> date | None:
    """The next ``month``/``day`` from ``today`` on (this year or next); None if no such day."""
    for year in (today.year, today.year + 1):
        try:
            when = date(year, month, day)
        except ValueError:
            continue
        if when >= today:
            return when
    return None


def _returning(words: list[str], today: date) -> Parsed:
    when: date | None = None
    county, transport, health = "", False, ""
    for word in words:
        if m := _DATE.fullmatch(word):
            when = _next_date(int(m.group(1)), int(m.group(2)), today)
            if when is None:
                return Refused("bad_date", f"没有这一天：{word} (no such day)")
        elif _COUNTY.fullmatch(word):
            county = word
        elif word in TRANSPORT_WORDS:
            transport = TRANSPORT_WORDS[word]
        elif word in HEALTH_WORDS:
            health = HEALTH_WORDS[word]
        else:
            return Refused("unknown_word", f"看不懂：{word[:20]} (not understood)")
    if when is None:
        return Refused("bad_date", "请写返程日期，如 3月2日 (give the date, e.g. 3月2日)")
    if not county:
        return Refused("bad_county", "请写现在所在区县的6位代码 (give the 6-digit code of your county)")
    return KeywordReply("returning", when, county, transport, health)


def parse_keywords(text: str, today: date) -> Parsed:
    """The reply ``text`` says, read with the grammar above; never raises."""
    normalized = unicodedata.normalize("NFKC", str(text)).strip()
    if normalized == "退订":
        return KeywordOptOut()
    if normalized.startswith("不回"):
        reason = " ".join(normalized[2:].split())[:MAX_REASON]
        return KeywordReply("not_returning", reason=reason)
    if normalized.startswith("回"):
        return _returning(normalized[1:].split(), today)
    return Refused("unknown_keyword", "请以“回”“不回”或“退订”开头 (start with 回, 不回 or 退订)")


def format_keywords(reply: KeywordReply) -> str:
    """``reply`` as the text to send (the grammar above)."""
    if reply.kind == "not_returning":
        return f"不回 {reply.reason}".strip()
    if reply.return_date is None:
        raise ValueError("a returning reply has a date")
    words = ["回", f"{reply.return_date.month}月{reply.return_date.day}日", reply.county]
    words.append("要车" if reply.needs_transport else "不要车")
    if reply.health_code:
        words.append(HEALTH_OF[reply.health_code])
    return " ".join(words)
