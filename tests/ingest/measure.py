"""Measuring what one call costs this process: wall time, peak resident memory growth, bytes read.

Peak RSS comes from the kernel's high-water mark (``VmHWM``), reset before the call through
``/proc/self/clear_refs``; where that reset is refused, a thread samples ``VmRSS`` every 2 ms
instead (which can miss a spike shorter than that, so it is reported as ``sampled``).
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_STATUS = Path("/proc/self/status")
MB = 1 << 20


def _kb(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", _STATUS.read_text(), re.M)
    assert match, field
    return int(match[1])


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _kb("VmHWM") <= _kb("VmRSS") + 1024


@dataclass
class Cost:
    seconds: float = 0.0
    rss_growth: int = 0  # bytes above the resident size before the call
    method: str = "hwm"


@contextmanager
def cost() -> Iterator[Cost]:
    """``with cost() as c: ...`` then ``c.seconds`` and ``c.rss_growth``."""
    result = Cost()
    before = _kb("VmRSS")
    exact = _reset_peak()
    peak = [before]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.002):
            peak[0] = max(peak[0], _kb("VmRSS"))

    sampler = None if exact else threading.Thread(target=sample, daemon=True)
    if sampler:
        sampler.start()
    start = time.perf_counter()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - start
        if sampler:
            stop.set()
            sampler.join()
            result.method = "sampled"
        high = _kb("VmHWM") if exact else max(peak[0], _kb("VmRSS"))
        result.rss_growth = max(high - before, 0) * 1024


class CountingReader(io.BytesIO):
    """A file in memory that counts the bytes read out of it (``read``, ``readinto``, ``readline``)."""

    def __init__(self, data: bytes, name: str = "upload") -> None:
        super().__init__(data)
        self.name = name
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        out = super().read(size)
        self.bytes_read += len(out)
        return out

    def read1(self, size: int = -1) -> bytes:
        out = super().read1(size)
        self.bytes_read += len(out)
        return out

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        n = super().readinto(buffer)
        self.bytes_read += n
        return n

    def readline(self, size: int | None = -1) -> bytes:
        out = super().readline(size)
        self.bytes_read += len(out)
        return out
