"""Inserting many rows at once, below the ORM: tuples straight to the driver.

SQLAlchemy's per-row parameter processing cost more than the database's insert when a bulk
import writes a hundred thousand rows; here each value still goes through its column type's
bind processor, once, and PostgreSQL is sent a ``COPY``. Used by the catalog's bulk
registration, the ledger's ``record_many`` and a load's rejects; tests hold what it stores to the ORM's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import chain, islice
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Table
from sqlalchemy.orm import Session

from huitong.db.base import UTCDateTime


class Encoded(str):
    """JSON text already encoded exactly as the column's serializer (``json.dumps``) would."""


def _json_binder(dialect):
    """How pre-encoded JSON text is handed to this driver, or None to decode it and let the
    column's own processor encode it again (a custom serializer, a driver not known here)."""
    if getattr(dialect, "_json_serializer", None) not in (None, json.dumps):
        return None
    if dialect.name == "sqlite":
        return str  # SQLite stores the serializer's text as it is
    if dialect.driver == "psycopg":
        from psycopg.types.json import Json  # what SQLAlchemy wraps a JSON value in for psycopg

        return lambda text: Json(text, dumps=str)
    return None


COPY_FROM = 100  # rows from which PostgreSQL is sent a COPY (fewer: one statement, as before)


def insert_rows(session: Session, table: Table, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Insert ``rows`` (values in ``columns`` order) in one ``executemany`` or ``COPY``,
    each value converted by its column type's bind processor as SQLAlchemy would; an
    :class:`Encoded` value in a JSON column is passed as the text it already is. ``rows``
    is read once, in order; a ``COPY`` sends each row as it comes."""
    connection = session.connection()
    dialect = connection.dialect
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
    if mark is None:  # a driver with another parameter style: SQLAlchemy does it all
        plain = [[json.loads(v) if isinstance(v, Encoded) else v for v in row] for row in rows]
        if plain:
            session.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in plain])
        return
    todo = _processors(table, tuple(columns), dialect)
    if todo:
        rows = (_processed(row, todo) for row in rows)
    quote = dialect.identifier_preparer.quote
    target = f"{dialect.identifier_preparer.format_table(table)} ({', '.join(quote(c) for c in columns)})"
    rows = iter(rows)
    head = list(islice(rows, COPY_FROM))
    if len(head) == COPY_FROM and dialect.name == "postgresql" and dialect.driver == "psycopg":
        # COPY, in the session's transaction: five times psycopg's executemany, which
        # pipelines a statement per row; the server stores rows while later ones are made
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for row in chain(head, rows):
                copy.write_row(row)
        return
    rows = head + list(rows)
    if rows:
        connection.exec_driver_sql(f"INSERT INTO {target} VALUES ({', '.join([mark] * len(columns))})", rows)


@lru_cache(maxsize=64)
def _processors(table: Table, columns: tuple[str, ...], dialect) -> list[tuple[int, Any]]:
    """(position, bind processor) of the columns whose values the driver does not take as
    they are; made once per table and driver (registering one entry writes three tables)."""
    binder = _json_binder(dialect)
    todo = []
    for i, name in enumerate(columns):
        type_ = table.c[name].type
        proc = type_.dialect_impl(dialect).bind_processor(dialect)
        if isinstance(type_, JSON):
            proc = _encoded_aware(proc, binder)
        elif proc is not None and isinstance(type_, Boolean):
            proc = _bool_table(proc)
        elif proc is not None and isinstance(type_, DateTime | Date | UTCDateTime):
            proc = _last_remembered(proc)
        if proc is not None:
            todo.append((i, proc))
    return todo


def _bool_table(proc):
    """A Boolean column's processor, its answers for True, False and None made once."""
    table = {True: proc(True), False: proc(False), None: proc(None)}

    def process(value):
        return table[value] if value is None or value.__class__ is bool else proc(value)

    return process


def _last_remembered(proc):
    """A date or time column's processor that answers the value it was just given (the same
    object: a batch's rows share one timestamp) without converting it again."""
    last = (object(), None)

    def process(value):
        nonlocal last
        seen, result = last  # one tuple: another thread never sees a value with another's result
        if value is not seen:
            result = proc(value)
            last = (value, result)
        return result

    return process


def _encoded_aware(proc, binder):
    """A JSON column's processor that passes :class:`Encoded` text on as it is."""

    def process(value):
        if isinstance(value, Encoded):
            if binder is not None:
                return binder(str(value))
            value = json.loads(value)
        return proc(value) if proc is not None else value

    return process


def _processed(row: tuple, todo: list) -> tuple:
    row = list(row)
    for i, proc in todo:
        row[i] = proc(row[i])  # None too: a JSON column stores it as 'null', as SQLAlchemy does
    return tuple(row)
