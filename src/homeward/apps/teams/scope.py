"""Which origin province a team page or service acts for: a service team's own (asking for
another is refused and audited), the task force's choice (default: the first team's)."""

from __future__ import annotations

from typing import Any

from homeward.apps.accounts.policy import area_of, authorize, refuse
from homeward.apps.teams.models import Team


def team_province(actor: Any, action: str, requested: str = "") -> str:
    """The 2-digit province ``actor`` does ``action`` for.

    Raises:
        PermissionDenied: the role may not do ``action``, or a service team asks for another
            province than its own.
    """
    authorize(actor, action)
    requested = (requested or "").strip()[:2]
    area = area_of(actor)
    own = area.province if area is not None else None
    if own is not None:
        if requested and requested != own:
            refuse(actor, action, "province", requested)
        return own
    if requested.isdigit() and len(requested) == 2:
        return requested
    first = Team.objects.filter(active=True).order_by("province_code").first()
    return first.province_code if first is not None else ""
