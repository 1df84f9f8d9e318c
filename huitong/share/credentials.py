"""Application credentials (应用凭证) for consumer systems: a client id and a secret shown once.

A system authenticates with HTTP Basic (client id : secret) and acts for its department with no
user roles: it can receive data under its department's grants and manage its subscriptions,
nothing else. Only the SHA-256 of the secret is stored; secrets have 190 bits of entropy, so a
slow hash would buy nothing and cost every call.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from huitong.access import Actor, Target, require
from huitong.db.base import Database, utcnow
from huitong.errors import NotFound, Unauthenticated, invalid
from huitong.ledger.events import record
from huitong.org.service import TOUCH_EVERY, is_stale
from huitong.share.tables import AppCredential

CLIENT_PREFIX = "htapp_"
SECRET_PREFIX = "htsec_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(
    session: Session, actor: Actor, name: str, department_id: int | None = None
) -> tuple[AppCredential, str]:
    dept = department_id if department_id is not None else actor.department_id
    require(actor, "credential.manage", Target(department_id=dept))
    if not name or not name.strip():
        raise invalid("give the consumer system a name")
    client_id = CLIENT_PREFIX + secrets.token_hex(8)
    secret = SECRET_PREFIX + secrets.token_urlsafe(24)
    cred = AppCredential(
        client_id=client_id,
        name=name.strip(),
        department_id=dept,
        secret_hash=_hash(secret),
        created_by=actor.username,
    )
    session.add(cred)
    session.flush()
    record(
        session,
        actor,
        "credential.create",
        "app_credential",
        client_id,
        details={"name": cred.name, "department_id": dept},
    )
    return cred, secret


def revoke(session: Session, actor: Actor, client_id: str) -> AppCredential:
    cred = session.scalar(select(AppCredential).where(AppCredential.client_id == client_id))
    if cred is None:
        raise NotFound(f"no application credential {client_id}")
    require(actor, "credential.manage", Target(department_id=cred.department_id))
    cred.revoked_at = cred.revoked_at or utcnow()
    record(session, actor, "credential.revoke", "app_credential", client_id)
    return cred


def list_credentials(session: Session, actor: Actor, department_id: int | None = None) -> list[AppCredential]:
    dept = department_id if department_id is not None else actor.department_id
    require(actor, "credential.manage", Target(department_id=dept))
    return list(
        session.scalars(
            select(AppCredential).where(AppCredential.department_id == dept).order_by(AppCredential.id)
        )
    )


_BY_ID = select(
    AppCredential.client_id,
    AppCredential.secret_hash,
    AppCredential.department_id,
    AppCredential.revoked_at,
    AppCredential.last_used_at,
).where(AppCredential.client_id == bindparam("client_id"))
# What :func:`verified` needs of a credential row, for hot reads (``c``: app_credential).
HOT_COLUMNS = "c.secret_hash, c.department_id, c.revoked_at IS NOT NULL"
_BY_ID_HOT = f"SELECT {HOT_COLUMNS} FROM app_credential c WHERE c.client_id = ?"


class _Touched(dict):
    """client id → when this process last wrote the credential's use down (monotonic seconds);
    one per database, in ``db.parts``."""


def authenticate(session: Session, client_id: str, secret: str, *, touch: bool = True) -> Actor:
    cred = session.execute(_BY_ID, {"client_id": client_id}).first()
    if cred is None:
        raise Unauthenticated("invalid client id or secret")
    actor = _actor(cred.client_id, cred.secret_hash, cred.department_id, cred.revoked_at is not None, secret)
    if is_stale(cred.last_used_at, utcnow()):
        if touch:
            session.execute(
                update(AppCredential)
                .where(AppCredential.client_id == client_id)
                .values(last_used_at=utcnow())
            )
        else:  # a read-only caller writes it down afterwards (see api.deps.current_actor)
            session.info["stale_credential"] = True
    return actor


def authenticate_readonly(db: Database, client_id: str, secret: str) -> tuple[Actor, bool]:
    """The hot path of consumer systems: one autocommit read (revocation is seen on the next
    call), no ORM session, no write lock. Returns the actor and whether its last use should be
    written down: the first call in this process, then at most once a minute."""
    cred = db.hot.one(db.hot.sql(_BY_ID_HOT), (client_id,))
    if cred is None:
        raise Unauthenticated("invalid client id or secret")
    return verified(db, client_id, secret, *cred)


def verified(
    db: Database, client_id: str, secret: str, secret_hash: str, department_id: int, revoked: Any
) -> tuple[Actor, bool]:
    """:func:`authenticate_readonly` on a credential row already read (:data:`HOT_COLUMNS`),
    for a hot path that reads it together with what it serves."""
    actor = _actor(client_id, secret_hash, department_id, bool(revoked), secret)
    now = time.monotonic()
    seen = db.parts.get(_Touched, _Touched)
    stale = now - seen.get(client_id, -math.inf) >= TOUCH_EVERY.total_seconds()
    if stale:
        seen[client_id] = now
    return actor, stale


def _actor(client_id: str, secret_hash: str, department_id: int, revoked: bool, secret: str) -> Actor:
    """The actor a credential acts as, if the secret matches and it is not revoked."""
    if not hmac.compare_digest(secret_hash, _hash(secret)):
        raise Unauthenticated("invalid client id or secret")
    if revoked:
        raise Unauthenticated("this application credential was revoked")
    return Actor(
        user_id=None, username=f"app:{client_id}", department_id=department_id, scope="write", kind="app"
    )
