"""``homeward backup DIR``, ``homeward restore DIR`` and ``homeward retention purge --older-than DAYS``."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict
from pathlib import Path

from homeward.cli._django import setup_django


def _backup(args: argparse.Namespace) -> int:
    setup_django()
    from homeward.apps.accounts.policy import CLI
    from homeward.apps.ops.backup import backup_create
    from homeward.core.errors import DomainError

    started = time.monotonic()
    try:
        summary = backup_create(actor=CLI, directory=Path(args.directory).resolve())
    except DomainError as exc:
        print(f"homeward backup: {exc.message} ({exc.code})", file=sys.stderr)
        return 1
    print(
        f"backed up {summary.engine}: {sum(summary.tables.values()):,} rows in {len(summary.tables)} tables, "
        f"{summary.files} files, {summary.bytes / 1e6:.1f} MB in {time.monotonic() - started:.1f} s "
        f"to {summary.directory}"
    )
    return 0


def _restore(args: argparse.Namespace) -> int:
    setup_django()
    from django.conf import settings

    from homeward.apps.accounts.policy import CLI
    from homeward.apps.ops.backup import backup_restore
    from homeward.core.errors import DomainError

    if not args.yes:
        if not sys.stdin.isatty():
            print(
                "homeward restore: replaces the database and MEDIA_ROOT; confirm with --yes", file=sys.stderr
            )
            return 2
        answer = input(f"Replace the database and {settings.MEDIA_ROOT} with {args.directory}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            return 2
    started = time.monotonic()
    try:
        summary = backup_restore(actor=CLI, directory=Path(args.directory).resolve())
    except DomainError as exc:
        print(f"homeward restore: {exc.message} ({exc.code})", file=sys.stderr)
        return 1
    print(
        f"restored {summary.engine}: {sum(summary.tables.values()):,} rows, {summary.files} files in "
        f"{time.monotonic() - started:.1f} s; row counts match the backup. If the backup predates this "
        "version, run `homeward manage migrate` now."
    )
    return 0


def _purge(args: argparse.Namespace) -> int:
    setup_django()
    from homeward.apps.accounts.policy import CLI
    from homeward.apps.ops.retention import retention_purge
    from homeward.core.errors import DomainError

    try:
        counts = retention_purge(actor=CLI, older_than_days=args.older_than, dry_run=args.dry_run)
    except DomainError as exc:
        print(f"homeward retention purge: {exc.message} ({exc.code})", file=sys.stderr)
        return 1
    verb = "would purge" if args.dry_run else "purged"
    print(f"{verb} (finished more than {args.older_than} days ago):")
    for name, count in asdict(counts).items():
        print(f"  {name.replace('_', ' ')}: {count:,}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = subparsers.add_parser(
        "backup",
        help="back up the database (with the encrypted permit keys) and uploaded files into DIR",
        description=(
            "Write DIR/manifest.json, the database (SQLite online backup, or pg_dump's custom format) and "
            "a copy of MEDIA_ROOT. The site may keep running. The secrets (HOMEWARD_SECRET_KEY, "
            "HOMEWARD_PERMIT_KEY_SECRET) are not included: keep them apart from the backups."
        ),
    )
    backup.add_argument("directory", metavar="DIR", help="a new or empty directory")
    backup.set_defaults(func=_backup)

    restore = subparsers.add_parser(
        "restore",
        help="replace the database and uploaded files with a backup (stop the web server and worker first)",
        description=(
            "Check DIR's checksums and migrations, then replace the database and MEDIA_ROOT and compare "
            "the row counts with the manifest. Refuses a backup from another database engine or a "
            "newer version."
        ),
    )
    restore.add_argument("directory", metavar="DIR")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.set_defaults(func=_restore)

    retention = subparsers.add_parser("retention", help="remove personal data of finished campaigns")
    retention_sub = retention.add_subparsers(dest="retention_command", metavar="SUBCOMMAND", required=True)
    purge = retention_sub.add_parser(
        "purge",
        help="remove personal data and files of campaigns finished more than DAYS ago, keep statistics",
        description=(
            "Anonymise the worker rows of completed and cancelled applications closed before the cutoff, "
            "delete old import uploads and old plan result files (not the plan in force), drop crew names "
            "from old plans and police arrivals before the heat map's window. Counts, plans' KPIs, heat-map "
            "snapshots, the roster and the audit trail stay. Audited; a repeated run finds nothing."
        ),
    )
    purge.add_argument("--older-than", type=int, required=True, metavar="DAYS")
    purge.add_argument("--dry-run", action="store_true", help="count only, change nothing")
    purge.set_defaults(func=_purge)
