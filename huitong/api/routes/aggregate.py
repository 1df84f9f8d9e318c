"""Aggregation and the stored data over HTTP: sources, loads (202 then status), rejects, versions,
rows of any version and diffs, with the same permission checks as the command line.

A load answers 202 once its run row exists (so its status is visible at once) and runs in a
background task after the response. Every read of rows is recorded in the ledger.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from pydantic import BaseModel

from huitong.aggregate import loads
from huitong.aggregate import reads as service
from huitong.aggregate.pipeline import PendingLoad, execute_load, start_load
from huitong.aggregate.validate import LoadPolicy
from huitong.aggregate.worker import upcoming
from huitong.api.deps import database, unit
from huitong.encoding import table_rows
from huitong.errors import HuitongError, Problem, invalid
from huitong.quality import disputes
from huitong.store.schema import SYSTEM_COLUMNS
from huitong.store.store import Store

log = logging.getLogger("huitong.api")
router = APIRouter(prefix="/api", tags=["aggregate"])
_store_guard = threading.Lock()


def store_of(request: Request) -> Store:
    """The app's one Store (one per process, so loads to a resource are serialised), made on first use
    in ``<data_dir>/warehouse`` with its catalog in the app's metadata database."""
    app = request.app
    with _store_guard:
        store = getattr(app.state, "store", None)
        if store is None:
            settings = app.state.settings
            if settings is None:
                from huitong.config import load_settings

                settings = load_settings()
            url = database(request).engine.url.render_as_string(hide_password=False)
            store = app.state.store = Store(url, Path(settings.data_dir) / "warehouse")
    return store


def _rows(table) -> list[dict[str, Any]]:
    return table_rows(table, skip=SYSTEM_COLUMNS)


def _as_of(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise invalid(
            f"as_of {text!r}: use ISO form, e.g. 2026-01-01 or 2026-01-01T08:00:00+08:00",
            Problem("not a time", field="as_of", value=text),
        ) from None


# ---------------------------------------------------------------- sources and loads


@router.get("/aggregate/sources", summary="Configured sources whose data you may read (secrets masked)")
def sources(request: Request) -> list[dict]:
    tz = getattr(request.app.state.settings, "schedule_timezone", None)
    with unit(request) as (s, actor):
        return [
            loads.source_dict(s, st.source, upcoming(s, st.source, tz), st.schedule)
            for st in loads.source_statuses(s, actor, datetime.now(UTC), tz)
        ]


class LoadIn(BaseModel):
    max_reject_ratio: float | None = None  # abort above this share of rejected rows (0..1)
    max_rejects: int | None = None  # abort above this many rejected rows


def _execute(db, store: Store, pending: PendingLoad, policy: LoadPolicy) -> None:
    try:
        execute_load(db, store, pending, policy=policy)
    except HuitongError:
        pass  # failed or aborted: the reason is in the load's row and the ledger
    except Exception:
        log.exception("load %s of %s failed", pending.load_id, pending.source_name)


@router.post(
    "/aggregate/sources/{name}/loads",
    status_code=202,
    summary="Start a load of the source; follow it at /api/aggregate/loads/{id}",
)
def start(
    request: Request, response: Response, name: str, background: BackgroundTasks, body: LoadIn | None = None
) -> dict:
    policy = LoadPolicy(body.max_reject_ratio, body.max_rejects) if body else LoadPolicy()
    with unit(request) as (_, actor):
        pass  # the token's use is committed before the load takes the database
    db = database(request)
    pending = start_load(db, actor, name)
    background.add_task(_execute, db, store_of(request), pending, policy)
    href = f"/api/aggregate/loads/{pending.load_id}"
    response.headers["Location"] = href
    return {"load_id": pending.load_id, "status": "running", "source": pending.source_name, "href": href}


@router.get("/aggregate/loads/{load_id}", summary="A load's status and lineage")
def load(request: Request, load_id: int) -> dict:
    with unit(request) as (s, actor):
        return loads.load_dict(s, loads.get_load(s, actor, load_id))


@router.get("/aggregate/loads/{load_id}/rejects", summary="Rows a load rejected: where and why (paged)")
def rejects(
    request: Request,
    load_id: int,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    with unit(request) as (s, actor):
        total, page = loads.rejects(s, actor, load_id, limit=limit, offset=offset)
        return {
            "load_id": load_id,
            "total": total,
            "limit": limit,
            "offset": offset,
            "items": [loads.reject_dict(r) for r in page],
        }


# ---------------------------------------------------------------- stored data


def _actor(request: Request):
    with unit(request) as (_, actor):
        return actor


@router.get("/data/{code:path}/versions", summary="Kept versions of a resource, with row counts")
def versions(request: Request, code: str) -> list[dict]:
    actor = _actor(request)
    return [v.as_dict() for v in service.versions(database(request), store_of(request), actor, code)]


@router.get("/data/{code:path}/rows", summary="Rows of the current or a past version (paged; recorded)")
def rows(
    request: Request,
    code: str,
    snapshot_id: str | None = None,
    as_of: str | None = None,
    limit: Annotated[int, Query(ge=0, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    actor = _actor(request)
    page = service.read_rows(
        database(request),
        store_of(request),
        actor,
        code,
        snapshot_id=snapshot_id,
        as_of=_as_of(as_of),
        limit=limit,
        offset=offset,
    )
    # records under objection are marked, never left out (quality sits above the stored data)
    marks = disputes.current(database(request), code)
    columns = {k: page.rows.column(k).to_pylist() for k in marks.key_items if k in page.rows.column_names}
    return {
        "resource": code,
        "quality": marks.summary(),
        "snapshot_id": str(page.version.snapshot_id),
        "committed_at": page.version.committed_at.isoformat(),
        "total": page.total,
        "limit": limit,
        "offset": offset,
        "columns": page.rows.column_names,
        "rows": marks.mark_rows(_rows(page.rows), columns),
    }


@router.get("/data/{code:path}/diff", summary="Rows added, removed and changed between two versions")
def diff(
    request: Request,
    code: str,
    first: Annotated[str, Query(alias="from")],
    second: Annotated[str | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=0, le=1000)] = 100,
) -> dict:
    actor = _actor(request)
    d = service.diff(database(request), store_of(request), actor, code, first, second)
    return {
        "resource": code,
        "from": str(d.a),
        "to": str(d.b),
        "key": list(d.key),
        "counts": d.counts(),
        "added": _rows(d.added.slice(0, limit)),
        "removed": _rows(d.removed.slice(0, limit)),
        "changed": _rows(d.changed.slice(0, limit)),
        "changed_before": _rows(d.changed_before.slice(0, limit)),
    }
