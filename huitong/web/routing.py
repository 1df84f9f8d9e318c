"""How a console page runs: who is asking, one transaction, CSRF on POST, and errors as
pages in the reader's language instead of JSON or a traceback.

A page handler is a plain sync function on a router made by :func:`console_router`::

    @router.get("/things")
    def things(request: Request):
        with page(request) as ctx:
            require(ctx.actor, "thing.read")
            return ctx.render("things/index.html", area="things", rows=...)

Refusals raised inside (``Forbidden``, ``NotFound``, any ``HuitongError``) become the
error page with the right status; an anonymous visitor refused is sent to sign in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Path
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from huitong.access import PUBLIC, Actor
from huitong.errors import Forbidden, HuitongError, Unauthenticated
from huitong.org.service import authenticate_token
from huitong.web.i18n import Translator
from huitong.web.render import render
from huitong.web.session import ConsoleSession

log = logging.getLogger("huitong.web")

# a database id in a page's path: past 64 bits it is a clear 422 page, not a database error
DbId = Annotated[int, Path(ge=1, le=2**63 - 1)]

SECURITY_HEADERS = {
    # Everything is served by this process: no CDN, no inline script, no framing.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@dataclass
class Ctx:
    """One page request: the database session, the actor and the reader's language."""

    request: Request
    session: Session
    actor: Actor
    web: ConsoleSession

    @property
    def t(self) -> Translator:
        return Translator(self.web.get("lang"))

    @property
    def db(self):
        return self.request.app.state.db

    def render(self, template: str, *, area: str | None = None, status: int = 200, **values: Any):
        return render(self.request, template, actor=self.actor, area=area, status=status, **values)

    def form(self) -> dict[str, str]:
        return getattr(self.request.state, "form", {})

    def form_list(self, name: str) -> list[str]:
        """Every value a POSTed field was sent with (checkbox groups), in order."""
        return [v for k, v in getattr(self.request.state, "form_items", []) if k == name]

    def upload(self, name: str) -> Any | None:
        """The file a multipart form sent under ``name`` (an ``UploadFile``), or None when none was chosen."""
        found = getattr(self.request.state, "files", {}).get(name)
        return found if found is not None and found.filename else None


@contextmanager
def page(request: Request, *, read_only: bool = False) -> Iterator[Ctx]:
    """One transaction for the page, as :func:`huitong.api.deps.unit` is for a REST call;
    the session cookie's token is checked by the same :func:`authenticate_token`."""
    web = ConsoleSession.load(request)
    secret = web.get("tok")
    with request.app.state.db.session(read_only=read_only and not secret) as s:
        actor = PUBLIC
        if secret:
            try:
                actor = authenticate_token(s, secret)
            except Unauthenticated:  # expired, revoked or disabled: signed out, not an error
                web.sign_out()
        request.state.actor = actor
        yield Ctx(request, s, actor, web)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never ``//evil.example`` or ``https://…``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


def error_page(request: Request, status: int, message_key: str, detail: str | None = None) -> Response:
    actor = getattr(request.state, "actor", PUBLIC)
    return render(
        request,
        "error.html",
        actor=actor,
        status=status,
        title_key=f"error.{status}" if status in (400, 403, 404, 409, 422, 500) else "error.400",
        message_key=message_key,
        detail=detail,
    )


def _from_error(request: Request, exc: HuitongError) -> Response:
    actor = getattr(request.state, "actor", PUBLIC)
    if isinstance(exc, Unauthenticated) or (isinstance(exc, Forbidden) and actor.is_public):
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(here)}", status_code=303)
    status = exc.status if exc.status in (400, 403, 404, 409, 422) else 400
    keys = {403: "error.forbidden", 404: "error.not_found", 409: "error.conflict"}
    problems = "; ".join(p.message for p in exc.problems[:5])
    return error_page(
        request,
        status,
        keys.get(status, "error.invalid"),
        exc.message + (f" ({problems})" if problems else ""),
    )


class ConsoleRoute(APIRoute):
    """Every console route: CSRF on POST, the session cookie written back, errors as pages."""

    def get_route_handler(self) -> Callable:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            web = ConsoleSession.load(request)
            try:
                if request.method == "POST":
                    form = await request.form()
                    request.state.form = {k: v for k, v in form.items() if isinstance(v, str)}
                    request.state.form_items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
                    request.state.files = {k: v for k, v in form.items() if not isinstance(v, str)}
                    if not (_same_origin(request) and web.csrf_ok(request.state.form.get("csrf"))):
                        response = error_page(request, 403, "error.csrf")
                        return _finish(request, web, response)
                response = await original(request)
            except HuitongError as exc:
                response = _from_error(request, exc)
            except RequestValidationError:
                response = error_page(request, 422, "error.invalid")
            except Exception:
                log.exception("console error on %s %s", request.method, request.url.path)
                response = error_page(request, 500, "error.internal")
            return _finish(request, web, response)

        return handler


def _finish(request: Request, web: ConsoleSession, response: Response) -> Response:
    web.write(request, response)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def console_router() -> APIRouter:
    return APIRouter(route_class=ConsoleRoute, include_in_schema=False)
