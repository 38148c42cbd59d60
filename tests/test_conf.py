"""Settings from the environment: strict parsing, clear errors naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.conf import SettingsError, env_bool, env_choice, env_int, env_list, env_path, env_str


def test_it_parses_booleans_strictly(monkeypatch):
    monkeypatch.setenv("HW_FLAG", "yes")
    assert env_bool("HW_FLAG", False) is True
    monkeypatch.setenv("HW_FLAG", "0")
    assert env_bool("HW_FLAG", True) is False
    monkeypatch.setenv("HW_FLAG", "maybe")
    with pytest.raises(SettingsError, match="HW_FLAG"):
        env_bool("HW_FLAG", False)


def test_it_parses_integers_and_names_the_bad_one(monkeypatch):
    monkeypatch.setenv("HW_N", "12")
    assert env_int("HW_N", 0) == 12
    monkeypatch.setenv("HW_N", "twelve")
    with pytest.raises(SettingsError, match="HW_N='twelve'"):
        env_int("HW_N", 0)


def test_it_uses_defaults_when_unset(monkeypatch):
    monkeypatch.delenv("HW_UNSET", raising=False)
    assert env_int("HW_UNSET", 7) == 7
    assert env_list("HW_UNSET", ["a"]) == ["a"]
    assert env_path("HW_UNSET", Path("/x")) == Path("/x")


def test_it_splits_lists(monkeypatch):
    monkeypatch.setenv("HW_LIST", " a.example, b.example ,,")
    assert env_list("HW_LIST", []) == ["a.example", "b.example"]


def test_every_variable_read_is_in_env_example():
    import re

    root = Path(__file__).resolve().parents[1]
    read = set()
    for source in (root / "src" / "homeward").rglob("*.py"):
        read |= set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', source.read_text(encoding="utf-8")))
    documented = set(re.findall(r"^([A-Z_]+)=", (root / ".env.example").read_text(encoding="utf-8"), re.M))
    assert read, "no settings found: the pattern is out of date"
    assert read <= documented, f"missing from .env.example: {sorted(read - documented)}"


def test_it_reads_a_variable_from_its_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.delenv("HW_SECRET", raising=False)
    monkeypatch.setenv("HW_SECRET_FILE", str(secret))
    assert env_str("HW_SECRET", "default") == "from-a-file"
    monkeypatch.setenv("HW_SECRET", "also-set")
    with pytest.raises(SettingsError, match="HW_SECRET or HW_SECRET_FILE"):
        env_str("HW_SECRET", "default")
    monkeypatch.delenv("HW_SECRET")
    monkeypatch.setenv("HW_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(SettingsError, match="HW_SECRET_FILE"):
        env_str("HW_SECRET", "default")


def test_an_empty_value_means_the_default(monkeypatch):
    for name in ("HW_S", "HW_B", "HW_I", "HW_L"):
        monkeypatch.setenv(name, "")
    assert env_str("HW_S", "d") == "d"
    assert env_bool("HW_B", True) is True
    assert env_int("HW_I", 3) == 3
    assert env_list("HW_L", ["x"]) == ["x"]


def test_it_refuses_values_outside_a_choice(monkeypatch):
    monkeypatch.setenv("HW_ENV", "staging")
    with pytest.raises(SettingsError, match="HW_ENV='staging' is not one of development, production"):
        env_choice("HW_ENV", "development", ("development", "production"))
