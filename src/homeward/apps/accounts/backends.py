"""The sign-in backend: Django's ``ModelBackend``, reading the signed-in user's ``Profile`` (role and
scope) with the user, in the one query every request already makes for the user — every API
operation and page asks for the role (``accounts.policy``), which was a second query per request.
That query is compiled once (``homeward.db_select``): it runs on every signed-in request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError


class ProfileModelBackend(ModelBackend):
    """``ModelBackend`` whose ``get_user`` (the session's user, once per request) joins the profile.
    A user without a profile reads as one (``user.profile`` raises as before, so ``profile_of`` is
    None); an inactive user is refused as ``ModelBackend`` refuses them."""

    def get_user(self, user_id: Any) -> Any:
        from django.contrib.auth import get_user_model

        from homeward.db_select import INT_PLACEHOLDER, compiled_get

        model = get_user_model()
        try:
            pk = model._meta.pk.to_python(user_id)
        except ValidationError:  # not a key this table could hold
            return None
        try:
            user = compiled_get(
                "accounts.user_with_profile", model,
                lambda key: model._default_manager.select_related("profile").filter(pk=key),
                pk, placeholder=INT_PLACEHOLDER,
            )  # fmt: skip
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
