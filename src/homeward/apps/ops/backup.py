"""``homeward backup DIR`` and ``homeward restore DIR``: the database (with the departments' encrypted
permit keys), the uploaded and generated files under MEDIA_ROOT, and a manifest to check both.

A backup directory holds::

    manifest.json   format, engine, applied migrations, row count per table, SHA-256 of every file
    db.sqlite3      SQLite: a consistent copy made with SQLite's online backup API (the site may run)
    db.pgdump       PostgreSQL: pg_dump's custom format (consistent, compressed; pg_restore reads it)
    media/          a copy of MEDIA_ROOT (imports, plan results, heat-map snapshots)

Not in it, on purpose: HOMEWARD_PERMIT_KEY_SECRET and HOMEWARD_SECRET_KEY. Keep them apart from the
backups (docs/deploy.md): the permit keys in the database are useless without the secret, and a
stolen backup alone signs nothing.

A restore checks every checksum and the migrations first and changes nothing when one is wrong; it
then replaces the database and MEDIA_ROOT and compares the row counts with the manifest. Stop the
web server and the task worker before restoring. Restoring across engines (SQLite ↔ PostgreSQL) is
refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

import homeward
from homeward.apps.accounts.policy import authorize
from homeward.apps.audit.services import audit_record
from homeward.core.errors import DomainError

FORMAT = "homeward-backup"
VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DATABASE_FILES = {"sqlite": "db.sqlite3", "postgresql": "db.pgdump"}


@dataclass(frozen=True, slots=True)
class BackupSummary:
    directory: Path
    engine: str
    tables: dict[str, int]
    files: int
    bytes: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _engine() -> str:
    if connection.vendor not in DATABASE_FILES:
        raise DomainError(
            f"不支持的数据库 {connection.vendor} (backups support SQLite and PostgreSQL)", "backup_engine"
        )
    return connection.vendor


def table_counts() -> dict[str, int]:
    """Rows per table of the database, every table Django's introspection sees."""
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = int(cursor.fetchone()[0])
    return counts


def _applied_migrations() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [f"{app}.{name}" for app, name in cursor.fetchall()]


def _pg_env() -> dict[str, str]:
    """libpq's variables for the configured database (the password never on a command line)."""
    db = connection.settings_dict
    pairs = {
        "PGHOST": db.get("HOST"),
        "PGPORT": db.get("PORT"),
        "PGUSER": db.get("USER"),
        "PGPASSWORD": db.get("PASSWORD"),
    }
    return {**os.environ, **{k: str(v) for k, v in pairs.items() if v}, "PGDATABASE": str(db["NAME"])}


