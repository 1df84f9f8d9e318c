"""Subscriptions (订阅): when a new version of a granted resource lands, the consumer's webhook is
told, through a durable outbox, signed with the node's Ed25519 key.

The event is written to the outbox in the same transaction as the load's lineage, so a version
is never announced that did not land, and never lands unannounced. A dispatcher sends due
messages and retries failures with exponential back-off (30 s doubling, capped at 6 h; after
12 attempts the message is marked dead and shown to operators).

Signature: header ``Huitong-Signature: t=<unix seconds>,ed25519=<base64>`` over the bytes
``<t>.<body>``, with ``Huitong-Key`` naming the key's fingerprint (its public key is published at
``/api/ledger/public-keys``). A receiver checks the signature and rejects a ``t`` more than five
minutes from its clock, so a captured call cannot be replayed later.
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from huitong.access import Actor, Target, require
from huitong.db.base import Database, utcnow
from huitong.errors import NotFound, Problem, invalid
from huitong.ledger.events import record
from huitong.share.grants import effective_status, usable_grant
from huitong.share.tables import Delivery, Grant, OutboxMessage, Subscription

log = logging.getLogger("huitong.share.subscriptions")
MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=6)
REPLAY_WINDOW = timedelta(minutes=5)


def subscribe(session: Session, actor: Actor, grant_id: int, url: str) -> Subscription:
    g = usable_grant(session, actor, grant_id, "subscription")
    require(actor, "share.subscribe", Target(department_id=g.consumer_id))
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise invalid(
            "the webhook must be an http(s) URL", Problem("not an http(s) URL", field="url", value=url)
        )
    sub = Subscription(grant_id=g.id, url=url.strip(), created_by=actor.username)
    session.add(sub)
    session.flush()
    record(
        session,
        actor,
        "share.subscribe",
        "grant",
        str(g.id),
        details={"subscription": sub.id, "url": sub.url},
    )
    return sub


def unsubscribe(session: Session, actor: Actor, subscription_id: int) -> Subscription:
    sub = session.get(Subscription, subscription_id)
    if sub is None:
        raise NotFound(f"no subscription {subscription_id}")
    g = session.get(Grant, sub.grant_id)
    require(actor, "share.subscribe", Target(department_id=g.consumer_id))
    sub.active = False
    record(session, actor, "share.unsubscribe", "grant", str(g.id), details={"subscription": sub.id})
    return sub


def enqueue(session: Session, sub: Subscription, event: dict[str, Any]) -> OutboxMessage:
    msg = OutboxMessage(
        subscription_id=sub.id, event=event | {"subscription": sub.id}, next_attempt_at=utcnow()
    )
    session.add(msg)
    session.flush()
    msg.event = msg.event | {"id": msg.id}
    return msg


def on_new_version(
    session: Session, code: str, snapshot_id: int | str, previous: int | str | None, counts: dict
) -> int:
    """Queue a notice for every live subscription on this resource; returns how many."""
    subs = session.execute(
        select(Subscription, Grant)
        .join(Grant, Grant.id == Subscription.grant_id)
        .where(Grant.resource_code == code, Subscription.active)
    ).all()
    n = 0
    for sub, g in subs:
        if effective_status(g) != "active" or "subscription" not in g.modes:
            continue
        link = f"/api/share/grants/{g.id}/changes?first={previous}&second={snapshot_id}" if previous else None
        enqueue(
            session,
            sub,
            {
                "type": "version.created",
                "grant": g.id,
                "resource": code,
                "snapshot_id": str(snapshot_id),
                "previous_snapshot_id": None if previous is None else str(previous),
                "counts": counts,
                "changes": link,
            },
        )
        n += 1
    return n


def sign(db: Database, body: bytes, now: datetime) -> dict[str, str]:
    ring = db.ledger_keys
    t = str(int(now.timestamp()))
    sig = ring.signing.sign(t.encode() + b"." + body)
    return {
        "Content-Type": "application/json",
        "Huitong-Signature": f"t={t},ed25519={base64.b64encode(sig).decode()}",
        "Huitong-Key": ring.current.fingerprint,
    }


def verify_signature(
    public_key: Ed25519PublicKey, header: str, body: bytes, now: datetime, window: timedelta = REPLAY_WINDOW
) -> bool:
    """What a receiver runs: a good signature, made within ``window`` of now."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        t = int(parts["t"])
        sig = base64.b64decode(parts["ed25519"])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - t) > window.total_seconds():
        return False
    try:
        public_key.verify(sig, str(t).encode() + b"." + body)
    except InvalidSignature:
        return False
    return True


