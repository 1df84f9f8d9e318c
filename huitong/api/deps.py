"""Per-request unit of work and the acting user; every route goes through :func:`unit`."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request
from sqlalchemy.orm import Session

from huitong.access import PUBLIC, Actor
from huitong.db.base import Database
from huitong.errors import Unauthenticated
from huitong.org.service import authenticate_token


def database(request: Request) -> Database:
    return request.app.state.db


def bearer(request: Request) -> tuple[str, str] | None:
    """The credentials presented: ``("bearer", token)`` for people, ``("basic", "id:secret")``
    for consumer systems with application credentials, or None (anonymous)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if not header:
        return None
    if scheme.lower() == "basic" and value.strip():
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            raise Unauthenticated("malformed Basic credentials") from None
        return "basic", decoded
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated(
            "use 'Authorization: Bearer <token>' (people) or Basic client credentials (systems)"
        )
    return "bearer", value.strip()


def _authenticate(session: Session, presented: tuple[str, str] | None, *, touch: bool = True) -> Actor:
    if presented is None:
        return PUBLIC
    kind, value = presented
    if kind == "basic":
        from huitong.share.credentials import authenticate

        client_id, _, secret = value.partition(":")
        return authenticate(session, client_id, secret, touch=touch)
    return authenticate_token(session, value, touch=touch)


@contextmanager
def unit(request: Request, *, read_only: bool = False) -> Iterator[tuple[Session, Actor]]:
    """One transaction for the whole request, committed before the response is built.
    ``read_only`` only for anonymous reads: a token's use is recorded, which is a write."""
    db = database(request)
    presented = bearer(request)
    with db.session(read_only=read_only and not presented) as session:
        yield session, _authenticate(session, presented)


def current_actor(request: Request) -> Actor:
    """Who is asking, for routes that run their own units of work (deliveries): read-only, so
    authenticating takes no write lock; the credential's last use is written at most once a minute."""
    db = database(request)
    presented = bearer(request)
    if presented is not None and presented[0] == "basic":
        from huitong.share.credentials import authenticate_readonly

        client_id, _, secret = presented[1].partition(":")
        actor, stale = authenticate_readonly(db, client_id, secret)
    else:
        with db.session(read_only=True) as session:
            actor = _authenticate(session, presented, touch=False)
            stale = session.info.pop("stale_credential", False)
    if stale:
        record_use(db, presented)
    return actor


def record_use(db: Database, presented: tuple[str, str] | None) -> None:
    """Write down that a credential or token was used (its last use), in a unit of its own."""
    with db.session() as session:
        _authenticate(session, presented)
