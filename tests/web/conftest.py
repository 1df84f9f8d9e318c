"""Console fixtures: one console world per test worker (SQLite), the app on it for TestClient,
the same app served by uvicorn on a free port, and one headless Chromium per worker.

Chromium is Debian's ``/usr/bin/chromium`` (``make test`` installs it); Playwright never
downloads a browser. Without it the browser tests skip, or fail when
``HUITONG_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from huitong.api.app import create_app
from tests.web.console_data import ConsoleWorld, build_console_world
from tests.world import PASSWORD

CHROMIUM = os.environ.get("HUITONG_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("HUITONG_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="session")
def console(tmp_path_factory) -> Iterator[ConsoleWorld]:
    cw = build_console_world(tmp_path_factory.mktemp("console"))
    yield cw
    cw.store.close()
    cw.db.dispose()


@pytest.fixture(scope="session")
def console_app(console):
    app = create_app(db=console.db)
    app.state.store = console.store
    return app


@pytest.fixture
def client(console_app) -> TestClient:
    """A fresh browser-like client (its own cookies) per test."""
    return TestClient(console_app, raise_server_exceptions=False, follow_redirects=False)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"csrf": token, "username": username, "password": password, "next": "/"})
    assert r.status_code == 303, r.text
    return client


@pytest.fixture(scope="session")
def live_server(console_app) -> Iterator[str]:
    with serving(console_app) as url:
        yield url


@contextmanager
def serving(app) -> Iterator[str]:
    """The app served by uvicorn on a free port of this machine, for the browser tests."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="console-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the console server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing (make test installs Debian's chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    """A new browser context per test: its own cookies, the zh-CN default, a laptop window."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1366, "height": 800}, locale="zh-CN"
    )
    context.set_default_timeout(10_000)
    pg = context.new_page()
    yield pg
    context.close()


def login(pg, username: str, password: str = PASSWORD) -> None:
    pg.goto("/login")
    pg.get_by_label("用户名").fill(username)
    pg.get_by_label("密码").fill(password)
    pg.locator("#login-form button[type=submit]").click()
    pg.wait_for_url(lambda url: "/login" not in url)
