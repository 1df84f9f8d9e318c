"""Where sharing keeps its state: applications and their requested resources with every
transition, grants and their daily usage, deliveries, recalls, subscriptions with their
outbox, and application credentials of consumer systems."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from huitong.db.base import Base, utcnow


class ShareApplication(Base):
    """One application (共享申请) by a consumer department, for one or more resources."""

    __tablename__ = "share_application"
    id: Mapped[int] = mapped_column(primary_key=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    applicant_name: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(20))  # 使用用途 category
    purpose_text: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    business: Mapped[str] = mapped_column(Text)  # the business (事项) it serves
    use_from: Mapped[date]
    use_until: Mapped[date]
    modes: Mapped[list]  # delivery modes wanted: query, verify, batch, subscription
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    requests: Mapped[list[ShareRequest]] = relationship(
        lazy="selectin", order_by="ShareRequest.id", back_populates="application"
    )


class ShareRequest(Base):
    """One requested resource of an application (申请事项), with its own state and deadline."""

    __tablename__ = "share_request"
    __table_args__ = (
        Index("ix_share_request_provider_state", "provider_id", "state"),
        Index("ix_share_request_consumer_state", "consumer_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("share_application.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    resource_code: Mapped[str] = mapped_column(String(64))
    provider_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    consumer_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    items: Mapped[list]  # data item names asked for
    state: Mapped[str] = mapped_column(String(20))
    state_since: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]  # working-day deadline of the current step
    due_provisional: Mapped[bool] = mapped_column(default=False)  # calendar year not published yet
    on_platform: Mapped[bool] = mapped_column(default=False)  # the data was already loaded when asked
    reason: Mapped[str | None] = mapped_column(Text)  # the last refusal / negotiation text
    conditions: Mapped[dict | None]  # what was approved
    grant_id: Mapped[int | None] = mapped_column(Integer)  # the grant it led to
    decided_at: Mapped[datetime | None]
    application: Mapped[ShareApplication] = relationship(
        back_populates="requests", lazy="joined", innerjoin=True
    )


class ShareTransition(Base):
    """Who moved a request from one state to another, when and why."""

    __tablename__ = "share_transition"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("share_request.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    party: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)
    working_days: Mapped[int | None] = mapped_column(Integer)  # time the step took
    overdue: Mapped[bool] = mapped_column(default=False)


class Grant(Base):
    """授权: what one consumer may receive of one resource, for what, until when, how much."""

    __tablename__ = "share_grant"
    __table_args__ = (Index("ix_share_grant_consumer_resource", "consumer_id", "resource_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("share_request.id"))
    consumer_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    resource_code: Mapped[str] = mapped_column(String(64), index=True)
    items: Mapped[list]
    treatments: Mapped[dict]  # item -> clear / mask / pseudonym / hidden
    row_filter: Mapped[dict | None]  # item -> value or list of values
    purpose: Mapped[str] = mapped_column(String(20))
    purpose_text: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    modes: Mapped[list]
    max_requests_per_day: Mapped[int | None] = mapped_column(Integer)
    max_rows_per_day: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active, revoked
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class GrantUsage(Base):
    """Requests and rows delivered under a grant per day (Beijing date), for the quota."""

    __tablename__ = "share_usage"
    grant_id: Mapped[int] = mapped_column(ForeignKey("share_grant.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)


class Delivery(Base):
    """One delivery under a grant: what left the platform, to whom, of which version."""

    __tablename__ = "share_delivery"
    __table_args__ = (Index("ix_share_delivery_grant_at", "grant_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("share_grant.id"))
    consumer_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    resource_code: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(12))  # query, lookup, verify, batch, subscription
    snapshot_id: Mapped[str | None] = mapped_column(String(32))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    checksum: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Recall(Base):
    """数据召回: a revoked grant's consumer must delete what it received, until it says it has."""

    __tablename__ = "share_recall"
    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("share_grant.id"), index=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    batches: Mapped[list]  # delivery ids of batch extracts the consumer holds
    status: Mapped[str] = mapped_column(String(12), default="open")  # open, acknowledged
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class Subscription(Base):
    """A consumer's webhook for new versions of a granted resource."""

    __tablename__ = "share_subscription"
    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("share_grant.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A notification waiting to be sent; kept until delivered, retried with back-off."""

    __tablename__ = "share_outbox"
    __table_args__ = (Index("ix_share_outbox_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("share_subscription.id"), index=True)
    event: Mapped[dict]
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, delivered, dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class AppCredential(Base):
    """A consumer system's client id and hashed secret (应用凭证), acting for its department."""

    __tablename__ = "app_credential"
    __table_args__ = (UniqueConstraint("client_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
