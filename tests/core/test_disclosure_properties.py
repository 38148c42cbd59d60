"""``core.fusion.disclosure``: protected counts are multiples of the base within one step of the
truth, unbiased, stable for the same cell and count, secret-dependent, and the DuckDB expression is
the Python rule."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from homeward.core.fusion.disclosure import (
    MAX_BASE,
    is_suppressed,
    protected_count,
    protected_count_params,
    protected_count_sql,
)

keys = st.lists(
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=8),
    min_size=1,
    max_size=3,
)
bases = st.integers(1, 12)


@given(n=st.integers(0, 10**9), key=keys, base=bases, secret=st.text(max_size=16))
def test_a_protected_count_is_a_multiple_of_the_base_within_one_step(n, key, base, secret):
    p = protected_count(n, key, base=base, secret=secret)
    assert p % base == 0 and abs(p - n) < base
    assert p == protected_count(n, key, base=base, secret=secret)  # the same cell rounds the same way
    if n % base == 0:
        assert p == n


@given(n=st.integers(1, 4), key=keys)
def test_a_small_count_is_either_zero_and_flagged_or_the_base(n, key):
    p = protected_count(n, key, base=5, secret="s")
    assert p in (0, 5)
    assert is_suppressed(n, p, 5) == (p == 0)
    assert not is_suppressed(0, 0, 5)


def test_rounding_is_unbiased_and_keyed_by_the_secret():
    for n in (1, 2, 3, 4, 7):
        shown = [protected_count(n, (str(k),), base=5, secret="s") for k in range(4000)]
        assert abs(sum(shown) / len(shown) - n) < 0.15, n
    one = [protected_count(3, (str(k),), base=5, secret="a") for k in range(200)]
    other = [protected_count(3, (str(k),), base=5, secret="b") for k in range(200)]
    assert one != other


@settings(max_examples=40, deadline=None)
@given(
    cells=st.lists(
        st.tuples(st.integers(0, 10**6), st.text(max_size=6), st.integers(-5, 10**6)), min_size=1, max_size=40
    ),
    base=st.one_of(bases, st.integers(13, MAX_BASE)),  # the coin's 64-bit halves at any base
    secret=st.text(max_size=16),
)
def test_the_duckdb_expression_is_the_python_rule(cells, base, secret):
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE t (n BIGINT, a VARCHAR, b BIGINT)")
        con.executemany("INSERT INTO t VALUES (?, ?, ?)", cells)
        sql = f"SELECT n, a, b, {protected_count_sql('n', ('a', 'b'))} FROM t"
        rows = con.execute(sql, protected_count_params(base=base, secret=secret)).fetchall()
    finally:
        con.close()
    for n, a, b, shown in rows:
        assert shown == protected_count(n, (a, str(b)), base=base, secret=secret)
