"""Deploy checks (``homeward manage check --deploy``): the shipped development secrets and mode.

Production refuses to start with these (``settings.py``); the checks also catch a development
configuration about to be deployed, where Django's own checks would pass.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning

from homeward.conf import (
    DEV_PERMIT_KEY_SECRET,
    DEV_SECRET_KEY,
    PERMIT_KEY_SECRET_MIN_LENGTH,
    SECRET_KEY_MIN_LENGTH,
    weak_secret_reason,
)

_HINT = "Set a long random value (see docs/deploy.md); the variable may also be given as NAME_FILE."


@register(Tags.security, deploy=True)
def check_secrets(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    secret = weak_secret_reason(
        settings.SECRET_KEY, development_default=DEV_SECRET_KEY, min_length=SECRET_KEY_MIN_LENGTH
    )
    if secret is not None:
        found.append(Error(f"HOMEWARD_SECRET_KEY {secret}.", hint=_HINT, id="homeward.E001"))
    permit = weak_secret_reason(
        settings.HOMEWARD_PERMIT_KEY_SECRET,
        development_default=DEV_PERMIT_KEY_SECRET,
        min_length=PERMIT_KEY_SECRET_MIN_LENGTH,
    )
    if permit is not None:
        found.append(
            Error(
                f"HOMEWARD_PERMIT_KEY_SECRET {permit}: the database file alone would let anyone sign permits.",
                hint=_HINT,
                id="homeward.E002",
            )
        )
    if settings.HOMEWARD_PERMIT_KEY_SECRET == settings.SECRET_KEY:
        found.append(
            Error("HOMEWARD_PERMIT_KEY_SECRET must differ from HOMEWARD_SECRET_KEY.", id="homeward.E003")
        )
    if not settings.PRODUCTION:
        found.append(
            CheckWarning(
                "HOMEWARD_ENV is development.",
                hint="Deploy with HOMEWARD_ENV=production: it refuses default secrets and turns on HTTPS-only "
                "cookies, HSTS and JSON logs.",
                id="homeward.W001",
            )
        )
    return found
