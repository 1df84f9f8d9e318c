"""What changed between two sets of rows: added, removed and changed (pure, on Arrow tables).

With key columns a row is identified by its key: a key only in the later rows is *added*, only in
the earlier rows *removed*, in both with another ``_row_hash`` *changed*.  Without a key rows are
compared by ``_row_hash`` as multisets, so three equal rows becoming two is one removed row; nothing
is ever "changed" then, because nothing says which old row a new one replaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from huitong.store import duck
from huitong.store.duck import quote
from huitong.store.schema import ROW_HASH


@dataclass(frozen=True)
class Diff:
    """Rows that differ from version ``a`` to version ``b``, ordered by key (or row hash).

    ``changed`` holds the changed rows as they are in ``b``; ``changed_before`` the same keys, in the
    same order, as they were in ``a``.
    """

    a: int | None
    b: int | None
    key: tuple[str, ...]
    added: pa.Table
    removed: pa.Table
    changed: pa.Table
    changed_before: pa.Table

    @property
    def is_empty(self) -> bool:
        return not (self.added.num_rows or self.removed.num_rows or self.changed.num_rows)

    def counts(self) -> dict[str, int]:
        return {
            "added": self.added.num_rows,
            "removed": self.removed.num_rows,
            "changed": self.changed.num_rows,
        }


@dataclass(frozen=True)
class Counts:
    inserted: int
    updated: int
    deleted: int


def _queries(key: Sequence[str]) -> dict[str, str]:
    if key:
        using = ", ".join(quote(k) for k in key)
        order = using
        join = " AND ".join(f"a.{quote(k)} = b.{quote(k)}" for k in key)
        return {
            "added": f"SELECT * FROM after_rows ANTI JOIN before_rows USING ({using}) ORDER BY {order}",
            "removed": f"SELECT * FROM before_rows ANTI JOIN after_rows USING ({using}) ORDER BY {order}",
            "changed": f"SELECT a.* FROM after_rows a JOIN before_rows b ON {join} "
            f"WHERE a.{ROW_HASH} <> b.{ROW_HASH} ORDER BY {', '.join('a.' + quote(k) for k in key)}",
            "changed_before": f"SELECT b.* FROM after_rows a JOIN before_rows b ON {join} "
            f"WHERE a.{ROW_HASH} <> b.{ROW_HASH} ORDER BY {', '.join('a.' + quote(k) for k in key)}",
        }
    numbered = (
        f"WITH a AS (SELECT *, row_number() OVER (PARTITION BY {ROW_HASH}) AS __n FROM after_rows), "
        f"b AS (SELECT *, row_number() OVER (PARTITION BY {ROW_HASH}) AS __n FROM before_rows) "
    )
    return {
        "added": numbered
        + f"SELECT * EXCLUDE (__n) FROM a ANTI JOIN b USING ({ROW_HASH}, __n) ORDER BY {ROW_HASH}",
        "removed": numbered
        + f"SELECT * EXCLUDE (__n) FROM b ANTI JOIN a USING ({ROW_HASH}, __n) ORDER BY {ROW_HASH}",
    }


def compare(
    before: pa.Table,
    after: pa.Table,
    key: Sequence[str],
    schema: pa.Schema,
    a: int | None = None,
    b: int | None = None,
) -> Diff:
    """The rows of ``after`` against those of ``before``; both carry ``_row_hash`` and the key.

    ``schema`` is the output's columns and types (both inputs are projected onto it).
    """
    con = duck.scratch({"before_rows": before, "after_rows": after})
    try:
        out: dict[str, pa.Table] = {}
        for name, sql in _queries(key).items():
            out[name] = _fit(con.sql(sql).to_arrow_table(), schema)
    finally:
        con.close()
    empty = schema.empty_table()
    return Diff(
        a,
        b,
        tuple(key),
        out["added"],
        out["removed"],
        out.get("changed", empty),
        out.get("changed_before", empty),
    )


def count(
    before: pa.Table | pa.RecordBatchReader, after: pa.Table | pa.RecordBatchReader, key: Sequence[str]
) -> Counts:
    """How many rows ``after`` inserts, updates and deletes relative to ``before`` (as :func:`compare`).

    One query reads each side once, so either may be a stream (a large load's parts, a version's
    files) that DuckDB joins within its memory limit, spilling the rest."""
    h = quote(ROW_HASH)
    if key:
        on = " AND ".join(f"a.{quote(k)} = b.{quote(k)}" for k in key)
        sql = (
            f"SELECT count(*) FILTER (WHERE b.__in IS NULL), count(*) FILTER (WHERE a.__in IS NULL), "
            f"count(*) FILTER (WHERE a.__in AND b.__in AND a.{h} <> b.{h}) "
            f"FROM (SELECT *, true AS __in FROM after_rows) a "
            f"FULL JOIN (SELECT *, true AS __in FROM before_rows) b ON {on}"
        )
    else:  # multisets of row hashes: three equal rows becoming two is one removed
        sql = (
            f"WITH a AS (SELECT {h}, count(*) AS n FROM after_rows GROUP BY {h}), "
            f"b AS (SELECT {h}, count(*) AS n FROM before_rows GROUP BY {h}) "
            f"SELECT coalesce(sum(greatest(coalesce(a.n, 0) - coalesce(b.n, 0), 0)), 0), "
            f"coalesce(sum(greatest(coalesce(b.n, 0) - coalesce(a.n, 0), 0)), 0), 0 "
            f"FROM a FULL JOIN b ON a.{h} = b.{h}"
        )
    con = duck.scratch({"before_rows": before, "after_rows": after})
    try:
        added, removed, changed = con.sql(sql).fetchall()[0]
    finally:
        con.close()
    return Counts(inserted=int(added), updated=int(changed), deleted=int(removed))


def _fit(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """DuckDB's result with the store's column names, order and Arrow types."""
    arrays = [table.column(f.name).cast(f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)
