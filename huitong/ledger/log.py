"""The Merkle log in the metadata database: sequencing entries into the tree, and proofs.

Entries arrive unsequenced (``leaf_index`` empty), written by the transactions they
record or by the group-commit writer. The sequencer takes them in id order, in batches,
and in one transaction gives each its leaf index, stores the new perfect-subtree nodes
and moves the head. A crash between batches loses nothing: unsequenced entries wait for
the next run. The head row's lock keeps two sequencers (two server processes) apart.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from huitong.db.base import Database
from huitong.errors import HuitongError
from huitong.ledger.leaf import LEAF_FIELDS, leaf_bytes
from huitong.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
)
from huitong.ledger.tables import EvidenceEntry, LedgerHead, LedgerNode

HEAD_ID = 1
_ZERO = bytes(32)


class _Recorder:
    """Answers every node read with zeros and remembers which nodes were asked for."""

    def __init__(self) -> None:
        self.wanted: list[tuple[int, int]] = []

    def node(self, level: int, index: int) -> bytes:
        self.wanted.append((level, index))
        return _ZERO


class _Prefetched:
    def __init__(self, nodes: dict[tuple[int, int], bytes]) -> None:
        self.nodes = nodes

    def node(self, level: int, index: int) -> bytes:
        try:
            return self.nodes[(level, index)]
        except KeyError:
            raise HuitongError(f"the ledger is missing tree node ({level}, {index})", status=500) from None


def read_nodes(session: Session, fn, *args):
    """Run a proof function with every node it needs fetched in one query, not one per level."""
    recorder = _Recorder()
    fn(recorder, *args)
    wanted = sorted(set(recorder.wanted))
    nodes: dict[tuple[int, int], bytes] = {}
    if wanted:
        nodes.update(_fetch_nodes(session, wanted))
    return fn(_Prefetched(nodes), *args)


_PG_NODES = text(
    "SELECT n.level, n.idx, n.hash FROM ledger_node n "
    "JOIN unnest(CAST(:levels AS smallint[]), CAST(:idxs AS bigint[])) AS w(level, idx) "
    "ON n.level = w.level AND n.idx = w.idx"
)


def _fetch_nodes(session: Session, wanted: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """Fixed SQL, so the statement is prepared once: PostgreSQL gets one round trip with
    arrays; SQLite, in-process, a primary-key lookup per node (about 20 µs each)."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            _PG_NODES, {"levels": [lv for lv, _ in wanted], "idxs": [ix for _, ix in wanted]}
        )
        return {(lv, ix): bytes(h) for lv, ix, h in rows}
    cursor = session.connection().connection.cursor()
    try:
        out = {}
        for lv, ix in wanted:
            found = cursor.execute(
                "SELECT hash FROM ledger_node WHERE level = ? AND idx = ?", (lv, ix)
            ).fetchone()
            if found is not None:
                out[(lv, ix)] = bytes(found[0])
        return out
    finally:
        cursor.close()


class _SessionReader:
    def __init__(self, session: Session) -> None:
        self.session = session

    def node(self, level: int, index: int) -> bytes:
        h = self.session.scalar(
            select(LedgerNode.hash).where(LedgerNode.level == level, LedgerNode.idx == index)
        )
        if h is None:
            raise HuitongError(f"the ledger is missing tree node ({level}, {index})", status=500)
        return bytes(h)


class RootMismatch(HuitongError):
    """The stored tree no longer gives the stored head's root: extending it would hide tampering."""

    def __init__(self, message: str, position: tuple[int, int] | None) -> None:
        super().__init__(message, code="ledger_root_mismatch", status=500)
        self.position = position  # (level, index) of the stored node that disagrees, when found


def _mismatch(session: Session, cr: CompactRange, want: bytes) -> RootMismatch:
    """Name the border node that no longer matches what lies under it (its two stored children,
    or for a leaf the entry it commits to), as Trillian refuses with "root hash mismatch"."""
    for node in cr.border():
        if node.level == 0:
            row = session.execute(
                select(*_ENTRY_COLUMNS).where(EvidenceEntry.leaf_index == node.index)
            ).first()
            under = leaf_hash(leaf_bytes(row._mapping)) if row is not None else None
        else:
            kids = _fetch_nodes(
                session, [(node.level - 1, 2 * node.index), (node.level - 1, 2 * node.index + 1)]
            )
            pair = [kids.get((node.level - 1, 2 * node.index + i)) for i in (0, 1)]
            under = node_hash(pair[0], pair[1]) if None not in pair else None
        if under != node.hash:
            return RootMismatch(
                f"ledger root hash mismatch at tree size {cr.size}: stored node (level {node.level}, "
                f"index {node.index}) does not match what lies under it; refusing to extend the tree",
                (node.level, node.index),
            )
    return RootMismatch(
        f"ledger root hash mismatch at tree size {cr.size}: the stored nodes give {cr.root().hex()}, "
        f"the head says {want.hex()}; refusing to extend the tree",
        None,
    )


