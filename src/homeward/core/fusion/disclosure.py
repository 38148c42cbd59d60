"""Small counts that stay hidden under subtraction: every figure is a sum of protected cells.

Blanking counts under a threshold is undone by arithmetic: a parent total minus its visible children
is the hidden child. So for roles without personal-data rights the heat map publishes no exact count
at all. The finest cell any filter can select (an origin county × an enterprise × a status, on one
day) is *randomly rounded* to a multiple of ``base`` (the smallest cell shown, ``HEATMAP_MIN_CELL``):
up with probability ``(n mod base) / base``, so that sums stay unbiased. Every published figure, at
any level, for any filter, is the sum of its protected cells. Hence:

- every published figure is a multiple of ``base``, and so is every sum or difference of published
  figures; a count between 1 and ``base − 1`` is never one, so no subtraction yields a hidden count;
- a parent is exactly the sum of its children, so subtraction yields only protected values, which
  say "0 or ``base``", never which of 1..``base − 1``;
- a cell whose true count is positive but whose protected value is 0 is flagged (shown as
  ``<base``); a true 0 stays 0 ("nobody" discloses no one).

The coin of each cell is a keyed hash (MD5 under a secret) of the cell and its true count, so the
same cell with the same count always rounds the same way: asking again under another filter, on
another day or after a rebuild averages nothing out. Without the secret nobody can tell from a
published value which of the true counts produced it.

``protected_count`` and ``protected_count_sql`` are one rule written twice (Python for tests and
small tables, DuckDB SQL for the snapshot queries); a property test holds them equal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def _coin(secret: str, key: Sequence[str], n: int, base: int) -> int:
    message = "|".join([secret, *key, str(n)]).encode("utf-8")
    return int.from_bytes(hashlib.md5(message, usedforsecurity=False).digest(), "little") % base


def protected_count(n: int, key: Sequence[str], *, base: int, secret: str) -> int:
    """``n`` randomly rounded to a multiple of ``base`` by the keyed coin of (``key``, ``n``);
    ``base`` ≤ 1 returns ``n`` (no protection)."""
    if base <= 1:
        return n
    rest = n % base
    return n - rest + (base if _coin(secret, key, n, base) < rest else 0)


MAX_BASE = 2**32 - 1  # the coin's arithmetic below stays within 64 bits


def protected_count_params(*, base: int, secret: str) -> dict[str, object]:
    """The parameters :func:`protected_count_sql` reads, for ``base`` (1: exact) and ``secret``."""
    if not 1 <= base <= MAX_BASE:
        raise ValueError(f"the rounding base must be 1..{MAX_BASE}, not {base}")
    return {"pc_base": base, "pc_secret": secret, "pc_wrap": 2**64 % base}


def protected_count_sql(n: str, key: Sequence[str]) -> str:
    """The DuckDB expression of :func:`protected_count` for the integer expression ``n`` and the key
    expressions ``key`` (cast to text, NULLs skipped as ``concat_ws`` does), with the parameters of
    :func:`protected_count_params`.

    The coin is the digest's 128-bit number modulo ``base``, taken from its two 64-bit halves
    (``low + high * 2**64``, with ``$pc_wrap = 2**64 % base``): exact, and ~20 times cheaper than
    DuckDB's 128-bit modulo, which cost ~2.5 µs a cell (1 s per heat-map query over a city's
    390,000 cells, four such queries per page for a role that sees protected counts)."""
    parts = ", ".join(f"CAST({k} AS VARCHAR)" for k in key)
    hashed = f"md5_number(concat_ws('|', $pc_secret, {parts}, CAST({n} AS VARCHAR)))"
    base = "CAST($pc_base AS UBIGINT)"
    low = f"CAST({hashed} & CAST({2**64 - 1} AS UHUGEINT) AS UBIGINT)"
    high = f"CAST({hashed} >> 64 AS UBIGINT)"
    coin = f"CAST(({low} % {base} + ({high} % {base}) * CAST($pc_wrap AS UBIGINT)) % {base} AS BIGINT)"
    return (
        f"(CASE WHEN $pc_base <= 1 THEN {n} "
        f"ELSE {n} - {n} % $pc_base + CASE WHEN {coin} < {n} % $pc_base THEN $pc_base ELSE 0 END END)"
    )


def is_suppressed(true_count: int, shown: int, base: int) -> bool:
    """Whether a figure is shown as ``<base``: someone is there, but the protected value is 0."""
    return true_count > 0 and shown < base
