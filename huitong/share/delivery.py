"""Delivery of the granted view (数据服务): query, lookup by key, verification, batch extracts and
change sets, each checked against the grant, counted against its quota, and recorded.

The granted view is the resource's current (or a named) version, cut to the grant's rows and
items, with each item shown as its treatment says. A consumer may filter only on items it sees
in clear, so filters cannot be used to probe masked values. A record under objection (异议标注)
is served like any other and marked ``_disputed``, with the resource's quality beside the rows.
Every delivery, and every refusal,
is a ledger entry naming the consumer, grant, version, items, row count and purpose; records
keyed by ID numbers or credit codes are indexed for "who used my data".
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from huitong.access import Actor
from huitong.catalog.tables import Resource
from huitong.db.base import Database, utcnow
from huitong.encoding import column_values, jsonable
from huitong.errors import HuitongError, NotFound, Problem, Unauthenticated, invalid
from huitong.ledger.events import entry_values, record, record_apart
from huitong.ledger.leaf import subject_key
from huitong.ledger.writer import Increment, RowInsert, Ticket, writer_for
from huitong.quality import disputes
from huitong.share import credentials
from huitong.share.caches import _norm, caches
from huitong.share.grants import check_usable, count_use, item_views, today, usable_grant
from huitong.share.tables import Delivery, Grant, GrantUsage
from huitong.share.treatments import ItemView, Treatment, pseudonym_key, render
from huitong.standards.dates import parse_date
from huitong.standards.store import subject_items
from huitong.store.store import Store

log = logging.getLogger("huitong.share.delivery")
MAX_SUBJECTS = 50_000  # per delivery; beyond it the entry says how many were left out
MAX_PAGE = 1000


@dataclass
class View:
    grant: Grant
    resource: Resource
    items: list[ItemView]  # granted items, hidden ones included (they are shown as absent)
    subject_items: list[str]
    key: bytes  # the consumer's pseudonym key
    secret: bytes  # the node's subject-lookup key, for "who used my data"

    @cached_property
    def shown(self) -> list[ItemView]:
        return [v for v in self.items if v.treatment != Treatment.hidden]

    @cached_property
    def key_items(self) -> list[str]:
        return [it.name for it in self.resource.items if it.is_key]

    @cached_property
    def granted(self) -> frozenset[str]:
        return frozenset(v.name for v in self.items)

    def treatment(self, name: str) -> Treatment | None:
        return next((v.treatment for v in self.items if v.name == name), None)


def _view(session: Session, actor: Actor, grant_id: int, mode: str, *, lock: bool = True) -> View:
    g = usable_grant(session, actor, grant_id, mode, lock=lock)
    res = session.get(Resource, g.resource_id)
    subjects = subject_items(session, res.items)
    db = session.info.get("database")
    secret = getattr(db, "subject_secret", None)
    if not secret:
        raise HuitongError("the platform's keys are not loaded (run huitong init)", status=500)
    return View(
        g,
        res,
        item_views(session, res, g.items, g.treatments),
        subjects,
        pseudonym_key(secret, str(g.consumer_id)),
        secret,
    )


def _merge_filter(
    view: View, wanted: dict[str, Any] | None, *, keys_ok: bool = False
) -> dict[str, Any] | None:
    """The grant's row scope AND the consumer's filter; filtering on a masked item is refused."""
    out: dict[str, Any] = {
        k: (list(v) if isinstance(v, list | tuple) else v) for k, v in (view.grant.row_filter or {}).items()
    }
    key_items = {it.name for it in view.resource.items if it.is_key}
    problems = []
    for name, value in (wanted or {}).items():
        t = view.treatment(name)
        if t is None:
            problems.append(Problem("not a granted data item", column=name))
            continue
        if t != Treatment.clear and not (keys_ok and name in key_items):
            problems.append(Problem(f"shown to you as {t.value}, so it cannot be filtered on", column=name))
            continue
        if name in out:
            have = out[name] if isinstance(out[name], list) else [out[name]]
            given = value if isinstance(value, list) else [value]
            both = [v for v in given if str(v) in {str(h) for h in have}]
            out[name] = both or ["\x00no-match"]
        else:
            out[name] = value
    if problems:
        raise invalid("the filter does not fit the grant", *problems)
    return out or None


def _render(view: View, table: pa.Table) -> list[dict[str, Any]]:
    cols = {}
    for v in view.shown:
        raw = table.column(v.name).to_pylist() if v.name in table.column_names else [None] * table.num_rows
        cols[v.name] = [jsonable(x) for x in render(v, raw, view.key)]
    names = list(cols)
    return [dict(zip(names, vals, strict=True)) for vals in zip(*cols.values(), strict=True)] if names else []


def _subjects(view: View, table: pa.Table) -> tuple[list[str], int]:
    found: list[str] = []
    for name in view.subject_items:
        if name in table.column_names:
            found.extend(str(x) for x in table.column(name).to_pylist() if x)
    unique = list(dict.fromkeys(found))
    return unique[:MAX_SUBJECTS], max(0, len(unique) - MAX_SUBJECTS)


def _delivery_row(
    g, actor: Actor, mode: str, snapshot_id: Any, rows: int, at, checksum: str | None = None
) -> dict:
    """The ``share_delivery`` row of one delivery, for both the locked and the group-committed path."""
    return {
        "grant_id": g.id,
        "consumer_id": g.consumer_id,
        "provider_id": g.provider_id,
        "resource_code": g.resource_code,
        "mode": mode,
        "snapshot_id": None if snapshot_id is None else str(snapshot_id),
        "rows": rows,
        "checksum": checksum,
        "actor_name": actor.username,
        "at": at,
    }


def _refusal(exc: HuitongError) -> tuple[str, dict[str, Any]]:
    """The result and details a refused delivery is recorded with."""
    return ("denied" if exc.status in (401, 403, 404, 429) else "error"), {
        "error": exc.code,
        "message": exc.message,
    }


def _deliver(
    session: Session,
    actor: Actor,
    view: View,
    mode: str,
    snapshot_id: Any,
    rows: int,
    table: pa.Table | None,
    checksum: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Delivery:
    g = view.grant
    count_use(session, g, rows)
    d = Delivery(**_delivery_row(g, actor, mode, snapshot_id, rows, utcnow(), checksum))
    session.add(d)
    session.flush()
    subjects, left_out = _subjects(view, table) if table is not None else ([], 0)
    details = {
        "delivery": d.id,
        "grant": g.id,
        "consumer_id": g.consumer_id,
        "mode": mode,
        "snapshot": d.snapshot_id,
        "items": [v.name for v in view.shown],
        "rows": rows,
        "purpose": g.purpose,
    } | (extra or {})
    if left_out:
        details["subjects_not_indexed"] = left_out
    record(
        session,
        actor,
        f"share.deliver.{mode}",
        "resource",
        g.resource_code,
        details=details,
        subjects=subjects,
    )
    return d


def _guard(db: Database, actor: Actor, grant_id: int, mode: str, fn):
    """Run a delivery; a refusal is recorded (durably, although its transaction rolls back)."""
    with db.session() as s:
        try:
            return fn(s)
        except HuitongError as exc:
            result, details = _refusal(exc)
            record_apart(
                s, actor, f"share.deliver.{mode}", "grant", str(grant_id), result=result, details=details
            )
            raise


def query(
    db: Database,
    store: Store,
    actor: Actor,
    grant_id: int,
    *,
    filter: dict[str, Any] | None = None,
    limit: int = 100,
    offset: int = 0,
    snapshot_id: int | None = None,
) -> dict[str, Any]:
    """A page of the granted view, filtered; the snapshot id comes back for stable paging."""
    if not 1 <= limit <= MAX_PAGE:
        raise invalid(f"limit must be between 1 and {MAX_PAGE}", Problem("out of range", field="limit"))

    def run(s: Session) -> dict[str, Any]:
        view = _view(s, actor, grant_id, "query")
        code = view.grant.resource_code
        sid = snapshot_id if snapshot_id is not None else caches(db).versions.current(store, code)
        scope = _merge_filter(view, filter)
        marks = disputes.current(db, code)
        columns = [v.name for v in view.items]
        keys = [k for k in view.key_items if k not in columns] if marks.records else []
        table = store.read(
            code,
            snapshot_id=sid,
            columns=columns + keys,
            filter=scope,
            limit=limit,
            offset=offset,
        )
        key_columns = {k: table.column(k).to_pylist() for k in view.key_items if k in table.column_names}
        table = table.drop_columns(keys)  # read only to find disputed records: neither shown nor indexed
        rows = marks.mark_rows(_render(view, table), key_columns)
        d = _deliver(
            s,
            actor,
            view,
            "query",
            sid,
            table.num_rows,
            table,
            extra={"filter": sorted((filter or {}).keys())},
        )
        return {
            "grant": view.grant.id,
            "resource": code,
            "snapshot_id": str(sid),
            "offset": offset,
            "limit": limit,
            "rows": rows,
            "count": len(rows),
            "delivery": d.id,
            "items": {v.name: v.treatment.value for v in view.shown},
            "quality": marks.summary(),
        }

    return _guard(db, actor, grant_id, "query", run)


def _same(stored: Any, given: Any) -> bool:
    if stored is None or given is None:
        return stored is None and given in (None, "")
    if isinstance(stored, date):
        parsed = parse_date(str(given))
        return parsed.value is not None and str(parsed.value) == stored.isoformat()
    if isinstance(stored, Decimal | int | float):
        try:
            return Decimal(str(given)) == Decimal(str(stored))
        except ArithmeticError:
            return False
    return _norm(stored) == _norm(given)


def _denied(db: Database, actor: Actor, grant_id: int, mode: str, exc: HuitongError) -> None:
    """Record a refusal on a path that holds no transaction (so no ``record_apart``)."""
    result, details = _refusal(exc)
    writer_for(db).append(
        entry_values(actor, f"share.deliver.{mode}", "grant", str(grant_id), result, details)
    )


@dataclass
class _Hot:
    """What a keyed call (lookup, verification) needs, read without a write lock."""

    view: View
    day: date
    stored: tuple[int, int]  # today's committed requests and rows


# The grant's status and today's use: the only things about a grant that change after it is made.
_GRANT_NOW = (
    "SELECT g.status, u.requests, u.rows FROM share_grant g"
    " LEFT JOIN share_usage u ON u.grant_id = g.id AND u.day = ? WHERE g.id = ?"
)
# ... with the calling system's credential, in one statement (see :func:`caller_and_grant`).
_CALLER_AND_GRANT = (
    f"SELECT {credentials.HOT_COLUMNS}, g.status, u.requests, u.rows"
    " FROM app_credential c LEFT JOIN share_grant g ON g.id = ?"
    " LEFT JOIN share_usage u ON u.grant_id = g.id AND u.day = ? WHERE c.client_id = ?"
)


@dataclass(frozen=True)
class GrantNow:
    """A grant's status (None: no such grant) and its use on ``day``, read at the start of a call."""

    day: date
    status: str | None
    requests: int = 0
    rows: int = 0


