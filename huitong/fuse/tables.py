"""Where fusion keeps its state: each base library's definition and trained model, its runs with their
figures, who is who (record → base id), the merge/split events, the clerical review queue and the
stewards' decisions (reused by every later run), and the conflicts between sources."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huitong.db.base import Base, utcnow


class Fusion(Base):
    """A base library (基础库: 人口库, 法人库) defined over catalog resources."""

    __tablename__ = "fusion"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # person, entity
    target_code: Mapped[str] = mapped_column(String(64))  # the catalog resource it is published as
    definition: Mapped[dict] = mapped_column(default=dict)
    threshold: Mapped[float] = mapped_column(Float)
    model: Mapped[dict | None] = mapped_column()  # Splink's trained settings (m, u per level)
    next_seq: Mapped[int] = mapped_column(Integer, default=0)  # the last base id handed out
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FusionRun(Base):
    __tablename__ = "fusion_run"
    __table_args__ = (Index("ix_fusion_run_fusion", "fusion_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    fusion_id: Mapped[int] = mapped_column(ForeignKey("fusion.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    inputs: Mapped[dict] = mapped_column(default=dict)  # resource code → snapshot id read
    stats: Mapped[dict] = mapped_column(default=dict)
    output_snapshot_id: Mapped[str | None] = mapped_column(String(24))
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    actor_name: Mapped[str] = mapped_column(String(64))


class FusionMember(Base):
    """Which base id a source record belongs to, as of the latest run."""

    __tablename__ = "fusion_member"
    __table_args__ = (Index("ix_fusion_member_base", "fusion_id", "base_id"),)
    fusion_id: Mapped[int] = mapped_column(ForeignKey("fusion.id"), primary_key=True)
    record_key: Mapped[str] = mapped_column(String(200), primary_key=True)  # resource code:record id
    base_id: Mapped[str] = mapped_column(String(20))
    row_hash: Mapped[str] = mapped_column(String(32))  # of its prepared values: unchanged → not re-linked


class FusionEdge(Base):
    """A scored pair of the latest run (at or above the review band's lower edge): an incremental run
    keeps the pairs between unchanged records instead of scoring them again."""

    __tablename__ = "fusion_edge"
    fusion_id: Mapped[int] = mapped_column(ForeignKey("fusion.id"), primary_key=True)
    record_a: Mapped[str] = mapped_column(String(200), primary_key=True)
    record_b: Mapped[str] = mapped_column(String(200), primary_key=True)
    probability: Mapped[float] = mapped_column(Float)


class FusionEvent(Base):
    """A base id created, merged with others, split, or retired by a run."""

    __tablename__ = "fusion_event"
    __table_args__ = (Index("ix_fusion_event_fusion", "fusion_id", "base_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    fusion_id: Mapped[int] = mapped_column(ForeignKey("fusion.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("fusion_run.id"))
    kind: Mapped[str] = mapped_column(String(10))
    base_id: Mapped[str] = mapped_column(String(20))
    others: Mapped[list] = mapped_column(default=list)


class FusionPair(Base):
    """A pair the model is unsure of (人工复核队列): between the review band's edges, latest run."""

    __tablename__ = "fusion_pair"
    __table_args__ = (UniqueConstraint("fusion_id", "record_a", "record_b"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    fusion_id: Mapped[int] = mapped_column(ForeignKey("fusion.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("fusion_run.id"))
    record_a: Mapped[str] = mapped_column(String(200))
    record_b: Mapped[str] = mapped_column(String(200))
    probability: Mapped[float] = mapped_column(Float)
    levels: Mapped[dict] = mapped_column(default=dict)  # comparison → level label


class FusionDecision(Base):
    """A steward's verdict on a pair: the same person or not; every later run applies it."""

    __tablename__ = "fusion_decision"
    __table_args__ = (UniqueConstraint("fusion_id", "record_a", "record_b"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    fusion_id: Mapped[int] = mapped_column(ForeignKey("fusion.id"), index=True)
    record_a: Mapped[str] = mapped_column(String(200))
    record_b: Mapped[str] = mapped_column(String(200))
    same: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class FusionConflict(Base):
    """Sources disagreeing on one field of one base id (多源校核), latest run."""

    __tablename__ = "fusion_conflict"
    __table_args__ = (Index("ix_fusion_conflict_base", "fusion_id", "base_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    fusion_id: Mapped[int] = mapped_column(ForeignKey("fusion.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("fusion_run.id"))
    base_id: Mapped[str] = mapped_column(String(20))
    field: Mapped[str] = mapped_column(String(40))
    chosen: Mapped[str | None] = mapped_column(Text)
    chosen_source: Mapped[str | None] = mapped_column(String(64))
    values: Mapped[list] = mapped_column(default=list)  # [{value, source, record_key}]
