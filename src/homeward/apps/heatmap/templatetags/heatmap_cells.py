"""How a heat-map count is shown: the number, ``<min_cell`` where it is suppressed (someone is there
but the protected count is 0), ``—`` where there is no figure at all (a county no carrier counts)."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()


@register.simple_tag
def count_cell(row: dict[str, Any], column: str, min_cell: int) -> str:
    if column in (row.get("suppressed") or ()):
        return f"<{min_cell}"
    value = row.get(column)
    return "—" if value is None else str(intcomma(value))
