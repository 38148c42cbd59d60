"""The ``homeward`` command. Each subcommand lives in its own module with a ``register`` function.

Commands that need the database call ``setup_django()`` first; pure ones (``regions``, ``id``) do not,
so they start fast and work without any configuration.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Module names under homeward.cli, each exposing register(subparsers).
COMMAND_MODULES = (
    "server",
    "regions_cmd",
    "identity_cmd",
    "import_cmd",
    "setup_cmd",
    "demo_cmd",
    "bench_cmd",
    "plan_cmds",
    "permit_cmd",
    "heatmap_cmd",
    "plan_cmd",
    "ops_cmd",
    "report_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="homeward",
        description="Homeward 返岗通: bring a city's migrant workforce back, door to door, within a deadline.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(f"homeward.cli.{module_name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from homeward.conf import SettingsError

    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        # `homeward manage ...` passes everything after it to Django untouched (argparse would eat --help).
        if args_list and args_list[0] == "manage":
            from homeward.cli.server import run_manage

            return run_manage(args_list[1:])
        parser = build_parser()
        args = parser.parse_args(args_list)
        result = args.func(args)
    except SettingsError as exc:  # a refused configuration: say which variable, without a traceback
        print(f"homeward: {exc}", file=sys.stderr)
        return 2
    return int(result or 0)
