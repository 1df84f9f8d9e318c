"""Shared fixtures: a migrated metadata database on SQLite and on PostgreSQL.

PostgreSQL is the real server at 127.0.0.1:5432 (database ``test``); each test gets its
own schema, dropped afterwards. When ``HUITONG_REQUIRE_PG=1`` an unreachable server fails
the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text

from huitong.bootstrap import seed
from huitong.db.base import Database
from huitong.db.migrate import upgrade

# Two cores run the suite in parallel with database servers: timing health checks and deadlines
# would fail on load, not on behaviour. The properties themselves are unchanged.
settings.register_profile("huitong", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("huitong")

PG_BASE = os.environ.get("HUITONG_TEST_PG", "postgresql+psycopg://127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("HUITONG_REQUIRE_PG") == "1"
_pg_ok: bool | None = None


def pg_available() -> bool:
    global _pg_ok
    if _pg_ok is None:
        try:
            eng = create_engine(PG_BASE, connect_args={"connect_timeout": 3})
            with eng.connect() as conn:
                conn.execute(text("select 1"))
            eng.dispose()
            _pg_ok = True
        except Exception:
            _pg_ok = False
    return _pg_ok


def need_pg() -> None:
    if not pg_available():
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (HUITONG_REQUIRE_PG=1) but {PG_BASE} is unreachable")
        pytest.skip(f"PostgreSQL at {PG_BASE} is unreachable")


def pg_url(schema: str) -> str:
    return f"{PG_BASE}?options=-csearch_path%3D{schema}"


class TestDatabase:
    """A migrated, seeded database URL for one test, and how to throw it away."""

    def __init__(self, backend: str, tmp_path):
        self.backend = backend
        self.keys_dir = tmp_path / "keys"
        if backend == "sqlite":
            self.url = f"sqlite:///{tmp_path / 'meta.db'}"
            self.schema = None
        else:
            need_pg()
            self.schema = f"t_{uuid.uuid4().hex[:12]}"
            admin = create_engine(PG_BASE)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            admin.dispose()
            self.url = pg_url(self.schema)

    def open(self) -> Database:
        db = Database(self.url)
        upgrade(db.engine)
        with db.session() as s:
            seed(s)
        from huitong.ledger.setup import ensure_keys

        db.ledger_keys, db.subject_secret = ensure_keys(self.keys_dir)
        db.ledger_origin = "test.huitong.local"
        return db

    def drop(self) -> None:
        if self.schema:
            admin = create_engine(PG_BASE)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            admin.dispose()


@pytest.fixture(params=["sqlite", "pg"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def test_database(backend, tmp_path) -> Iterator[TestDatabase]:
    tdb = TestDatabase(backend, tmp_path)
    yield tdb
    tdb.drop()


@pytest.fixture
def db(test_database) -> Iterator[Database]:
    database = test_database.open()
    yield database
    database.dispose()


@pytest.fixture
def world(db):
    """Regions, four departments and a user per role (see tests/world.py)."""
    from tests.world import build_world

    return build_world(db)
