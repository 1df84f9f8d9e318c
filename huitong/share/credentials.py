"""Application credentials (应用凭证) for consumer systems: a client id and a secret shown once.

A system authenticates with HTTP Basic (client id : secret) and acts for its department with no
user roles: it can receive data under its department's grants and manage its subscriptions,
nothing else. Only the SHA-256 of the secret is stored; secrets have 190 bits of entropy, so a
slow hash would buy nothing and cost every call.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from huitong.access import Actor, Target, require
from huitong.db.base import Database, utcnow
from huitong.errors import NotFound, Unauthenticated, invalid
from huitong.ledger.events import record
from huitong.org.service import is_stale
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


def authenticate(session: Session, client_id: str, secret: str, *, touch: bool = True) -> Actor:
    actor, stale = _check(session.execute(_BY_ID, {"client_id": client_id}).first(), secret)
    if stale:
        if touch:
            session.execute(
                update(AppCredential)
                .where(AppCredential.client_id == client_id)
                .values(last_used_at=utcnow())
            )
        else:  # a read-only caller writes it down afterwards (see api.deps.current_actor)
            session.info["stale_credential"] = True
    return actor


def authenticate_readonly(db: Database, client_id: str, secret: str, conn=None) -> tuple[Actor, bool]:
    """The hot path of consumer systems: one read on a pooled connection (``conn`` if the caller
    has one open), no ORM session, no write lock. Returns the actor and whether its last use
    should be written down."""
    if conn is None:
        with db.read_connection() as own:
            row = own.execute(_BY_ID, {"client_id": client_id}).first()
    else:
        row = conn.execute(_BY_ID, {"client_id": client_id}).first()
    return _check(row, secret)


def _check(cred, secret: str) -> tuple[Actor, bool]:
    """The actor for a credential row if the secret matches and it is not revoked, and whether
    its last use is stale enough to write down again."""
    if cred is None or not hmac.compare_digest(cred.secret_hash, _hash(secret)):
        raise Unauthenticated("invalid client id or secret")
    if cred.revoked_at is not None:
        raise Unauthenticated("this application credential was revoked")
    actor = Actor(
        user_id=None,
        username=f"app:{cred.client_id}",
        department_id=cred.department_id,
        scope="write",
        kind="app",
    )
    return actor, is_stale(cred.last_used_at, utcnow())
