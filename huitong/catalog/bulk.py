"""The batched write path's shortcuts: what registering thousands of entries at once costs
per entry, cut without changing a stored byte (tests hold it to the per-entry path).

* The cyclic garbage collector is paused (:func:`huitong.gc_pause.gc_paused`): a bulk import
  allocates a few hundred thousand containers that all stay alive, so each collection finds
  nothing yet walks the whole heap again; with 10,000 entries that was a third of the import.
* Rows go to the driver as tuples, through one ``executemany`` (PostgreSQL: ``COPY`` for
  a hundred rows or more): SQLAlchemy's per-row parameter processing cost more than the
  database's insert.
* A new entry's changes are everything it has, so its diff and the JSON of its snapshot
  and changes are built from one encoding of each field (``json.dumps``'s exact text).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import chain, islice
from json.encoder import encode_basestring_ascii
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.orm import Session


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
        if proc is not None:
            todo.append((i, proc))
    return todo


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


def _c_encoder():
    """``json.dumps``'s own C encoder, made once: building one per call cost more than
    encoding a data item. (No cycle check: a snapshot is a tree.)"""
    from json import encoder

    if encoder.c_make_encoder is None:  # an interpreter without the C accelerator
        return json.dumps
    make = encoder.c_make_encoder(
        None, json.JSONEncoder().default, encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
    return lambda value: "".join(make(value, 0))


_encode = _c_encoder()
_LITERALS = {None: "null", True: "true", False: "false"}


def _dumps(value: Any) -> str:
    """``json.dumps(value)``: strings and literals straight, as the encoder itself does them,
    without building an encoder for each (a snapshot has twenty small fields)."""
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if value is None or value is True or value is False:
        return _LITERALS[value]
    return _encode(value)


def new_revision_json(snapshot: dict) -> tuple[Encoded, Encoded, list[str]]:
    """The JSON of a new entry's snapshot and of its changes (``diff_snapshots(None,
    snapshot)`` as ``Change.as_dict`` gives them), and the changed fields in order: each
    value encoded once, for both."""
    pieces, top, items = [], [], []
    for key, value in snapshot.items():
        if key != "items":
            text = _dumps(value)
            pieces.append(_key(key) + text)
            if value is not None:  # against nothing, every field that is not None changed
                top.append((key, text))
            continue
        whole, texts = _each(value)
        pieces.append('"items": ' + whole)
        by_name = {}  # as diff_snapshots: by name, the first one's place, the last one's value
        for item, text in zip(value, texts, strict=True):
            by_name[item["name"]] = text
        items = [(f"items[{name}]", text) for name, text in by_name.items()]
    top.sort(key=lambda kv: kv[0])  # diff_snapshots visits the fields in sorted order, items last
    changes = [_added(field) + text + "}" for field, text in top]
    changes += [_ADDED + _dumps(field) + _AFTER + text + "}" for field, text in items]
    fields = [field for field, _ in top + items]
    return Encoded("{" + ", ".join(pieces) + "}"), Encoded("[" + ", ".join(changes) + "]"), fields


_ADDED, _AFTER = '{"field": ', ', "before": null, "after": '


@lru_cache(maxsize=256)
def _key(key: str) -> str:
    return encode_basestring_ascii(key) + ": "


@lru_cache(maxsize=256)
def _added(field: str) -> str:
    return _ADDED + encode_basestring_ascii(field) + _AFTER


def _each(values: list) -> tuple[str, list[str]]:
    """A list's JSON and each element's, from one encoding: the list's text split where
    elements meet. Dicts' texts meet at "}, {"; when the split does not give one piece
    per element, that text occurs inside one too, and each is encoded on its own instead."""
    whole = _encode(values)
    if len(values) > 1 and all(v.__class__ is dict for v in values):
        pieces = whole[2:-2].split("}, {")
        if len(pieces) == len(values):
            return whole, ["{" + p + "}" for p in pieces]
    return whole, [_encode(v) for v in values]
