"""Fixtures for the connector tests: a local JSON API server and throwaway SQL databases.

Nothing leaves the machine: the API is an http.server on 127.0.0.1 in a background thread,
PostgreSQL is the test server (one schema per test, as in tests/conftest.py) and MariaDB the
local server at 127.0.0.1:3306 (one database per test).  MariaDB tests are skipped when it is
unreachable unless ``HUITONG_REQUIRE_MYSQL=1``.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from tests.conftest import PG_BASE, need_pg, pg_url

MYSQL_BASE = os.environ.get("HUITONG_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/test")
REQUIRE_MYSQL = os.environ.get("HUITONG_REQUIRE_MYSQL") == "1"


# ---------------------------------------------------------------- HTTP API


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


Handler = Callable[[Request], tuple[int, dict[str, str], Any]]


@dataclass
class ApiServer:
    """Routes are plain functions (request → status, headers, body); bodies that are not bytes
    or str are sent as JSON.  Every request is kept in ``seen`` for the test to inspect."""

    base: str = ""
    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[Request] = field(default_factory=list)

    def route(self, path: str) -> Callable[[Handler], Handler]:
        def add(fn: Handler) -> Handler:
            self.routes[path] = fn
            return fn

        return add

    def url(self, path: str) -> str:
        return self.base + path


def _handler_class(server: ApiServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = Request(
                parts.path,
                {k: v[-1] for k, v in parse_qs(parts.query).items()},
                {k.lower(): v for k, v in self.headers.items()},
                json.loads(raw) if raw else None,
            )
            server.seen.append(request)
            fn = server.routes.get(parts.path)
            status, headers, body = fn(request) if fn else (404, {}, {"error": "no such route"})
            if isinstance(body, str):
                data = body.encode()
                headers.setdefault("Content-Type", "text/html; charset=utf-8")
            elif isinstance(body, bytes):
                data = body
            else:
                data = json.dumps(body, ensure_ascii=False).encode()
                headers.setdefault("Content-Type", "application/json")
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

    return _Handler


@pytest.fixture(scope="session")
def _api_server() -> Iterator[ApiServer]:
    state = ApiServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(state))
    httpd.daemon_threads = True
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def api(_api_server: ApiServer) -> Iterator[ApiServer]:
    """The running server with no routes; routes and the request log are cleared after the test."""
    yield _api_server
    _api_server.routes.clear()
    _api_server.seen.clear()


# ---------------------------------------------------------------- SQL databases


@dataclass
class SqlDb:
    backend: str
    url: str  # what the source is given
    engine: Engine  # a writable engine for setting up tables


def _mysql_reachable() -> bool:
    try:
        eng = create_engine(MYSQL_BASE, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "pg", "mariadb"])
def sql_db(request, tmp_path) -> Iterator[SqlDb]:
    backend = request.param
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / '部门 数据.db'}"
        engine = create_engine(url)
        yield SqlDb(backend, url, engine)
        engine.dispose()
    elif backend == "pg":
        need_pg()
        schema = f"agg_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_BASE)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = pg_url(schema)
        engine = create_engine(url)
        yield SqlDb(backend, url, engine)
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    else:
        if not _mysql_reachable():
            if REQUIRE_MYSQL:
                pytest.fail(f"MariaDB is required (HUITONG_REQUIRE_MYSQL=1) but {MYSQL_BASE} is unreachable")
            pytest.skip(f"MariaDB at {MYSQL_BASE} is unreachable")
        database = f"agg_{uuid.uuid4().hex[:12]}"
        admin = create_engine(MYSQL_BASE)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4"))
        url = MYSQL_BASE.rsplit("/", 1)[0] + f"/{database}?charset=utf8mb4"
        engine = create_engine(url)
        yield SqlDb(backend, url, engine)
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{database}`"))
        admin.dispose()
