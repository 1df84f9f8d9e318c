"""Loads and their rejects as the CLI and the API show them, with the same permission checks.

Rejected rows hold the department's own values (ID numbers, names), so seeing a load's lineage
and rejects needs ``data.read`` on the provider department, like the stored rows themselves;
sources are listed only to those who may read their resource's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huitong.access import Actor, Target, decide, require
from huitong.aggregate.registry import list_sources, redact, resource_of
from huitong.aggregate.schedule import ScheduleState, schedule_state
from huitong.aggregate.tables import LoadReject, LoadRun, SourceRow
from huitong.catalog.tables import Resource
from huitong.errors import NotFound, Problem, invalid


def _provider(session: Session, code: str) -> int | None:
    return session.scalar(select(Resource.provider_id).where(Resource.code == code))


def visible_sources(session: Session, actor: Actor) -> list[SourceRow]:
    """The sources the actor may oversee: its department's, or all for the operator and auditors."""
    return [
        src
        for src in list_sources(session)
        if decide(actor, "aggregate.monitor", Target(department_id=resource_of(session, src).provider_id))
    ]


@dataclass(frozen=True)
class SourceStatus:
    """One source as its overseers see it: its resource, its last load and its schedule's state."""

    source: SourceRow
    resource: Resource
    last: LoadRun | None
    schedule: ScheduleState | None


def last_loads(session: Session, source_ids: list[int]) -> dict[int, LoadRun]:
    """The latest load of each source."""
    out: dict[int, LoadRun] = {}
    if source_ids:
        for run in session.scalars(
            select(LoadRun).where(LoadRun.source_id.in_(source_ids)).order_by(LoadRun.id)
        ):
            out[run.source_id] = run
    return out


def source_statuses(
    session: Session, actor: Actor, now: datetime, tz: str | tzinfo | None
) -> list[SourceStatus]:
    """Every source the actor may oversee, by name, with whether its scheduled load is late: the one
    answer the console's pages, the dashboard and the API give."""
    found = visible_sources(session, actor)
    last = last_loads(session, [src.id for src in found])
    return [
        SourceStatus(
            src,
            resource_of(session, src),
            last.get(src.id),
            schedule_state(
                src.schedule,
                last[src.id].started_at if src.id in last else None,
                now,
                tz,
                src.created_at,
            ),
        )
        for src in found
    ]


def recent_loads(session: Session, sources: list[SourceRow], limit: int = 100) -> list[LoadRun]:
    """The latest loads of these sources, newest first."""
    return list(
        session.scalars(
            select(LoadRun)
            .where(LoadRun.source_id.in_([src.id for src in sources] or [-1]))
            .order_by(LoadRun.id.desc())
            .limit(limit)
        )
    )


def source_dict(
    session: Session, source: SourceRow, next_run=None, state: ScheduleState | None = None
) -> dict[str, Any]:
    return {
        "name": source.name,
        "resource": resource_of(session, source).code,
        "kind": source.kind,
        "mode": source.mode,
        "schedule": source.schedule,
        "next_run": next_run.isoformat() if next_run else None,
        "config": redact(dict(source.config)),
        "created_at": source.created_at.isoformat(),
        "late": bool(state and state.late),
    }


def get_load(session: Session, actor: Actor, load_id: int) -> LoadRun:
    run = session.get(LoadRun, load_id)
    if run is None:
        raise NotFound(f"no load {load_id}")
    require(actor, "aggregate.monitor", Target(department_id=_provider(session, run.resource_code)))
    return run


def load_dict(session: Session, run: LoadRun) -> dict[str, Any]:
    """A load with its lineage: source, connector and origin, mapping version, counts, who, the version."""
    source = session.get(SourceRow, run.source_id)
    seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    return {
        "id": run.id,
        "status": run.status,
        "message": run.message,
        "source": source.name if source else None,
        "resource": run.resource_code,
        "mode": run.mode,
        "connector": run.connector,
        "origin": run.origin,
        "mapping_version": run.mapping_version,
        "rows_in": run.rows_in,
        "rows_out": run.rows_out,
        "rows_rejected": run.rows_rejected,
        "content_hash": run.content_hash,
        "snapshot_id": run.snapshot_id,
        "actor": run.actor_name,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "seconds": seconds,
        # the schema contract the load ran under, and the source columns it left out (unmapped)
        "contract": (run.notes or {}).get("contract"),
        "new_columns": (run.notes or {}).get("new_columns", []),
    }


def history(session: Session, actor: Actor, code: str) -> list[LoadRun]:
    """Every load of a resource, oldest first."""
    require(actor, "aggregate.monitor", Target(department_id=_provider(session, code.strip())))
    stmt = select(LoadRun).where(LoadRun.resource_code == code.strip()).order_by(LoadRun.id)
    return list(session.scalars(stmt))


def rejects(
    session: Session, actor: Actor, load_id: int, *, limit: int = 100, offset: int = 0
) -> tuple[int, list[LoadReject]]:
    """One page of a load's rejected rows (in file order) and how many there are in all."""
    if limit < 0 or offset < 0:
        raise invalid("limit and offset are 0 or more", Problem("bad number", field="limit"))
    run = get_load(session, actor, load_id)
    # rejected rows carry the department's raw values: only those who may read its data see them
    require(actor, "data.read", Target(department_id=_provider(session, run.resource_code)))
    total = session.scalar(select(func.count()).select_from(LoadReject).where(LoadReject.load_id == load_id))
    page = session.scalars(
        select(LoadReject)
        .where(LoadReject.load_id == load_id)
        .order_by(LoadReject.id)
        .limit(limit)
        .offset(offset)
    )
    return int(total or 0), list(page)


def reject_dict(r: LoadReject) -> dict[str, Any]:
    return {
        "file": r.file,
        "sheet": r.sheet,
        "row": r.row,
        "column": r.column,
        "item": r.item,
        "value": r.value,
        "reason": r.reason,
    }
