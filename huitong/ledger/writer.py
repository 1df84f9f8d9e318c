"""Group commit: many callers' entries written in one transaction, each caller released
only once that transaction is durable.

A commit costs one fsync whatever its size, so batching is what makes tens of thousands
of durable appends a second possible; a caller never waits for more than one commit
(plus the one in progress). Acknowledged means committed: a crash after ``append``
returns loses nothing, a crash before it returns leaves the caller with an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.orm import Session

from huitong.db.base import Base, Database
from huitong.errors import HuitongError
from huitong.ledger.leaf import LEAF_FIELDS
from huitong.ledger.tables import EvidenceEntry, EvidenceSubject


class _Batch:
    """Entries that commit together, and one event that releases all their callers at once:
    waking each caller through its own future cost more than the insert itself."""

    __slots__ = ("items", "ids", "error", "done", "callbacks", "futures", "lock")

    def __init__(self) -> None:
        self.items: list[tuple[dict[str, Any], Sequence[str], Sequence[Any]]] = []
        self.ids: list[int] = []
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.callbacks: list = []
        self.futures: dict[asyncio.AbstractEventLoop, list[asyncio.Future]] = {}  # callers on event loops
        self.lock = threading.Lock()

    def finish(self) -> None:
        with self.lock:
            self.done.set()
            callbacks, self.callbacks = self.callbacks, []
            futures, self.futures = self.futures, {}
        for fn in callbacks:
            fn()
        for loop, waiting in futures.items():  # one wake-up per loop, not one per caller
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(_release, waiting)


def _release(futures: list[asyncio.Future]) -> None:
    for fut in futures:
        if not fut.done():  # a caller that went away was cancelled
            fut.set_result(None)


class Ticket:
    """A claim on one submitted entry: ``result()`` returns its id once it is durable."""

    __slots__ = ("_batch", "_index", "_timeout")

    def __init__(self, batch: _Batch, index: int, timeout: float) -> None:
        self._batch, self._index, self._timeout = batch, index, timeout

    def done(self) -> bool:
        return self._batch.done.is_set()

    def on_done(self, fn) -> None:
        """Call ``fn()`` once the entry is durable (or failed), from the writer's thread, or now."""
        batch = self._batch
        with batch.lock:
            if not batch.done.is_set():
                batch.callbacks.append(fn)
                return
        fn()

    async def wait(self) -> int:
        """``result()`` for an event loop: no thread is held while the batch commits."""
        loop = asyncio.get_running_loop()
        batch = self._batch
        with batch.lock:
            fut = None if batch.done.is_set() else loop.create_future()
            if fut is not None:
                batch.futures.setdefault(loop, []).append(fut)
        if fut is not None:
            await fut
        return self.result(0)

    def result(self, timeout: float | None = None) -> int:
        if not self._batch.done.wait(self._timeout if timeout is None else timeout):
            raise HuitongError("the ledger did not confirm the entry in time", status=503)
        if self._batch.error is not None:
            raise self._batch.error
        return self._batch.ids[self._index]


class GroupCommitWriter:
    def __init__(self, db: Database, *, max_batch: int = 10_000, timeout: float = 30.0) -> None:
        self.db, self.max_batch, self.timeout = db, max_batch, timeout
        self._full: list[_Batch] = []
        self._open = _Batch()
        self._cond = threading.Condition()
        self._waiting = False  # the writer thread sleeps for want of work
        self._thread: threading.Thread | None = None
        self._closed = False
        self.commits = 0  # batches written, for benchmarks and tests

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="huitong-ledger-writer", daemon=True)
            self._thread.start()

    def submit(
        self, values: dict[str, Any], subjects: Sequence[str] = (), effects: Sequence[Any] = ()
    ) -> Ticket:
        """Queue one entry. ``effects`` are writes that must commit with it (and only with it):
        :class:`RowInsert` inserts and :class:`Increment` counters, applied in the entry's transaction."""
        with self._cond:
            if self._closed:
                raise HuitongError("the ledger writer is closed", status=503)
            batch = self._open
            batch.items.append((values, subjects, effects))
            if len(batch.items) >= self.max_batch:
                self._full.append(batch)
                self._open = _Batch()
            if self._thread is None:
                self._ensure_thread()
            if self._waiting:
                self._cond.notify()
        return Ticket(batch, len(batch.items) - 1, self.timeout)

    def append(self, values: dict[str, Any], subjects: Sequence[str] = ()) -> int:
        """Write one entry; returns its id once the entry is durable."""
        return self.submit(values, subjects).result(self.timeout)

    def append_many(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        tickets = [self.submit(v) for v in rows]
        return [t.result(self.timeout) for t in tickets]

    def _take(self) -> list[_Batch] | None:
        with self._cond:
            while not self._full and not self._open.items:
                if self._closed:
                    return None
                self._waiting = True
                self._cond.wait()
                self._waiting = False
            taken = self._full
            if self._open.items:
                taken = [*taken, self._open]
                self._open = _Batch()
            self._full = []
            return taken

    def _run(self) -> None:
        while (taken := self._take()) is not None:
            for batch in taken:
                try:
                    batch.ids = self._write(batch.items)
                except HuitongError as exc:  # every waiting caller learns the write failed
                    batch.error = exc
                except Exception as exc:
                    batch.error = HuitongError(
                        f"the ledger could not record evidence: {type(exc).__name__}", status=503
                    )
                batch.finish()

    def _write(self, batch) -> list[int]:
        ids = write_batch(self.db, batch)
        self.commits += 1
        return ids

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout)


