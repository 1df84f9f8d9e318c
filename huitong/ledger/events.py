"""The one interface through which every decision and data access is recorded (留痕).

``record`` writes inside the caller's transaction, so an action and its evidence commit
or roll back together. ``record_apart`` is for evidence that must outlive the caller's
transaction (a refusal about to be rolled back) or that has no transaction of its own (a
read): it goes through the group-commit writer and returns once durable. Either way the
sequencer later puts the entry into the Merkle tree (see ``log``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from huitong.access.actor import Actor
from huitong.db.base import utcnow
from huitong.db.rows import insert_rows
from huitong.errors import HuitongError
from huitong.ledger.leaf import canonical_details, details_hash, new_salt, subject_key
from huitong.ledger.tables import EvidenceEntry, EvidenceSubject

__all__ = ["EvidenceEntry", "entries_for", "entry_values", "record", "record_apart", "record_many"]


def _secret_of(session: Session) -> bytes:
    db = session.info.get("database")
    secret = getattr(db, "subject_secret", None)
    if not secret:
        raise HuitongError("the ledger's subject key is not loaded (run huitong init)", status=500)
    return secret


def entry_values(
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | None,
    result: str,
    details: dict[str, Any] | None,
) -> dict[str, Any]:
    """One entry's column values, with its salted details hash."""
    text = canonical_details(details or {})
    salt = new_salt()
    now = utcnow()
    return {
        "ts_us": time.time_ns() // 1000,
        "at": now,
        "actor_id": actor.user_id,
        "actor_name": actor.username,
        "department_id": actor.department_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "result": result,
        "details": text,
        "salt": salt,
        "details_hash": details_hash(salt, text),
    }


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | None,
    *,
    result: str = "ok",
    details: dict[str, Any] | None = None,
    subjects: Iterable[str] = (),
) -> EvidenceEntry:
    """Record in the caller's transaction. ``subjects``: ID numbers or credit codes whose
    records were touched, kept only as keyed hashes for the "who used my data" lookup."""
    entry = EvidenceEntry(**entry_values(actor, action, object_type, object_id, result, details))
    session.add(entry)
    keys = {subject_key(_secret_of(session), s) for s in subjects if s and s.strip()}
    if keys:
        session.flush()
        session.add_all(EvidenceSubject(entry_id=entry.id, subject=k) for k in keys)
    return entry


def record_many(
    session: Session,
    actor: Actor,
    entries: Iterable[tuple[str, str, str | None, dict[str, Any] | None]],
    *,
    result: str = "ok",
) -> None:
    """Record many (action, object type, object id, details) in the caller's transaction,
    in one statement (PostgreSQL: ``COPY``): a bulk import's evidence, an entry per object as
    ``record`` would."""
    rows = [entry_values(actor, a, t, o, result, d) for a, t, o, d in entries]
    if rows:
        columns = tuple(rows[0])  # entry_values' keys, in its order
        insert_rows(session, EvidenceEntry.__table__, columns, (tuple(r.values()) for r in rows))


def record_apart(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | None,
    *,
    result: str = "denied",
    details: dict[str, Any] | None = None,
    subjects: Iterable[str] = (),
) -> None:
    """Record outside the caller's transaction, durably, as soon as that transaction ends
    (committed or rolled back) and before control returns to whoever ended it: a refusal
    stays on record though the error that follows rolls the caller back. Waiting for the end
    matters on SQLite, where the caller holds the only write lock until then."""
    from huitong.ledger.writer import writer_for

    db = session.info.get("database")
    if db is None:
        raise HuitongError("record_apart needs a session from Database.session()", status=500)
    values = entry_values(actor, action, object_type, object_id, result, details)
    keys = [subject_key(_secret_of(session), s) for s in subjects if s and s.strip()]

    done = False

    def _write(_session: Session, transaction) -> None:
        nonlocal done
        if transaction.parent is None and not done:  # the outermost transaction, once
            done = True
            writer_for(db).append(values, keys)

    event.listen(session, "after_transaction_end", _write)


def entries_for(session: Session, object_type: str, object_id: str) -> list[EvidenceEntry]:
    stmt = (
        select(EvidenceEntry)
        .where(EvidenceEntry.object_type == object_type, EvidenceEntry.object_id == object_id)
        .order_by(EvidenceEntry.id)
    )
    return list(session.scalars(stmt))
