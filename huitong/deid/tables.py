"""Where de-identification keeps its state: each release plan with its risk report, approvals and the
version it produced; each resource's privacy budget; each differentially private figure published."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huitong.db.base import Base, utcnow


class DeidRelease(Base):
    """A de-identified, record-level release of one version of a resource (去标识化发布)."""

    __tablename__ = "deid_release"
    __table_args__ = (Index("ix_deid_release_resource", "resource_code", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resource_code: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    snapshot_id: Mapped[str] = mapped_column(String(24))  # the version it is made from
    plan: Mapped[dict] = mapped_column(default=dict)
    grade_in: Mapped[str] = mapped_column(String(16))
    grade_out: Mapped[str] = mapped_column(String(16))  # the derived grade (衍生数据)
    risk: Mapped[dict] = mapped_column(default=dict)
    rows_in: Mapped[int] = mapped_column(Integer, default=0)
    rows_out: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10))  # refused, pending, released
    reason: Mapped[str | None] = mapped_column(Text)
    needs: Mapped[list] = mapped_column(default=list)  # approvals required: provider, operator
    approvals: Mapped[list] = mapped_column(default=list)  # [{"as": ..., "by": ..., "at": ...}]
    output_code: Mapped[str | None] = mapped_column(String(64))  # the store table of the release
    output_snapshot_id: Mapped[str | None] = mapped_column(String(24))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column()


class DeidBudget(Base):
    """A resource's differential-privacy budget (隐私预算): ε allowed and ε spent so far."""

    __tablename__ = "deid_budget"
    resource_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    total: Mapped[float] = mapped_column(Float)
    spent: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeidStatistic(Base):
    """One published differentially private figure, with what it cost."""

    __tablename__ = "deid_statistic"
    id: Mapped[int] = mapped_column(primary_key=True)
    resource_code: Mapped[str] = mapped_column(String(64), index=True)
    snapshot_id: Mapped[str] = mapped_column(String(24))
    statistic: Mapped[str] = mapped_column(String(16))  # count, sum, mean, histogram
    column: Mapped[str | None] = mapped_column(String(100))
    epsilon: Mapped[float] = mapped_column(Float)
    result: Mapped[dict] = mapped_column(default=dict)  # the Release's dict: value, scale, accuracy
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
