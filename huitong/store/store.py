"""The 存 store: each catalog resource's rows in an Apache Iceberg table, with time travel.

The Iceberg SQL catalog lives in huitong's own metadata database (SQLite or PostgreSQL, the same
URL); data and metadata files live under ``<data_dir>/warehouse`` as Parquet and Avro.  Every load
is exactly one snapshot (one ``full`` replace, ``append`` or ``upsert``), committed by a single
update of the catalog row, so a load that fails or is killed leaves the previous version as it
was: readers only ever follow the committed pointer.

Idempotence: a row carries ``_row_hash`` (see :mod:`huitong.store.hashing`) and ``_load_id``; a load
whose content is already the table's (``full``), already appended (``append``, same content hash
as an earlier append) or changes no row (``upsert``) makes no snapshot and returns the current
version with ``unchanged=True``.

One load, one snapshot: pyiceberg's own ``overwrite``/``upsert`` commit a delete snapshot and an
append snapshot, so the store builds the single snapshot itself from pyiceberg's public snapshot
producers (``fast_append``/``overwrite`` with explicit data files), writing the Parquet files with
pyiceberg's public ``write_file``. Every pyiceberg call goes through :mod:`huitong.store._iceberg`
(pinned version asserted there). An upsert rewrites only the data files holding replaced keys.

Loads to one resource are serialised within a process; a concurrent commit from another process
makes the later one fail with :class:`Conflict` (commit retries are off, because the checks a load
made, such as "these keys are new", were made against the version it started from).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from huitong.catalog.model import DataItem
from huitong.errors import Conflict, HuitongError, NotFound, Problem, invalid
from huitong.store import duck
from huitong.store._iceberg import (
    MAIN_BRANCH,
    AlwaysTrue,
    And,
    ArrowScan,
    BooleanExpression,
    CommitFailedException,
    DataFile,
    DecimalType,
    EqualTo,
    FileScanTask,
    In,
    IsNull,
    NamespaceAlreadyExistsError,
    NoSuchTableError,
    Schema,
    Snapshot,
    SqlCatalog,
    Table,
    TableAlreadyExistsError,
    ValidationException,
    bind,
    data_files,
)
from huitong.store.diff import Counts, Diff, compare
from huitong.store.schema import (
    NAMESPACE,
    ROW_HASH,
    SYSTEM_COLUMNS,
    StoredColumn,
    check_key,
    columns_for,
    columns_from_properties,
    iceberg_schema,
    items_property,
    normalise_code,
    resolve_key,
    table_name,
)
from huitong.store.versions import (
    P_DELETED,
    P_INSERTED,
    P_UPDATED,
    Mode,
    Version,
    version_of,
)
from huitong.store.writer import VersionWriter

CATALOG_NAME = "huitong"
ORPHAN_GRACE = timedelta(days=1)  # a data file younger than this may be a running load's part
TABLE_PROPERTIES = {
    "commit.retry.num-retries": "0",
    "write.metadata.delete-after-commit.enabled": "true",
    "write.metadata.previous-versions-max": "20",
    "write.parquet.compression-codec": "zstd",
}


@dataclass(frozen=True)
class TableInfo:
    code: str
    table: str  # namespace.name in the Iceberg catalog
    location: str
    columns: list[StoredColumn]
    key: list[str]


def _utc(moment: datetime) -> datetime:
    """Naive datetimes are UTC, as everywhere in huitong's metadata."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _ms(moment: datetime) -> int:
    return int(_utc(moment).timestamp() * 1000)


def _show_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


