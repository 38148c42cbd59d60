"""The `homeward` command: help everywhere, Django passthrough, the OpenAPI schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from homeward.cli import build_parser, main


def _subcommands(parser):
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            yield from action.choices.items()


def test_it_has_help_on_every_command(capsys):
    parser = build_parser()
    paths = []
    stack = [((), parser)]
    while stack:
        path, current = stack.pop()
        paths.append(path)
        stack.extend(((*path, name), sub) for name, sub in _subcommands(current) if name != "manage")
    for path in paths:
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args([*path, "--help"])
        assert exit_info.value.code == 0, path
        assert "usage:" in capsys.readouterr().out
    assert {"regions", "id", "import", "demo", "bench", "openapi", "serve"} <= {p[0] for p in paths if p}


def test_it_runs_as_a_module():
    result = subprocess.run(
        [sys.executable, "-m", "homeward", "--help"], capture_output=True, text=True, check=True
    )
    assert "regions" in result.stdout


@pytest.mark.django_db
def test_it_prints_the_openapi_schema(capsys):
    assert main(["openapi"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/enterprises" in schema["paths"]


def test_it_passes_manage_through_to_django():
    result = subprocess.run(
        [sys.executable, "-m", "homeward", "manage", "check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_demo_logins_on_a_database_never_built_says_so(tmp_path):
    env = {
        **os.environ,
        "HOMEWARD_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "-m", "homeward", "demo", "--logins"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == "homeward demo: no demo users in this database (run homeward demo first)"


@pytest.mark.django_db
def test_it_creates_a_group_for_every_role():
    from django.contrib.auth.models import Group

    from homeward.apps.accounts.roles import Role

    assert {r.value for r in Role} <= set(Group.objects.values_list("name", flat=True))


def test_serve_warns_when_a_front_end_library_is_missing(settings, tmp_path, capsys):
    from homeward.cli.server import _warn_missing_vendor

    settings.VENDOR_STATIC_DIR = tmp_path
    _warn_missing_vendor()
    err = capsys.readouterr().err
    assert "ECharts not found" in err and "jsQR not found" in err
    (tmp_path / "echarts").mkdir()
    (tmp_path / "echarts" / "echarts.min.js").write_text("/* echarts */")
    _warn_missing_vendor()
    err = capsys.readouterr().err
    assert "ECharts" not in err and "jsQR not found" in err
    (tmp_path / "jsqr").mkdir()
    (tmp_path / "jsqr" / "jsQR.js").write_text("/* jsQR */")
    _warn_missing_vendor()
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 8010, "http://127.0.0.1:8010"),
        ("0.0.0.0", 8000, "http://127.0.0.1:8000"),
        ("::1", 9000, "http://[::1]:9000"),
    ],
)
def test_a_development_servers_links_lead_to_where_it_serves(host, port, url):
    # found by a Chromium walk: a worker's link and the QR codes of a server on 8010 led to 8000
    from homeward.cli.server import development_public_url

    assert development_public_url(host, port) == url
