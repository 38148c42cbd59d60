"""Finding "the shipped default secret is accepted": production refuses default or weak secrets and
missing hosts, and `check --deploy --fail-level WARNING` passes only with the secrets set."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


def _check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`homeward manage check --deploy --fail-level WARNING` in a clean environment plus ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HOMEWARD_", "DATABASE_URL", "DJANGO"))}
    base.update(PYTHONPATH=str(SRC), HOMEWARD_DATA_DIR=str(tmp_path / "var"), **env)
    return subprocess.run(
        [sys.executable, "-m", "homeward", "manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=base, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _production(tmp_path: Path) -> dict[str, str]:
    """Production settings with every required secret, each read from a *_FILE."""
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(secrets.token_urlsafe(64) + "\n")
    permit_file = tmp_path / "permit_key_secret"
    permit_file.write_text(secrets.token_urlsafe(40) + "\n")
    hosts_file = tmp_path / "hosts"
    hosts_file.write_text("homeward.example.org")
    return {
        "HOMEWARD_ENV": "production",
        "HOMEWARD_SECRET_KEY_FILE": str(secret_file),
        "HOMEWARD_PERMIT_KEY_SECRET_FILE": str(permit_file),
        "HOMEWARD_ALLOWED_HOSTS_FILE": str(hosts_file),
    }


def test_check_deploy_passes_in_production_with_the_required_secrets(tmp_path):
    done = _check_deploy(tmp_path, **_production(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_default_secret_accepted__production_refuses_the_default_secret(tmp_path):
    env = _production(tmp_path)
    del env["HOMEWARD_SECRET_KEY_FILE"]
    done = _check_deploy(tmp_path, **env)
    assert done.returncode != 0
    assert "HOMEWARD_SECRET_KEY is the development default" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"HOMEWARD_SECRET_KEY": "short-but-not-default"}, "HOMEWARD_SECRET_KEY is shorter than 50"),
        ({"HOMEWARD_PERMIT_KEY_SECRET": ""}, "HOMEWARD_PERMIT_KEY_SECRET is the development default"),
        ({"HOMEWARD_PERMIT_KEY_SECRET": "x" * 40}, "HOMEWARD_PERMIT_KEY_SECRET uses fewer than 5"),
        ({"HOMEWARD_ALLOWED_HOSTS": ""}, "set HOMEWARD_ALLOWED_HOSTS"),
        ({"HOMEWARD_ALLOWED_HOSTS": "*"}, "set HOMEWARD_ALLOWED_HOSTS"),
        ({"HOMEWARD_DEBUG": "1"}, "HOMEWARD_DEBUG must be off"),
    ],
)
def test_production_refuses_weak_or_missing_settings(tmp_path, change, message):
    env = _production(tmp_path)
    for name in change:
        env.pop(f"{name}_FILE", None)
    done = _check_deploy(tmp_path, **env, **change)
    assert done.returncode == 2
    assert message in done.stderr


def test_production_refuses_the_web_secret_as_the_permit_key_secret(tmp_path):
    env = _production(tmp_path)
    env["HOMEWARD_PERMIT_KEY_SECRET_FILE"] = env["HOMEWARD_SECRET_KEY_FILE"]
    done = _check_deploy(tmp_path, **env)
    assert done.returncode == 2
    assert "must differ from SECRET_KEY" in done.stderr


def test_default_secret_accepted__check_deploy_fails_on_development_defaults(tmp_path):
    done = _check_deploy(tmp_path)
    assert done.returncode != 0
    for check in ("homeward.E001", "homeward.E002", "homeward.W001", "security.W009"):
        assert check in done.stderr, check


def test_the_demo_is_refused_in_production(tmp_path):
    """The demo's permit keys come from its seed and its passwords are printed: not in production."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HOMEWARD_", "DATABASE_URL", "DJANGO"))}
    base.update(PYTHONPATH=str(SRC), HOMEWARD_DATA_DIR=str(tmp_path / "var"), **_production(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "homeward", "demo", "--scale", "small"],
        env=base, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "refused with HOMEWARD_ENV=production" in done.stderr
    assert "generating" not in done.stderr