@dataclass(frozen=True)
class TreeHead:
    size: int
    root: bytes


def head(session: Session) -> TreeHead:
    row = session.get(LedgerHead, HEAD_ID)
    return TreeHead(row.size, bytes(row.root)) if row else TreeHead(0, EMPTY_ROOT)


def entry_fields(row) -> dict:
    """The fields a leaf commits to, from an entry row or object."""
    return {k: getattr(row, k) for k in LEAF_FIELDS}


_ENTRY_COLUMNS = [getattr(EvidenceEntry, k) for k in LEAF_FIELDS]


_PG_ASSIGN = text(
    "UPDATE evidence_entry AS e SET leaf_index = v.leaf "
    "FROM unnest(CAST(:ids AS bigint[]), CAST(:leaves AS bigint[])) AS v(id, leaf) WHERE e.id = v.id"
)


def _store(session: Session, ids: list[int], start: int, nodes) -> None:
    """Give entries their positions and store the new nodes, in bulk: PostgreSQL takes one
    UPDATE from arrays and a COPY; SQLite, in-process, two executemany calls."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_PG_ASSIGN, {"ids": ids, "leaves": list(range(start, start + len(ids)))})
        cursor = session.connection().connection.driver_connection.cursor()
        with cursor.copy("COPY ledger_node (level, idx, hash) FROM STDIN") as copy:
            for n in nodes:
                copy.write_row((n.level, n.index, n.hash))
        return
    cursor = session.connection().connection.cursor()
    try:
        cursor.executemany(
            "UPDATE evidence_entry SET leaf_index = ? WHERE id = ?",
            [(start + i, eid) for i, eid in enumerate(ids)],
        )
        cursor.executemany("INSERT INTO ledger_node (level, idx, hash) VALUES (?, ?, ?)", nodes)
    finally:
        cursor.close()


class Sequencer:
    """Integrates pending entries into the tree; keeps the tree's right border in memory
    between batches so an append reads nothing back."""

    def __init__(self, db: Database, batch: int = 20_000) -> None:
        self.db, self.batch = db, batch
        self._range: CompactRange | None = None
        self._lock = threading.Lock()

    def _locked_head(self, session: Session) -> LedgerHead:
        stmt = select(LedgerHead).where(LedgerHead.id == HEAD_ID)
        if session.get_bind().dialect.name != "sqlite":
            stmt = stmt.with_for_update()
        row = session.scalar(stmt)
        if row is None:
            row = LedgerHead(id=HEAD_ID, size=0, root=EMPTY_ROOT)
            session.add(row)
            session.flush()
        return row

    def integrate_once(self) -> int:
        """Sequence one batch; returns how many entries joined the tree."""
        with self.db.session(read_only=True) as s:  # most calls find nothing: do not take the write lock
            if s.scalar(select(EvidenceEntry.id).where(EvidenceEntry.leaf_index.is_(None)).limit(1)) is None:
                return 0
        with self._lock, self.db.session() as s:
            if s.get_bind().dialect.name == "sqlite":
                s.execute(
                    update(LedgerHead).where(LedgerHead.id == -1).values(size=0)
                )  # take the write lock now
            h = self._locked_head(s)
            rows = s.execute(
                select(*_ENTRY_COLUMNS)
                .where(EvidenceEntry.leaf_index.is_(None))
                .order_by(EvidenceEntry.id)
                .limit(self.batch)
            ).all()
            if not rows:
                return 0
            cr = self._range
            if cr is None or cr.size != h.size or cr.root() != bytes(h.root):
                cr = CompactRange.from_reader(_SessionReader(s), h.size) if h.size else CompactRange()
                if cr.root() != bytes(h.root):
                    raise _mismatch(s, cr, bytes(h.root))
            start = cr.size
            nodes = []
            for row in rows:
                nodes.extend(cr.append(leaf_hash(leaf_bytes(row._mapping))))
            _store(s, [row.id for row in rows], start, nodes)
            h.size, h.root = cr.size, cr.root()
            self._range = None  # trusted again only once this transaction has committed
        self._range = cr
        return len(rows)

    def integrate(self) -> int:
        """Sequence everything pending now."""
        total = 0
        while n := self.integrate_once():
            total += n
        return total


def pending(session: Session) -> int:
    return session.scalar(select(func.count()).where(EvidenceEntry.leaf_index.is_(None))) or 0


def prove_inclusion(session: Session, leaf_index: int, size: int) -> list[bytes]:
    return read_nodes(session, inclusion_proof, leaf_index, size)


def prove_consistency(session: Session, size1: int, size2: int) -> list[bytes]:
    return read_nodes(session, consistency_proof, size1, size2)


def root_at(session: Session, size: int) -> bytes:
    from huitong.ledger.merkle import root

    return read_nodes(session, root, size) if size else EMPTY_ROOT


def sequencer(db: Database) -> Sequencer:
    """The sequencer that belongs to this database handle (one per process)."""
    return db.parts.get(Sequencer, lambda: Sequencer(db))
