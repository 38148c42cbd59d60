"""Where a snapshot's tables live: Parquet files in ``MEDIA_ROOT/heatmap/snapshot-<id>/``.

Tables (all Arrow, fixed schemas from ``core.fusion.schema`` unless noted):
``origins_county``, ``origins_prefecture``, ``origins_province``, ``cross_check``, ``hotspots``,
``enterprise_shortfall``, ``town_shortfall``, ``carrier`` and ``risk`` (the inputs, small), and
``timeline`` (see ``TIMELINE_COLUMNS``): the workers grouped by origin units × town × enterprise ×
status at ``as_of`` × first police arrival in the window × insured-before-the-window, with a count.
The timeline answers every filtered or earlier-day question without the registries.

Loaded tables are cached per process (a snapshot never changes once done).
"""

from __future__ import annotations

import shutil
import threading
from collections import OrderedDict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings

TABLES = (
    "origins_county",
    "origins_prefecture",
    "origins_province",
    "cross_check",
    "hotspots",
    "enterprise_shortfall",
    "town_shortfall",
    "carrier",
    "risk",
    "timeline",
)
TIMELINE_COLUMNS = (
    "county_code",
    "prefecture_code",
    "province_code",
    "town_code",
    "enterprise_id",
    "is_key",
    "status",  # at the snapshot's as_of, from the fusion
    "first_return",  # first police arrival inside [window_start, as_of], or null
    "insured_before",  # insured on or before window_start, or no date known (rule 3 vs 4)
    "n",
)
KEEP_SNAPSHOTS = 3
_CACHE_SIZE = 4


def root() -> Path:
    return Path(settings.MEDIA_ROOT) / "heatmap"


def directory(snapshot_id: int) -> Path:
    return root() / f"snapshot-{snapshot_id}"


def write(snapshot_id: int, tables: dict[str, pa.Table]) -> str:
    """Write the tables (atomically: a temp directory renamed into place); return the path relative
    to MEDIA_ROOT."""
    final = directory(snapshot_id)
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, table in tables.items():
        pq.write_table(table, tmp / f"{name}.parquet", compression="zstd")
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    return str(final.relative_to(Path(settings.MEDIA_ROOT)))


_lock = threading.Lock()
_cache: OrderedDict[tuple[str, str], pa.Table] = OrderedDict()


def read(snapshot_path: str, name: str) -> pa.Table:
    file = Path(settings.MEDIA_ROOT) / snapshot_path / f"{name}.parquet"
    try:
        key = (str(file), str(file.stat().st_mtime_ns))
    except FileNotFoundError:
        from homeward.core.errors import NotFound

        raise NotFound(
            "热图快照文件缺失，请重建 (snapshot files missing: rebuild)", "heatmap_missing"
        ) from None
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    table = pq.read_table(file)
    with _lock:
        _cache[key] = table
        while len(_cache) > _CACHE_SIZE * len(TABLES):
            _cache.popitem(last=False)
    return table


def prune(keep_ids: set[int]) -> list[str]:
    """Delete snapshot directories whose id is not in ``keep_ids``; return the names deleted."""
    removed: list[str] = []
    base = root()
    if not base.is_dir():
        return removed
    for child in base.iterdir():
        if not child.name.startswith("snapshot-"):
            continue
        ident = child.name.removeprefix("snapshot-").removesuffix(".tmp")
        if ident.isdigit() and int(ident) not in keep_ids:
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child.name)
    return removed
