"""``compiled_get``: ``QuerySet.get`` for the reads made on every request of a hot path (the signed-in
user with their profile, a scan's ticket with its worker and application), without building and
compiling the ``SELECT`` each time.

Profiled under ``homeward bench scan``, compiling those two querysets (``SQLCompiler.as_sql``: the
select list, the joins of ``select_related``, the deferred fields) was a fifth of the web server's
CPU — more than running them. Here each named queryset is compiled once per database, with a
placeholder for its one varying value (a key); a call substitutes the value in the compiled
parameters, runs the statement, and turns the row into objects with Django's own row handling
(``ModelIterable``: converters such as JSON decoding, ``select_related`` objects, deferred fields,
annotations), given the compiler that made the statement. The answers are ``get``'s:
``DoesNotExist``, ``MultipleObjectsReturned``, and ``select_for_update`` outside a transaction
raises ``TransactionManagementError``. ``tests/test_db_select.py`` checks objects read both ways
are equal, field by field and through their related objects.

A queryset given here must depend on nothing but the value (not on the time, the user or settings
read at call time): what it was on the first call is what every later call runs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import MAX_GET_RESULTS, ModelIterable
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError

# Stands for the value while the statement is compiled; never sent to the database.
INT_PLACEHOLDER = -2_000_000_011  # in range of a 32-bit key: an out-of-range one compiles to "no rows"
STR_PLACEHOLDER = "\x00homeward-compiled-get-placeholder\x00"


@dataclass(frozen=True, slots=True)
class _Compiled:
    queryset: QuerySet[Any]
    compiler: SQLCompiler
    sql: str
    params: tuple[Any, ...]
    slot: int  # where the value goes in ``params``
    locks: bool  # SELECT ... FOR UPDATE: only inside a transaction


_compiled: dict[tuple[str, str, str], _Compiled] = {}


def _compile(queryset: QuerySet[Any], placeholder: Any) -> _Compiled:
    # What ``QuerySet.get`` runs: no ordering, at most MAX_GET_RESULTS rows (where the lock allows it)
    if queryset.query.can_filter() and not queryset.query.distinct_fields:
        queryset = queryset.order_by()
    locks = queryset.query.select_for_update
    if not locks or connections[queryset.db].features.supports_select_for_update_with_limit:
        queryset.query.set_limits(high=MAX_GET_RESULTS)
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    params = tuple(params)
    if params.count(placeholder) != 1:
        raise ValueError(f"the placeholder must appear once in the compiled parameters: {params!r}")
    locks = locks and connections[queryset.db].features.has_select_for_update  # SQLite: no lock
    return _Compiled(queryset, compiler, sql, params, params.index(placeholder), locks)


def _objects(entry: _Compiled, rows: list[Any]) -> list[Any]:
    """The rows as ``ModelIterable`` makes objects of them, with the compiler that compiled them."""
    compiler = copy.copy(entry.compiler)
    compiler.execute_sql = lambda *args, **kwargs: [rows]  # type: ignore[method-assign,assignment]
    query = entry.queryset.query.chain()
    query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
    queryset = entry.queryset.all()
    queryset.query = query
    return list(ModelIterable(queryset))


def compiled_get[M: Model](
    name: str, model: type[M], queryset: Callable[[Any], QuerySet[M]], value: Any, *, placeholder: Any
) -> M:
    """``queryset(value).get()``, the statement compiled once under ``name`` with ``placeholder``
    (``INT_PLACEHOLDER`` or ``STR_PLACEHOLDER``, as the value's column) in the value's place."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    key = (name, alias, connection.vendor)
    entry = _compiled.get(key)
    if entry is None:
        template = queryset(placeholder)
        if template.db != alias:  # routed elsewhere (a write alias for the lock): no shortcut
            return queryset(value).get()
        entry = _compiled[key] = _compile(template, placeholder)
    if entry.locks and connection.get_autocommit() and connection.features.supports_transactions:
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
    params = list(entry.params)
    params[entry.slot] = value
    with connection.cursor() as cursor:
        cursor.execute(entry.sql, params)
        rows = cursor.fetchall()
    label = model._meta.object_name
    if not rows:
        raise getattr(model, "DoesNotExist")(f"{label} matching query does not exist.")  # noqa: B009
    if len(rows) > 1:
        raise getattr(model, "MultipleObjectsReturned")(f"get() returned more than one {label}")  # noqa: B009
    objects = _objects(entry, rows)
    return objects[0]  # type: ignore[no-any-return]
