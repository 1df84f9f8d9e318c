"""Configured sources (数据源): which connector feeds which catalog resource, and how.

A source belongs to the resource's provider department; only its administrator adds or
changes it. Connector options may hold secrets (an API token, a database password): they
are stored, handed to the connector, and redacted everywhere they are shown or recorded.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from huitong.access import Actor, Target, require
from huitong.aggregate.schedule import check as check_schedule
from huitong.aggregate.sources import available_kinds, open_source
from huitong.aggregate.tables import MappingVersion, SourceRow
from huitong.catalog.tables import Resource
from huitong.errors import Conflict, NotFound, Problem, invalid
from huitong.ledger.events import record

MODES = ("full", "append", "upsert")
SECRET_OPTIONS = {"token", "password", "secret", "api_key", "apikey", "client_secret", "headers"}


def redact(config: dict[str, Any]) -> dict[str, Any]:
    """Options as they may be shown: secrets masked, passwords taken out of database URLs."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key.lower() in SECRET_OPTIONS and value:
            out[key] = "***"
        elif key == "url" and isinstance(value, str) and "://" in value and "@" in value:
            try:
                out[key] = make_url(value).render_as_string(hide_password=True)
            except ArgumentError:
                out[key] = value
        else:
            out[key] = value
    return out


def _resource(session: Session, code: str) -> Resource:
    res = session.scalar(select(Resource).where(Resource.code == code.strip()))
    if res is None:
        raise NotFound(f"no catalog entry {code}")
    return res


def add_source(
    session: Session,
    actor: Actor,
    name: str,
    resource_code: str,
    kind: str,
    config: dict[str, Any],
    *,
    mode: str = "full",
    schedule: str | None = None,
) -> SourceRow:
    res = _resource(session, resource_code)
    require(actor, "aggregate.manage", Target(department_id=res.provider_id))
    if kind not in available_kinds():
        raise invalid(
            f"source kind {kind!r}: use one of {', '.join(available_kinds())}",
            Problem("unknown kind", field="kind"),
        )
    if mode not in MODES:
        raise invalid(f"load mode {mode!r}: use full, append or upsert", Problem("bad mode", field="mode"))
    if mode == "upsert" and not any(it.is_key for it in res.items):
        raise invalid(f"{res.code} has no key data item, so it cannot be loaded by upsert")
    if schedule:
        schedule = check_schedule(schedule)
    if session.scalar(select(SourceRow).where(SourceRow.name == name.strip())):
        raise Conflict(f"a source named {name!r} already exists")
    open_source(kind, **config)  # checks option names and required options now, not at 2 a.m.
    row = SourceRow(
        name=name.strip(),
        resource_id=res.id,
        kind=kind,
        config=dict(config),
        mode=mode,
        schedule=schedule,
        created_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        "aggregate.source.add",
        "source",
        row.name,
        details={"resource": res.code, "kind": kind, "config": redact(config), "mode": mode},
    )
    return row


def get_source(session: Session, name: str) -> SourceRow:
    row = session.scalar(select(SourceRow).where(SourceRow.name == name.strip()))
    if row is None:
        raise NotFound(f"no source named {name!r} (huitong source list shows them)")
    return row


def list_sources(session: Session) -> list[SourceRow]:
    return list(session.scalars(select(SourceRow).order_by(SourceRow.name)))


def set_schedule(session: Session, actor: Actor, name: str, schedule: str | None) -> SourceRow:
    """Give a source a cron schedule for the worker, or (None or empty) take it off the schedule."""
    source = get_source(session, name)
    require(actor, "aggregate.manage", Target(department_id=resource_of(session, source).provider_id))
    before = source.schedule
    source.schedule = check_schedule(schedule) if schedule and schedule.strip() else None
    record(
        session,
        actor,
        "aggregate.source.schedule",
        "source",
        source.name,
        details={"before": before, "after": source.schedule},
    )
    return source


def resource_of(session: Session, source: SourceRow) -> Resource:
    return session.get(Resource, source.resource_id)  # type: ignore[return-value]


def describe_source(session: Session, actor: Actor, name: str):
    """Open the source and report what it holds (columns, encoding, header rows): a dry run."""
    source = get_source(session, name)
    require(actor, "aggregate.manage", Target(department_id=resource_of(session, source).provider_id))
    return open_source(source.kind, **source.config).describe()


def save_mapping(session: Session, actor: Actor, name: str, document: dict[str, Any]) -> MappingVersion:
    source = get_source(session, name)
    require(actor, "aggregate.manage", Target(department_id=resource_of(session, source).provider_id))
    last = current_mapping(session, source)
    row = MappingVersion(
        source_id=source.id,
        version=(last.version + 1) if last else 1,
        document=document,
        created_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    record(session, actor, "aggregate.mapping.save", "source", source.name, details={"version": row.version})
    return row


def current_mapping(session: Session, source: SourceRow) -> MappingVersion | None:
    return session.scalar(
        select(MappingVersion)
        .where(MappingVersion.source_id == source.id)
        .order_by(MappingVersion.version.desc())
        .limit(1)
    )
