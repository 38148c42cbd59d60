"""``homeward permit verify TOKEN --keys FILE``: offline, no database, no network."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest

from homeward.cli import permit_cmd
from homeward.core.permits import (
    Department,
    RevocationList,
    SignedPermit,
    cosign,
    encode_token,
    sign_revocation_list,
    write_keys_file,
)
from homeward.core.permits.samples import TRIP_START, demo_keyring, demo_signing_keys, issue, sample_road_pass

KEYS = demo_signing_keys(seed=5)
DURING = (TRIP_START + timedelta(hours=2)).isoformat()


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="homeward")
    permit_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.fixture
def keys_file(tmp_path):
    path = tmp_path / "keys.json"
    revocations = sign_revocation_list(
        RevocationList(2, TRIP_START, frozenset({"RP-REVOKED"})), KEYS[Department.TASK_FORCE]
    )
    write_keys_file(path, demo_keyring(KEYS), revocations, TRIP_START)
    return path


@pytest.fixture
def token():
    return issue(sample_road_pass(), KEYS).token()


def _out(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_it_prints_a_valid_permit(keys_file, token, capsys):
    assert run(["permit", "verify", token, "--keys", str(keys_file), "--now", DURING]) == 0
    out = _out(capsys)
    assert (out["valid"], out["reason"]) == (True, "ok")
    assert out["permit"]["plate"] == "贵F·D1234" and out["permit"]["kind"] == "road_pass"
    assert out["revocation_list"]["sequence"] == 2
    assert [s["department"] for s in out["signatures"]] == ["hr", "transport"]


def test_it_takes_the_link_a_qr_code_holds(keys_file, token, capsys):
    link = f"https://homeward.example.gov.cn/permits/verify/?t={token}"
    assert run(["permit", "verify", link, "--keys", str(keys_file), "--now", DURING]) == 0
    assert _out(capsys)["permit"]["plate"] == "贵F·D1234"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("tamper", "tampered"),
        ("garbage", "format"),
        ("revoked", "revoked"),
        ("expired", "expired"),
        ("early", "not_yet_valid"),
        ("partial", "missing_signature"),
        ("stranger", "unknown_key"),
    ],
)
def test_it_rejects_each_failure_with_its_reason_and_exit_1(keys_file, token, capsys, change, reason):
    now = DURING
    if change == "tamper":
        token = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    elif change == "garbage":
        token = "not a token"
    elif change == "revoked":
        token = issue(sample_road_pass("RP-REVOKED"), KEYS).token()
    elif change == "expired":
        now = (TRIP_START + timedelta(days=3)).isoformat()
    elif change == "early":
        now = (TRIP_START - timedelta(hours=1)).isoformat()
    elif change == "partial":
        partial = cosign(SignedPermit(sample_road_pass()), KEYS[Department.HR], TRIP_START)
        token = encode_token(partial, allow_incomplete=True)
    elif change == "stranger":
        token = issue(sample_road_pass(), demo_signing_keys(seed=99)).token()
    assert run(["permit", "verify", token, "--keys", str(keys_file), "--now", now]) == 1
    out = _out(capsys)
    assert (out["valid"], out["reason"]) == (False, reason)


def test_it_reads_the_token_from_stdin(keys_file, token, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(token + "\n"))
    assert run(["permit", "verify", "-", "--keys", str(keys_file), "--now", DURING, "--indent"]) == 0
    assert _out(capsys)["valid"] is True


def test_it_exits_2_on_a_missing_or_bad_keys_file(tmp_path, token, capsys):
    assert run(["permit", "verify", token, "--keys", str(tmp_path / "nope.json")]) == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert run(["permit", "verify", token, "--keys", str(bad)]) == 2
    assert "homeward-permit-keys" in capsys.readouterr().err


def test_it_wants_an_offset_on_now(keys_file, token):
    with pytest.raises(SystemExit):
        run(["permit", "verify", token, "--keys", str(keys_file), "--now", "2020-02-12T10:00:00"])


def test_it_needs_no_django_no_database_and_no_network(keys_file, token):
    script = textwrap.dedent(
        f"""
        import argparse, socket, sys
        def no_network(*args, **kwargs):
            raise AssertionError("network used")
        socket.socket = no_network
        socket.create_connection = no_network
        from homeward.cli import permit_cmd
        parser = argparse.ArgumentParser()
        permit_cmd.register(parser.add_subparsers(dest="command", required=True))
        args = parser.parse_args(["permit", "verify", {token!r}, "--keys", {str(keys_file)!r}, "--now", {DURING!r}])
        code = args.func(args)
        assert not any(m == "django" or m.startswith("django.") for m in sys.modules), "django imported"
        sys.exit(code)
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))}
    env["DATABASE_URL"] = "sqlite:////nonexistent/homeward.sqlite3"  # must never be touched
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["reason"] == "ok"
