"""Engine, sessions and the declarative base shared by every package's tables.

The same code runs on SQLite and PostgreSQL; dialect differences stay in this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from huitong.db.hot import HotReads
from huitong.db.parts import Parts

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once the session's transaction has committed, and never if it rolls back:
    work outside the database that must follow what the transaction records and must not run
    while it holds SQLite's write lock (quality moving a table's current version back)."""
    pending = session.info.get("after_commit")
    if pending is None:
        pending = session.info["after_commit"] = []

        def run(_session: Session) -> None:
            if session.in_nested_transaction():  # a savepoint's commit: the transaction goes on
                return
            todo, pending[:] = list(pending), []
            for act in todo:
                act()

        def drop(_session: Session) -> None:
            if not session.in_nested_transaction():
                pending.clear()

        event.listen(session, "after_commit", run)
        event.listen(session, "after_rollback", drop)
    pending.append(action)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC timestamps on both backends (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict: JSON, list: JSON}


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not pysqlite, control transactions so SAVEPOINT works.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")  # acknowledged evidence survives power loss, not just a crash
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A deferred transaction that reads, then writes, fails at once with "database is
        # locked" if another connection wrote in between (WAL snapshot rule; the busy timeout
        # does not apply). Units of work that may write take the write lock up front instead.
        read_only = conn.get_execution_options().get("huitong_read_only", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    # As many pooled connections as the server has request threads (anyio's default 40): an
    # overflow connection is closed on return, and reopening one (PRAGMAs, WAL) on every request
    # costs more than the request.
    kwargs.setdefault("pool_size", 40)
    kwargs.setdefault("max_overflow", 10)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine)
    return engine


class Database:
    """A metadata database: one engine and its session factory."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None, **engine_kwargs):
        if engine is None:
            if url is None:
                raise ValueError("Database needs a url or an engine")
            engine = make_engine(url, **engine_kwargs)
        self.engine = engine
        # Sessions know their Database, so the ledger can reach this process's writer and keys.
        self.sessions = sessionmaker(engine, expire_on_commit=False, info={"database": self})
        self.read_sessions = sessionmaker(
            engine.execution_options(huitong_read_only=True), expire_on_commit=False, info={"database": self}
        )
        self.subject_secret: bytes | None = None  # the ledger's HMAC key for subject lookups
        self.ledger_keys = None  # the node's checkpoint signing keys (huitong.ledger.keys.KeyRing)
        self.ledger_origin = "huitong.local"  # the log's name in its checkpoints
        self.parts = Parts()  # writer, sequencer, search index, delivery caches (see huitong.db.parts)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on any error.
        ``read_only`` lets SQLite readers run beside a writer (it must not write)."""
        with (self.read_sessions if read_only else self.sessions)() as session, session.begin():
            yield session

    @cached_property
    def hot(self) -> HotReads:
        """Autocommit single-statement reads for the delivery hot paths (see :mod:`huitong.db.hot`)."""
        return HotReads(self.engine)

    def dispose(self) -> None:
        try:
            self.parts.close()  # the evidence writer hands over what it holds first
        finally:
            if "hot" in self.__dict__:
                self.hot.close()
            self.engine.dispose()
