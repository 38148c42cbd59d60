from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def actor(request: HttpRequest) -> dict[str, Any]:
    """Expose the signed-in user's profile (role and scope) to every template."""
    user = getattr(request, "user", None)
    profile = getattr(user, "profile", None) if user is not None and user.is_authenticated else None
    return {"profile": profile}
