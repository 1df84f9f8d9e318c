"""Tables and read-only queries in a department's database (SQLite, PostgreSQL, MySQL/MariaDB).

Read-only is enforced twice: a query must be one SELECT/WITH statement, and the work runs in a
read-only transaction (PostgreSQL ``SET TRANSACTION READ ONLY``, MySQL ``START TRANSACTION READ
ONLY``, SQLite opened with ``mode=ro`` and ``PRAGMA query_only``), so even a data-modifying CTE
is refused by the database itself.  Nothing is ever pasted into SQL text: tables are reflected
and named through SQLAlchemy, the watermark column of a query is quoted by the dialect's own
identifier quoting, and every value travels as a bound parameter.

Incremental reads: with ``watermark_column`` the rows come in that column's order, only those
with a value greater than ``watermark`` when one is given, and afterwards ``source.watermark``
is the greatest value read (unchanged when nothing was new).  Pass it back next time; an ISO
text form (as stored in a config file) is converted to the column's type.  Rows whose
watermark is NULL are read by a full load only, and a row written later with exactly the last
watermark value is not picked up: use a column that only grows (a sequence or a commit time).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, create_engine, inspect, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import MetaData

from huitong.aggregate.sources.base import (
    DEFAULT_BATCH_SIZE,
    Column,
    Description,
    Row,
    Source,
    check_batch_size,
    register,
)
from huitong.errors import HuitongError, NotFound, Problem, invalid

_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_READ_VERBS = ("select", "with", "values")
ALIAS = "huitong_q"


def check_query(query: str) -> str:
    """The query without a trailing semicolon, if it is one read-only statement."""
    if not isinstance(query, str) or not query.strip():
        raise invalid("query is empty")
    body = _COMMENT.sub(" ", query).strip().rstrip(";").strip()
    if ";" in body:
        raise invalid("query must be a single statement (found a ';' inside it)")
    verb = body.split(None, 1)[0].lower() if body else ""
    if verb not in _READ_VERBS:
        raise invalid(
            f"query must be a SELECT (or WITH … SELECT) statement: this source only reads, got {verb.upper()!r}"
        )
    return query.strip().rstrip(";").rstrip()


def _coerce(value: Any, column: Any) -> Any:
    """A watermark read back from configuration (text) as the column's Python type."""
    if not isinstance(value, str):
        return value
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return value
    try:
        if kind is datetime:
            return datetime.fromisoformat(value)
        if kind is date:
            return date.fromisoformat(value)
        if kind is int:
            return int(value)
        if kind in (float, Decimal):
            return Decimal(value)
    except (ValueError, ArithmeticError):
        raise invalid(
            f"watermark {value!r} is not a valid {kind.__name__} for column {column.name!r}"
        ) from None
    return value


