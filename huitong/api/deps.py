"""Per-request unit of work and the acting user; every route goes through :func:`unit`."""

from __future__ import annotations

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


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated("use 'Authorization: Bearer <token>'")
    return value.strip()


@contextmanager
def unit(request: Request, *, read_only: bool = False) -> Iterator[tuple[Session, Actor]]:
    """One transaction for the whole request, committed before the response is built.
    ``read_only`` only for anonymous reads: a token's use is recorded, which is a write."""
    db = database(request)
    secret = bearer(request)
    with db.session(read_only=read_only and not secret) as session:
        actor = authenticate_token(session, secret) if secret else PUBLIC
        yield session, actor
