"""Single-statement reads for the hot delivery paths (a consumer system's credential, a grant's
state and today's use), each on its thread's own connection in autocommit mode.

A read through SQLAlchemy costs a pool checkout, ``BEGIN``, result processing and ``ROLLBACK``
around a lookup that SQLite answers in microseconds; on the verification path that was a third
of the server's time. Here one statement is one implicit transaction, so it always sees what
was committed before it started, and nothing is held between calls. Only for plain columns
(integers, strings); anything richer goes through SQLAlchemy.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from sqlalchemy import Engine


class HotReads:
    """Per-thread autocommit connections, outside the pool, closed with the database."""

    def __init__(self, engine: Engine):
        self._engine = engine
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[Any] = set()
        self.dialect = engine.dialect.name

    def sql(self, text: str) -> str:
        """``text`` written with ``?`` placeholders, in this driver's parameter style."""
        return text.replace("?", "%s") if self.dialect == "postgresql" else text

    def _connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None or conn not in self._open:  # none yet on this thread, or closed since
            pooled = self._engine.raw_connection()  # runs the engine's connect hooks (PRAGMAs)
            conn = pooled.driver_connection
            pooled.detach()  # ours from now on: its autocommit mode never goes back to the pool
            if self.dialect == "postgresql":
                conn.autocommit = True
            else:
                conn.isolation_level = None  # autocommit: a SELECT holds no transaction open
            with self._lock:
                self._open.add(conn)
            self._local.conn = conn
        return conn

    def one(self, sql: str, params: tuple) -> tuple | None:
        """The first row of ``sql`` (already in this driver's style, see :meth:`sql`), or None.
        A broken connection (a restarted server) is replaced once."""
        for attempt in (1, 2):
            conn = self._connection()
            try:
                rows = conn.execute(sql, params).fetchall()  # fetched to the end: no open statement
                return tuple(rows[0]) if rows else None
            except Exception as exc:  # the driver's own error types differ per backend
                self._drop(conn)
                if attempt == 2 or not _is_disconnect(exc):
                    raise
        return None  # not reached

    def _drop(self, conn) -> None:
        self._local.conn = None
        with self._lock:
            self._open.discard(conn)
        with contextlib.suppress(Exception):  # already broken
            conn.close()

    def close(self) -> None:
        with self._lock:
            conns, self._open = self._open, set()
        for conn in conns:
            with contextlib.suppress(Exception):  # made on another thread, or already closed
                conn.close()


def _is_disconnect(exc: Exception) -> bool:
    # PEP 249 drivers raise a lost or unusable connection as (a subclass of) these
    return any(c.__name__ in {"OperationalError", "InterfaceError"} for c in type(exc).__mro__)