@register("sql")
class SqlSource(Source):
    """Rows of a table or of a read-only query.

    Options: ``url`` (SQLAlchemy URL: ``sqlite:///path.db``,
    ``postgresql+psycopg://user@host/db``, ``mysql+pymysql://user@host/db``); ``table`` (with
    ``schema``) or ``query`` (with ``params`` for its ``:name`` placeholders); ``watermark_column``
    and ``watermark`` for incremental reads; ``key_columns`` to name rows in messages (default:
    the table's primary key); ``name`` for messages.
    """

    kind = "sql"

    def __init__(
        self,
        *,
        url: str,
        table: str | None = None,
        schema: str | None = None,
        query: str | None = None,
        params: dict[str, Any] | None = None,
        watermark_column: str | None = None,
        watermark: Any = None,
        key_columns: list[str] | None = None,
        name: str | None = None,
    ):
        if (table is None) == (query is None):
            raise invalid("a sql source needs either table or query (not both)")
        self.query = check_query(query) if query is not None else None
        self.table_name = table
        self.schema = schema
        self.params = dict(params or {})
        self.watermark_column = watermark_column
        self.watermark = watermark
        self.key_columns = list(key_columns or [])
        self._url = url
        self._engine: Engine | None = None
        self._read = 0
        self._result: Any = None
        self.shown_url = self._display(url)
        self._password = self._secret(url)
        self.name = name or (f"{schema}.{table}" if schema and table else table) or "query"

    def __repr__(self) -> str:
        return f"SqlSource({self.name!r} at {self.shown_url})"

    # -------------------------------------------------------------- connecting

    @staticmethod
    def _display(url: str) -> str:
        try:
            return make_url(url).render_as_string(hide_password=True)
        except ArgumentError:
            return "<unreadable URL>"

    @staticmethod
    def _secret(url: str) -> str | None:
        try:
            password = make_url(url).password
        except ArgumentError:
            return None
        return str(password) if password else None

    def _fail(self, message: str, status: int = 502) -> HuitongError:
        password = self._password
        if password:
            message = message.replace(str(password), "***")
        return HuitongError(
            f"{self.name}: {message}",
            code="source_failed",
            problems=[Problem(message, file=self.name)],
            status=status,
        )

    def _make_engine(self) -> Engine:
        if self._engine is not None:
            return self._engine
        try:
            url = make_url(self._url)
        except ArgumentError:
            raise invalid(
                f"{self._url!r} is not a database URL (e.g. postgresql+psycopg://user@host/db)"
            ) from None
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            path = Path(url.database)
            if not path.is_file():
                raise NotFound(f"{self.name}: no database file {path}")
            # mode=ro: reading never creates or changes the file
            url = url.set(database=path.resolve().as_uri(), query={"mode": "ro", "uri": "true"})
        try:
            # no pool: a source opens a connection per describe()/batches() and nothing should
            # stay open in between, whether or not the caller remembers close()
            self._engine = create_engine(url, poolclass=NullPool)
        except (NoSuchModuleError, ImportError) as exc:
            raise invalid(f"no database driver for {self.shown_url}: {exc}") from None
        return self._engine

    def _connect(self) -> Connection:
        engine = self._make_engine()
        try:
            conn = engine.connect()
            dialect = engine.dialect.name
            if dialect == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            elif dialect in ("mysql", "mariadb"):
                conn.exec_driver_sql("START TRANSACTION READ ONLY")
            elif dialect == "sqlite":
                conn.exec_driver_sql("PRAGMA query_only = ON")
        except SQLAlchemyError as exc:
            raise self._fail(f"cannot connect to {self.shown_url}: {_reason(exc)}") from None
        return conn

    # -------------------------------------------------------------- statements

    def _table(self, conn: Connection) -> Table:
        try:
            return Table(self.table_name, MetaData(), schema=self.schema, autoload_with=conn)
        except NoSuchTableError:
            names = inspect(conn).get_table_names(schema=self.schema)
            listing = ", ".join(names[:30]) + (" …" if len(names) > 30 else "")
            raise invalid(
                f"no table {self.name!r} in {self.shown_url}; the tables are: {listing or '(none)'}",
                Problem(f"no table {self.name!r}", file=self.name),
            ) from None

    def _statement(self, conn: Connection) -> tuple[Any, list[str]]:
        """The SELECT to run and the columns naming a row in messages."""
        wm = self.watermark_column
        if self.table_name is not None:
            table = self._table(conn)
            stmt = select(table)
            if wm is not None:
                if wm not in table.c:
                    raise invalid(
                        f"{self.name} has no column {wm!r} for the watermark; columns: {', '.join(table.c.keys())}"
                    )
                column = table.c[wm]
                if self.watermark is not None:
                    value = _coerce(self.watermark, column)
                    stmt = stmt.where(column > bindparam("huitong_watermark", value, type_=column.type))
                stmt = stmt.order_by(column)
            elif table.primary_key.columns:
                stmt = stmt.order_by(*table.primary_key.columns)
            keys = self.key_columns or [c.name for c in table.primary_key.columns]
            return stmt, keys
        assert self.query is not None
        sql, params = self.query, dict(self.params)
        if wm is not None:
            columns = self._query_columns(conn)
            if wm not in columns:
                raise invalid(
                    f"the query has no column {wm!r} for the watermark; columns: {', '.join(columns)}"
                )
            quoted = conn.dialect.identifier_preparer.quote_identifier(wm)
            sql = f"SELECT * FROM ({sql}) AS {ALIAS}"
            if self.watermark is not None:
                sql += f" WHERE {ALIAS}.{quoted} > :huitong_watermark"
                params["huitong_watermark"] = self.watermark
            sql += f" ORDER BY {ALIAS}.{quoted}"
        return text(sql).bindparams(**params), self.key_columns

    def _query_columns(self, conn: Connection) -> list[str]:
        sql = f"SELECT * FROM ({self.query}) AS {ALIAS} WHERE 1 = 0"
        result = self._execute(conn, text(sql).bindparams(**self.params))
        keys = list(result.keys())
        result.close()
        return keys

    def _execute(self, conn: Connection, stmt: Any, **options: Any) -> Any:
        try:
            return conn.execution_options(**options).execute(stmt)
        except SQLAlchemyError as exc:
            raise self._fail(f"the database refused the query: {_reason(exc)}", status=422) from None

    # -------------------------------------------------------------- Source

    def describe(self) -> Description:
        with self._connect() as conn:
            if self.table_name is not None:
                table = self._table(conn)
                names = [c.name for c in table.columns]
            else:
                names = self._query_columns(conn)
        _unique(names, self)
        columns = tuple(Column(n, i, (n,)) for i, n in enumerate(names, start=1))
        notes = (f"read-only from {self.shown_url}",)
        return Description(kind=self.kind, source=self.name, columns=columns, notes=notes)

    def batches(self, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[list[Row]]:
        check_batch_size(batch_size)
        self._read = 0
        newest = self.watermark
        with self._connect() as conn:
            try:
                for batch in self._stream(conn, batch_size):
                    for row in batch:
                        value = row.values.get(self.watermark_column) if self.watermark_column else None
                        if value is not None:
                            newest = value
                    yield batch
            except BaseException:
                _abandon(conn, self._result)
                raise
            conn.rollback()  # nothing was written; end the read-only transaction
        self.watermark = newest

    def _stream(self, conn: Connection, batch_size: int) -> Iterator[list[Row]]:
        stmt, keys = self._statement(conn)
        result = self._result = self._execute(conn, stmt, stream_results=True, yield_per=batch_size)
        names = list(result.keys())
        _unique(names, self)
        missing = [k for k in keys if k not in names]
        if missing:
            raise invalid(
                f"key column(s) {', '.join(missing)} are not in {self.name}; columns: {', '.join(names)}"
            )
        try:
            for part in result.partitions(batch_size):
                batch = []
                for values in part:
                    self._read += 1
                    record = dict(zip(names, values, strict=True))
                    key = ", ".join(f"{k}={record[k]}" for k in keys) or None
                    batch.append(Row(record, self._read, self.name, key=key))
                yield batch
        except SQLAlchemyError as exc:
            raise self._fail(f"reading failed after {self._read} rows: {_reason(exc)}") from None

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _abandon(conn: Connection, result: Any) -> None:
    """After an error, or when the caller stopped early: drop the connection instead of draining
    a streaming cursor that may still hold millions of rows.  PyMySQL would otherwise read every
    remaining row when the result object is collected, on a socket that is already closed."""
    cursor = getattr(result, "cursor", None)
    pending = getattr(cursor, "_result", None)
    if getattr(pending, "unbuffered_active", False):
        pending.unbuffered_active = False
    if cursor is not None:
        with contextlib.suppress(Exception):  # a cursor on a broken connection may not close cleanly
            cursor.close()
    conn.invalidate()


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return " ".join(str(orig if orig is not None else exc).split())[:300]


def _unique(names: list[str], source: SqlSource) -> None:
    seen = {n for n in names if names.count(n) > 1}
    if seen:
        raise invalid(
            f"{source.name}: the result has more than one column called {', '.join(sorted(seen))}; "
            "give them distinct names with AS"
        )
