"""Where classification keeps its state: each scan of a version, each column's finding with the
department's decision on it, and the re-grading review tasks (动态更新) that new versions raise."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huitong.db.base import Base, utcnow


class ClassifyScan(Base):
    """One discovery pass over one version of a resource."""

    __tablename__ = "classify_scan"
    __table_args__ = (Index("ix_classify_scan_resource", "resource_code", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resource_code: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int] = mapped_column(Integer, index=True)
    snapshot_id: Mapped[str] = mapped_column(String(24))
    rows: Mapped[int] = mapped_column(Integer)
    sampled_rows: Mapped[int] = mapped_column(Integer)
    sample_size: Mapped[int | None] = mapped_column(Integer)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    trigger: Mapped[str] = mapped_column(String(8))  # load, manual
    actor_name: Mapped[str] = mapped_column(String(64))
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ClassifyColumn(Base):
    """A column that holds personal data: the latest evidence, and the department's decision."""

    __tablename__ = "classify_column"
    __table_args__ = (UniqueConstraint("resource_code", "column"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resource_code: Mapped[str] = mapped_column(String(64), index=True)
    department_id: Mapped[int] = mapped_column(Integer, index=True)
    column: Mapped[str] = mapped_column(String(100))
    scan_id: Mapped[int] = mapped_column(Integer)  # the scan the evidence is from
    kind: Mapped[str] = mapped_column(String(32))
    share: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    sampled: Mapped[int] = mapped_column(Integer)
    matched: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(String(200))
    name_hint: Mapped[bool] = mapped_column(default=False)
    classes: Mapped[list] = mapped_column(default=list)
    proposed_grade: Mapped[str] = mapped_column(String(16))
    declared_grade: Mapped[str] = mapped_column(String(16))  # the catalog item's grade when scanned
    declared_element: Mapped[str | None] = mapped_column(String(64))
    present: Mapped[bool] = mapped_column(default=True)  # False: the latest scan found nothing there
    status: Mapped[str] = mapped_column(String(12), default="proposed")  # proposed, confirmed, overridden
    decided_grade: Mapped[str | None] = mapped_column(String(16))
    decided_kind: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column()
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClassifyReview(Base):
    """A re-grading task (GB/T 43697 Annex J): a new personal column, a jump in coverage, a new
    combination of quasi-identifiers.  Its department's administrator closes it with a note."""

    __tablename__ = "classify_review"
    __table_args__ = (Index("ix_classify_review_open", "status", "department_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resource_code: Mapped[str] = mapped_column(String(64), index=True)
    department_id: Mapped[int] = mapped_column(Integer)
    scan_id: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(
        String(24)
    )  # new_personal_column, coverage_jump, new_quasi_combination
    details: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(8), default="open")  # open, closed
    note: Mapped[str | None] = mapped_column(Text)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
