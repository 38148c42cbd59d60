"""The sign-in backend: Django's ``ModelBackend``, reading the signed-in user's ``Profile`` (role and
scope) with the user, in the one query every request already makes for the user — every API
operation and page asks for the role (``accounts.policy``), which was a second query per request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


class ProfileModelBackend(ModelBackend):
    """``ModelBackend`` whose ``get_user`` (the session's user, once per request) joins the profile.
    A user without a profile reads as one (``user.profile`` raises as before, so ``profile_of`` is
    None); an inactive user is refused as ``ModelBackend`` refuses them."""

    def get_user(self, user_id: Any) -> Any:
        from django.contrib.auth import get_user_model

        users = get_user_model()._default_manager.select_related("profile")
        try:
            user = users.get(pk=user_id)
        except users.model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
