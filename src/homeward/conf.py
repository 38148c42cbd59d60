"""Strict helpers for settings read from environment variables.

Every variable read here is listed in ``.env.example``. A value that does not parse is an error at
start-up, naming the variable, rather than a silent fallback.

An empty value means the default, so that ``.env.example`` can list every variable. Any variable may
instead be given as a file: ``NAME_FILE=/run/secrets/name`` reads the value from that
file (trailing newline dropped), the way service managers and container runtimes hand out secrets
without putting them in the environment. Setting both ``NAME`` and ``NAME_FILE`` is an error.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

# The values a development checkout runs with. Production refuses both (``require_secret``), and
# ``check --deploy`` reports them as errors in any mode (``homeward.apps.ops.checks``). The secret key
# starts with "django-insecure-" so that Django's own deploy check flags it too.
DEV_SECRET_KEY = "django-insecure-homeward-development-key-never-use-in-production"
DEV_PERMIT_KEY_SECRET = "insecure-homeward-development-permit-key-secret"

SECRET_KEY_MIN_LENGTH = 50
PERMIT_KEY_SECRET_MIN_LENGTH = 32


class SettingsError(ValueError):
    pass


def _raw(name: str) -> str | None:
    """``name`` from the environment, else the contents of the file ``name``_FILE points to; None
    when neither is set or the value is empty."""
    value = os.environ.get(name) or None
    file_name = os.environ.get(f"{name}_FILE")
    if not file_name:
        return value
    if value is not None:
        raise SettingsError(f"set {name} or {name}_FILE, not both")
    try:
        return Path(file_name).read_text(encoding="utf-8").rstrip("\r\n") or None
    except OSError as exc:
        raise SettingsError(f"{name}_FILE={file_name!r} cannot be read: {exc.strerror}") from None


def env_str(name: str, default: str) -> str:
    raw = _raw(name)
    return default if raw is None else raw


def env_choice(name: str, default: str, choices: Sequence[str]) -> str:
    value = env_str(name, default).strip()
    if value not in choices:
        raise SettingsError(f"{name}={value!r} is not one of {', '.join(choices)}")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not an integer") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = _raw(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    raw = _raw(name)
    return Path(raw).expanduser().resolve() if raw else default


def weak_secret_reason(value: str, *, development_default: str, min_length: int) -> str | None:
    """Why ``value`` must not protect a deployment, or None when it may."""
    if value == development_default:
        return "is the development default shipped with Homeward"
    if len(value) < min_length:
        return f"is shorter than {min_length} characters"
    if len(set(value)) < 5:
        return "uses fewer than 5 different characters"
    if value.startswith("django-insecure-"):
        return "starts with django-insecure-"
    return None


def require_secret(name: str, value: str, *, development_default: str, min_length: int) -> None:
    """Refuse a default, short or trivial secret (production start-up)."""
    reason = weak_secret_reason(value, development_default=development_default, min_length=min_length)
    if reason is not None:
        raise SettingsError(
            f"HOMEWARD_ENV=production: {name} {reason}; set a long random value in {name} or "
            f"{name}_FILE (e.g. python -c 'import secrets; print(secrets.token_urlsafe(64))')"
        )
