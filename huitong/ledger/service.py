"""Using the evidence: signed checkpoints, proofs, queries, "who used my data", retention
purges and audit bundles. Every read of the ledger is itself recorded."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from huitong.access import Actor, require
from huitong.db.base import Database, utcnow
from huitong.errors import HuitongError, NotFound, invalid
from huitong.ledger.checkpoint import Checkpoint, sign_note, vkey
from huitong.ledger.events import record
from huitong.ledger.keys import KeyRing, fingerprint
from huitong.ledger.leaf import subject_key
from huitong.ledger.log import entry_fields, head, prove_consistency, prove_inclusion, sequencer
from huitong.ledger.tables import EvidenceEntry, EvidenceSubject, LedgerCheckpoint
from huitong.ledger.verify import Report

BUNDLE_FORMAT = "huitong-evidence-bundle"


def _b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


def keys_of(db: Database) -> KeyRing:
    ring = getattr(db, "ledger_keys", None)
    if ring is None:
        raise HuitongError("the ledger signing key is not loaded (run huitong init)", status=500)
    return ring


def sign_checkpoint(db: Database, *, force: bool = False) -> LedgerCheckpoint:
    """Sequence what is pending, then sign the tree head (unless it is already signed)."""
    sequencer(db).integrate()
    ring, origin = keys_of(db), db.ledger_origin  # type: ignore[attr-defined]
    with db.session() as s:
        h = head(s)
        last = latest_checkpoint(s)
        if last is not None and last.size == h.size and not force:
            return last
        cp = Checkpoint.at(origin, h.size, h.root, int(time.time()))
        note = sign_note(cp.body(), origin, ring.signing.private_key).decode()
        row = LedgerCheckpoint(size=h.size, root=h.root, key_fingerprint=ring.current.fingerprint, note=note)
        s.add(row)
        s.flush()
        return row


def latest_checkpoint(session: Session) -> LedgerCheckpoint | None:
    return session.scalar(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(1))


def checkpoints(session: Session, limit: int = 100) -> list[LedgerCheckpoint]:
    return list(session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(limit)))


def public_keys(db: Database) -> list[dict[str, Any]]:
    """Every key that ever signed, as signed-note verifier keys with their validity."""
    ring, origin = keys_of(db), db.ledger_origin  # type: ignore[attr-defined]
    return [
        {
            "vkey": vkey(origin, r.public_key),
            "fingerprint": r.fingerprint,
            "valid_from": r.valid_from.isoformat(),
            "valid_until": r.valid_until.isoformat() if r.valid_until else None,
        }
        for r in ring.public_keys
    ]


def _checkpoint_for(session: Session, size: int | None) -> LedgerCheckpoint:
    stmt = select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(1)
    if size is not None:
        stmt = select(LedgerCheckpoint).where(LedgerCheckpoint.size == size).limit(1)
    cp = session.scalar(stmt)
    if cp is None:
        raise NotFound("no signed checkpoint" + (f" of size {size}" if size is not None else "") + " yet")
    return cp


def entry_dict(e: EvidenceEntry) -> dict[str, Any]:
    out = entry_fields(e)
    out.update(
        at=e.at.isoformat(),
        leaf_index=e.leaf_index,
        details=e.details,
        salt=e.salt,
        purged_at=e.purged_at.isoformat() if e.purged_at else None,
    )
    return out


def inclusion(session: Session, actor: Actor, entry_id: int, size: int | None = None) -> dict[str, Any]:
    """An entry with the proof that it is in a signed checkpoint (the latest by default)."""
    require(actor, "audit.read")
    entry = session.get(EvidenceEntry, entry_id)
    if entry is None:
        raise NotFound(f"no ledger entry {entry_id}")
    cp = _checkpoint_for(session, size)
    if entry.leaf_index is None or entry.leaf_index >= cp.size:
        raise NotFound(f"entry {entry_id} is not yet in a signed checkpoint; sign one and ask again")
    proof = prove_inclusion(session, entry.leaf_index, cp.size)
    return {
        "entry": entry_dict(entry),
        "checkpoint": cp.note,
        "tree_size": cp.size,
        "proof": [_b64(p) for p in proof],
    }


def consistency(session: Session, actor: Actor, size1: int, size2: int) -> dict[str, Any]:
    require(actor, "audit.read")
    if not 0 < size1 <= size2:
        raise invalid(f"consistency needs 0 < from <= to, got {size1} and {size2}")
    first, second = _checkpoint_for(session, size1), _checkpoint_for(session, size2)
    return {
        "from": first.note,
        "to": second.note,
        "proof": [_b64(p) for p in prove_consistency(session, size1, size2)],
    }


@dataclass(frozen=True)
class EntryQuery:
    object_type: str | None = None
    object_id: str | None = None
    actor_name: str | None = None
    department_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200
    offset: int = 0

    def statement(self):
        stmt = select(EvidenceEntry).order_by(EvidenceEntry.id.desc())
        if self.object_type:
            stmt = stmt.where(EvidenceEntry.object_type == self.object_type)
        if self.object_id:
            stmt = stmt.where(EvidenceEntry.object_id == self.object_id)
        if self.actor_name:
            stmt = stmt.where(EvidenceEntry.actor_name == self.actor_name.strip().lower())
        if self.department_id is not None:
            stmt = stmt.where(EvidenceEntry.department_id == self.department_id)
        if self.action:
            stmt = (
                stmt.where(EvidenceEntry.action.like(self.action[:-1] + "%"))
                if self.action.endswith("*")
                else stmt.where(EvidenceEntry.action == self.action)
            )
        if self.since:
            stmt = stmt.where(EvidenceEntry.at >= self.since)
        if self.until:
            stmt = stmt.where(EvidenceEntry.at < self.until)
        return stmt.limit(min(self.limit, 5000)).offset(self.offset)


def search(session: Session, actor: Actor, query: EntryQuery) -> list[EvidenceEntry]:
    """Who did what to which object, when. The search itself is recorded."""
    require(actor, "audit.read")
    rows = list(session.scalars(query.statement()))
    asked = {k: str(v) for k, v in query.__dict__.items() if v is not None and k not in ("limit", "offset")}
    record(session, actor, "audit.search", "ledger", None, details={"query": asked, "returned": len(rows)})
    return rows


def who_used(session: Session, actor: Actor, number: str) -> list[EvidenceEntry]:
    """Which departments touched records keyed by this ID number or credit code (查询谁用了我的数据)."""
    require(actor, "audit.subject")
    db = session.info.get("database")
    secret = getattr(db, "subject_secret", None)
    if not secret:
        raise HuitongError("the ledger's subject key is not loaded (run huitong init)", status=500)
    if not number or not number.strip():
        raise invalid("give the ID number or credit code to look up")
    key = subject_key(secret, number)
    rows = list(
        session.scalars(
            select(EvidenceEntry)
            .join(EvidenceSubject, EvidenceSubject.entry_id == EvidenceEntry.id)
            .where(EvidenceSubject.subject == key)
            .order_by(EvidenceEntry.id)
        )
    )
    # The lookup is evidence too, but it must not put the number itself in the log.
    record(session, actor, "audit.who_used", "subject", key[:16], details={"found": len(rows)})
    return rows


def purge(session: Session, actor: Actor, before: datetime, *, action: str | None = None) -> int:
    """Retention: drop the details (and salt) of entries older than ``before``. The tree
    still verifies, because leaves commit to the salted hash, not to the details."""
    require(actor, "audit.purge")
    if before > utcnow():
        raise invalid("a retention purge only reaches back in time")
    stmt = (
        update(EvidenceEntry)
        .where(EvidenceEntry.at < before, EvidenceEntry.purged_at.is_(None))
        .values(details=None, salt=None, purged_at=utcnow())
    )
    if action:
        stmt = stmt.where(EvidenceEntry.action == action)
    count = session.execute(stmt, execution_options={"synchronize_session": False}).rowcount or 0
    session.execute(
        EvidenceSubject.__table__.delete().where(
            EvidenceSubject.entry_id.in_(select(EvidenceEntry.id).where(EvidenceEntry.purged_at.is_not(None)))
        )
    )
    record(
        session,
        actor,
        "audit.purge",
        "ledger",
        None,
        details={"before": before.isoformat(), "action": action, "entries": count},
    )
    return count


def export_bundle(db: Database, actor: Actor, query: EntryQuery | None = None) -> dict[str, Any]:
    """Entries (all, or those a query selects) with proofs against the latest checkpoint,
    every checkpoint with consistency proofs between successive ones, and the public keys:
    what an auditor verifies on another machine with no database."""
    with db.session() as s:
        require(actor, "audit.read")
        record(s, actor, "audit.export", "ledger", None, details={"query": (query or EntryQuery()).__dict__})
    cp_row = sign_checkpoint(db, force=False)
    with db.session() as s:
        latest = _checkpoint_for(s, None)
        if query is None:
            entries = list(
                s.scalars(
                    select(EvidenceEntry)
                    .where(EvidenceEntry.leaf_index.is_not(None), EvidenceEntry.leaf_index < latest.size)
                    .order_by(EvidenceEntry.leaf_index)
                )
            )
        else:
            entries = [
                e
                for e in s.scalars(query.statement())
                if e.leaf_index is not None and e.leaf_index < latest.size
            ]
        cps = list(s.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size, LedgerCheckpoint.id)))
        distinct: list[LedgerCheckpoint] = []
        for c in cps:
            if c.size and (not distinct or c.size != distinct[-1].size):
                distinct.append(c)
        links = [
            {"from": a.size, "to": b.size, "proof": [_b64(p) for p in prove_consistency(s, a.size, b.size)]}
            for a, b in zip(distinct, distinct[1:], strict=False)
        ]
        out_entries = []
        for e in entries:
            d = entry_dict(e)
            d["proof"] = [_b64(p) for p in prove_inclusion(s, e.leaf_index, latest.size)]
            out_entries.append(d)
        return {
            "format": BUNDLE_FORMAT,
            "version": 1,
            "origin": db.ledger_origin,  # type: ignore[attr-defined]
            "exported_at": utcnow().isoformat(),
            "complete": query is None,
            "public_keys": public_keys(db),
            "checkpoint": latest.note,
            "checkpoints": [c.note for c in distinct],
            "consistency": links,
            "entries": out_entries,
            "signed_size": cp_row.size,
        }


def stats(session: Session) -> dict[str, int]:
    total = session.scalar(select(func.count()).select_from(EvidenceEntry)) or 0
    h = head(session)
    return {"entries": total, "sequenced": h.size, "pending": total - h.size}


__all__ = [
    "EntryQuery",
    "checkpoints",
    "consistency",
    "export_bundle",
    "fingerprint",
    "inclusion",
    "latest_checkpoint",
    "public_keys",
    "purge",
    "search",
    "sign_checkpoint",
    "stats",
    "who_used",
]


def verify_database(db: Database) -> Report:
    """Re-derive the whole tree from the stored entries and check it against the stored
    nodes, the head and every signed checkpoint: the operator's own check that nobody
    edited the evidence tables behind the platform's back."""
    from huitong.ledger.checkpoint import CheckpointError, open_note
    from huitong.ledger.leaf import details_hash, leaf_bytes
    from huitong.ledger.merkle import CompactRange, leaf_hash
    from huitong.ledger.tables import LedgerNode
    from huitong.ledger.verify import Finding, Report

    report = Report()
    ring, origin = keys_of(db), db.ledger_origin  # type: ignore[attr-defined]
    with db.session() as s:
        h = head(s)
        report.tree_size = h.size
        roots: dict[int, bytes] = {}
        for cp in s.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id)):
            try:
                opened = open_note(cp.note.encode(), ring.verifiers(origin), origin=origin)
            except CheckpointError as exc:
                report.findings.append(Finding("signature", None, f"checkpoint {cp.id}: {exc.message}"))
                continue
            report.checkpoints_checked += 1
            if opened.size != cp.size or opened.root_hash != bytes(cp.root):
                report.findings.append(
                    Finding("signature", None, f"checkpoint {cp.id}: row differs from its note")
                )
            roots[opened.size] = opened.root_hash
        stored = s.execute(
            select(LedgerNode.idx, LedgerNode.hash)
            .where(LedgerNode.level == 0)
            .order_by(LedgerNode.idx)
            .execution_options(yield_per=20_000)
        )
        entries = s.execute(
            select(EvidenceEntry)
            .where(EvidenceEntry.leaf_index.is_not(None))
            .order_by(EvidenceEntry.leaf_index)
            .execution_options(yield_per=20_000)
        ).scalars()
        cr = CompactRange()
        expected = 0
        stored_iter = iter(stored)
        for e in entries:
            report.entries_checked += 1
            pos = e.leaf_index
            while expected < pos:
                report.findings.append(Finding("missing", expected, "no entry holds this position"))
                expected += 1
                next(stored_iter, None)
                cr.append(bytes(32))
            if pos < expected:
                report.findings.append(Finding("duplicate", pos, f"entry {e.id} repeats a position"))
                continue
            node = next(stored_iter, None)
            leaf = leaf_hash(leaf_bytes(entry_fields(e)))
            if node is None or bytes(node.hash) != leaf:
                report.findings.append(Finding("inclusion", pos, f"entry {e.id} ({e.action}) was edited"))
            if e.purged_at is None and (
                e.salt is None or details_hash(e.salt, e.details or "") != e.details_hash
            ):
                report.findings.append(Finding("details", pos, f"entry {e.id}: details were changed"))
            cr.append(bytes(node.hash) if node is not None else leaf)
            expected += 1
            if cr.size in roots and cr.root() != roots[cr.size]:
                report.findings.append(
                    Finding(
                        "consistency",
                        None,
                        f"the tree's first {cr.size} leaves no longer match "
                        "the checkpoint signed at that size (tree nodes rewritten)",
                    )
                )
        if expected != h.size:
            report.findings.append(
                Finding("missing", None, f"head says {h.size} leaves, entries hold {expected}")
            )
        elif cr.root() != h.root:
            report.findings.append(
                Finding("consistency", None, "the head's root does not match the stored leaves")
            )
    return report
