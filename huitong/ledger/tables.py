"""Where the evidence lives: entries, the Merkle tree's nodes, its head and signed checkpoints.

An entry row is written inside the transaction of the action it records, so the two
commit or roll back together. The sequencer later gives it a leaf index and adds its
leaf hash to the tree; from then on an edit to the row no longer matches the tree.
Details are stored beside a per-entry salt, and the leaf commits only to
SHA-256(salt || details): purging the details and salt leaves nothing to guess from.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huitong.db.base import Base, utcnow


class EvidenceEntry(Base):
    __tablename__ = "evidence_entry"
    __table_args__ = (Index("ix_evidence_entry_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ts_us: Mapped[int] = mapped_column(BigInteger)  # exact time in the leaf: microseconds since 1970 UTC
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    action: Mapped[str] = mapped_column(String(48), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(128))
    result: Mapped[str] = mapped_column(String(16))
    details_hash: Mapped[str] = mapped_column(String(64))
    details: Mapped[str | None] = mapped_column(Text)
    salt: Mapped[str | None] = mapped_column(String(32))
    purged_at: Mapped[datetime | None]
    leaf_index: Mapped[int | None] = mapped_column(BigInteger, unique=True)


class EvidenceSubject(Base):
    """Whose data an entry touched, as a keyed hash of the ID number or credit code: the
    "who used my data" lookup finds entries without the log holding the numbers."""

    __tablename__ = "evidence_subject"
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("evidence_entry.id", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class LedgerNode(Base):
    """A perfect subtree's hash: level 0 holds the leaf hashes."""

    __tablename__ = "ledger_node"
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerHead(Base):
    """The tree as the sequencer last left it (one row); its lock serialises sequencers."""

    __tablename__ = "ledger_head"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerCheckpoint(Base):
    __tablename__ = "ledger_checkpoint"
    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    key_fingerprint: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)  # the signed C2SP checkpoint, exactly as published
