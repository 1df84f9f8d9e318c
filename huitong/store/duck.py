"""DuckDB, locked down: the engine for user SQL, diffs and row hashes.

Every connection is in-memory and can only see the Arrow tables registered on it.  It may not
touch the file system (``enable_external_access=false``: no ``COPY … TO``, ``read_csv``, ``ATTACH``
or ``INSTALL``), may not install or load extensions (nothing is downloaded at run time), does not
look up Python variables by name, and its configuration is locked so SQL cannot undo any of this.
User SQL must also be a single ``SELECT`` and is interrupted when its time is up.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping

import duckdb
import pyarrow as pa

from huitong.errors import Forbidden, HuitongError, Problem, invalid

LOCKED_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "enable_external_access": False,
    "python_enable_replacements": False,
    "lock_configuration": True,
}


STORE_MEMORY_LIMIT = "1GB"  # the store's own joins and sorts spill beyond this: a load's bound


def connect(
    tables: Mapping[str, pa.Table] | None = None, *, spill_to: str | None = None
) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory connection that sees only ``tables``; with ``spill_to`` (a directory of its
    own) its joins, sorts and groupings use at most :data:`STORE_MEMORY_LIMIT` and spill the rest."""
    config = dict(LOCKED_CONFIG)
    if spill_to is not None:
        config |= {"memory_limit": STORE_MEMORY_LIMIT, "temp_directory": spill_to}
    con = duckdb.connect(":memory:", config=config)
    for name, table in (tables or {}).items():
        con.register(name, table)
    return con


_shared: tuple[int, duckdb.DuckDBPyConnection] | None = None
_shared_lock = threading.Lock()


def _remove_spill(owner: int, directory: str) -> None:
    """At exit, the spill directory goes, but only in the process that made it: a forked child
    inherits the exit handler and must not delete its parent's files."""
    if os.getpid() == owner:
        shutil.rmtree(directory, ignore_errors=True)


def scratch(tables: Mapping[str, pa.Table] | None = None) -> duckdb.DuckDBPyConnection:
    """A connection for the store's own work (hashes, diffs): a cursor on one shared locked-down
    database, so it costs microseconds instead of a new database's tens of milliseconds.  Tables
    registered on a cursor are visible to that cursor only; the database spills to a temporary
    directory of this process's own, so a diff of millions of rows does not need them all in
    memory.  User SQL never runs here."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared[0] != os.getpid():  # a forked child needs its own
            spill = tempfile.mkdtemp(prefix="huitong-duckdb-")
            atexit.register(_remove_spill, os.getpid(), spill)
            _shared = (os.getpid(), connect(spill_to=spill))
        con = _shared[1].cursor()
    for name, table in (tables or {}).items():
        con.register(name, table)
    return con


def quote(name: str) -> str:
    """A SQL identifier for any column name (中文, spaces, dots, quotes)."""
    return '"' + name.replace('"', '""') + '"'


class QueryTimeout(HuitongError):
    def __init__(self, seconds: float):
        super().__init__(
            f"the query ran longer than its {seconds:g} s limit and was stopped; "
            "narrow it (fewer rows, a WHERE clause, a LIMIT) or ask for a longer limit",
            code="query_timeout",
            status=408,
        )


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def run_select(
    con: duckdb.DuckDBPyConnection, sql: str, timeout: float, budget: float | None = None
) -> pa.Table:
    """Run one user ``SELECT`` on ``con`` and return its rows, or refuse clearly.

    Anything but a single SELECT (``COPY``, ``CREATE``, ``INSERT``, ``SET``, ``PRAGMA``, ``ATTACH``,
    ``INSTALL``, several statements) is refused before it runs; file access inside a SELECT is
    refused by the connection itself; after ``timeout`` seconds (or what is left of them,
    ``budget``, when reading the data took some) the query is interrupted.
    """
    budget = timeout if budget is None else budget
    text = (sql or "").strip()
    if not text:
        raise invalid("the query is empty", Problem("write one SELECT statement", field="sql"))
    if budget <= 0:
        raise QueryTimeout(timeout)
    try:
        statements = con.extract_statements(text)
    except duckdb.Error as exc:
        raise invalid("the query is not valid SQL", Problem(_first_line(exc), field="sql")) from None
    if len(statements) != 1:
        raise invalid(
            f"one statement at a time, please (got {len(statements)})",
            Problem("several statements", field="sql"),
        )
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise Forbidden(f"only a SELECT query may run here, not {kind.name}")
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        con.interrupt()

    timer = threading.Timer(budget, stop)
    timer.daemon = True
    started = time.monotonic()
    timer.start()
    try:
        return con.sql(text).to_arrow_table()
    except duckdb.InterruptException as exc:
        raise QueryTimeout(timeout) from exc
    except duckdb.PermissionException as exc:
        raise Forbidden(
            f"the query may not read or write files or load extensions ({_first_line(exc)})"
        ) from exc
    except duckdb.Error as exc:
        if timed_out.is_set() or time.monotonic() - started >= budget:
            raise QueryTimeout(timeout) from exc
        raise invalid(
            f"the query failed: {_first_line(exc)}", Problem(_first_line(exc), field="sql")
        ) from exc
    finally:
        timer.cancel()
