"""``insert_one``: ``Model.objects.create`` for the rows written on every request of a hot path (a scan and
its audit event), without building and compiling the ``INSERT`` each time.

The statement (every concrete column but the primary key, ``RETURNING`` the key) is compiled once per
model and database; each value goes through the field as the ORM's insert sends it
(``pre_save(obj, add=True)`` — ``auto_now_add`` and the like — then ``get_db_prep_save``). What
``create`` does beyond that is not done: no ``pre_save``/``post_save`` signals (the models it is used
for have no receivers) and no clean-up of unsaved related objects (pass saved ones). A database error
is raised as ``create`` raises it (``IntegrityError`` for a unique value seen before). Where the
database cannot return the key from an insert, it is ``obj.save()``. ``tests/test_db_insert.py``
shows rows written both ways read back the same.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, router
from django.db.models import Field, Model

_statements: dict[tuple[str, str], tuple[str, list[Field[Any, Any]]]] = {}


def _statement(model: type[Model], alias: str) -> tuple[str, list[Field[Any, Any]]]:
    key = (model._meta.label, alias)
    found = _statements.get(key)
    if found is None:
        quote = connections[alias].ops.quote_name
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        pk = model._meta.pk
        assert pk is not None
        sql = "INSERT INTO {} ({}) VALUES ({}) RETURNING {}".format(
            quote(model._meta.db_table),
            ", ".join(quote(str(f.column)) for f in fields),
            ", ".join(["%s"] * len(fields)),
            quote(str(pk.column)),
        )
        found = _statements[key] = (sql, fields)
    return found


def insert_one[M: Model](obj: M) -> M:
    """Insert the unsaved ``obj`` (its primary key unset) as ``obj.save()`` would, and return it saved."""
    alias = router.db_for_write(type(obj), instance=obj)
    connection = connections[alias]
    if not connection.features.can_return_columns_from_insert or obj.pk is not None:
        obj.save(using=alias, force_insert=True)
        return obj
    sql, fields = _statement(type(obj), alias)
    values = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    assert row is not None
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = alias
    return obj
