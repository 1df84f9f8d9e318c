"""The one interface through which every decision and data access is recorded (留痕).

Callers record inside their own transaction, so an action and its evidence commit or
roll back together. The entry commits to a SHA-256 of its canonical details, so the
tamper-evident Merkle log (issue 5) can be built over these rows, and personal details
can later be purged while the hash still verifies.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from huitong.access.actor import Actor
from huitong.db.base import Base, utcnow


class EvidenceEntry(Base):
    __tablename__ = "evidence_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    action: Mapped[str] = mapped_column(String(48), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(128), index=True)
    result: Mapped[str] = mapped_column(String(16))
    details_hash: Mapped[str] = mapped_column(String(64))
    details: Mapped[str | None] = mapped_column(Text)
    purged: Mapped[bool] = mapped_column(default=False)
    seq: Mapped[int | None] = mapped_column(Integer)


SECRET_KEYS = {"password", "secret", "token", "password_hash", "secret_hash"}


def canonical(details: dict[str, Any]) -> str:
    for key in details:
        if key in SECRET_KEYS:
            raise ValueError(f"refusing to record secret field {key!r} as evidence")
    return json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | None,
    *,
    result: str = "ok",
    details: dict[str, Any] | None = None,
) -> EvidenceEntry:
    text = canonical(details or {})
    entry = EvidenceEntry(
        actor_id=actor.user_id,
        actor_name=actor.username,
        department_id=actor.department_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        result=result,
        details=text,
        details_hash=hashlib.sha256(text.encode()).hexdigest(),
    )
    session.add(entry)
    return entry


def record_apart(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | None,
    *,
    result: str = "denied",
    details: dict[str, Any] | None = None,
) -> None:
    """Record in a transaction of its own, committed now: a refusal must stay on record even
    though the caller's transaction is about to be rolled back by the error that follows."""
    with Session(bind=session.get_bind()) as apart, apart.begin():
        record(apart, actor, action, object_type, object_id, result=result, details=details)


def entries_for(session: Session, object_type: str, object_id: str) -> list[EvidenceEntry]:
    stmt = (
        select(EvidenceEntry)
        .where(EvidenceEntry.object_type == object_type, EvidenceEntry.object_id == object_id)
        .order_by(EvidenceEntry.id)
    )
    return list(session.scalars(stmt))