class Store:
    """Resource tables in one warehouse, catalogued in the metadata database at ``metadata_url``."""

    def __init__(self, metadata_url: str, warehouse_dir: str | Path):
        self.warehouse = Path(warehouse_dir).expanduser().resolve()
        try:
            self.warehouse.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HuitongError(f"cannot create the warehouse directory {self.warehouse}: {exc}") from exc
        try:
            shown = make_url(metadata_url).render_as_string(hide_password=True)
        except Exception:
            raise invalid(f"{metadata_url!r} is not a database URL") from None
        try:
            self.catalog = SqlCatalog(
                CATALOG_NAME,
                uri=metadata_url,
                warehouse="file://" + self.warehouse.as_posix(),
                pool_pre_ping="true",
            )
        except SQLAlchemyError as exc:
            raise HuitongError(
                f"cannot open the store's catalog in {shown}: {str(exc).splitlines()[0]}",
                code="unavailable",
                status=503,
            ) from exc
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._namespace_ready = False

    @classmethod
    def from_settings(cls, settings) -> Store:
        """The store of a :class:`huitong.config.Settings`: its metadata database, ``<data_dir>/warehouse``."""
        return cls(settings.metadata_url, Path(settings.data_dir) / "warehouse")

    def close(self) -> None:
        self.catalog.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ tables

    def _identifier(self, code: str) -> tuple[str, str]:
        return (NAMESPACE, table_name(code))

    def _ensure_namespace(self) -> None:
        if self._namespace_ready:
            return
        with suppress(NamespaceAlreadyExistsError):
            self.catalog.create_namespace_if_not_exists(NAMESPACE)
        self._namespace_ready = True

    def _table(self, code: str) -> Table:
        try:
            return self.catalog.load_table(self._identifier(code))
        except NoSuchTableError:
            raise NotFound(
                f"resource {normalise_code(code)} has no data table yet (it has never been set up for loading)"
            ) from None

    @contextmanager
    def _lock(self, code: str) -> Iterator[None]:
        with self._locks_guard:
            lock = self._locks.setdefault(normalise_code(code), threading.Lock())
        with lock:
            yield

    @staticmethod
    def _columns(tbl: Table) -> list[StoredColumn]:
        return columns_from_properties(tbl.schema(), tbl.properties)

    @staticmethod
    def _key(tbl: Table) -> list[str]:
        return list(json.loads(tbl.properties.get("huitong.key", "[]")))

    def exists(self, code: str) -> bool:
        return self.catalog.table_exists(self._identifier(code))

    def describe(self, code: str) -> TableInfo:
        tbl = self._table(code)
        return TableInfo(
            normalise_code(code), ".".join(tbl.name()), tbl.location(), self._columns(tbl), self._key(tbl)
        )

    def ensure_table(
        self, code: str, items: Sequence[DataItem], key: Sequence[str] | None = None
    ) -> TableInfo:
        """Create the resource's table, or bring it in line with the data items.

        ``key`` names the key columns; by default the items marked 是否主键.  New items become new
        (empty) columns, items no longer listed are dropped from the current schema (earlier versions
        still show them), and changed descriptions update the column docs.  A changed type is
        refused unless Iceberg can widen it in place.
        """
        code = normalise_code(code)
        columns = columns_for(items)
        key_cols = resolve_key(columns, items, key)
        props = {
            "huitong.resource-code": code,
            "huitong.key": json.dumps(key_cols, ensure_ascii=False),
            "huitong.items": items_property(columns),
        }
        ident = self._identifier(code)
        with self._lock(code):
            self._ensure_namespace()
            try:
                tbl = self.catalog.load_table(ident)
            except NoSuchTableError:
                with suppress(TableAlreadyExistsError):  # another process made it just now
                    self.catalog.create_table(
                        ident, iceberg_schema(columns), properties={**TABLE_PROPERTIES, **props}
                    )
                return self.describe(code)
            self._evolve(tbl, columns, props)
        return self.describe(code)

    def _evolve(self, tbl: Table, columns: list[StoredColumn], props: dict[str, str]) -> None:
        existing = {f.name: f for f in tbl.schema().fields if f.name not in SYSTEM_COLUMNS}
        wanted = {c.name: c for c in columns}
        problems = []
        for c in columns:
            f = existing.get(c.name)
            if f is not None and f.field_type != c.iceberg_type and not _widens(f.field_type, c.iceberg_type):
                problems.append(
                    Problem(
                        f"is stored as {f.field_type} and cannot become {c.describe()} ({c.iceberg_type}); "
                        "give the new meaning a new data item",
                        column=c.name,
                    )
                )
        if problems:
            raise Conflict("the stored table cannot follow these data item changes", problems)
        self._check_new_key(tbl, json.loads(props["huitong.key"]), existing)
        add = [c for c in columns if c.name not in existing]
        drop = [n for n in existing if n not in wanted]
        change = [
            c
            for c in columns
            if c.name in existing
            and (existing[c.name].field_type != c.iceberg_type or existing[c.name].doc != c.doc)
        ]
        new_props = {k: v for k, v in props.items() if tbl.properties.get(k) != v}
        if not (add or drop or change or new_props):
            return
        try:
            with tbl.transaction() as tx:
                if add or drop or change:
                    with tx.update_schema() as us:
                        for c in add:
                            us.add_column((c.name,), c.iceberg_type, doc=c.doc)
                            us.move_before((c.name,), (ROW_HASH,))
                        for name in drop:
                            us.delete_column((name,))
                        for c in change:
                            us.update_column((c.name,), field_type=c.iceberg_type, doc=c.doc)
                if new_props:
                    tx.set_properties(new_props)
        except (CommitFailedException, ValidationException) as exc:
            raise Conflict(f"the table changed meanwhile; try again ({exc})") from exc

    def _check_new_key(self, tbl: Table, key: list[str], existing: Mapping[str, Any]) -> None:
        """A new key must already identify the stored rows, or upserts would go wrong."""
        current = tbl.current_snapshot()
        if not key or key == self._key(tbl) or current is None:
            return
        keep = f"keep the old key ({', '.join(self._key(tbl)) or 'none'}) until a full load has filled it"
        missing = [k for k in key if k not in existing]
        if missing:
            raise Conflict(
                f"the stored rows have no values yet for the new key column(s) {', '.join(missing)}; {keep}"
            )
        try:
            check_key(self._read_tasks(tbl, self._tasks(tbl, current), key), key)
        except HuitongError as exc:
            raise Conflict(
                f"the stored rows do not fit the new key ({exc.message}); {keep}", exc.problems
            ) from None

    # ------------------------------------------------------------ versions

    def versions(self, code: str) -> list[Version]:
        """The versions still kept, oldest first (each load's snapshot)."""
        tbl = self._table(code)
        return [version_of(s) for s in reversed(self._lineage(tbl))]

    def version(self, code: str, snapshot_id: int | None = None, as_of: datetime | None = None) -> Version:
        """One version: by id, the one current at a time, or (neither given) the current one."""
        tbl = self._table(code)
        snap = self._snapshot(tbl, code, snapshot_id, as_of)
        if snap is None:
            raise NotFound(f"resource {normalise_code(code)} has not been loaded yet")
        return version_of(snap)

    @staticmethod
    def _lineage(tbl: Table) -> list[Snapshot]:
        """Current snapshot first, then its kept ancestors."""
        out = []
        snap = tbl.current_snapshot()
        while snap is not None:
            out.append(snap)
            snap = (
                tbl.snapshot_by_id(snap.parent_snapshot_id) if snap.parent_snapshot_id is not None else None
            )
        return out

    def _snapshot(self, tbl: Table, code: str, snapshot_id: Any, as_of: datetime | None) -> Snapshot | None:
        code = normalise_code(code)
        if snapshot_id is not None and as_of is not None:
            raise invalid("give a version's snapshot id or a time (as_of), not both")
        if snapshot_id is not None:
            if isinstance(snapshot_id, Version):
                snapshot_id = snapshot_id.snapshot_id
            try:
                sid = int(snapshot_id)
            except (TypeError, ValueError):
                raise invalid(
                    f"{snapshot_id!r} is not a snapshot id (a whole number)",
                    Problem("not a snapshot id", field="snapshot_id", value=str(snapshot_id)),
                ) from None
            snap = tbl.snapshot_by_id(sid)
            if snap is None:
                kept = ", ".join(str(s.snapshot_id) for s in self._lineage(tbl)[:5]) or "none"
                raise NotFound(
                    f"resource {code} has no version {sid} (it never existed or has been expired); "
                    f"latest kept versions: {kept}"
                )
            return snap
        if as_of is not None:
            if not isinstance(as_of, datetime):
                raise invalid(f"as_of must be a datetime, not {type(as_of).__name__}")
            snap = tbl.snapshot_as_of_timestamp(_ms(as_of))
            if snap is None:
                lineage = self._lineage(tbl)
                if not lineage:
                    raise NotFound(f"resource {code} has not been loaded yet")
                first = lineage[-1].timestamp_ms
                raise NotFound(
                    f"resource {code} had no version at {_utc(as_of).isoformat()}: "
                    f"its first kept version is from {_show_time(first)}"
                )
            return snap
        return tbl.current_snapshot()

    def quarantine(self, code: str, snapshot_id: int) -> None:
        """Keep a just-made version but make its parent current again (隔离), or, for a first
        version, leave the resource with no current version: readers and deliveries see what was
        there before, the version stays readable by its id and can be released."""
        with self._lock(code):
            tbl = self._table(code)
            snap = tbl.current_snapshot()
            if snap is None or snap.snapshot_id != int(snapshot_id):
                raise Conflict(
                    f"version {snapshot_id} of resource {normalise_code(code)} is no longer the current "
                    "one (another load came after it); it cannot be held back now"
                )
            manage = tbl.manage_snapshots()
            if snap.parent_snapshot_id is None:
                manage.remove_branch(MAIN_BRANCH).commit()
            else:
                manage.set_current_snapshot(snap.parent_snapshot_id).commit()

    def release(self, code: str, snapshot_id: int) -> Version:
        """Make a held-back version current after all: only while what is current is still the
        version it was made on, so no later load is undone."""
        with self._lock(code):
            tbl = self._table(code)
            snap = tbl.snapshot_by_id(int(snapshot_id))
            if snap is None:
                raise NotFound(f"resource {normalise_code(code)} has no version {snapshot_id}")
            current = tbl.current_snapshot()
            if current is not None and current.snapshot_id == snap.snapshot_id:
                return version_of(snap)
            if (current.snapshot_id if current else None) != snap.parent_snapshot_id:
                raise Conflict(
                    f"version {snapshot_id} of resource {normalise_code(code)} was made on another version "
                    "than the current one; load the corrected data again instead"
                )
            tbl.manage_snapshots().set_current_snapshot(snap.snapshot_id).commit()
            return version_of(snap)

    # ------------------------------------------------------------ write

    def write(
        self,
        code: str,
        data: pa.Table,
        mode: Mode | str = Mode.full,
        load_id: str | int | None = None,
    ) -> Version:
        """Load ``data`` (one column per data item, any order) as one new version.

        ``full`` replaces the table's rows, ``append`` adds rows (refusing keys already stored),
        ``upsert`` replaces rows with the same key and adds the rest.  If the load would change
        nothing, no version is made: the current one is returned with ``unchanged=True`` (its
        ``load_id`` is the load that made it).  ``load_id`` defaults to a random id.  A load too
        large for memory goes through :meth:`writer` a batch at a time instead.
        """
        with self.writer(code, mode, load_id) as version:
            version.add(data)
            return version.commit()

    def writer(
        self,
        code: str,
        mode: Mode | str = Mode.full,
        load_id: str | int | None = None,
        items: Sequence[DataItem] | None = None,
    ) -> VersionWriter:
        """A version written in parts (see :mod:`huitong.store.writer`): ``add`` batches, then
        ``commit`` once; with ``items`` the table is set up for them before the first part."""
        return VersionWriter(self, code, mode, load_id, items)

    def _unchanged(self, snap: Snapshot) -> Version:
        return replace(version_of(snap), unchanged=True)

    def _write_upsert(self, tbl, code, rows, key, current, props) -> Version:
        tasks = self._tasks(tbl, current)
        narrow = [*key, ROW_HASH]
        old = self._read_tasks(tbl, tasks, narrow, positions=True)
        new = rows.select(narrow).append_column("__i", pa.array(range(rows.num_rows), pa.int64()))
        on = " AND ".join(f"o.{duck.quote(k)} = n.{duck.quote(k)}" for k in key)
        con = duck.scratch({"old_rows": old, "new_rows": new})
        try:
            take = con.sql(
                f"SELECT n.__i FROM new_rows n LEFT JOIN old_rows o ON {on} "
                f"WHERE o.{ROW_HASH} IS NULL OR o.{ROW_HASH} <> n.{ROW_HASH} ORDER BY n.__i"
            ).to_arrow_table()
            replaced = con.sql(
                f"SELECT o.__f, o.__i FROM old_rows o JOIN new_rows n ON {on} "
                f"WHERE o.{ROW_HASH} <> n.{ROW_HASH} ORDER BY o.__f, o.__i"
            ).to_arrow_table()
        finally:
            con.close()
        if take.num_rows == 0 and current is not None:
            return self._unchanged(current)
        updated = replaced.num_rows
        parts = []
        by_file: dict[int, list[int]] = {}
        for f, i in zip(replaced.column("__f").to_pylist(), replaced.column("__i").to_pylist(), strict=True):
            by_file.setdefault(f, []).append(i)
        for f, positions in by_file.items():
            whole = self._read_tasks(tbl, [tasks[f]], None)
            keep = pc.invert(
                pc.is_in(pa.array(range(whole.num_rows), pa.int64()), pa.array(positions, pa.int64()))
            )
            parts.append(whole.filter(keep))
        parts.append(rows.take(take.column("__i")))
        add = pa.concat_tables([p.cast(rows.schema) for p in parts])
        deleted_files = [tasks[f].file for f in by_file]
        counts = Counts(inserted=take.num_rows - updated, updated=updated, deleted=0)
        return self._commit(tbl, code, deleted_files, add, props, counts)

    @staticmethod
    def _tasks(tbl: Table, snap: Snapshot | None) -> list[FileScanTask]:
        if snap is None:
            return []
        return list(tbl.scan(snapshot_id=snap.snapshot_id).plan_files())

    @staticmethod
    def _read_tasks(
        tbl: Table,
        tasks: Sequence[FileScanTask],
        names: Sequence[str] | None,
        positions: bool = False,
        schema: Schema | None = None,
    ) -> pa.Table:
        """The rows of some data files; with ``positions`` each row also gets its file's index in
        ``tasks`` (``__f``) and its place in that file (``__i``)."""
        schema = schema or tbl.schema()
        projected = schema.select(*names) if names is not None else schema
        out = []
        for n, task in enumerate(tasks):
            part = ArrowScan(tbl.metadata, tbl.io, projected, AlwaysTrue()).to_table([task])
            if positions:
                part = part.append_column("__f", pa.array([n] * part.num_rows, pa.int64()))
                part = part.append_column("__i", pa.array(range(part.num_rows), pa.int64()))
            out.append(part)
        target = projected.as_arrow()
        if positions:
            target = target.append(pa.field("__f", pa.int64())).append(pa.field("__i", pa.int64()))
        if not out:
            return target.empty_table()
        return pa.concat_tables([t.cast(target) for t in out])

    @staticmethod
    def _stream_tasks(
        tbl: Table, tasks: Sequence[FileScanTask], names: Sequence[str]
    ) -> pa.RecordBatchReader:
        """Some columns of a version's data files, read one file at a time (for DuckDB to stream)."""
        projected = tbl.schema().select(*names)
        target = projected.as_arrow()
        scan = ArrowScan(tbl.metadata, tbl.io, projected, AlwaysTrue())
        batches = (batch.cast(target) for batch in scan.to_record_batches(tasks))
        return pa.RecordBatchReader.from_batches(target, batches)

    def _commit(
        self, tbl, code, delete, add: pa.Table | Sequence[DataFile], props, counts: Counts
    ) -> Version:
        """Commit one snapshot: ``delete`` these data files, add ``add`` (rows to write, or data
        files a :class:`VersionWriter` has written already)."""
        props = {
            **props,
            P_INSERTED: str(counts.inserted),
            P_UPDATED: str(counts.updated),
            P_DELETED: str(counts.deleted),
        }
        try:
            with tbl.transaction() as tx:
                update = tx.update_snapshot(snapshot_properties=props)
                with update.overwrite() if delete else update.fast_append() as producer:
                    for data_file in delete:
                        producer.delete_data_file(data_file)
                    if isinstance(add, pa.Table):
                        add = (
                            data_files(tx.table_metadata, add, tbl.io, producer.commit_uuid)
                            if add.num_rows
                            else []
                        )
                    for data_file in add:
                        producer.append_data_file(data_file)
        except (CommitFailedException, ValidationException) as exc:
            raise Conflict(
                f"another load changed resource {normalise_code(code)} meanwhile; run this load again ({exc})"
            ) from exc
        except OSError as exc:
            raise HuitongError(
                f"could not write resource {normalise_code(code)}'s files: {exc}",
                code="storage_error",
                status=500,
            ) from exc
        snap = tbl.current_snapshot()
        assert snap is not None
        return version_of(snap)

    # ------------------------------------------------------------ read

    def read(
        self,
        code: str,
        snapshot_id: int | None = None,
        as_of: datetime | None = None,
        columns: Sequence[str] | None = None,
        filter: Mapping[str, Any] | BooleanExpression | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> pa.Table:
        """Rows of one version (the current one by default), in stored order.

        Without a version the columns are the table's current ones; a version named by id or time
        shows the columns it was written with.  ``columns`` picks data items (and, if asked,
        ``_row_hash``/``_load_id``); a column that the version predates comes back empty.  ``filter`` maps a column to a value, a list of values
        (any of them) or None (no value), all of which must hold.  The order is stable for one
        version, so ``offset``/``limit`` page through it; pass the version's snapshot id when paging.
        """
        tbl = self._table(code)
        snap = self._snapshot(tbl, code, snapshot_id, as_of)
        as_written = snapshot_id is not None or as_of is not None
        return self._read(tbl, snap, columns, filter, limit, offset, as_written)

    def stream(self, code: str, snapshot_id: int, columns: Sequence[str]) -> pa.RecordBatchReader:
        """Some columns of one version as a stream of batches, one data file at a time (for DuckDB
        to read in bounded memory: discovery samples a version without holding it whole)."""
        tbl = self._table(code)
        snap = self._snapshot(tbl, code, snapshot_id, None)
        return self._stream_tasks(tbl, self._tasks(tbl, snap), list(columns))

    def _read(self, tbl: Table, snap, columns, filter, limit, offset, as_written: bool) -> pa.Table:
        for label, n in (("limit", limit), ("offset", offset)):
            if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
                raise invalid(
                    f"{label} must be a whole number, 0 or more", Problem("bad number", field=label)
                )
        current = tbl.schema()
        # A named version shows the columns it was written with; the current table its current ones.
        schema = _schema_of(tbl, snap) if as_written else current
        types = {f.name: f.type for f in current.as_arrow()} | {f.name: f.type for f in schema.as_arrow()}
        in_version = [f.name for f in schema.fields]
        if columns is None:
            names = [n for n in in_version if n not in SYSTEM_COLUMNS]
        else:
            names = [columns] if isinstance(columns, str) else list(columns)
            unknown = [n for n in names if n not in types]
            if unknown:
                raise invalid(
                    "no such column",
                    *[Problem("not a data item of this resource", column=n) for n in unknown],
                )
        out_schema = pa.schema([pa.field(n, types[n]) for n in names])
        expr = self._filter(filter, schema, set(types))
        if snap is None or limit == 0:
            return out_schema.empty_table()
        present = [n for n in names if n in in_version]
        selected = present if ROW_HASH in present else [*present, ROW_HASH]
        scan = tbl.scan(
            snapshot_id=snap.snapshot_id if as_written else None,  # None: project onto the current schema
            selected_fields=tuple(selected),
            row_filter=expr,
            limit=None if limit is None else offset + limit,
        )
        got = scan.to_arrow()
        got = got.slice(offset, limit) if (offset or limit is not None) else got
        arrays = [
            got.column(n).cast(types[n]) if n in present else pa.nulls(got.num_rows, types[n]) for n in names
        ]
        return pa.Table.from_arrays(arrays, schema=out_schema)

    @staticmethod
    def _filter(filter, schema: Schema, known: set[str]) -> BooleanExpression:
        if filter is None:
            return AlwaysTrue()
        if isinstance(filter, BooleanExpression):
            return filter
        if not isinstance(filter, Mapping):
            raise invalid("filter maps columns to values, e.g. {'区划代码': '330100'}")
        fields = {f.name: f for f in schema.fields}
        parts: list[BooleanExpression] = []
        problems = []
        for name, value in filter.items():
            if name not in fields:
                message = (
                    "this version has no such column" if name in known else "not a data item of this resource"
                )
                problems.append(Problem(message, column=name))
                continue
            field_type = fields[name].field_type
            if value is None:
                part: BooleanExpression = IsNull(name)
            elif isinstance(value, list | tuple | set | frozenset):
                if not value or any(v is None for v in value):
                    problems.append(Problem("give one or more values, none of them None", column=name))
                    continue
                part = In(name, {_literal(v, field_type) for v in value})
            else:
                part = EqualTo(name, _literal(value, field_type))
            try:
                bind(schema, part, case_sensitive=True)
            except (ValueError, TypeError) as exc:
                problems.append(
                    Problem(f"cannot compare with {value!r}: {exc}", column=name, value=str(value))
                )
                continue
            parts.append(part)
        if problems:
            raise invalid("the filter does not fit the data", *problems)
        if not parts:
            return AlwaysTrue()
        return parts[0] if len(parts) == 1 else And(*parts)

    # ------------------------------------------------------------ diff

    def diff(self, code: str, a: int | Version, b: int | Version | None = None) -> Diff:
        """Rows added, removed and changed from version ``a`` to version ``b`` (default: current)."""
        tbl = self._table(code)
        snap_a = self._snapshot(tbl, code, a, None)
        snap_b = self._snapshot(tbl, code, b, None) if b is not None else tbl.current_snapshot()
        assert snap_a is not None and snap_b is not None
        key = self._key(tbl)
        data_cols = self._columns(tbl)
        names = [c.name for c in data_cols]
        full = tbl.schema().as_arrow()
        out_schema = pa.schema([full.field(n) for n in names])
        tasks_a, tasks_b = self._tasks(tbl, snap_a), self._tasks(tbl, snap_b)
        # Files in both versions hold the same rows in both: only the others can differ.
        shared = {t.file.file_path for t in tasks_a} & {t.file.file_path for t in tasks_b}
        sides = []
        for snap, tasks in ((snap_a, tasks_a), (snap_b, tasks_b)):
            schema = _schema_of(tbl, snap)
            present = [f.name for f in schema.fields if f.name in [*names, ROW_HASH]]
            rows = self._read_tasks(
                tbl, [t for t in tasks if t.file.file_path not in shared], present, schema=schema
            )
            arrays = [
                rows.column(n).cast(full.field(n).type)
                if n in present
                else pa.nulls(rows.num_rows, full.field(n).type)
                for n in [*names, ROW_HASH]
            ]
            sides.append(pa.Table.from_arrays(arrays, names=[*names, ROW_HASH]))
        return compare(sides[0], sides[1], key, out_schema, snap_a.snapshot_id, snap_b.snapshot_id)

    # ------------------------------------------------------------ retention

    def expire(self, code: str, older_than: datetime | timedelta, retain_last: int = 1) -> int:
        """Forget versions committed before ``older_than`` (a time, or an age such as ``timedelta(days=90)``),
        always keeping the current version and the ``retain_last`` newest; returns how many went.

        The data and metadata files that only those versions used are deleted, so an expired
        version can no longer be read by anyone; so are data files no version refers to (the
        parts of a killed load) once they are older than the cutoff and a day.
        """
        cutoff = _cutoff(older_than, retain_last)
        with self._lock(code):
            tbl = self._table(code)
            self._remove_orphans(tbl, cutoff)
            doomed = self._doomed(tbl, cutoff, retain_last)
            if not doomed:
                return 0
            doomed_files = set().union(*(self._files(tbl, s) for s in doomed))
            try:
                tbl.maintenance.expire_snapshots().by_ids([s.snapshot_id for s in doomed]).commit()
            except (CommitFailedException, ValidationException) as exc:
                raise Conflict(f"the table changed meanwhile; try again ({exc})") from exc
            tbl = tbl.refresh()
            kept_files = (
                set().union(*(self._files(tbl, s) for s in tbl.snapshots())) if tbl.snapshots() else set()
            )
            for path in sorted(doomed_files - kept_files):
                with suppress(FileNotFoundError):
                    tbl.io.delete(path)
            return len(doomed)

    def _remove_orphans(self, tbl: Table, cutoff: datetime) -> int:
        """Delete the data files no version refers to: the parts of a load that was killed before
        its commit (a load that fails deletes its own). Only files older than the cutoff and than
        :data:`ORPHAN_GRACE` go, so a load still running keeps its parts."""
        data = Path(unquote(urlparse(tbl.location()).path)) / "data"
        if not data.is_dir():
            return 0
        kept = {Path(unquote(urlparse(f).path)) for snap in tbl.snapshots() for f in self._files(tbl, snap)}
        before = min(cutoff, datetime.now(UTC) - ORPHAN_GRACE).timestamp()
        removed = 0
        for path in data.rglob("*.parquet"):
            with suppress(FileNotFoundError):
                if path not in kept and path.stat().st_mtime < before:
                    path.unlink()
                    removed += 1
        return removed

    def expirable(self, code: str, older_than: datetime | timedelta, retain_last: int = 1) -> list[Version]:
        """The versions :meth:`expire` would forget with the same arguments now, oldest first."""
        cutoff = _cutoff(older_than, retain_last)
        doomed = self._doomed(self._table(code), cutoff, retain_last)
        return sorted((version_of(s) for s in doomed), key=lambda v: v.committed_at)

    def _doomed(self, tbl: Table, cutoff: datetime, retain_last: int) -> list[Snapshot]:
        keep = {s.snapshot_id for s in self._lineage(tbl)[:retain_last]}
        return [s for s in tbl.snapshots() if s.timestamp_ms < _ms(cutoff) and s.snapshot_id not in keep]

    def unreadable(self, code: str, snapshot_id: int) -> tuple[int, list[str]]:
        """可访问性 of a stored version: how many files it reads (manifest list, manifests, data
        files) and which of them cannot be opened, each with why. A file lost or cut short on the
        warehouse's disk is found here, before a consumer's delivery fails on it."""
        import pyarrow.parquet as pq

        tbl = self._table(code)
        snap = self._snapshot(tbl, code, snapshot_id, None)
        if snap is None:
            raise NotFound(f"resource {normalise_code(code)} has no version {snapshot_id}")
        try:
            files = self._files(tbl, snap)
        except (OSError, ValueError) as exc:  # the manifest list or a manifest itself is gone
            return 1, [f"{snap.manifest_list}: {type(exc).__name__}: {exc}"]
        bad = []
        for path in sorted(files):
            try:
                with tbl.io.new_input(path).open() as f:
                    if path.endswith(".parquet"):
                        pq.read_metadata(f)
                    else:
                        f.read(1)
            except Exception as exc:  # any failure to open is the finding, not an error of the run
                bad.append(f"{path}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        return len(files), bad

    @staticmethod
    def _files(tbl: Table, snap: Snapshot) -> set[str]:
        """Every file a snapshot reads: its manifest list, manifests and live data files."""
        files = {snap.manifest_list}
        for manifest in snap.manifests(tbl.io):
            files.add(manifest.manifest_path)
            for entry in manifest.fetch_manifest_entry(tbl.io, discard_deleted=True):
                files.add(entry.data_file.file_path)
        return files

    # ------------------------------------------------------------ query

    def query(
        self,
        code: str,
        sql: str,
        as_of: datetime | None = None,
        snapshot_id: int | None = None,
        timeout: float = 10.0,
    ) -> pa.Table:
        """Run one read-only SELECT over a version; the SQL sees it as ``t`` (and by its table name,
        e.g. ``r_101002_00001``).  No file, network or extension access; stopped after ``timeout`` s
        (reading the version counts towards it)."""
        started = time.monotonic()
        tbl = self._table(code)
        snap = self._snapshot(tbl, code, snapshot_id, as_of)
        data = self._read(tbl, snap, None, None, None, 0, snapshot_id is not None or as_of is not None)
        con = duck.connect({"t": data, table_name(code): data})
        try:
            return duck.run_select(con, sql, timeout, budget=timeout - (time.monotonic() - started))
        finally:
            con.close()


def query(
    store: Store,
    code: str,
    sql: str,
    as_of: datetime | None = None,
    snapshot_id: int | None = None,
    timeout: float = 10.0,
) -> pa.Table:
    """``store.query(...)`` as a function: one read-only SELECT over a resource's version (as ``t``)."""
    return store.query(code, sql, as_of=as_of, snapshot_id=snapshot_id, timeout=timeout)


def _cutoff(older_than: datetime | timedelta, retain_last: int) -> datetime:
    """Check expiry's arguments; the moment before which versions may go (UTC)."""
    if isinstance(older_than, timedelta):
        cutoff = datetime.now(UTC) - older_than
    elif isinstance(older_than, datetime):
        cutoff = _utc(older_than)
    else:
        raise invalid("older_than is a datetime or a timedelta", Problem("bad value", field="older_than"))
    if not isinstance(retain_last, int) or isinstance(retain_last, bool) or retain_last < 1:
        raise invalid("retain_last is 1 or more (the current version is always kept)")
    return cutoff


def _schema_of(tbl: Table, snap: Snapshot | None) -> Schema:
    """The schema a version was written with (the current one if unknown)."""
    if snap is None or snap.schema_id is None:
        return tbl.schema()
    return tbl.schemas().get(snap.schema_id, tbl.schema())


def _literal(value: Any, field_type: Any) -> Any:
    """A filter value as Iceberg compares it: decimals at the column's scale (1.5 → 1.5000000000)."""
    if (
        isinstance(field_type, DecimalType)
        and isinstance(value, int | float | Decimal)
        and not isinstance(value, bool)
    ):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        with localcontext(prec=80):
            scaled = number.quantize(Decimal(1).scaleb(-field_type.scale))
        return scaled if scaled == number else value  # more decimals: let binding refuse it
    return value


def _widens(old, new) -> bool:
    """Whether Iceberg can change a column's type in place (of the types the store uses, only a
    decimal's precision can grow)."""
    if isinstance(old, DecimalType) and isinstance(new, DecimalType):
        return old.scale == new.scale and new.precision >= old.precision
    return False
