"""``permit export-keys`` and ``permit list --json``, then ``permit verify`` offline with the file."""

from __future__ import annotations

import argparse
import json

import pytest

from homeward.cli import permit_admin_cmd, permit_cmd

pytestmark = pytest.mark.django_db


def _parser():
    parser = argparse.ArgumentParser(prog="homeward")
    sub = parser.add_subparsers(dest="command", required=True)
    permit_cmd.register(sub)
    permit = sub.choices["permit"]
    permit_sub = next(a for a in permit._actions if isinstance(a, argparse._SubParsersAction))
    if "list" not in permit_sub.choices:
        permit_admin_cmd.add_db_commands(permit_sub)
    return parser


def _run(argv):
    args = _parser().parse_args(argv)
    return args.func(args)


def test_it_exports_keys_lists_tokens_and_verifies_offline(issued, taskforce, tmp_path, capsys):
    from homeward.apps.applications import services

    services.permit_revoke(actor=taskforce, permit_id=issued[1].pk)
    keys = tmp_path / "keys.json"
    assert _run(["permit", "export-keys", str(keys)]) == 0
    doc = json.loads(keys.read_text())
    assert doc["revocation_list"].startswith("HWR1.") and "private" not in keys.read_text()
    capsys.readouterr()
    assert _run(["permit", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["permit_id"] for r in rows] == [issued[0].permit_id]
    assert _run(["permit", "verify", rows[0]["token"], "--keys", str(keys)]) == 0
    assert json.loads(capsys.readouterr().out)["valid"] is True
    assert _run(["permit", "verify", issued[1].token, "--keys", str(keys)]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "revoked"