def backoff(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


def dispatch(
    db: Database, client: httpx.Client | None = None, *, now: datetime | None = None, limit: int = 100
) -> dict[str, int]:
    """Send what is due; one message's failure only delays that message."""
    now = now or utcnow()
    own = client is None
    client = client or httpx.Client(timeout=10.0, follow_redirects=False)
    done = {"delivered": 0, "retry": 0, "dead": 0}
    try:
        with db.session(read_only=True) as s:
            due = [
                (m.id, m.event, sub.url, sub.grant_id)
                for m, sub in s.execute(
                    select(OutboxMessage, Subscription)
                    .join(Subscription, Subscription.id == OutboxMessage.subscription_id)
                    .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
                    .order_by(OutboxMessage.id)
                    .limit(limit)
                ).all()
            ]
        for msg_id, event, url, grant_id in due:
            body = json.dumps(event, ensure_ascii=False, sort_keys=True).encode()
            error = None
            try:
                resp = client.post(url, content=body, headers=sign(db, body, utcnow()))
                if resp.status_code >= 300:
                    error = f"HTTP {resp.status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            with db.session() as s:
                msg = s.get(OutboxMessage, msg_id)
                msg.attempts += 1
                g = s.get(Grant, grant_id)
                system = Actor(user_id=None, username="dispatcher", kind="system")
                if error is None:
                    msg.status, msg.delivered_at, msg.last_error = "delivered", utcnow(), None
                    s.add(
                        Delivery(
                            grant_id=g.id,
                            consumer_id=g.consumer_id,
                            provider_id=g.provider_id,
                            resource_code=g.resource_code,
                            mode="subscription",
                            snapshot_id=event.get("snapshot_id"),
                            rows=0,
                            actor_name="dispatcher",
                            at=utcnow(),
                        )
                    )
                    record(
                        s,
                        system,
                        "share.notify",
                        "grant",
                        str(g.id),
                        details={
                            "message": msg.id,
                            "type": event.get("type"),
                            "snapshot": event.get("snapshot_id"),
                        },
                    )
                    done["delivered"] += 1
                elif msg.attempts >= MAX_ATTEMPTS:
                    msg.status, msg.last_error = "dead", error
                    record(
                        s,
                        system,
                        "share.notify",
                        "grant",
                        str(g.id),
                        result="error",
                        details={"message": msg.id, "error": error, "attempts": msg.attempts},
                    )
                    done["dead"] += 1
                else:
                    msg.last_error, msg.next_attempt_at = error, now + backoff(msg.attempts)
                    done["retry"] += 1
                    log.info(
                        "webhook %s for message %s failed (%s); retry %s", url, msg_id, error, msg.attempts
                    )
    finally:
        if own:
            client.close()
    return done


class OutboxDaemon:
    """Sends due notices every few seconds inside the server process."""

    def __init__(self, db: Database, every: float = 5.0):
        import threading

        self.db, self.every = db, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="huitong-outbox", daemon=True)

    def start(self) -> OutboxDaemon:
        self._thread.start()
        return self

    def _run(self) -> None:
        with httpx.Client(timeout=10.0, follow_redirects=False) as client:
            while not self._stop.wait(self.every):
                try:
                    dispatch(self.db, client)
                except Exception:  # keep sending later; the outbox keeps every message
                    log.exception("dispatching subscription notices failed")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)
