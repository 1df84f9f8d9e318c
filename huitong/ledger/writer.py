"""Group commit: many callers' entries written in one transaction, each caller released
only once that transaction is durable.

A commit costs one fsync whatever its size, so batching is what makes tens of thousands
of durable appends a second possible; a caller never waits for more than one commit
(plus the one in progress). Acknowledged means committed: a crash after ``append``
returns loses nothing, a crash before it returns leaves the caller with an error.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from huitong.db.base import Database
from huitong.errors import HuitongError
from huitong.ledger.leaf import LEAF_FIELDS
from huitong.ledger.tables import EvidenceEntry, EvidenceSubject


class GroupCommitWriter:
    def __init__(self, db: Database, *, max_batch: int = 10_000, timeout: float = 30.0) -> None:
        self.db, self.max_batch, self.timeout = db, max_batch, timeout
        self._queue: list[tuple[dict[str, Any], Sequence[str], Future]] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.commits = 0  # batches written, for benchmarks and tests

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="huitong-ledger-writer", daemon=True)
            self._thread.start()

    def submit(self, values: dict[str, Any], subjects: Sequence[str] = ()) -> Future:
        fut: Future = Future()
        with self._cond:
            if self._closed:
                raise HuitongError("the ledger writer is closed", status=503)
            self._queue.append((values, subjects, fut))
            self._ensure_thread()
            self._cond.notify()
        return fut

    def append(self, values: dict[str, Any], subjects: Sequence[str] = ()) -> int:
        """Write one entry; returns its id once the entry is durable."""
        return self.submit(values, subjects).result(self.timeout)

    def append_many(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        futures = [self.submit(v) for v in rows]
        return [f.result(self.timeout) for f in futures]

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue and self._closed:
                    return
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            try:
                ids = self._write(batch)
            except Exception as exc:  # every waiting caller learns the write failed
                error = HuitongError(
                    f"the ledger could not record evidence: {type(exc).__name__}", status=503
                )
                for _, _, fut in batch:
                    fut.set_exception(error)
                continue
            for (_, _, fut), entry_id in zip(batch, ids, strict=True):
                fut.set_result(entry_id)

    def _write(self, batch) -> list[int]:
        with self.db.session() as s:
            ids = _reserve_ids(s, len(batch))
            rows = [dict(values, id=entry_id) for (values, _, _), entry_id in zip(batch, ids, strict=True)]
            if s.get_bind().dialect.name == "postgresql":
                _copy_pg(s, rows)
            else:
                _insert_sqlite(s, rows)
            subjects = [
                {"entry_id": entry_id, "subject": key}
                for (_, keys, _), entry_id in zip(batch, ids, strict=True)
                for key in dict.fromkeys(keys)
            ]
            if subjects:
                s.execute(EvidenceSubject.__table__.insert(), subjects)
        self.commits += 1
        return ids

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout)


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
    """The driver's own executemany on tuples: ids are known (no RETURNING) and only the
    timestamp needs the column type's conversion, so SQLite stores it as the ORM would."""
    convert = EvidenceEntry.__table__.c.at.type.bind_processor(session.get_bind().dialect)
    sql = f"INSERT INTO evidence_entry ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
    at = _COLUMNS.index("at")
    params = []
    for row in rows:
        values = [row[c] for c in _COLUMNS]
        values[at] = convert(values[at]) if convert else values[at]
        params.append(values)
    cursor = session.connection().connection.cursor()
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()


def _copy_pg(session: Session, rows: list[dict]) -> None:
    """COPY is PostgreSQL's bulk path: one stream instead of a statement per row."""
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY evidence_entry ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in _COLUMNS])


def writer_for(db: Database) -> GroupCommitWriter:
    """The writer that belongs to this database handle (one per process)."""
    with _lock:
        found = getattr(db, "_ledger_writer", None)
        if found is None:
            found = GroupCommitWriter(db)
            db._ledger_writer = found  # type: ignore[attr-defined]
        return found


_lock = threading.Lock()
