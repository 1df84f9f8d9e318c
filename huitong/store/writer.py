"""Writing one version in parts (分批写入): a load's rows leave memory as Parquet files while it runs.

A load hands its checked batches to a :class:`VersionWriter` as they come. Every
:data:`PART_ROWS` rows are conformed to the table, hashed and written as data files that no snapshot
references yet; :meth:`VersionWriter.commit` then checks the whole load (keys unique across parts,
content hash, the counts against the current version) by streaming the parts' narrow columns
through DuckDB, which spills beyond its memory limit, and commits every file in the one snapshot.
So a ten-million-row load holds about one part, not the whole table, and still makes exactly one
version. What stays in memory per row is its hash for the content hash (32 bytes) and, for a
keyed table, its key's 64-bit hash (8 bytes): keys are compared only if two of those are equal.

Nothing is visible until the commit: a writer left without one (an aborted load, an error, an
unchanged result) deletes the files it wrote. ``upsert`` keeps its rows until the commit, because
which rows it appends depends on the stored rows they replace; an upsert is usually a delta.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

import numpy as np
import pyarrow as pa

from huitong.catalog.model import DataItem
from huitong.errors import Conflict, HuitongError, Problem, invalid
from huitong.store import duck, hashing
from huitong.store._iceberg import DataFile, FileScanTask, Table, data_files
from huitong.store.diff import Counts, count
from huitong.store.schema import (
    LOAD_ID,
    ROW_HASH,
    check_key_present,
    check_unique,
    columns_for,
    conform,
    normalise_code,
    resolve_key,
    show_key,
)
from huitong.store.versions import P_HASH, P_LOAD, P_MODE, P_ROWS_IN, Mode, Version, version_of

if TYPE_CHECKING:
    from huitong.store.store import Store

PART_ROWS = 500_000  # rows written as one part: large enough for good Parquet files, small for memory
SPLIT_ROWS = 100_000  # a last part at least this large is written as two, in parallel


def parse_mode(mode: Mode | str) -> Mode:
    try:
        return Mode(str(mode))
    except ValueError:
        raise invalid(
            f"load mode {mode!r}: use full, append or upsert", Problem("bad mode", field="mode")
        ) from None


def parse_load_id(load_id: str | int | None) -> str:
    load = str(load_id).strip() if load_id is not None else uuid.uuid4().hex
    if not load or len(load) > 200:
        raise invalid("a load id is 1 to 200 characters", Problem("bad load id", field="load_id"))
    return load


class VersionWriter:
    """One new version of one resource, written in parts; use as a context manager.

    With ``items`` a missing table is created when the first part is written, and an existing
    one is brought in line with them only at the commit (until then its rows wait in memory, if
    the items changed); without ``items`` the table must exist already."""

    def __init__(
        self,
        store: Store,
        code: str,
        mode: Mode | str = Mode.full,
        load_id: str | int | None = None,
        items: Sequence[DataItem] | None = None,
    ):
        self.mode = parse_mode(mode)
        self.load = parse_load_id(load_id)
        self._store, self._code, self._items = store, code, items
        self._pending: list[tuple[int, pa.Table]] = []  # (rows before it, batch), not yet conformed
        self._pending_rows = 0
        self.rows = 0
        self._files: list[DataFile] = []  # written, not yet in any snapshot
        self._hashes: list[np.ndarray] = []  # each part's row hashes, as fixed-width bytes
        self._key_hashes: list[np.ndarray] = []  # each part's key hashes (8 bytes a row), sorted
        self._kept: list[pa.Table] = []  # upsert: the prepared rows, until the commit
        self._tbl: Table | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._inflight: Future | None = None
        self._failed: BaseException | None = None
        self._uuids: list[uuid.UUID] = []  # one per part: the names of every file it may have begun
        self._sent = False  # the commit has gone to the catalog: from here on, delete nothing
        self._changing = False  # the items change the table: parts wait for the commit
        self._done = False
        if items is None:
            self._open()

    def __enter__(self) -> VersionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._done:
            self.discard()

    # ------------------------------------------------------------ parts

    def _open(self, at_commit: bool = True) -> Table | None:
        """The table the parts are written for, set up for ``items`` if given. Before the commit
        a table is created if there is none, but an existing one is not changed (an aborted load
        must leave its columns as they were): None then, and the rows wait for the commit."""
        if self._tbl is None:
            if self._items is not None:
                store, code = self._store, self._code
                if at_commit or not store.exists(code):
                    store.ensure_table(code, self._items)
                elif self._changing or not self._fits(store._table(code)):
                    self._changing = True  # asked once: the table stays as it is until the commit
                    return None
            tbl = self._store._table(self._code)
            self._columns, self._key = self._store._columns(tbl), self._store._key(tbl)
            if self.mode == Mode.upsert and not self._key:
                raise invalid(
                    f"resource {normalise_code(self._code)} has no key columns, so it cannot be loaded by upsert"
                )
            self._tbl, self._schema_id = tbl, tbl.schema().schema_id
        return self._tbl

    def _fits(self, tbl: Table) -> bool:
        """Whether the table already is what ``ensure_table(items)`` would make it."""
        columns = columns_for(self._items)
        return self._store._columns(tbl) == columns and self._store._key(tbl) == resolve_key(
            columns, self._items, None
        )

    def add(self, data: pa.Table) -> None:
        """Take the next rows of the load (columns as for :meth:`Store.write`)."""
        if self._done:
            raise RuntimeError("this version has been committed or discarded")
        self._pending.append((self.rows, data))
        self.rows += data.num_rows
        self._pending_rows += data.num_rows
        if self._inflight is not None and self._inflight.done():
            self._await()  # a part that failed stops the load at its next batch
        if self.mode != Mode.upsert and self._pending_rows >= PART_ROWS and self._open(at_commit=False):
            self._submit()

    def _take(self) -> list[tuple[int, pa.Table]]:
        pending, self._pending, self._pending_rows = self._pending, [], 0
        return pending

    def _submit(self) -> None:
        """Write the pending rows as a part in the writer's thread, while the caller goes on
        checking the next batches (hashing and Parquet run mostly outside the GIL). One part at
        most is in flight, so memory holds two parts."""
        pending = self._take()
        self._await()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="huitong-part")
        self._inflight = self._pool.submit(lambda: self._write(self._prepare(pending)))

    def _write_rest(self) -> None:
        """The rows not yet written, as the last part. Nothing else runs at the commit, so a large
        remainder is written as two parts side by side, one in the writer's thread and one here."""
        pending = self._take()
        rows = sum(data.num_rows for _, data in pending)
        if self.mode == Mode.upsert or rows < SPLIT_ROWS or len(pending) < 2:
            self._write(self._prepare(pending))
            return
        half, seen = 0, 0
        while seen < rows // 2:
            seen += pending[half][1].num_rows
            half += 1
        self._pending = pending[:half]
        self._submit()
        mine: list[DataFile] = []
        try:
            self._write(self._prepare(pending[half:]), into=mine)
        except BaseException:
            self._await()  # the first half's error, if it has one, is the one to report
            raise
        self._await()
        self._files.extend(mine)  # after the first half's: the version reads back in load order

    def _await(self) -> None:
        """Wait for the part in flight; its error, if any, is raised here, and the writer can
        no longer commit (the part's rows are not on disk)."""
        if self._failed is not None:
            raise self._failed
        if self._inflight is not None:
            done, self._inflight = self._inflight, None
            try:
                done.result()
            except BaseException as exc:
                self._failed = exc
                raise

    def _stop(self) -> None:
        with suppress(BaseException):
            self._await()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _prepare(self, pending: list[tuple[int, pa.Table]]) -> pa.Table:
        """Rows conformed and hashed, with the store's columns, in the table's order."""
        tbl = self._open()
        parts = []
        for first, data in pending:
            rows = conform(data, self._columns, first)
            if self._key:
                check_key_present(rows, self._key, first)
            parts.append(rows)
        schema = pa.schema([pa.field(c.name, c.arrow_type) for c in self._columns])
        rows = pa.concat_tables(parts) if parts else schema.empty_table()
        hashes = hashing.row_hashes(rows)
        fixed = hashing.fixed_width(hashes)
        fixed.sort()  # here, beside the checks: the commit then only merges sorted parts
        self._hashes.append(fixed)
        if self._key and self.mode != Mode.upsert:
            self._key_hashes.append(hashing.key_hashes(rows, self._key))
        full_schema = tbl.schema().as_arrow()
        by_name = {
            **{n: rows.column(n) for n in rows.column_names},
            ROW_HASH: hashes,
            LOAD_ID: pa.repeat(pa.scalar(self.load, pa.large_string()), rows.num_rows),
        }
        return pa.Table.from_arrays([by_name[f.name] for f in full_schema], schema=full_schema)

    def _write(self, rows: pa.Table, into: list[DataFile] | None = None) -> None:
        if self.mode == Mode.upsert:
            self._kept.append(rows)
            return
        if not rows.num_rows:
            return
        tbl = self._open()
        name = uuid.uuid4()
        self._uuids.append(name)
        try:
            (self._files if into is None else into).extend(data_files(tbl.metadata, rows, tbl.io, name))
        except OSError as exc:
            raise HuitongError(
                f"could not write resource {normalise_code(self._code)}'s files: {exc}",
                code="storage_error",
                status=500,
            ) from exc

    def _stream(self, tbl: Table, names: Sequence[str]) -> pa.RecordBatchReader:
        """Some columns of every part written so far, read back one file at a time."""
        return self._store._stream_tasks(tbl, [FileScanTask(f) for f in self._files], names)

    # ------------------------------------------------------------ commit

    def discard(self) -> None:
        """Forget the load: delete the files it wrote (none of them is in a snapshot)."""
        self._done = True
        self._stop()  # a part still being written would leave its files behind
        self._pending, self._kept, self._hashes, self._key_hashes = [], [], [], []
        if self._tbl is not None:
            for f in self._files:
                with suppress(OSError):
                    self._tbl.io.delete(f.file_path)
            data = Path(unquote(urlparse(self._tbl.location()).path)) / "data"
            for name in self._uuids:  # a file begun by a part that failed is in no list
                for path in data.glob(f"*{name}*.parquet"):
                    with suppress(OSError):
                        path.unlink()
        self._files, self._uuids = [], []

    def commit(self) -> Version:
        """Make the load one new version, or return the current one with ``unchanged=True``."""
        if self._done:
            raise RuntimeError("this version has been committed or discarded")
        try:
            self._await()
            self._open()  # before the lock: setting up the table takes it too
            with self._store._lock(self._code):
                self._write_rest()
                version = self._commit()
        except Conflict:
            self.discard()  # refused by the catalog (or by a check before it): nothing committed
            raise
        except BaseException:
            if self._sent:  # it may have been committed: its files must stay (orphans otherwise,
                self._done = True  # which retention removes)
                self._stop()
            else:
                self.discard()
            raise
        self._done = True
        self._stop()
        if version.unchanged:
            self.discard()
        return version

    def _content_hash(self) -> str:
        hashes = np.concatenate(self._hashes) if self._hashes else np.empty(0, f"S{hashing.HASH_HEX}")
        self._hashes = []
        return hashing.sorted_digest(hashes)

    def _commit(self) -> Version:
        store, key = self._store, self._key
        tbl = store._table(self._code)  # as committed now: another load may have come first
        if tbl.schema().schema_id != self._schema_id or store._key(tbl) != key:
            raise Conflict(
                f"resource {normalise_code(self._code)}'s items changed while this load ran; run the load again"
            )
        if key and self.mode != Mode.upsert and not hashing.all_distinct(self._key_hashes):
            check_unique(self._stream(tbl, key), key)  # two keys share a hash: compare the keys
        chash = self._content_hash()
        props = {P_LOAD: self.load, P_MODE: self.mode.value, P_HASH: chash, P_ROWS_IN: str(self.rows)}
        current = tbl.current_snapshot()
        unchanged = replace(version_of(current), unchanged=True) if current is not None else None
        if self.mode == Mode.upsert:
            rows = pa.concat_tables(self._kept)
            if key:
                check_unique(rows.select(key), key)
            self._sent = True
            return store._write_upsert(tbl, self._code, rows, key, current, props)
        if self.mode == Mode.full:
            sm = current.summary if current is not None else None
            if sm and sm[P_MODE] == Mode.full.value and sm[P_HASH] == chash:
                return unchanged
            tasks = store._tasks(tbl, current)
            if current is None:
                counts = Counts(self.rows, 0, 0)
            else:
                narrow = [*key, ROW_HASH]
                counts = count(store._stream_tasks(tbl, tasks, narrow), self._stream(tbl, narrow), key)
                if not (counts.inserted or counts.updated or counts.deleted):
                    return unchanged
            self._sent = True
            return store._commit(tbl, self._code, [t.file for t in tasks], self._files, props, counts)
        if current is not None:
            if self.rows == 0:
                return unchanged
            for snap in store._lineage(tbl):
                sm = snap.summary
                if sm and sm[P_MODE] == Mode.append.value and sm[P_HASH] == chash:
                    return unchanged
            if key:
                self._refuse_stored_keys(tbl, current)
        self._sent = True
        return store._commit(tbl, self._code, [], self._files, props, Counts(self.rows, 0, 0))

    def _refuse_stored_keys(self, tbl: Table, current) -> None:
        key = self._key
        old = self._store._stream_tasks(tbl, self._store._tasks(tbl, current), key)
        con = duck.scratch({"old_rows": old, "new_rows": self._stream(tbl, key)})
        try:
            using = ", ".join(duck.quote(k) for k in key)
            clash = con.sql(
                f"SELECT *, count(*) OVER () AS __n FROM new_rows SEMI JOIN old_rows USING ({using}) "
                f"ORDER BY {using} LIMIT 5"
            ).to_arrow_table()
        finally:
            con.close()
        if clash.num_rows:
            shown = [
                Problem(f"key {show_key(r, key)} is already stored", field="key") for r in clash.to_pylist()
            ]
            raise Conflict(
                f"{clash.column('__n')[0].as_py()} row(s) of this append have keys that resource "
                f"{normalise_code(self._code)} already holds; load them by upsert to replace them",
                shown,
            )