def write_batch(
    db: Database, batch: Sequence[tuple[dict[str, Any], Sequence[str], Sequence[Any]]]
) -> list[int]:
    """One transaction: the entries with their ids, their subject keys and their effects."""
    with db.session() as s:
        ids = _reserve_ids(s, len(batch))
        rows = [dict(values, id=entry_id) for (values, _, _), entry_id in zip(batch, ids, strict=True)]
        if s.get_bind().dialect.name == "postgresql":
            _copy_pg(s, rows)
        else:
            _insert_sqlite(s, rows)
        subjects = [
            [entry_id, key]
            for (_, keys, _), entry_id in zip(batch, ids, strict=True)
            for key in dict.fromkeys(keys)
        ]
        if subjects:
            _insert_many(s, EvidenceSubject.__table__, ("entry_id", "subject"), subjects)
        _apply_effects(s, [e for _, _, effects in batch for e in effects])
    return ids


@dataclass(frozen=True)
class RowInsert:
    """A row to insert in the same transaction as its evidence entry."""

    table: Table
    values: dict[str, Any]

    def __reduce__(self):  # by table name: the ledger writer process has its own metadata
        return (_row, (self.table.name, self.values))


@dataclass(frozen=True)
class Increment:
    """Add ``deltas`` to the counters of the row ``key`` (created at zero when missing)."""

    table: Table
    key: tuple[tuple[str, Any], ...]
    deltas: tuple[tuple[str, int], ...]

    def __reduce__(self):
        return (_increment, (self.table.name, self.key, self.deltas))


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def table_modules() -> list[str]:
    """The modules that define the mapped tables this process knows: a writer child imports
    them so every effect's table can be found by name."""
    return sorted({m.class_.__module__ for m in Base.registry.mappers})


def _row(name: str, values: dict[str, Any]) -> RowInsert:
    return RowInsert(_table(name), values)


def _increment(name: str, key: tuple, deltas: tuple) -> Increment:
    return Increment(_table(name), key, deltas)


def _apply_effects(session: Session, effects: list[Any]) -> None:
    inserts: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    counters: dict[tuple[Table, tuple], dict[str, int]] = {}
    for e in effects:
        if isinstance(e, RowInsert):
            inserts.setdefault((e.table, tuple(e.values)), []).append(e.values)
        else:
            sums = counters.setdefault((e.table, e.key), {})
            for col, d in e.deltas:
                sums[col] = sums.get(col, 0) + d
    for (table, columns), rows in inserts.items():
        _insert_many(session, table, columns, [[r[c] for c in columns] for r in rows])
    grouped: dict[tuple, list[list[Any]]] = {}
    for (table, key), sums in counters.items():
        names = tuple(sorted(sums))
        grouped.setdefault((table, tuple(k for k, _ in key), names), []).append(
            [v for _, v in key] + [sums[c] for c in names]
        )
    for (table, key, names), params in grouped.items():
        _insert_many(session, table, (*key, *names), params, add_on_conflict=(key, names))


def _insert_many(
    session: Session,
    table: Table,
    columns: tuple[str, ...],
    params: list[list[Any]],
    *,
    add_on_conflict: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
) -> None:
    """The driver's own executemany, each value converted as its column type would: the group
    commit's rows without SQLAlchemy's per-row statement machinery. With
    ``add_on_conflict=(key, counters)`` an existing row's counters are added to instead."""
    dialect = session.get_bind().dialect
    sql, convert = _insert_sql(dialect, table, columns, add_on_conflict)
    rows = [[f(v) if f else v for f, v in zip(convert, row, strict=True)] for row in params]
    cursor = session.connection().connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


@functools.cache
def _insert_sql(dialect, table: Table, columns: tuple[str, ...], add_on_conflict) -> tuple[str, list]:
    q = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {q(table.name)} ({', '.join(q(c) for c in columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    if add_on_conflict:  # the same clause on SQLite and PostgreSQL
        key, counters = add_on_conflict
        sql += f" ON CONFLICT ({', '.join(q(c) for c in key)}) DO UPDATE SET " + ", ".join(
            f"{q(c)} = {q(table.name)}.{q(c)} + excluded.{q(c)}" for c in counters
        )
    convert = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    return sql, convert


_COLUMNS = (*LEAF_FIELDS, "at", "details", "salt")  # every column an entry is written with


def _reserve_ids(session: Session, n: int) -> list[int]:
    """Entry ids for a batch, taken before the insert so it needs no RETURNING."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence('evidence_entry', 'id')) FROM generate_series(1, :n)"
            ),
            {"n": n},
        )
        return sorted(r[0] for r in rows)
    # SQLite: the unit of work began IMMEDIATE, so it holds the write lock; nobody else inserts.
    start = (session.scalar(text("SELECT max(id) FROM evidence_entry")) or 0) + 1
    return list(range(start, start + n))


def _insert_sqlite(session: Session, rows: list[dict]) -> None:
    """Ids are known (no RETURNING); values are converted as the ORM would store them."""
    _insert_many(session, EvidenceEntry.__table__, _COLUMNS, [[row[c] for c in _COLUMNS] for row in rows])


def _copy_pg(session: Session, rows: list[dict]) -> None:
    """COPY is PostgreSQL's bulk path: one stream instead of a statement per row."""
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY evidence_entry ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in _COLUMNS])


def writer_for(db: Database) -> GroupCommitWriter:
    """The writer that belongs to this database handle (one per process)."""
    return db.parts.get(GroupCommitWriter, lambda: GroupCommitWriter(db))
