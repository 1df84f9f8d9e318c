"""Where quality keeps its state: the rules, each resource's gate, every run's metrics per rule and
version (a metric repository, as Deequ keeps one), so trends and anomalies can be shown, and the
objections (异议) with their steps, evidence files and the notices their raisers receive."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
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


class Objection(Base):
    """One objection (异议) to a record (``key``), one item of a record (``key`` and ``item``) or a
    whole resource (neither), routed by lineage to the holder department. The due columns are the
    current stage's deadline, fixed when the stage starts (as the configuration then said)."""

    __tablename__ = "objection"
    __table_args__ = (Index("ix_objection_resource_state", "resource_code", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resource_code: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(8))  # record, field, resource
    key: Mapped[list | None]  # the key items' values, in the resource's key order
    item: Mapped[str | None] = mapped_column(String(100))  # the disputed data item (scope field)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))
    raiser_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    raiser_name: Mapped[str] = mapped_column(String(64))
    raiser_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    # "citizen": raised by staff for a citizen who asked who used their data (代居民提出); the
    # raiser is told and tells the citizen, who has no account before the open portal
    on_behalf: Mapped[str | None] = mapped_column(String(16))
    holder_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    # the lineage that routed it: the version seen when raised and the load that wrote the row
    snapshot_id: Mapped[str | None] = mapped_column(String(32))
    load_id: Mapped[int | None] = mapped_column(Integer)
    # departments that also answer for the value: the fusing unit of a fused base-library record
    # (融合数据责任部门), when fusion exists; routing fills nothing in yet
    also_routed_to: Mapped[list] = mapped_column(default=list)
    correction: Mapped[str | None] = mapped_column(String(32))  # the correcting version's snapshot id
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    due_party: Mapped[str | None] = mapped_column(String(8))
    due_provisional: Mapped[bool] = mapped_column(default=False)
    forwarded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    answered_on_time: Mapped[bool | None]


class ObjectionStep(Base):
    """Every step of an objection, with who took it, when, and why (the 档案 of 档案管理)."""

    __tablename__ = "objection_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    objection_id: Mapped[int] = mapped_column(ForeignKey("objection.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(12))  # submit, or an action of objection_flow
    source: Mapped[str | None] = mapped_column(String(12))
    target: Mapped[str] = mapped_column(String(12))
    party: Mapped[str] = mapped_column(String(8))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    correction: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ObjectionEvidence(Base):
    """A file the raiser sent with the objection (a certificate, a scan), kept as bytes."""

    __tablename__ = "objection_evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    objection_id: Mapped[int] = mapped_column(ForeignKey("objection.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ObjectionNotice(Base):
    """What the raiser is told (declined, corrected, rejected): listed by whoever sees the objection
    as its raiser."""

    __tablename__ = "objection_notice"
    id: Mapped[int] = mapped_column(primary_key=True)
    objection_id: Mapped[int] = mapped_column(ForeignKey("objection.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # the action that answered
    message: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
