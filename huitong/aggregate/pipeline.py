"""One load, source → mapping → normalise and validate → store, with lineage and rejects.

The run is recorded as ``running`` before anything is read, so a crash leaves a trace; the
store's commit is the only write to the data, so a failed or killed load leaves the previous
version as it was. Rejected rows are kept with file, row, column, value and reason; the
load policy decides whether too many of them abort the load.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import insert

from huitong.access import Actor, Target, require
from huitong.aggregate.mapping import Mapping
from huitong.aggregate.registry import current_mapping, get_source, redact, resource_of
from huitong.aggregate.sources import open_source
from huitong.aggregate.tables import LoadReject, LoadRun
from huitong.aggregate.validate import LoadPolicy, Summary, decide, validate_rows
from huitong.catalog.service import spec_of
from huitong.db.base import Database, utcnow
from huitong.errors import HuitongError
from huitong.ledger.events import record
from huitong.standards.store import as_element, list_elements
from huitong.store.schema import columns_for
from huitong.store.store import Store


@dataclass(frozen=True)
class LoadResult:
    load_id: int
    status: str  # loaded, unchanged, aborted, failed
    summary: Summary
    snapshot_id: int | None
    message: str | None


def _origin(config: dict) -> str | None:
    shown = redact(config)
    for key in ("path", "url", "table"):
        if shown.get(key):
            return str(shown[key])
    return None


def run_load(
    db: Database,
    store: Store,
    actor: Actor,
    source_name: str,
    *,
    policy: LoadPolicy | None = None,
    progress: Callable[[int], None] | None = None,
) -> LoadResult:
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
        run_id, source_id = run.id, source.id
    summary = Summary()
    rejects = []
    try:
        src = open_source(kind, **config)
        description = src.describe()
        records = []
        for batch in src.batches():
            for result in validate_rows(
                batch,
                mapping,
                items,
                elements,
                columns=description.columns,
                summary=summary,
                file=_origin(config),
            ):
                if result.values is not None:
                    records.append(result.values)
                rejects.extend(result.rejects)
            if progress:
                progress(len(batch))
        decision = decide(policy or LoadPolicy(), summary.rows_in, summary.rows_rejected)
        version = None
        if not decision.abort:
            columns = columns_for(items)
            store.ensure_table(code, items)
            schema = pa.schema([(c.name, c.arrow_type) for c in columns])
            version = store.write(
                code, pa.Table.from_pylist(records, schema=schema), mode, load_id=str(run_id)
            )
        status = "aborted" if decision.abort else ("unchanged" if version.unchanged else "loaded")
        message = decision.reason if decision.abort else None
    except HuitongError as exc:
        _finish(db, run_id, "failed", summary, rejects, None, None, exc.message, actor, code, started)
        raise
    _finish(db, run_id, status, summary, rejects, version, source_id, message, actor, code, started)
    if status == "aborted":
        raise HuitongError(
            f"load {run_id} of {source_name} aborted: {message} (huitong ingest rejects {run_id})"
        )
    return LoadResult(run_id, status, summary, version.snapshot_id if version else None, message)


def _finish(db, run_id, status, summary, rejects, version, source_id, message, actor, code, started) -> None:
    with db.session() as s:
        run = s.get(LoadRun, run_id)
        run.status, run.message, run.finished_at = status, message, utcnow()
        run.rows_in, run.rows_out, run.rows_rejected = (
            summary.rows_in,
            summary.rows_out,
            summary.rows_rejected,
        )
        if version is not None:
            run.snapshot_id, run.content_hash = str(version.snapshot_id), version.content_hash
        if rejects:
            s.execute(
                insert(LoadReject),
                [
                    {
                        "load_id": run_id,
                        "file": r.file,
                        "sheet": r.sheet,
                        "row": r.row,
                        "column": r.column,
                        "item": r.item,
                        "value": None if r.value is None else str(r.value)[:500],
                        "reason": r.reason,
                    }
                    for r in rejects
                ],
            )
        record(
            s,
            actor,
            "aggregate.load",
            "resource",
            code,
            result="ok" if status in ("loaded", "unchanged") else status,
            details={
                "load": run_id,
                "status": status,
                "rows_in": summary.rows_in,
                "rows_out": summary.rows_out,
                "rejected": summary.rows_rejected,
                "seconds": round(time.monotonic() - started, 3),
                "snapshot": str(version.snapshot_id) if version else None,
            },
        )
