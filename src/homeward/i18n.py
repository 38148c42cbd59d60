"""Messages in the reader's language.

Domain errors and the messages built from them are written once in both languages,
``中文说明 (english explanation)`` (``homeward.core.errors.bilingual_halves``). Wherever such a
message is shown to people, ``localized`` (in Python) or the ``in_language`` template filter (a
built-in of the project's templates, see ``settings.TEMPLATES``) shows the half of the active
language; a message that does not follow the convention is shown as it is. ``join_list`` (and
the filter of that name) joins a list of data as the active language does; ``seat`` writes a train
seat in it; ``beijing_time`` writes a moment as pages and permits say it, in Beijing time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from django import template
from django.utils.translation import get_language, gettext, pgettext

from homeward.core.errors import in_language

register = template.Library()

_TRAIN_SEAT = re.compile(r"(\d+)车(\d+)")


BEIJING = ZoneInfo("Asia/Shanghai")


def beijing_time(value: datetime, *, zone_name: bool = True) -> str:
    """``2020-02-12 08:00 北京时间`` (Beijing time in English) whatever the server's zone; without
    the zone's name where the page says it once for all its times."""
    text = f"{value.astimezone(BEIJING):%Y-%m-%d %H:%M}"
    return f"{text} {gettext('北京时间')}" if zone_name else text


def localized(message: str) -> str:
    """``message`` in the active language (its Chinese or English half when it is bilingual)."""
    return in_language(message, get_language())


def join_list(items: Iterable[object]) -> str:
    """Items joined as the active language lists them: 、 in Chinese, a comma in English."""
    return pgettext("list separator", "、").join(str(i) for i in items)


@register.filter(name="in_language")
def in_language_filter(message: object) -> str:
    return localized(str(message)) if message not in (None, "") else ""


@register.filter(name="join_list")
def join_list_filter(items: Iterable[object] | None) -> str:
    return join_list(items or ())


@register.filter(name="seat")
def seat(label: object) -> str:
    """A seat as the active language writes it: a train seat is stored ``01车012`` (car 01, seat 012,
    as Chinese tickets print it); a coach seat (``12``) is shown as it is."""
    text = "" if label is None else str(label)
    m = _TRAIN_SEAT.fullmatch(text)
    return pgettext("train seat", "%(car)s车%(seat)s") % {"car": m[1], "seat": m[2]} if m else text
