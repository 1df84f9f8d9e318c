"""Who may see and expire a resource's stored versions, and the evidence of every read.

The :class:`~huitong.store.store.Store` knows tables, not people: this is the layer the CLI and the
API share. Reading rows or a diff needs ``data.read`` on the provider department and is written to
the ledger (resource, version, rows returned, and the ID numbers and credit codes seen, as keyed
hashes, for "who used my data"); expiring old versions needs ``data.expire`` and is recorded too.
A version that retention has removed is reported as expired (HTTP 410), not as never having existed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyarrow as pa
from sqlalchemy import select

from huitong.access import Actor, Target, decide, require
from huitong.aggregate.tables import LoadRun
from huitong.catalog import service as catalog
from huitong.catalog.tables import Resource
from huitong.db.base import Database
from huitong.errors import HuitongError, NotFound, Problem, invalid
from huitong.ledger.events import record
from huitong.standards.store import subject_items
from huitong.store.diff import Diff
from huitong.store.schema import normalise_code
from huitong.store.store import Store, Version


@dataclass(frozen=True)
class Page:
    version: Version
    total: int  # rows in the version
    offset: int
    rows: pa.Table


@dataclass(frozen=True)
class Expiry:
    code: str
    versions: list[Version]  # expired, or that would be in a dry run


def _readable(db: Database, actor: Actor, code: str) -> tuple[str, list[str]]:
    """Check ``data.read``; the resource's code and its subject columns (ID numbers, credit codes)."""
    with db.session(read_only=True) as s:
        res = catalog.get(s, actor, code)
        require(actor, "data.read", Target(department_id=res.provider_id))
        subjects = subject_items(s, catalog.spec_of(res).items)
        return res.code, subjects


def _gone(db: Database, store: Store, code: str, snapshot_id, as_of: datetime | None) -> HuitongError | None:
    """If a version asked for was made by a load but is no longer kept, the error that says so."""
    with db.session(read_only=True) as s:
        loads = select(LoadRun).where(LoadRun.resource_code == code, LoadRun.snapshot_id.is_not(None))
        if snapshot_id is not None:
            run = s.scalars(loads.where(LoadRun.snapshot_id == str(snapshot_id)).limit(1)).first()
            if run is None:
                return None
            what = f"version {snapshot_id} of {code} (load {run.id}, {run.started_at:%Y-%m-%d %H:%M} UTC)"
        else:  # a load that had started by then made a version that is no longer kept
            moment = as_of.astimezone(UTC).replace(tzinfo=None) if as_of.tzinfo else as_of
            kept = {str(v.snapshot_id) for v in store.versions(code)}
            made = s.scalars(loads.with_only_columns(LoadRun.snapshot_id).where(LoadRun.started_at <= moment))
            if all(sid in kept for sid in made):
                return None
            what = f"the version of {code} current at {as_of.isoformat()}"
    return HuitongError(
        f"{what} has been expired under the retention policy and can no longer be read; "
        f"huitong data versions {code} lists the versions kept",
        code="expired",
        status=410,
    )


def _version(
    db: Database, store: Store, code: str, snapshot_id=None, as_of: datetime | None = None
) -> Version:
    try:
        return store.version(code, snapshot_id=snapshot_id, as_of=as_of)
    except NotFound:
        if snapshot_id is not None or as_of is not None:
            gone = _gone(db, store, code, snapshot_id, as_of)
            if gone is not None:
                raise gone from None
        raise


def versions(db: Database, store: Store, actor: Actor, code: str) -> list[Version]:
    """The kept versions of a resource, oldest first, with their row counts."""
    code, _ = _readable(db, actor, code)
    if not store.exists(code):
        return []
    return store.versions(code)


def read_rows(
    db: Database,
    store: Store,
    actor: Actor,
    code: str,
    *,
    snapshot_id: int | str | None = None,
    as_of: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    columns: Sequence[str] | None = None,
) -> Page:
    """One page of a version's rows (the current version by default), recorded in the ledger."""
    code, subject_columns = _readable(db, actor, code)
    version = _version(db, store, code, snapshot_id, as_of)
    named = snapshot_id is not None or as_of is not None
    rows = store.read(
        code, snapshot_id=version.snapshot_id if named else None, columns=columns, limit=limit, offset=offset
    )
    seen = {
        str(v) for c in subject_columns if c in rows.column_names for v in rows.column(c).to_pylist() if v
    }
    with db.session() as s:
        record(
            s,
            actor,
            "data.read",
            "resource",
            code,
            details={
                "snapshot": str(version.snapshot_id),
                "rows": rows.num_rows,
                "offset": offset,
                "as_of": as_of.isoformat() if as_of else None,
            },
            subjects=seen,
        )
    return Page(version, version.rows, offset, rows)


def diff(db: Database, store: Store, actor: Actor, code: str, first: int, second: int | None = None) -> Diff:
    """Rows added, removed and changed between two versions, recorded in the ledger as a read."""
    code, subject_columns = _readable(db, actor, code)
    a = _version(db, store, code, first)
    b = _version(db, store, code, second) if second is not None else _version(db, store, code)
    d = store.diff(code, a, b)
    parts = (d.added, d.removed, d.changed, d.changed_before)
    seen = {
        str(v)
        for part in parts
        for c in subject_columns
        if c in part.column_names
        for v in part.column(c).to_pylist()
        if v
    }
    with db.session() as s:
        record(
            s,
            actor,
            "data.diff",
            "resource",
            code,
            details={"from": str(a.snapshot_id), "to": str(b.snapshot_id), **d.counts()},
            subjects=seen,
        )
    return d


def expire(
    db: Database,
    store: Store,
    actor: Actor,
    code: str | None,
    *,
    older_than_days: int,
    keep_last: int,
    dry_run: bool = False,
) -> list[Expiry]:
    """Forget the versions of one resource (or, with ``code`` None, of every resource the actor may
    expire) committed more than ``older_than_days`` ago, keeping the ``keep_last`` newest."""
    if isinstance(older_than_days, bool) or not isinstance(older_than_days, int) or older_than_days < 0:
        raise invalid(
            "older than: a whole number of days, 0 or more", Problem("bad number", field="older_than")
        )
    if isinstance(keep_last, bool) or not isinstance(keep_last, int) or keep_last < 1:
        raise invalid(
            "keep last: 1 or more (the current version is always kept)", Problem("bad", field="keep_last")
        )
    cutoff = datetime.now(UTC) - timedelta(days=older_than_days)
    with db.session(read_only=True) as s:
        if code is not None:
            res = catalog.get(s, actor, code)
            require(actor, "data.expire", Target(department_id=res.provider_id))
            targets = [res.code]
        else:
            targets = [
                r.code
                for r in s.scalars(select(Resource).order_by(Resource.code))
                if decide(actor, "data.expire", Target(department_id=r.provider_id))
            ]
    out = []
    for target in targets:
        if not store.exists(target):
            if code is not None:
                raise NotFound(f"resource {normalise_code(target)} has no stored data")
            continue
        doomed = store.expirable(target, cutoff, keep_last)
        if not dry_run:  # even with no version to forget, a killed load's parts may be left over
            store.expire(target, cutoff, keep_last)
        if doomed and not dry_run:
            with db.session() as s:
                record(
                    s,
                    actor,
                    "data.expire",
                    "resource",
                    target,
                    details={
                        "versions": [str(v.snapshot_id) for v in doomed],
                        "older_than_days": older_than_days,
                        "keep_last": keep_last,
                    },
                )
        out.append(Expiry(target, doomed))
    return out
