"""One load, source → mapping → normalise and validate → store, with lineage and rejects.

The run is recorded as ``running`` before anything is read (:func:`start_load`), so a crash
leaves a trace and the API can show the status at once; :func:`execute_load` does the rest. The
store's commit is the only write to the data, so a failed or killed load leaves the previous
version as it was. Rejected rows are kept with file, row, column, value and reason; the
load policy decides whether too many of them abort the load.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import insert, literal, select

from huitong.access import Actor, Target, require
from huitong.aggregate.columnar import ColumnarValidator
from huitong.aggregate.contract import Contract, new_columns, notes
from huitong.aggregate.mapping import Mapping
from huitong.aggregate.readahead import read_ahead
from huitong.aggregate.registry import current_mapping, get_source, redact, resource_of
from huitong.aggregate.sources import open_source
from huitong.aggregate.tables import LoadReject, LoadRun
from huitong.aggregate.validate import LoadPolicy, Summary, load_verdict
from huitong.catalog.service import spec_of
from huitong.db.base import Database, utcnow
from huitong.db.rows import insert_rows
from huitong.errors import HuitongError
from huitong.events import VersionLoaded, emit_after, merged
from huitong.gc_pause import gc_paused
from huitong.ledger.events import record
from huitong.standards.store import as_element, list_elements
from huitong.store.schema import columns_for
from huitong.store.store import Store

LOAD_BATCH_ROWS = 50_000  # rows per columnar batch: large enough for array speed, small enough for memory


@dataclass(frozen=True)
class LoadResult:
    load_id: int
    status: str  # loaded, unchanged, aborted, failed
    summary: Summary
    snapshot_id: int | None
    message: str | None


_REJECT_COLUMNS = ("load_id", "file", "sheet", "row", "column", "item", "value", "reason")


def _origin(config: dict) -> str | None:
    shown = redact(config)
    for key in ("path", "url", "table"):
        if shown.get(key):
            return str(shown[key])
    return None


@dataclass(frozen=True)
class PendingLoad:
    """A load that passed its checks and has its ``running`` row: what :func:`execute_load` needs.

    Starting and executing are apart so the API can answer 202 with a load id whose status is
    already visible, and run the reading and writing after the response."""

    load_id: int
    source_id: int
    source_name: str
    code: str
    kind: str
    config: dict
    mode: str
    mapping: Mapping
    items: list
    elements: dict
    actor: Actor
    started: float  # time.monotonic() at the start, for the recorded duration


def start_load(db: Database, actor: Actor, source_name: str) -> PendingLoad:
    """Check permission and the confirmed mapping, then record the run as ``running``."""
    started = time.monotonic()
    with db.session() as s:
        source = get_source(s, source_name)
        res = resource_of(s, source)
        require(actor, "aggregate.manage", Target(department_id=res.provider_id))
        saved = current_mapping(s, source)
        if saved is None:
            raise HuitongError(
                f"source {source.name} has no confirmed mapping yet: run huitong ingest map first"
            )
        mapping = Mapping.from_dict(saved.document)
        items = spec_of(res).items
        elements = {row.identifier: as_element(row) for row in list_elements(s)}
        code, kind, config, mode = res.code, source.kind, dict(source.config), source.mode
        run = LoadRun(
            source_id=source.id,
            resource_code=code,
            status="running",
            mode=mode,
            connector=kind,
            origin=_origin(config),
            mapping_version=saved.version,
            actor_name=actor.username,
        )
        s.add(run)
        s.flush()
        return PendingLoad(
            run.id, source.id, source.name, code, kind, config, mode, mapping, items, elements, actor, started
        )


@gc_paused()  # its walks of the heap held the GIL for 5-7 % of a load (huitong/gc_pause.py)
def execute_load(
    db: Database,
    store: Store,
    pending: PendingLoad,
    *,
    policy: LoadPolicy | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> LoadResult:
    """Read, validate and store a started load; whatever happens, its run row is finished.

    ``progress(rows, expected)`` is called after each batch with the rows it held and the source's
    estimate of all its rows (None when it cannot tell), for a bar with an ETA."""
    p = pending
    run_id, code, config, actor, started = p.load_id, p.code, p.config, p.actor, p.started
    summary = Summary()
    rejects = []
    policy = policy or LoadPolicy()
    contract = Contract(policy.max_rejects, policy.max_reject_ratio)
    found = notes(contract, [])
    input_hash = None
    try:
        src = open_source(p.kind, **config)
        src.for_load = True  # its strict read checks the encoding: no whole-file pass before it
        digest = src.fingerprint()
        input_hash = _input_hash(digest, p, contract) if digest else None
        same = _same_input(db, store, p, input_hash) if input_hash else None
        if same is not None:
            return _finish_same_input(db, p, same, input_hash)
        description = src.describe()
        schema = pa.schema([(c.name, c.arrow_type) for c in columns_for(p.items)])
        # One validator for the whole load: a key repeated a batch later is still a duplicate.
        validator = ColumnarValidator(
            p.mapping, p.items, p.elements, columns=description.columns, file=_origin(config), schema=schema
        )
        validator.summary = summary
        found = notes(contract, new_columns(description.names, validator.mapping.columns))
        expected = src.estimated_rows() if progress else None
        # The accepted rows leave as Parquet files while the load runs; no row is visible before
        # the commit, the table's columns change only then (a first load may create it empty), and
        # an aborted or failed load deletes what it wrote.
        with store.writer(code, p.mode, load_id=str(run_id), items=p.items) as parts:
            try:
                for batch in read_ahead(src.load_batches(LOAD_BATCH_ROWS)):
                    checked = validator.check_batch(batch)
                    parts.add(checked.table)
                    rejects.extend(checked.rejects)
                    if progress:
                        progress(len(batch), expected)
            finally:
                validator.close()
            decision = load_verdict(policy, summary.rows_in, summary.rows_rejected)
            version = None if decision.abort else parts.commit()
        status = "aborted" if decision.abort else ("unchanged" if version.unchanged else "loaded")
        message = decision.reason if decision.abort else None
    except HuitongError as exc:
        _finish(db, run_id, "failed", summary, rejects, None, None, exc.message, actor, code, started, found)
        raise
    except Exception as exc:  # an unforeseen failure still finishes the run row, with its reason
        reason = f"internal error: {type(exc).__name__}: {exc}"
        _finish(db, run_id, "failed", summary, rejects, None, None, reason, actor, code, started, found)
        raise
    status, message = _finish(
        db,
        run_id,
        status,
        summary,
        rejects,
        version,
        p.source_id,
        message,
        actor,
        code,
        started,
        found,
        input_hash,
        store,
    )
    if status == "aborted":
        raise HuitongError(
            f"load {run_id} of {p.source_name} aborted: {message} (huitong ingest rejects {run_id})"
        )
    return LoadResult(run_id, status, summary, version.snapshot_id if version else None, message)


def run_load(
    db: Database,
    store: Store,
    actor: Actor,
    source_name: str,
    *,
    policy: LoadPolicy | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> LoadResult:
    """One whole load, as the CLI and the worker run it."""
    return execute_load(db, store, start_load(db, actor, source_name), policy=policy, progress=progress)


def record_failure(db: Database, source_name: str, actor_name: str, message: str, actor: Actor) -> int:
    """A load that failed before it could start (no mapping, no permission, creator gone): one
    ``failed`` run row with the reason, and its ledger entry, so a scheduled failure is seen."""
    with db.session() as s:
        source = get_source(s, source_name)
        res = resource_of(s, source)
        saved = current_mapping(s, source)
        run = LoadRun(
            source_id=source.id,
            resource_code=res.code,
            status="failed",
            mode=source.mode,
            connector=source.kind,
            origin=_origin(dict(source.config)),
            mapping_version=saved.version if saved else None,
            actor_name=actor_name[:64],
            finished_at=utcnow(),
            message=message,
        )
        s.add(run)
        s.flush()
        record(
            s,
            actor,
            "aggregate.load",
            "resource",
            res.code,
            result="failed",
            details={"load": run.id, "status": "failed", "source": source.name, "reason": message},
        )
        return run.id


def _finish(
    db,
    run_id,
    status,
    summary,
    rejects,
    version,
    source_id,
    message,
    actor,
    code,
    started,
    found=None,
    input_hash=None,
    store=None,
) -> tuple[str, str | None]:
    """Finish the run row and its evidence; the run's status and message as they end (a listener
    may change them: quality holds a version back as ``quarantined``)."""
    with db.session() as s:
        heard: dict = {}
        run = s.get(LoadRun, run_id)
        run.status, run.message, run.finished_at = status, message, utcnow()
        run.input_hash = input_hash if status in ("loaded", "unchanged") else None
        run.notes = found
        run.rows_in, run.rows_out, run.rows_rejected = (
            summary.rows_in,
            summary.rows_out,
            summary.rows_rejected,
        )
        if version is not None:
            run.snapshot_id, run.content_hash = str(version.snapshot_id), version.content_hash
            if status == "loaded":  # listeners hear of the version in the transaction that records it
                counts = {
                    "rows": version.rows,
                    "inserted": version.inserted,
                    "updated": version.updated,
                    "deleted": version.deleted,
                }
                heard = emit_after(
                    s, VersionLoaded(code, version.snapshot_id, version.parent_id, counts, run_id, store)
                )
        if rejects:  # as tuples (COPY on PostgreSQL): a load may reject hundreds of thousands of rows
            insert_rows(
                s,
                LoadReject.__table__,
                _REJECT_COLUMNS,
                (
                    (
                        run_id,
                        r.file,
                        r.sheet,
                        r.row,
                        r.column,
                        r.item,
                        None if r.value is None else str(r.value)[:500],
                        r.reason,
                    )
                    for r in rejects
                ),
            )
        status = run.status  # as listeners left it
        record(
            s,
            actor,
            "aggregate.load",
            "resource",
            code,
            result="ok" if status in ("loaded", "unchanged") else status,
            details=merged(
                {
                    "load": run_id,
                    "status": status,
                    "rows_in": summary.rows_in,
                    "rows_out": summary.rows_out,
                    "rejected": summary.rows_rejected,
                    "seconds": round(time.monotonic() - started, 3),
                    "snapshot": str(version.snapshot_id) if version else None,
                    **({"reason": message} if message else {}),
                    **({"new_columns": found["new_columns"]} if found and found["new_columns"] else {}),
                },
                heard,  # what listeners added
            ),
        )
        return run.status, run.message


# ---------------------------------------------------------------- an input sent again


def _input_hash(digest: str, p: PendingLoad, contract: Contract) -> str:
    """The input's digest with everything that decides what a load of it gives: the connector and
    its options (without secrets), the mode, the mapping, the items, their data elements and the
    contract. Today's date is left out on purpose: a nightly re-send must match."""
    elements = {i.element: repr(p.elements.get(i.element)) for i in p.items if i.element}
    described = {
        "input": digest,
        "kind": p.kind,
        "config": redact(p.config),
        "mode": p.mode,
        "mapping": p.mapping.to_dict(),
        "items": [repr(i) for i in p.items],
        "elements": elements,
        "contract": [contract.max_rejects, contract.max_reject_ratio],
    }
    text = json.dumps(described, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _same_input(db: Database, store: Store, p: PendingLoad, input_hash: str) -> LoadRun | None:
    """The source's last successful load, if it read this very input and its version is still the
    resource's current one (nothing loaded, rolled back or expired since)."""
    with db.session() as s:
        last = s.scalar(
            select(LoadRun)
            .where(LoadRun.source_id == p.source_id, LoadRun.status.in_(("loaded", "unchanged")))
            .where(LoadRun.id != p.load_id)
            .order_by(LoadRun.id.desc())
            .limit(1)
        )
        if last is None or last.input_hash != input_hash or last.snapshot_id is None:
            return None
        s.expunge(last)
    if not store.exists(p.code):
        return None
    try:
        current = store.version(p.code)
    except HuitongError:
        return None
    return last if str(current.snapshot_id) == last.snapshot_id else None


def _finish_same_input(db: Database, p: PendingLoad, same: LoadRun, input_hash: str) -> LoadResult:
    """Finish a load as ``unchanged`` without reading: the counts, rejects and notes are the earlier
    load's (its rejects are copied, so this load's report is complete on its own)."""
    message = f"the input is identical to load {same.id} (same bytes, mapping and items): not read again"
    summary = Summary(same.rows_in, same.rows_out, same.rows_rejected)
    with db.session() as s:
        run = s.get(LoadRun, p.load_id)
        run.status, run.message, run.finished_at = "unchanged", message, utcnow()
        run.rows_in, run.rows_out, run.rows_rejected = same.rows_in, same.rows_out, same.rows_rejected
        run.snapshot_id, run.content_hash, run.input_hash = same.snapshot_id, same.content_hash, input_hash
        run.notes = {**(same.notes or {}), "same_input_as": same.id}
        copied = [c.name for c in LoadReject.__table__.columns if c.name not in ("id", "load_id")]
        source = select(literal(p.load_id), *(LoadReject.__table__.c[n] for n in copied)).where(
            LoadReject.load_id == same.id
        )
        s.execute(insert(LoadReject).from_select(["load_id", *copied], source))
        record(
            s,
            p.actor,
            "aggregate.load",
            "resource",
            p.code,
            result="ok",
            details={
                "load": p.load_id,
                "status": "unchanged",
                "rows_in": same.rows_in,
                "rows_out": same.rows_out,
                "rejected": same.rows_rejected,
                "seconds": round(time.monotonic() - p.started, 3),
                "snapshot": same.snapshot_id,
                "same_input_as": same.id,
            },
        )
    return LoadResult(p.load_id, "unchanged", summary, int(same.snapshot_id), message)