def _day_param(db: Database, day: date) -> date | str:
    return day if db.hot.dialect == "postgresql" else day.isoformat()


def _id_param(grant_id: int) -> int:
    """A grant id as the database can bind it: a number too large for a 64-bit key matches
    nothing (a path can carry any number of digits; SQLite would refuse it with an error)."""
    return grant_id if 0 <= grant_id < 2**63 else -1


def grant_now(db: Database, grant_id: int) -> GrantNow:
    day = today()
    row = db.hot.one(db.hot.sql(_GRANT_NOW), (_day_param(db, day), _id_param(grant_id)))
    return GrantNow(day, None) if row is None else GrantNow(day, row[0], row[1] or 0, row[2] or 0)


def caller_and_grant(
    db: Database, client_id: str, secret: str, grant_id: int
) -> tuple[Actor, bool, GrantNow]:
    """A consumer system's credential checked, and the grant it calls read, in one statement:
    on PostgreSQL every read is a round trip the event loop waits out, and a keyed call needs
    both. Returns the actor, whether its last use is due to be written down (see
    :func:`huitong.share.credentials.authenticate_readonly`) and the grant's state."""
    day = today()
    row = db.hot.one(db.hot.sql(_CALLER_AND_GRANT), (_id_param(grant_id), _day_param(db, day), client_id))
    if row is None:
        raise Unauthenticated("invalid client id or secret")
    actor, stale = credentials.verified(db, client_id, secret, row[0], row[1], row[2])
    return actor, stale, GrantNow(day, row[3], row[4] or 0, row[5] or 0)


