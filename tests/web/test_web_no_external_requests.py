"""No page of the console fetches anything from another host: no CDN, no web font, no
analytics. Each role (and the public) visits every page the navigation offers it, every other
console page without a path parameter, and the detail pages (a resource and its diff, a load,
an application, a request, a grant and its data, an audit entry, an objection), while the browser records
every request; all of them must go to the test server itself (``data:`` URLs allowed).

The pages come from the nav registry and from the console's own routers, so a new page is
covered without touching this test; a new page with a path parameter this test cannot fill
fails it until the parameter is added to ``params_for``."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi.routing import APIRoute
from playwright.sync_api import expect

from huitong.access import PUBLIC
from huitong.share.tables import ShareRequest
from huitong.web import nav
from huitong.web.console import PAGES
from tests.web.conftest import login

ROLES = (None, "op", "ga", "mzu", "aud")  # the public, operator, provider admin, consumer user, auditor
NOT_PAGES = {"/lang", "/logout"}  # POST-only actions
DOWNLOADS = {
    "/objections/{objection_id}/evidence/{evidence_id}",
    "/classify/important.csv",
}  # files, not pages


def console_routes(app) -> list[str]:
    """The GET paths of the console's page routers, in mount order."""
    modules = {f"huitong.web.pages.{name}" for name in PAGES}
    paths = []
    for route in app.routes:
        if not isinstance(route, APIRoute) or route.endpoint.__module__ not in modules:
            continue
        if "GET" in route.methods and route.path not in NOT_PAGES | DOWNLOADS and route.path not in paths:
            paths.append(route.path)
    return paths


def params_for(console) -> dict[str, str]:
    with console.db.session() as s:
        application = s.get(ShareRequest, console.granted_request).application_id
    return {
        "code": console.hj,
        "load_id": str(console.load_id),
        "entry_id": str(console.subject_entry),
        "application_id": str(application),
        "request_id": str(console.granted_request),
        "grant_id": str(console.grant),
        "objection_id": str(console.objection),
        "base_id": "P000000001",  # a base library's record
    }


def fill(path: str, params: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        name = match.group(1).split(":")[0]
        assert name in params, f"no value for {{{name}}} in {path}: add it to params_for()"
        return params[name]

    return re.sub(r"\{([^}]+)\}", one, path)


def test_no_console_page_requests_another_host(browser, console, console_app, live_server):
    server = urlsplit(live_server).netloc
    params = params_for(console)
    routes = [fill(p, params) for p in console_routes(console_app)]
    assert f"/share/grants/{console.grant}/data" in routes and "/dashboard" in routes

    # The markup is checked, not the Content-Security-Policy (bypassed here): whatever a page asks
    # of another host is recorded, then aborted, so nothing leaves the machine.
    context = browser.new_context(base_url=live_server, locale="zh-CN", bypass_csp=True)
    context.set_default_timeout(10_000)
    context.route(re.compile(rf"^(?!data:|{re.escape(live_server)}/)"), lambda route: route.abort())
    page = context.new_page()
    requests: list[tuple[str, str]] = []  # (page, url)
    current = [""]
    page.on("request", lambda r: requests.append((current[0], r.url)))

    visited = []
    try:
        for role in ROLES:
            who = role or "public"
            if role is not None:
                current[0] = f"{who} /login"
                login(page, role)
            navigation = [item.path for item in nav.items_for(console.world.actor(role) if role else PUBLIC)]
            assert navigation, who
            for path in dict.fromkeys(navigation + routes):
                current[0] = f"{who} {path}"
                response = page.goto(path)
                assert response is not None and response.status < 500, current[0]
                visited.append(current[0])
            if role is not None:
                current[0] = f"{who} /logout"
                page.locator("#logout").click()
                expect(page.locator("#login-link")).to_be_visible()
    finally:
        context.close()

    foreign = [
        f"{where}: {url}"
        for where, url in requests
        if not url.startswith("data:") and urlsplit(url).netloc != server
    ]
    assert not foreign, "requests to other hosts:\n" + "\n".join(foreign)
    assert any(url.endswith("/static/console.css") for _, url in requests)  # the recorder works
    assert len(visited) >= len(ROLES) * len(routes)
