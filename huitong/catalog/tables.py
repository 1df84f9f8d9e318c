"""Tables for the classification tree, resources, their data items and revisions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from huitong.db.base import Base, utcnow
from huitong.org.tables import Department


class ClassNode(Base):
    """A node of the 基础/主题/部门 classification trees (类/项/目/细目)."""

    __tablename__ = "catalog_class"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("catalog_class.code"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))


class Resource(Base):
    """信息资源: one catalog entry."""

    __tablename__ = "resource"
    __table_args__ = (
        UniqueConstraint("provider_id", "name_key"),
        UniqueConstraint("class_code", "seq_no"),
        Index("ix_resource_change_seq", "change_seq"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    class_code: Mapped[str] = mapped_column(ForeignKey("catalog_class.code"))
    seq_no: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    provider_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    authoritative_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    summary: Mapped[str] = mapped_column(Text)
    format_class: Mapped[str] = mapped_column(String(20))
    format_type: Mapped[str | None] = mapped_column(String(40))
    share_type: Mapped[str] = mapped_column(String(16))
    share_condition: Mapped[str | None] = mapped_column(Text)
    share_basis: Mapped[str | None] = mapped_column(Text)
    share_channel: Mapped[str] = mapped_column(String(16))
    share_mode: Mapped[str] = mapped_column(String(16))
    open_type: Mapped[str] = mapped_column(String(16))
    open_condition: Mapped[str | None] = mapped_column(Text)
    update_cycle: Mapped[str] = mapped_column(String(16))
    publish_date: Mapped[date | None]
    related_codes: Mapped[list] = mapped_column(default=list)
    also_in: Mapped[list] = mapped_column(default=list)
    source_system: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[list] = mapped_column(default=list)
    grade: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    return_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    change_seq: Mapped[int] = mapped_column(Integer)
    search_terms: Mapped[dict | None]

    provider: Mapped[Department] = relationship(foreign_keys=[provider_id], lazy="joined")
    authoritative: Mapped[Department | None] = relationship(foreign_keys=[authoritative_id], lazy="joined")
    items: Mapped[list[ResourceItem]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="ResourceItem.position"
    )


class ResourceItem(Base):
    """信息项: one field of a resource."""

    __tablename__ = "resource_item"
    __table_args__ = (UniqueConstraint("resource_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    data_type: Mapped[str] = mapped_column(String(2))
    length: Mapped[int | None]
    element: Mapped[str | None] = mapped_column(ForeignKey("data_element.identifier"))
    grade: Mapped[str] = mapped_column(String(16))
    grade_explicit: Mapped[bool] = mapped_column(default=False)
    is_key: Mapped[bool] = mapped_column(default=False)
    required: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str | None] = mapped_column(Text)


class ResourceRevision(Base):
    """Who changed an entry, when, and what: a full snapshot plus the field-level diff."""

    __tablename__ = "resource_revision"
    __table_args__ = (UniqueConstraint("resource_id", "rev"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    rev: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)
    snapshot: Mapped[dict]
    changes: Mapped[list]


class Counter(Base):
    """Named counters; bumping one takes a row lock, so catalog changes are numbered in commit order."""

    __tablename__ = "counter"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