def _read_view(db: Database, actor: Actor, grant_id: int, mode: str) -> View:
    with db.session(read_only=True) as s:
        return _view(s, actor, grant_id, mode, lock=False)


def _hot(db: Database, actor: Actor, grant_id: int, mode: str, now: GrantNow | None = None) -> _Hot:
    """The grant's status and today's use (``now``, or one autocommit read: no write lock, no
    ORM), checked against its cached terms: a revoked or expired grant is refused on the next call."""
    try:
        now = now or grant_now(db, grant_id)
        if now.status is None:
            raise NotFound(f"no grant {grant_id}")
        view = caches(db).views.get(grant_id, now.status, lambda: _read_view(db, actor, grant_id, mode))
        check_usable(actor, view.grant, mode)
        return _Hot(view, now.day, (now.requests, now.rows))
    except HuitongError as exc:
        _denied(db, actor, grant_id, mode, exc)
        raise


def _commit_hot(
    db: Database, actor: Actor, hot: _Hot, mode: str, sid: int, rows: int, details: dict, subjects: list[str]
) -> Ticket:
    """Count the call against the quota and queue its evidence, delivery row and usage to commit
    together in the ledger's group commit; the ticket says when they are durable."""
    g = hot.view.grant
    try:
        caches(db).pending.take(g, hot.day, hot.stored, rows)
    except HuitongError as exc:
        _denied(db, actor, g.id, mode, exc)
        raise
    entry = entry_values(
        actor,
        f"share.deliver.{mode}",
        "resource",
        g.resource_code,
        "ok",
        {
            "grant": g.id,
            "consumer_id": g.consumer_id,
            "snapshot": str(sid),
            "rows": rows,
            "purpose": g.purpose,
        }
        | details,
    )
    effects = (
        RowInsert(Delivery.__table__, _delivery_row(g, actor, mode, sid, rows, entry["at"])),
        Increment(
            GrantUsage.__table__, (("grant_id", g.id), ("day", hot.day)), (("requests", 1), ("rows", rows))
        ),
    )
    keys = [subject_key(hot.view.secret, x) for x in subjects]
    try:
        ticket = writer_for(db).submit(entry, keys, effects)
    except BaseException:
        caches(db).pending.settle(g, hot.day, rows)
        raise
    ticket.on_done(lambda: caches(db).pending.settle(g, hot.day, rows))
    return ticket


