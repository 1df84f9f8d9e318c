"""Mounting the console on the API's FastAPI app: page routers, static files, ``/``.

Page areas live in :mod:`huitong.web.pages`, one module each (router + nav entry) with a
template folder of the same name; :data:`PAGES` lists them in mount order.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

PAGES = (
    "auth",
    "catalog",
    "aggregate",
    "quality",
    "classify",
    "fuse",
    "objections",
    "share",
    "audit",
    "dashboard",
)
STATIC = Path(__file__).parent / "static"


def mount_console(app: FastAPI) -> None:
    for name in PAGES:
        module = import_module(f"huitong.web.pages.{name}")
        app.include_router(module.router)
    from huitong.web.pages import plugin_pages

    for extra in plugin_pages():
        app.include_router(extra.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="console-static")

    @app.exception_handler(HTTPException)
    async def _not_found(request: Request, exc: HTTPException):
        """Unknown console paths get the console's page; the API keeps its JSON."""
        if request.url.path.startswith(("/api/", "/static/")) or exc.status_code not in (404, 405):
            return await http_exception_handler(request, exc)
        from huitong.web.routing import _finish, error_page
        from huitong.web.session import ConsoleSession

        return _finish(request, ConsoleSession.load(request), error_page(request, 404, "error.not_found"))