def _run(argv: list[str]) -> None:
    if shutil.which(argv[0]) is None:
        raise DomainError(
            f"找不到 {argv[0]} (install the PostgreSQL client: apt-get install postgresql-client)",
            "backup_tool",
        )
    done = subprocess.run(argv, env=_pg_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise DomainError(f"{argv[0]} 失败 (failed): {done.stderr.strip()[:500]}", "backup_tool")


def _dump_database(engine: str, target: Path) -> None:
    connection.ensure_connection()
    if engine == "sqlite":
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"])


def _load_database(engine: str, source: Path) -> None:
    connection.ensure_connection()
    if engine == "sqlite":
        backup = sqlite3.connect(source)
        try:
            backup.backup(connection.connection)
        finally:
            backup.close()
    else:
        connection.close()  # hold no lock on the tables pg_restore drops
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              f"--dbname={connection.settings_dict['NAME']}", str(source)])  # fmt: skip
    connection.close()


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def backup_create(*, actor: Any, directory: Path) -> BackupSummary:
    """Write a backup of the database and MEDIA_ROOT into ``directory`` (new or empty)."""
    authorize(actor, "ops.backup")
    engine = _engine()
    if directory.exists() and any(directory.iterdir()):
        raise DomainError(
            f"{directory} 不是空目录 (not empty: back up into a new directory)", "backup_exists"
        )
    directory.mkdir(parents=True, exist_ok=True)
    database = directory / DATABASE_FILES[engine]
    _dump_database(engine, database)
    media = _media_root()
    if media.is_dir():
        shutil.copytree(media, directory / MEDIA, symlinks=False)
    files = {
        str(path.relative_to(directory)): _sha256(path)
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }
    counts = table_counts()
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": timezone.now().isoformat(),
        "homeward": homeward.__version__,
        "engine": engine,
        "migrations": _applied_migrations(),
        "tables": counts,
        "files": files,
    }
    (directory / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    size = sum((directory / name).stat().st_size for name in files)
    audit_record(
        actor=actor, action="backup.create", object_type="backup", object_id=directory.name,
        data={"engine": engine, "rows": sum(counts.values()), "files": len(files), "bytes": size},
    )  # fmt: skip
    return BackupSummary(directory, engine, counts, len(files), size)


def _read_manifest(directory: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DomainError(
            f"{directory} 没有可读的 {MANIFEST} (not a Homeward backup)", "backup_invalid"
        ) from exc
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or manifest.get("version") != VERSION
    ):
        raise DomainError(
            f"{directory} 不是 {FORMAT} v{VERSION} 备份 (not a {FORMAT} v{VERSION} backup)", "backup_invalid"
        )
    return manifest


def _check(directory: Path, manifest: dict[str, Any], engine: str) -> None:
    """Everything a restore relies on, checked before anything changes."""
    if manifest["engine"] != engine:
        raise DomainError(
            f"备份来自 {manifest['engine']}，当前数据库是 {engine} (restore onto the same engine)",
            "backup_engine",
        )
    on_disk = {
        f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    }
    unknown = sorted(set(manifest["migrations"]) - on_disk)
    if unknown:
        raise DomainError(
            f"备份来自更新的版本 (the backup has migrations this code lacks: {', '.join(unknown[:5])})",
            "backup_newer",
        )
    present = {str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()} - {MANIFEST}
    if present != set(manifest["files"]):
        raise DomainError("备份文件与清单不符 (files differ from the manifest)", "backup_corrupt")
    for name, digest in manifest["files"].items():
        if _sha256(directory / name) != digest:
            raise DomainError(f"备份文件 {name} 校验失败 (checksum mismatch)", "backup_corrupt")


def _replace_media(source: Path) -> None:
    """Swap MEDIA_ROOT for the backup's copy: copied beside it first, then renamed into place."""
    media = _media_root()
    media.parent.mkdir(parents=True, exist_ok=True)
    incoming = media.with_name(media.name + ".restoring")
    shutil.rmtree(incoming, ignore_errors=True)
    if source.is_dir():
        shutil.copytree(source, incoming)
    else:
        incoming.mkdir()
    outgoing = media.with_name(media.name + ".replaced")
    shutil.rmtree(outgoing, ignore_errors=True)
    if media.exists():
        media.rename(outgoing)
    incoming.rename(media)
    shutil.rmtree(outgoing, ignore_errors=True)


def backup_restore(*, actor: Any, directory: Path) -> BackupSummary:
    """Replace the database and MEDIA_ROOT with the backup in ``directory``; see the module docstring."""
    authorize(actor, "ops.restore")
    engine = _engine()
    manifest = _read_manifest(directory)
    _check(directory, manifest, engine)
    _load_database(engine, directory / DATABASE_FILES[engine])
    _replace_media(directory / MEDIA)
    counts = table_counts()
    expected = manifest["tables"]
    differ = sorted(t for t in expected if counts.get(t) != expected[t])
    if differ:
        raise DomainError(
            f"恢复后行数不符 (row counts differ after restore: {', '.join(differ[:5])})", "backup_mismatch"
        )
    audit_record(
        actor=actor, action="backup.restore", object_type="backup", object_id=directory.name,
        data={"engine": engine, "created_at": manifest["created_at"], "rows": sum(counts.values())},
    )  # fmt: skip
    size = sum((directory / name).stat().st_size for name in manifest["files"])
    return BackupSummary(directory, engine, counts, len(manifest["files"]), size)