def lookup(
    db: Database, store: Store, actor: Actor, grant_id: int, key: dict[str, Any] | str
) -> dict[str, Any]:
    """The record with this key value, e.g. one person by ID number (查询), as granted and masked;
    answered from the in-memory index of the granted version, like verification."""
    answer, ticket = lookup_start(db, store, actor, grant_id, key)
    return answer | {"evidence": ticket.result()}


def lookup_start(
    db: Database,
    store: Store,
    actor: Actor,
    grant_id: int,
    key: dict[str, Any] | str,
    now: GrantNow | None = None,
) -> tuple[dict[str, Any], Ticket]:
    """The answer of :func:`lookup` and the ticket of its evidence, not yet durable: the caller
    must wait for the ticket before answering (an event loop awaits ``ticket.wait()``). ``now``
    is the grant's state if the caller read it already (:func:`caller_and_grant`)."""
    hot = _hot(db, actor, grant_id, "query", now)
    view = hot.view
    key_items = view.key_items
    if not key_items:
        raise invalid(f"{view.resource.code} has no key data item; use a filtered query")
    given = {key_items[0]: key} if isinstance(key, str) else dict(key)
    missing = [k for k in key_items if not str(given.get(k) or "").strip()]
    if missing:
        raise invalid(f"give the whole key: {', '.join(key_items)}")
    code = view.grant.resource_code
    sid = caches(db).versions.current(store, code)
    names = [v.name for v in view.shown]
    index = caches(db).verify_index.get(store, code, sid, key_items, names, view.grant.row_filter or None)
    wanted = tuple(_norm(given[k]) for k in key_items)
    found = index.get(wanted)
    marks = disputes.current(db, code)
    rows = []
    if found is not None:
        row = {v.name: jsonable(render(v, [found[i]], view.key)[0]) for i, v in enumerate(view.shown)}
        rows = [marks.mark(row, wanted)]
    subjects = [str(given[k]) for k in key_items if k in view.subject_items] if found else []
    ticket = _commit_hot(db, actor, hot, "query", sid, len(rows), {"lookup": True, "items": names}, subjects)
    answer = {
        "grant": view.grant.id,
        "resource": code,
        "snapshot_id": str(sid),
        "found": bool(rows),
        "rows": rows,
        "quality": marks.summary(),
    }
    return answer, ticket


