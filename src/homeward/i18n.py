"""Messages in the reader's language.

Domain errors and the messages built from them are written once in both languages,
``中文说明 (english explanation)`` (``homeward.core.errors.bilingual_halves``). Wherever such a
message is shown to people, ``localized`` (in Python) or the ``in_language`` template filter (a
built-in of the project's templates, see ``settings.TEMPLATES``) shows the half of the active
language; a message that does not follow the convention is shown as it is.
"""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from homeward.core.errors import in_language

register = template.Library()


def localized(message: str) -> str:
    """``message`` in the active language (its Chinese or English half when it is bilingual)."""
    return in_language(message, get_language())


@register.filter(name="in_language")
def in_language_filter(message: object) -> str:
    return localized(str(message)) if message not in (None, "") else ""
