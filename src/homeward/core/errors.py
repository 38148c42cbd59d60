"""One error family for the whole domain, each with a stable reason code.

The code is what machines (API clients, tests, import reports) match on; the message is for people
and may change wording or language. The API maps a DomainError once to ``{status, reason, message}``.
"""

from __future__ import annotations

import re


class DomainError(Exception):
    """A rule of the domain was not met. ``code`` is stable; ``message`` is for people."""

    status = 400

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, {self.code!r})"


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


# ------------------------------------------------------------------------- bilingual messages

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# What may follow an English half: the end, or the punctuation before the next part of the message.
_AFTER_HALF = re.compile(r"\s*(?:$|[:：;；,，。.])")


def bilingual_halves(message: str) -> tuple[str, str] | None:
    """The Chinese and the English text of a message written ``中文说明 (english explanation)``,
    or None when it does not follow that convention (then it is shown as it is).

    An English half is a parenthesised group, outside any other, holding Latin words and no Chinese,
    after Chinese text and followed by the end of the message or by punctuation. The Chinese text
    may hold parentheses and codes of its own (``如 330782 (义乌市)``, ``(330282)``), and a message
    may join several such parts (``请求无效 (bad request): 参数 x 含有 NUL 字符 (… NUL character)``):
    the Chinese halves keep the punctuation between parts, the English halves are joined by it.
    """
    parts: list[tuple[str, str]] = []  # (Chinese text, its English half)
    start = depth = 0
    opened = -1
    for i, char in enumerate(message):
        if char in "(（":
            if depth == 0:
                opened = i
            depth += 1
        elif char in ")）" and depth:
            depth -= 1
            if depth:
                continue
            inside, before = message[opened + 1 : i], message[start:opened]
            if (
                _LATIN_WORD.search(inside)
                and not _CJK.search(inside)
                and _CJK.search(before)
                and _AFTER_HALF.match(message, i + 1)
            ):
                parts.append((before, inside.strip()))
                start = i + 1
    if not parts:
        return None
    tail = message[start:]
    if _CJK.search(tail):  # Chinese after the last English half: not the convention
        return None
    chinese = "".join(zh.rstrip() for zh, _ in parts) + tail.rstrip()
    english = parts[0][1]
    for zh, en in parts[1:]:
        between = re.match(r"\s*[:：;；,，。.]?", zh)
        sep = between.group().strip() if between else ""
        english += {"：": ":", "；": ";", "，": ",", "。": "."}.get(sep, sep) + " " + en
    return chinese.strip(), english + tail.strip()


def in_language(message: str, language: str | None) -> str:
    """``message`` as people reading ``language`` should see it: the Chinese half for ``zh…``, the
    English half otherwise, when it follows the bilingual convention (``bilingual_halves``)."""
    halves = bilingual_halves(message)
    if halves is None or language is None:
        return message
    return halves[0] if language.lower().startswith("zh") else _sentence(halves[1])


def _sentence(english: str) -> str:
    """The English half shown on its own starts as a sentence does ("No plan yet"); a leading
    identifier (``enterprise_id``, ``body.notes``) keeps its case."""
    first = re.match(r"[a-z]+(?=[\s:;,]|$)", english)
    return english[:1].upper() + english[1:] if first else english
