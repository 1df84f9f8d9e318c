"""Signing in and out with a username and password, and choosing the language.

Sign-in issues an ordinary one-day API token (recorded in the ledger, revocable like any
other) and keeps it in the signed session cookie; sign-out revokes it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse

from huitong.errors import Unauthenticated
from huitong.org import service as org
from huitong.org.secrets import parse_token
from huitong.web.forms import Form
from huitong.web.i18n import LANGUAGES
from huitong.web.routing import console_router, page, safe_next

router = console_router()


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    with page(request) as ctx:
        return ctx.render("auth/login.html", area="login", next=safe_next(next), errors={}, username="")


@router.post("/login")
def login(request: Request):
    with page(request) as ctx:
        form = Form(ctx.form(), ctx.t)
        username = form.text("username", "login.username", required=True, max_len=64)
        password = form.text("password", "login.password", required=True, max_len=1024)
        target = safe_next(ctx.form().get("next"))
        if not form.ok:
            return ctx.render(
                "auth/login.html",
                area="login",
                status=422,
                next=target,
                errors=form.errors,
                username=username,
            )
    try:
        with page(request) as ctx:
            user = org.login(ctx.session, username, password)
    except Unauthenticated:
        with page(request) as ctx:
            return ctx.render(
                "auth/login.html",
                area="login",
                status=401,
                next=target,
                errors={"_form": ctx.t("login.failed")},
                username=username,
            )
    with page(request) as ctx:
        actor = org.actor_for(org.get_user(ctx.session, user.username))
        _, secret = org.issue_token(ctx.session, actor, actor.username, "console", scope="write", ttl_days=1)
        ctx.web.sign_in(secret, actor.username)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request):
    with page(request) as ctx:
        secret = ctx.web.get("tok")
        token_id = parse_token(secret) if secret else None
        if token_id and not ctx.actor.is_public:
            org.revoke_token(ctx.session, ctx.actor, token_id)
        ctx.web.sign_out()
    return RedirectResponse("/", status_code=303)


@router.post("/lang")
def language(request: Request):
    with page(request, read_only=True) as ctx:
        chosen = ctx.form().get("lang")
        if chosen in LANGUAGES:
            ctx.web.set("lang", chosen)
        target = safe_next(ctx.form().get("next"))
    return RedirectResponse(target, status_code=303)
