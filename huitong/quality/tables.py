"""Where quality keeps its state: the rules, each resource's gate, and every run's metrics per rule
and version (a metric repository, as Deequ keeps one), so trends and anomalies can be shown."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huitong.db.base import Base, utcnow


class QualityRule(Base):
    """One rule, attached to a data element (every item mapped to it) or to one resource."""

    __tablename__ = "quality_rule"
    __table_args__ = (UniqueConstraint("scope", "target", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))  # element, resource
    target: Mapped[str] = mapped_column(String(64), index=True)  # element identifier or resource code
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    dimension: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(8))
    threshold: Mapped[float] = mapped_column(Float)
    columns: Mapped[list] = mapped_column(default=list)
    params: Mapped[dict] = mapped_column(default=dict)
    origin: Mapped[str] = mapped_column(String(300), default="")  # file:line, or console
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class QualityGate(Base):
    """A resource whose versions failing a ``fail`` rule are kept but not made current (隔离)."""

    __tablename__ = "quality_gate"
    resource_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class QualityRun(Base):
    """One run of a resource's rules over one version."""

    __tablename__ = "quality_run"
    __table_args__ = (Index("ix_quality_run_resource", "resource_code", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resource_code: Mapped[str] = mapped_column(String(64))
    snapshot_id: Mapped[str] = mapped_column(String(32), index=True)
    version_at: Mapped[datetime]  # when the version was made (the trend's x axis)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float | None] = mapped_column(Float)
    dimensions: Mapped[dict] = mapped_column(default=dict)  # dimension -> score
    failed_rules: Mapped[int] = mapped_column(Integer, default=0)
    failed_fail_rules: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(16))  # passed, warned, failed, quarantined
    trigger: Mapped[str] = mapped_column(String(10))  # load, manual
    load_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(64))
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)


class QualityMetric(Base):
    """One rule's measure on one version: rows checked, rows failing, the ratio and the verdict."""

    __tablename__ = "quality_metric"
    __table_args__ = (Index("ix_quality_metric_run", "run_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("quality_run.id", ondelete="CASCADE"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("quality_rule.id", ondelete="SET NULL"))
    rule_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    dimension: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(8))
    columns: Mapped[list] = mapped_column(default=list)
    checked: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    ratio: Mapped[float | None] = mapped_column(Float)  # None: nothing to check
    value: Mapped[float | None] = mapped_column(Float)  # the measure of a version-level kind
    threshold: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool]
    message: Mapped[str | None] = mapped_column(Text)
    # failing rows (masked by grade) or disagreeing pairs, a bounded sample
    sample: Mapped[list] = mapped_column(default=list)
