from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from homeward.apps.accounts.roles import profile_of


def actor(request: HttpRequest) -> dict[str, Any]:
    """Expose the signed-in user's profile (role and scope) to every template."""
    return {"profile": profile_of(getattr(request, "user", None))}