def verify(db: Database, store: Store, actor: Actor, grant_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """数据核验: do these values match the record with this key? Answers match / no_match /
    not_found (and which items differ), never the stored values themselves.

    The hot path of government services, so it takes no write lock: the grant is read (and
    checked) in a read-only unit, the answer comes from an in-memory index of the granted
    version, and the evidence, the delivery row and the quota count commit together through
    the ledger's group commit before the answer is returned."""
    answer, ticket = verify_start(db, store, actor, grant_id, values)
    return answer | {"evidence": ticket.result()}


def verify_start(
    db: Database,
    store: Store,
    actor: Actor,
    grant_id: int,
    values: dict[str, Any],
    now: GrantNow | None = None,
) -> tuple[dict[str, Any], Ticket]:
    """The answer of :func:`verify` and the ticket of its evidence (see :func:`lookup_start`)."""
    hot = _hot(db, actor, grant_id, "verify", now)
    view = hot.view
    key_items = view.key_items
    if not key_items:
        raise invalid(f"{view.resource.code} has no key data item, so it cannot be verified against")
    granted = view.granted
    problems = [Problem("not a granted data item", column=k) for k in values if k not in granted]
    problems += [
        Problem("the key is required", column=k) for k in key_items if not str(values.get(k) or "").strip()
    ]
    cmp_items = sorted(k for k in values if k not in key_items and k in granted)
    if not cmp_items and not problems:
        problems.append(Problem("give at least one item to compare besides the key", field="values"))
    if problems:
        raise invalid("the verification request does not fit the grant", *problems)
    code = view.grant.resource_code
    sid = caches(db).versions.current(store, code)
    index = caches(db).verify_index.get(store, code, sid, key_items, cmp_items, view.grant.row_filter or None)
    wanted = tuple(_norm(values[k]) for k in key_items)
    row = index.get(wanted)
    if row is None:
        result, items = "not_found", {}
    else:
        items = {
            name: ("match" if _same(row[i], values[name]) else "no_match") for i, name in enumerate(cmp_items)
        }
        result = "match" if all(v == "match" for v in items.values()) else "no_match"
    subjects = [str(values[k]) for k in key_items if k in view.subject_items]
    ticket = _commit_hot(db, actor, hot, "verify", sid, 0, {"items": cmp_items, "result": result}, subjects)
    answer = {"result": result, "items": items, "snapshot_id": str(sid)}
    if row is not None and disputes.current(db, code).of(wanted) is not None:
        answer["disputed"] = True  # the stored values are under objection: the answer still stands
    return answer, ticket


def batch(
    db: Database,
    store: Store,
    actor: Actor,
    grant_id: int,
    extract_dir: Path,
    *,
    fmt: str = "csv",
    snapshot_id: int | None = None,
) -> dict[str, Any]:
    """A granted extract written as CSV or Parquet, with a signed manifest (version, rows, checksum)."""
    if fmt not in ("csv", "parquet"):
        raise invalid("format: use csv or parquet", Problem("unknown format", field="format", value=fmt))

    def run(s: Session) -> dict[str, Any]:
        view = _view(s, actor, grant_id, "batch")
        code = view.grant.resource_code
        sid = snapshot_id if snapshot_id is not None else caches(db).versions.current(store, code)
        marks = disputes.current(db, code)
        columns = [v.name for v in view.items]
        keys = [k for k in view.key_items if k not in columns] if marks.records else []
        table = store.read(code, snapshot_id=sid, columns=columns + keys, filter=_merge_filter(view, None))
        markers = marks.marker_columns(
            {k: table.column(k) for k in view.key_items if k in table.column_names}, table.num_rows
        )
        table = table.drop_columns(keys)  # read only to find disputed records
        shown = view.shown
        out = pa.table(
            {
                **{
                    v.name: pa.array(
                        render(v, table.column(v.name).to_pylist(), view.key), type=_out_type(v, table)
                    )
                    for v in shown
                },
                **markers,  # every extract has them, so a consumer's import keeps one schema
            }
        )
        extract_dir.mkdir(parents=True, exist_ok=True)
        tmp = extract_dir / f".grant{grant_id}-{time.time_ns()}.{fmt}.part"
        if fmt == "csv":
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                w = csv.writer(f)
                w.writerow(out.column_names)
                for chunk in out.to_batches(max_chunksize=10_000):
                    cols = [column_values(c) for c in chunk.columns]
                    w.writerows(zip(*cols, strict=True))
        else:
            pq.write_table(out, tmp)
        digest = hashlib.sha256()
        with open(tmp, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        d = _deliver(
            s,
            actor,
            view,
            "batch",
            sid,
            table.num_rows,
            table,
            checksum=digest.hexdigest(),
            extra={"format": fmt},
        )
        final = extract_dir / f"delivery-{d.id}.{fmt}"
        tmp.replace(final)
        manifest = {
            "delivery": d.id,
            "grant": view.grant.id,
            "resource": code,
            "snapshot_id": str(sid),
            "rows": table.num_rows,
            "columns": {v.name: v.treatment.value for v in shown},
            "markers": list(markers),
            "disputed_rows": pc.sum(markers["_disputed"]).as_py() or 0,
            "quality": marks.summary(),
            "format": fmt,
            "sha256": digest.hexdigest(),
            "bytes": final.stat().st_size,
            "purpose": view.grant.purpose,
            "created_at": d.at.isoformat(),
        }
        return sign_manifest(db, manifest)

    return _guard(db, actor, grant_id, "batch", run)


def _out_type(v: ItemView, table: pa.Table) -> pa.DataType:
    return table.schema.field(v.name).type if v.treatment == Treatment.clear else pa.string()


def sign_manifest(db: Database, manifest: dict[str, Any]) -> dict[str, Any]:
    """Attach the node's Ed25519 signature over the canonical JSON of the manifest."""
    import base64

    ring = getattr(db, "ledger_keys", None)
    body = json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    if ring is not None:
        manifest = manifest | {
            "signature": {
                "alg": "ed25519",
                "key": ring.current.fingerprint,
                "value": base64.b64encode(ring.signing.sign(body)).decode(),
            }
        }
    return manifest


def open_extract(db: Database, actor: Actor, delivery_id: int, extract_dir: Path) -> tuple[Path, Delivery]:
    """The file of a batch delivery, for its consumer, while the grant still allows batch delivery."""

    def run(s: Session):
        d = s.get(Delivery, delivery_id)
        if d is None or d.mode != "batch":
            raise NotFound(f"no batch delivery {delivery_id}")
        view = _view(s, actor, d.grant_id, "batch")
        path = next(iter(sorted(extract_dir.glob(f"delivery-{d.id}.*"))), None)
        if path is None:
            raise NotFound(f"the extract of delivery {d.id} is no longer kept; request a new batch")
        record(
            s,
            actor,
            "share.batch.download",
            "resource",
            view.grant.resource_code,
            details={"delivery": d.id, "grant": d.grant_id, "sha256": d.checksum},
        )
        return path, d

    return _guard(db, actor, delivery_id, "batch", run)


def changes(
    db: Database, store: Store, actor: Actor, grant_id: int, first: int, second: int | None = None
) -> dict[str, Any]:
    """The change set between two versions as this consumer may see it (for subscriptions)."""

    def run(s: Session) -> dict[str, Any]:
        view = _view(s, actor, grant_id, "subscription")
        code = view.grant.resource_code
        diff = store.diff(code, first, second)
        scope = view.grant.row_filter or {}

        def keep(table: pa.Table) -> pa.Table:
            if not scope or table.num_rows == 0:
                return table
            mask = [
                all(
                    str(row.get(k)) in {str(x) for x in (v if isinstance(v, list) else [v])}
                    for k, v in scope.items()
                )
                for row in table.to_pylist()
            ]
            return table.filter(pa.array(mask, type=pa.bool_()))

        added, removed, changed = keep(diff.added), keep(diff.removed), keep(diff.changed)
        rows = added.num_rows + removed.num_rows + changed.num_rows
        both = (
            pa.concat_tables(
                [t.select([c for c in added.column_names if c in t.column_names]) for t in (added, changed)],
                promote_options="permissive",
            )
            if added.num_rows or changed.num_rows
            else None
        )
        d = _deliver(s, actor, view, "subscription", diff.b, rows, both, extra={"from": str(diff.a)})
        marks = disputes.current(db, code)

        def marked(table: pa.Table) -> list[dict[str, Any]]:
            keys = {k: table.column(k).to_pylist() for k in view.key_items if k in table.column_names}
            return marks.mark_rows(_render(view, table), keys)

        return {
            "grant": view.grant.id,
            "resource": code,
            "from": str(diff.a),
            "to": str(diff.b),
            "added": marked(added),
            "changed": marked(changed),
            "removed": _render(view, removed),
            "delivery": d.id,
            "quality": marks.summary(),
        }

    return _guard(db, actor, grant_id, "subscription", run)


def csv_text(rows: list[dict[str, Any]]) -> Iterator[str]:
    """Rows as CSV text, header first (for ``format=csv`` on the query API)."""
    if not rows:
        return iter(())
    buf = io.StringIO()
    # every row's fields: a disputed row carries markers the others do not
    w = csv.DictWriter(buf, fieldnames=list(dict.fromkeys(k for r in rows for k in r)), restval="")
    w.writeheader()
    w.writerows(rows)
    return iter([buf.getvalue()])
