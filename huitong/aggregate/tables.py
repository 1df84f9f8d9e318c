"""Where aggregation keeps its state: configured sources, their mappings, and every load
with its lineage and rejected rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huitong.db.base import Base, utcnow


class SourceRow(Base):
    """A department source feeding one catalog resource (数据源)."""

    __tablename__ = "agg_source"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    config: Mapped[dict]  # connector options; secrets are redacted whenever shown
    mode: Mapped[str] = mapped_column(String(10), default="full")  # full, append, upsert
    schedule: Mapped[str | None] = mapped_column(String(100))  # cron expression, for the worker
    watermark: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MappingVersion(Base):
    """Each confirmed mapping of a source's columns to the resource's data items."""

    __tablename__ = "agg_mapping"
    __table_args__ = (UniqueConstraint("source_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("agg_source.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoadRun(Base):
    """One load and its lineage: what went in, what came out, who ran it, which version it made."""

    __tablename__ = "agg_load"
    __table_args__ = (Index("ix_agg_load_source_started", "source_id", "started_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("agg_source.id"))
    resource_code: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))  # running, loaded, unchanged, aborted, failed
    mode: Mapped[str] = mapped_column(String(10))
    connector: Mapped[str] = mapped_column(String(20))
    origin: Mapped[str | None] = mapped_column(Text)  # file name, URL or table, never secrets
    mapping_version: Mapped[int | None] = mapped_column(Integer)
    rows_in: Mapped[int] = mapped_column(Integer, default=0)
    rows_out: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # the raw input, mapping and items together: an identical re-send is not read again
    input_hash: Mapped[str | None] = mapped_column(String(64))
    snapshot_id: Mapped[str | None] = mapped_column(String(32))
    actor_name: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    message: Mapped[str | None] = mapped_column(Text)
    # the schema contract it ran under and what it found (new unmapped columns): see aggregate.contract
    notes: Mapped[dict | None]


class LoadReject(Base):
    """A row that failed validation: where it is and why, so the department can fix it."""

    __tablename__ = "agg_reject"
    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey("agg_load.id", ondelete="CASCADE"), index=True)
    file: Mapped[str | None] = mapped_column(String(255))
    sheet: Mapped[str | None] = mapped_column(String(100))
    row: Mapped[int | None] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(200))
    item: Mapped[str | None] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
