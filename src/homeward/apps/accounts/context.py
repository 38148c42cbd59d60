from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from homeward.apps.accounts.policy import Permissions
from homeward.apps.accounts.roles import profile_of


def actor(request: HttpRequest) -> dict[str, Any]:
    """Expose the signed-in user's profile (role and scope) and what the policy lets them do
    (``{% if can.plan_read %}``) to every template."""
    user = getattr(request, "user", None)
    return {"profile": profile_of(user), "can": Permissions(user)}
