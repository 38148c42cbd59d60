"""Upload limits from settings, and the upload handler that stops storing an oversized file.

Every upload path reads its file through ``homeward.core.ingest`` with one of these ``Limits``:
``import_limits()`` for registry imports (run by the task worker), ``sync_limits()`` for files
answered within the request (an application's worker list, planning resources).
"""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from homeward.core.ingest import Limits


def _limits(profile: str) -> Limits:
    def setting(name: str) -> int:
        return int(getattr(settings, f"UPLOAD_{profile}_{name}"))

    return Limits(
        max_bytes=setting("MAX_BYTES"),
        max_unpacked_bytes=setting("MAX_UNPACKED_BYTES"),
        max_ratio=settings.UPLOAD_MAX_RATIO,
        max_parts=settings.UPLOAD_MAX_PARTS,
        max_rows=setting("MAX_ROWS"),
        max_cells=setting("MAX_CELLS"),
    )


def import_limits() -> Limits:
    return _limits("IMPORT")


def sync_limits(*, max_rows: int | None = None) -> Limits:
    """The limits of a file answered within the request; ``max_rows`` lowers the row cap further
    (a worker list holds at most 2,000 workers whatever the setting)."""
    limits = _limits("SYNC")
    if max_rows is not None and max_rows < limits.max_rows:
        limits = replace(limits, max_rows=max_rows)
    return limits


class _CutOff(InMemoryUploadedFile):
    """What is left of an upload that went past the limit: no content, and ``size`` = the bytes
    that arrived, which the limit check reads to refuse it by name."""


class BoundedUploadHandler(FileUploadHandler):
    """First in ``FILE_UPLOAD_HANDLERS``: passes each file's chunks on to the storing handlers
    until the largest upload limit, then drops the rest (the request body is still read to its
    end, but nothing more is kept in memory or on disk)."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.limit = max(settings.UPLOAD_IMPORT_MAX_BYTES, settings.UPLOAD_SYNC_MAX_BYTES)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        return raw_data if self.received <= self.limit else None

    def file_complete(self, file_size: int) -> UploadedFile[Any] | None:
        if self.received <= self.limit:
            return None  # the next handler holds the whole file
        cut = _CutOff(io.BytesIO(), "file", self.file_name, self.content_type, 0, self.charset)
        cut.size = self.received
        return cut
