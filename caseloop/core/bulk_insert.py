"""Inserting new rows without Django's per-call statement building.

An import of historical cases writes tens of thousands of rows. `bulk_create` prepares every
field of every object in Python and sends each column as an array (about half of an import's
time); COPY streams the rows through psycopg's C row writer and PostgreSQL skips parsing a huge
statement. Either way every object has its primary key afterwards, so the caller can link rows.

A registration writes about six rows, one of each kind. `save()` builds each INSERT field by field
on every call; `insert_new` builds it once per model and only converts the values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connections, models
from django.db.models import signals
from psycopg.types.json import Jsonb

M = TypeVar("M", bound=models.Model)


def insert_many(objects: Sequence[M], *, using: str = "default") -> Sequence[M]:
    """Insert new, unsaved `objects` of one model and set their primary keys.

    Field defaults are already applied by the model's constructor; `auto_now(_add)` fields are
    stamped as `save()` would. Signals are not sent (as with bulk_create).
    """
    if not objects:
        return objects
    model = type(objects[0])
    connection = connections[using]
    if connection.vendor == "sqlite":
        return _insert_sqlite(objects, connection)
    if connection.vendor != "postgresql":
        return model._default_manager.using(using).bulk_create(objects)
    meta = model._meta
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if isinstance(meta.pk, models.AutoField):  # else the key is given (a one-to-one key, say)
            # Keys come from the table's own sequence, as a plain INSERT would take them.
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [meta.db_table, meta.pk.column, len(objects)])
            for obj, (key,) in zip(objects, cursor.fetchall(), strict=True):
                obj.pk = key
        fields = _stored_fields(meta)
        values = [_value_of(field) for field in fields]
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({_columns(fields, connection)}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row([value(obj) for value in values])
    return _saved(objects, using)


def insert_new(obj: M, *, using: str = "default") -> M:
    """Insert one new, unsaved object as `obj.save()` would, and set its primary key.

    The model's own `save()` is not called. A model with `pre_save`/`post_save` receivers is
    saved the ordinary way, so that none is skipped; so is any database but PostgreSQL and SQLite.
    """
    model = type(obj)
    connection = connections[using]
    if (connection.vendor not in ("postgresql", "sqlite") or signals.pre_save.has_listeners(model)
            or signals.post_save.has_listeners(model)):
        obj.save(force_insert=True, using=using)
        return obj
    key_given = obj.pk is not None
    sql, fields = _insert_statement(model, connection, key_given=key_given)
    with connection.cursor() as cursor:
        cursor.execute(sql, _row(obj, fields, connection))
        if not key_given:
            obj.pk = cursor.fetchone()[0]
    _saved([obj], using)
    return obj


_INSERT_STATEMENTS: dict[tuple[type[models.Model], str, bool], tuple[str, list[Any]]] = {}


def _insert_statement(model: type[models.Model], connection: Any, *, key_given: bool) -> tuple[str, list[Any]]:
    """`INSERT … RETURNING key` with the model's stored fields (the key too when it is given)."""
    cache_key = (model, connection.vendor, key_given)
    if cache_key not in _INSERT_STATEMENTS:
        meta = model._meta
        fields = [field for field in _stored_fields(meta) if key_given or not field.primary_key]
        sql = _insert_sql(meta, fields, connection, mark="%s")
        if not key_given:
            sql += f" RETURNING {connection.ops.quote_name(meta.pk.column)}"
        _INSERT_STATEMENTS[cache_key] = (sql, fields)
    return _INSERT_STATEMENTS[cache_key]


def _insert_sqlite(objects: Sequence[M], connection: Any) -> Sequence[M]:
    """One `executemany` (sqlite3 runs it in C) instead of bulk_create's statements of a few rows
    each (SQLite's limit on parameters). Keys follow the table's AUTOINCREMENT counter: the
    registering transaction holds SQLite's write lock (BEGIN IMMEDIATE), so nobody else takes them."""
    meta = type(objects[0])._meta
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if isinstance(meta.pk, models.AutoField):
            key, table = quote(meta.pk.column), quote(meta.db_table)
            cursor.execute(f"SELECT COALESCE((SELECT MAX({key}) FROM {table}), 0), "  # noqa: S608 - quoted names
                           "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0)", [meta.db_table])
            last = max(cursor.fetchone())
            for offset, obj in enumerate(objects, start=1):
                obj.pk = last + offset
        fields = _stored_fields(meta)
        # The driver's own cursor: Django's wrapper would rewrite the placeholders of every row.
        cursor.cursor.executemany(_insert_sql(meta, fields, connection, mark="?"),
                                  [_row(obj, fields, connection) for obj in objects])
    return _saved(objects, connection.alias)


def _columns(fields: list[Any], connection: Any) -> str:
    return ", ".join(connection.ops.quote_name(field.column) for field in fields)


def _insert_sql(meta: Any, fields: list[Any], connection: Any, *, mark: str) -> str:
    """`INSERT INTO table (columns) VALUES (…)` with `mark` as each value's placeholder."""
    marks = ", ".join([mark] * len(fields))
    return f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({_columns(fields, connection)}) VALUES ({marks})"  # noqa: S608 - quoted names


def _row(obj: models.Model, fields: list[Any], connection: Any) -> list[Any]:
    """The object's column values as `save()` would send them (`auto_now` stamped)."""
    return [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]


def _stored_fields(meta: Any) -> list[Any]:
    """The model's fields that have a column of their own, in the table's order."""
    return [field for field in meta.concrete_fields if field.column]


def _saved(objects: Sequence[M], alias: str) -> Sequence[M]:
    """Mark the objects as stored in `alias`, as save() would."""
    for obj in objects:
        obj._state.adding = False
        obj._state.db = alias
    return objects


def _value_of(field: models.Field[Any, Any]) -> Callable[[models.Model], Any]:
    """How to read `field`'s column value off an object (the few conversions COPY needs)."""
    if isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add):  # DateTimeField too
        return lambda obj: field.pre_save(obj, add=True)
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def as_json(obj: models.Model) -> Any:
            value = getattr(obj, field.attname)
            return None if value is None else Jsonb(value, dumps=encoder().encode if encoder else None)

        return as_json
    attname = field.attname
    return lambda obj: getattr(obj, attname)
