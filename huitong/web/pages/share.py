"""Sharing (共享交换) pages: the cart and the application form, my applications, the provider's
inbox and the operator's queue with their decisions, grants with the granted view of the data,
revocation and recalls.

Every page calls the same :mod:`huitong.share` services as ``/api/share`` (which check who the
actor is to the request or grant), inside ``with page(request) as ctx:``; deliveries run in
their own transaction after the page's, as over REST. The cart is kept in the session cookie:
resource codes and the data items chosen, nothing else.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import RedirectResponse

from huitong.access import Actor, Target, decide
from huitong.access.roles import Role
from huitong.catalog import service as catalog
from huitong.catalog.tables import Resource
from huitong.config import Deadlines
from huitong.db.base import utcnow
from huitong.errors import Forbidden, HuitongError, NotFound, Unauthenticated
from huitong.share import applications as apps
from huitong.share import credentials, delivery, grants, subscriptions
from huitong.share.grants import Conditions
from huitong.share.states import ACTIONS, STEPS, State
from huitong.share.tables import (
    Delivery,
    Grant,
    GrantUsage,
    OutboxMessage,
    Recall,
    ShareRequest,
    Subscription,
)
from huitong.share.treatments import Treatment, default_treatment
from huitong.standards.store import elements_of
from huitong.web import nav, share_figures
from huitong.web.data import store_for
from huitong.web.forms import Form
from huitong.web.names import department_names, resource_names
from huitong.web.pages import dashboard
from huitong.web.pages.dashboard import Section
from huitong.web.pages.objections import PREFILL, prefill_key
from huitong.web.routing import Ctx, console_router, page, safe_next
from huitong.workdays import CHINA

router = console_router()


def is_staff(actor: Actor) -> bool:
    """Department staff: they apply (consumer) and receive requests (provider)."""
    return actor.department_id is not None and (actor.has(Role.dept_admin) or actor.has(Role.dept_user))


def may_use_sharing(actor: Actor) -> bool:
    return is_staff(actor) or actor.has(Role.operator) or actor.has(Role.auditor)


nav.register(nav.NavItem("share", "/share", "nav.share", 30, may_use_sharing))

PURPOSES = tuple(apps.PURPOSES)
MODES = apps.MODES
OPEN_FOR_PROVIDER = (State.provider_review.value, State.negotiation.value)
OPEN_FOR_OPERATOR = (State.submitted.value, State.coordination.value)
DATA_PER_PAGE = 20
SPLIT = re.compile(r"[,，、;；\s]+")


# ---------------------------------------------------------------- helpers


def _require(actor: Actor) -> None:
    if actor.is_public:
        raise Unauthenticated()
    if not may_use_sharing(actor):
        raise Forbidden("sharing is for department staff, the platform operator and auditors")


def _deadlines(request: Request) -> Deadlines:
    settings = getattr(request.app.state, "settings", None)
    return settings.deadlines if settings is not None else Deadlines()


def _tabs(ctx: Ctx) -> list[tuple[str, str, str]]:
    actor = ctx.actor
    tabs = []
    if is_staff(actor):
        tabs.append(("cart", "/share/cart", "share.tab_cart"))
        tabs.append(("applications", "/share/applications", "share.tab_mine"))
        tabs.append(("inbox", "/share/inbox", "share.tab_inbox"))
    else:
        tabs.append(("applications", "/share/applications", "share.tab_all"))
    if actor.has(Role.operator):
        tabs.append(("queue", "/share/queue", "share.tab_queue"))
    tabs.append(("grants", "/share/grants", "share.tab_grants"))
    tabs.append(("recalls", "/share/recalls", "share.tab_recalls"))
    if may_manage_credentials(actor):
        tabs.append(("credentials", "/share/credentials", "share.tab_credentials"))
    return tabs


def may_manage_credentials(actor: Actor) -> bool:
    """Only a convenience for the tab: the page asks ``credentials`` (``credential.manage``)."""
    return actor.department_id is not None and bool(
        decide(actor, "credential.manage", Target(department_id=actor.department_id))
    )


def _render(ctx: Ctx, template: str, tab: str, status: int = 200, **values: Any):
    cart = ctx.web.get("cart") or {}
    return ctx.render(
        f"share/{template}",
        area="share",
        status=status,
        tabs=_tabs(ctx),
        tab=tab,
        cart_size=len(cart),
        **values,
    )


def _map_problems(
    ctx: Ctx, exc: HuitongError, fields: dict[str, str], default: str = "_form"
) -> dict[str, str]:
    """A service's problems placed on the form's fields (its messages as written, after the
    page's own checks, which speak the reader's language, have already passed)."""
    errors: dict[str, str] = {}
    for p in exc.problems:
        name = fields.get(p.field or "", default)
        if callable(name):
            name = name(p)
        said = ctx.t.problem(p)  # in the reader's language when the problem has a code
        text = f"{p.value}: {said}" if p.value and name == default else said
        errors[name] = f"{errors[name]}; {text}" if name in errors else text
    if not errors:
        errors[default] = exc.message
    return {k: ctx.t("share.service_said", message=v) for k, v in errors.items()}


def needs_reason(action: str, state: str) -> bool:
    return any(s.needs_reason for s in STEPS.get(action, ()) if s.source.value == state)


# ---------------------------------------------------------------- cart and application


@router.get("/share")
def index(request: Request):
    with page(request) as ctx:
        _require(ctx.actor)
        target = "/share/queue" if ctx.actor.has(Role.operator) else "/share/applications"
    return RedirectResponse(target, status_code=303)


def may_apply(actor: Actor, res) -> bool:
    return res.status == "published" and bool(
        decide(actor, "share.apply", Target(department_id=res.provider_id))
    )


@router.post("/share/cart/add")
def cart_add(request: Request):
    with page(request) as ctx:
        _require(ctx.actor)
        code = (ctx.form().get("code") or "").strip()
        res = catalog.get(ctx.session, ctx.actor, code)
        if not may_apply(ctx.actor, res):
            raise Forbidden(f"you cannot apply for {res.code}")
        names = [it.name for it in res.items]
        chosen = [n for n in ctx.form_list("items") if n in names]
        cart = dict(ctx.web.get("cart") or {})
        cart[res.code] = [] if len(chosen) == len(names) else chosen  # empty: every item
        ctx.web.set("cart", cart)
    return RedirectResponse("/share/cart", status_code=303)


@router.post("/share/cart/remove")
def cart_remove(request: Request):
    with page(request) as ctx:
        _require(ctx.actor)
        cart = dict(ctx.web.get("cart") or {})
        cart.pop(ctx.form().get("code") or "", None)
        ctx.web.set("cart", cart)
    return RedirectResponse("/share/cart", status_code=303)


def _cart_rows(ctx: Ctx) -> list[dict]:
    rows = []
    for code, items in (ctx.web.get("cart") or {}).items():
        try:
            res = catalog.get(ctx.session, ctx.actor, code)
        except NotFound:
            rows.append({"code": code, "res": None, "items": items, "ok": False})
            continue
        rows.append({"code": code, "res": res, "items": items or [], "ok": may_apply(ctx.actor, res)})
    return rows


def _cart_page(ctx: Ctx, values: dict, errors: dict, status: int = 200, modes=None):
    today = date.today()
    defaults = {
        "purpose": "data_verification",
        "use_from": today.isoformat(),
        "use_until": (today + timedelta(days=365)).isoformat(),
    }
    return _render(
        ctx,
        "cart.html",
        "cart",
        status=status,
        rows=_cart_rows(ctx),
        values=defaults | {k: v for k, v in values.items() if k != "csrf"},
        errors=errors,
        purposes=PURPOSES,
        modes=MODES,
        chosen_modes=modes if modes is not None else ["query"],
    )


@router.get("/share/cart")
def cart(request: Request):
    with page(request) as ctx:
        _require(ctx.actor)
        if not is_staff(ctx.actor):
            raise Forbidden("only department staff apply for shared data")
        return _cart_page(ctx, {}, {})


APPLICATION_FIELDS = {
    "purpose": "purpose",
    "purpose_text": "purpose_text",
    "legal_basis": "legal_basis",
    "business": "business",
    "use_from": "use_from",
    "use_until": "use_until",
    "modes": "modes",
    "resources": "cart",
    "items": "cart",
}


@router.post("/share/apply")
def apply(request: Request):
    with page(request) as ctx:
        _require(ctx.actor)
        t = ctx.t
        values = ctx.form()
        form = Form(values, t)
        purpose = form.choice("purpose", "share.purpose", PURPOSES, default="")
        purpose_text = form.text("purpose_text", "share.purpose_text", required=True, max_len=2000)
        legal_basis = form.text("legal_basis", "share.legal_basis", required=True, max_len=2000)
        business = form.text("business", "share.business", required=True, max_len=500)
        use_from = form.day("use_from", "share.use_from")
        use_until = form.day("use_until", "share.use_until")
        modes = [m for m in ctx.form_list("modes") if m in MODES]
        for name, value, label in (
            ("use_from", use_from, "share.use_from"),
            ("use_until", use_until, "share.use_until"),
        ):
            if value is None and name not in form.errors:
                form.errors[name] = t("form.required", field=t(label))
        # the rules (period order and length, modes, an empty cart) are the service's: the page
        # asks them for what it could read and shows every problem at once, in the reader's words
        cart = ctx.web.get("cart") or {}
        rules = apps.cart_problems(cart) + apps.mode_problems(modes)
        if use_from and use_until:
            rules += apps.period_problems(use_from.date(), use_until.date())
        fields = {"resources": "cart", "use_until": "use_until", "modes": "modes"}
        for p in rules:
            form.errors.setdefault(fields[p.field], t.problem(p))
        if not form.ok:
            return _cart_page(ctx, values, form.errors, 422, modes)
        application = apps.ApplicationForm(
            resources={code: list(items) for code, items in cart.items()},
            purpose=purpose,
            purpose_text=purpose_text,
            legal_basis=legal_basis,
            business=business,
            use_from=use_from.date(),
            use_until=use_until.date(),
            modes=modes,
        )
    try:
        with page(request) as ctx:
            app = apps.submit(ctx.session, ctx.actor, application, _deadlines(request))
            app_id = app.id
            ctx.web.set("cart", {})
    except HuitongError as exc:
        if exc.status not in (400, 422):
            raise
        with page(request) as ctx:
            return _cart_page(ctx, values, _map_problems(ctx, exc, APPLICATION_FIELDS, "cart"), 422, modes)
    return RedirectResponse(f"/share/applications/{app_id}?done=submit", status_code=303)


# ---------------------------------------------------------------- applications and requests


def _rows(ctx: Ctx, reqs: list[ShareRequest]) -> list[dict]:
    names = department_names(ctx.session)
    resources = resource_names(ctx.session, [r.resource_code for r in reqs])
    now = utcnow()
    return [
        apps.request_dict(r, ctx.actor, now)
        | {
            "resource_name": resources.get(r.resource_code, ""),
            "provider": names.get(r.provider_id, ""),
            "consumer": names.get(r.consumer_id, ""),
            "due_at": r.due_at,
            "state_since": r.state_since,
            "submitted_at": r.application.submitted_at,
        }
        for r in reqs
    ]


@router.get("/share/applications")
def applications(request: Request):
    with page(request) as ctx:
        _require(ctx.actor)
        role = "consumer" if is_staff(ctx.actor) else "any"
        reqs = apps.list_requests(ctx.session, ctx.actor, role=role, limit=500)
        return _render(
            ctx, "applications.html", "applications", rows=_rows(ctx, reqs), mine=role == "consumer"
        )


@router.get("/share/applications/{application_id}")
def application(request: Request, application_id: int):
    with page(request) as ctx:
        _require(ctx.actor)
        app = apps.get_application(ctx.session, ctx.actor, application_id)
        reqs = [r for r in app.requests if apps.can_read(ctx.actor, r)]
        return _render(
            ctx,
            "application.html",
            "applications",
            app=app,
            consumer=department_names(ctx.session).get(app.consumer_id, ""),
            rows=_rows(ctx, reqs),
            done=_done(request),
        )


def _done(request: Request) -> str | None:
    done = request.query_params.get("done")
    return done if done in (*ACTIONS, *DONE_OTHER) else None


DONE_OTHER = ("submit", "revoke", "ack", "subscribe", "unsubscribe", "cred_revoke")


def item_rows(ctx: Ctx, res, names: list[str]) -> list[dict]:
    """Each named item with its grade, display rule and the treatment its grade gives by default."""
    elements = elements_of(ctx.session, (it.element for it in res.items))
    wanted = set(names)
    out = []
    for it in res.items:
        if it.name not in wanted:
            continue
        el = elements.get(it.element) if it.element else None
        rule = el.mask_rule if el and el.mask_rule and el.mask_rule != "none" else None
        out.append(
            {
                "name": it.name,
                "grade": it.grade,
                "mask_rule": rule,
                "default": default_treatment(it.grade, rule).value,
                "core": it.grade == "core",
            }
        )
    return out


def _request_page(
    ctx: Ctx, req: ShareRequest, *, errors=None, values=None, lists=None, status: int = 200, done=None
):
    res = ctx.session.get(Resource, req.resource_id)
    info = _rows(ctx, [req])[0]
    names = department_names(ctx.session)
    app = req.application
    history = apps.transitions(ctx.session, req)
    actions = info.get("actions", [])
    approve_items = item_rows(ctx, res, list(req.items))
    lists = lists or {}
    return _render(
        ctx,
        "request.html",
        "inbox" if ctx.actor.department_id == req.provider_id else "applications",
        status=status,
        req=req,
        info=info,
        res=res,
        app=app,
        provider=names.get(req.provider_id, ""),
        consumer=names.get(req.consumer_id, ""),
        history=history,
        actions=[a for a in actions if a != "approve"],
        may_approve="approve" in actions,
        reasons={a: needs_reason(a, req.state) for a in actions},
        items=approve_items,
        resource_items=[it.name for it in res.items],
        treatments=[t.value for t in Treatment],
        values=values or {},
        checked_items=lists.get("items", list(req.items)),
        checked_modes=lists.get("modes", list(app.modes)),
        errors=errors or {},
        done=done,
    )


@router.get("/share/requests/{request_id}")
def request_page(request: Request, request_id: int):
    with page(request) as ctx:
        _require(ctx.actor)
        req = apps.get_request(ctx.session, ctx.actor, request_id)
        return _request_page(ctx, req, done=_done(request))


def _conditions(ctx: Ctx, form: Form, req: ShareRequest) -> Conditions:
    """The approval's conditions from the form, checked in the reader's language."""
    t = ctx.t
    res = ctx.session.get(Resource, req.resource_id)
    app = req.application
    rows = {r["name"]: r for r in item_rows(ctx, res, list(req.items))}
    items = [n for n in req.items if n in ctx.form_list("items")]
    if not items:
        form.errors["items"] = t("share.err.no_items")
    treatments = {}
    for i, name in enumerate(req.items):
        chosen = form.choice(f"treat_{i}", "share.treatment", ("", *(x.value for x in Treatment)), default="")
        if not chosen or name not in items:
            continue
        if chosen == Treatment.clear.value and rows.get(name, {}).get("core"):
            form.errors[f"treat_{i}"] = t("share.err.core_clear", item=name)
            continue
        treatments[name] = chosen
    item_names = tuple(it.name for it in res.items)
    filter_item = form.choice("filter_item", "share.filter_item", ("", *item_names), default="")
    filter_text = form.text("filter_values", "share.filter_values", max_len=1000)
    row_filter = None
    if filter_item:
        found = [v for v in SPLIT.split(filter_text) if v]
        if not found:
            form.errors["filter_values"] = t("share.err.filter_values", item=filter_item)
        else:
            row_filter = {filter_item: found if len(found) > 1 else found[0]}
    until = form.day("valid_until", "share.valid_until")
    valid_until = until.date() if until else None
    if valid_until and not app.use_from <= valid_until <= app.use_until:
        form.errors["valid_until"] = t(
            "share.err.valid_until", start=app.use_from.isoformat(), end=app.use_until.isoformat()
        )
    modes = [m for m in app.modes if m in ctx.form_list("modes")]
    if not modes:
        form.errors["modes"] = t("share.err.no_modes")
    max_requests = form.optional_integer("max_requests_per_day", "share.max_requests", high=10**8)
    max_rows = form.optional_integer("max_rows_per_day", "share.max_rows", high=10**10)
    note = form.text("note", "share.note", max_len=1000)
    return Conditions(
        items=items,
        treatments=treatments,
        row_filter=row_filter,
        valid_until=valid_until,
        modes=modes,
        max_requests_per_day=max_requests,
        max_rows_per_day=max_rows,
        note=note or None,
    )


def _act_fields(req: ShareRequest, action: str) -> dict:
    index = {name: i for i, name in enumerate(req.items)}
    return {
        "items": "items",
        "treatments": lambda p: f"treat_{index.get(p.value, 0)}",
        "row_filter": "filter_item",
        "valid_until": "valid_until",
        "modes": "modes",
        "max_requests_per_day": "max_requests_per_day",
        "max_rows_per_day": "max_rows_per_day",
        "reason": f"reason_{action}",
    }


@router.post("/share/requests/{request_id}/act")
def act(request: Request, request_id: int):
    with page(request) as ctx:
        _require(ctx.actor)
        values = ctx.form()
        action = values.get("action") or ""
        if action not in ACTIONS:
            raise NotFound(f"no action {action!r}")
        req = apps.get_request(ctx.session, ctx.actor, request_id)
        form = Form(values, ctx.t)
        reason = form.text(f"reason_{action}", "share.reason", max_len=2000)
        if needs_reason(action, req.state) and not reason:
            form.errors[f"reason_{action}"] = ctx.t(
                "share.err.reason", action=ctx.t.label("share_action", action)
            )
        conditions = _conditions(ctx, form, req) if action == "approve" else None
        lists = (
            {"items": ctx.form_list("items"), "modes": ctx.form_list("modes")}
            if action == "approve"
            else None
        )
        if not form.ok:
            return _request_page(ctx, req, errors=form.errors, values=values, lists=lists, status=422)
        target = safe_next(values.get("next"), f"/share/requests/{request_id}?done={action}")
    try:
        with page(request) as ctx:
            apps.act(
                ctx.session,
                ctx.actor,
                request_id,
                action,
                reason=reason or None,
                conditions=conditions,
                deadlines=_deadlines(request),
            )
    except HuitongError as exc:
        if exc.status not in (400, 422):
            raise
        with page(request) as ctx:
            req = apps.get_request(ctx.session, ctx.actor, request_id)
            errors = _map_problems(ctx, exc, _act_fields(req, action), f"reason_{action}")
            return _request_page(ctx, req, errors=errors, values=values, lists=lists, status=422)
    return RedirectResponse(target, status_code=303)


@router.get("/share/inbox")
def inbox(request: Request):
    """Requests waiting for my department's decision, with the working-day countdown."""
    with page(request) as ctx:
        _require(ctx.actor)
        if not is_staff(ctx.actor):
            raise Forbidden("the inbox is the provider department's")
        reqs = apps.list_requests(ctx.session, ctx.actor, role="provider", limit=1000)
        open_ = [r for r in reqs if r.state in OPEN_FOR_PROVIDER]
        open_.sort(key=lambda r: (r.due_at is None, r.due_at or utcnow()))
        decided = [r for r in reqs if r.state not in OPEN_FOR_PROVIDER][:50]
        return _render(
            ctx,
            "inbox.html",
            "inbox",
            rows=_rows(ctx, open_),
            decided=_rows(ctx, decided),
            may_decide=ctx.actor.has(Role.dept_admin),
        )


@router.get("/share/queue")
def queue(request: Request):
    """The operator's compliance reviews and coordinations."""
    with page(request) as ctx:
        _require(ctx.actor)
        if not ctx.actor.has(Role.operator):
            raise Forbidden("the review queue is the platform operator's")
        reqs = apps.list_requests(ctx.session, ctx.actor, role="operator", limit=1000)
        open_ = sorted(
            (r for r in reqs if r.state in OPEN_FOR_OPERATOR),
            key=lambda r: (r.due_at is None, r.due_at or utcnow()),
        )
        rows = _rows(ctx, open_)
        return _render(
            ctx,
            "queue.html",
            "queue",
            review=[r for r in rows if r["state"] == State.submitted.value],
            coordination=[r for r in rows if r["state"] == State.coordination.value],
        )


# ---------------------------------------------------------------- grants, data, recalls


def _grant_row(g: Grant, names: dict[int, str], resources: dict[str, str]) -> dict:
    return grants.grant_dict(g) | {
        "resource_name": resources.get(g.resource_code, ""),
        "consumer": names.get(g.consumer_id, ""),
        "provider": names.get(g.provider_id, ""),
        "valid_from_at": g.valid_from,
        "valid_until_at": g.valid_until,
    }


GRANT_VIEWS = ("consumer", "provider", "any")


@router.get("/share/grants")
def grant_list(request: Request):
    with page(request) as ctx:
        _require(ctx.actor)
        views = GRANT_VIEWS[:2] if is_staff(ctx.actor) else ("any",)
        form = Form(dict(request.query_params), ctx.t)
        view = form.choice("view", "share.view", views, default=views[0])
        found = grants.list_grants(ctx.session, ctx.actor, role=view)
        names = department_names(ctx.session)
        resources = resource_names(ctx.session, [g.resource_code for g in found])
        return _render(
            ctx,
            "grants.html",
            "grants",
            status=200 if form.ok else 422,
            rows=[_grant_row(g, names, resources) for g in found],
            view=view,
            views=views,
        )


def _today() -> date:
    return utcnow().astimezone(CHINA).date()


@router.get("/share/grants/{grant_id}")
def grant_page(request: Request, grant_id: int):
    with page(request) as ctx:
        _require(ctx.actor)
        return _grant_page(ctx, grant_id, errors={}, done=_done(request))


def _grant_page(ctx: Ctx, grant_id: int, *, errors: dict, values=None, status: int = 200, done=None):
    g = grants.get_grant(ctx.session, ctx.actor, grant_id)
    res = ctx.session.get(Resource, g.resource_id)
    names = department_names(ctx.session)
    usage = ctx.session.get(GrantUsage, (g.id, _today()))
    totals = ctx.session.execute(
        select(func.count(Delivery.id), func.coalesce(func.sum(Delivery.rows), 0)).where(
            Delivery.grant_id == g.id
        )
    ).one()
    recent = list(
        ctx.session.scalars(
            select(Delivery).where(Delivery.grant_id == g.id).order_by(Delivery.id.desc()).limit(20)
        )
    )
    grades = {r["name"]: r for r in item_rows(ctx, res, list(g.items))}
    recalls_ = list(ctx.session.scalars(select(Recall).where(Recall.grant_id == g.id).order_by(Recall.id)))
    info = _grant_row(g, names, {res.code: res.name})
    may_subscribe = bool(decide(ctx.actor, "share.subscribe", Target(department_id=g.consumer_id)))
    return _render(
        ctx,
        "grant.html",
        "grants",
        status=status,
        g=g,
        info=info,
        items=[
            grades.get(n, {"name": n, "grade": None, "mask_rule": None}) | {"treatment": g.treatments.get(n)}
            for n in g.items
        ],
        usage=usage,
        totals={"deliveries": totals[0], "rows": totals[1]},
        recent=recent,
        recalls=recalls_,
        may_revoke=info["status"] != "revoked"
        and bool(decide(ctx.actor, "share.revoke", Target(department_id=g.provider_id))),
        may_view=info["status"] == "active"
        and "query" in g.modes
        and bool(decide(ctx.actor, "share.deliver", Target(department_id=g.consumer_id))),
        may_subscribe=may_subscribe,
        subscriptions=_subscription_rows(ctx, g.id) if may_subscribe else [],
        may_add_subscription=may_subscribe and info["status"] == "active" and "subscription" in g.modes,
        errors=errors,
        values=values or {},
        done=done,
    )


@router.post("/share/grants/{grant_id}/revoke")
def revoke(request: Request, grant_id: int):
    with page(request) as ctx:
        _require(ctx.actor)
        form = Form(ctx.form(), ctx.t)
        reason = form.text("reason", "share.reason", required=True, max_len=2000)
        if not form.ok:
            return _grant_page(ctx, grant_id, errors=form.errors, values=ctx.form(), status=422)
        grants.revoke(ctx.session, ctx.actor, grant_id, reason)
    return RedirectResponse(f"/share/grants/{grant_id}?done=revoke", status_code=303)


def _subscription_rows(ctx: Ctx, grant_id: int) -> list[dict]:
    """The grant's webhooks with their outbox: waiting (pending, some after failed attempts) and
    given up (dead)."""
    subs = list(
        ctx.session.scalars(
            select(Subscription).where(Subscription.grant_id == grant_id).order_by(Subscription.id)
        )
    )
    counts: dict[tuple[int, str], int] = {}
    if subs:
        for sid, status, n in ctx.session.execute(
            select(OutboxMessage.subscription_id, OutboxMessage.status, func.count(OutboxMessage.id))
            .where(OutboxMessage.subscription_id.in_([s.id for s in subs]))
            .group_by(OutboxMessage.subscription_id, OutboxMessage.status)
        ).all():
            counts[(sid, status)] = n
    return [
        {
            "sub": s,
            "pending": counts.get((s.id, "pending"), 0),
            "failed": counts.get((s.id, "dead"), 0),
            "delivered": counts.get((s.id, "delivered"), 0),
        }
        for s in subs
    ]


def _is_web_url(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


@router.post("/share/grants/{grant_id}/subscriptions")
def subscribe(request: Request, grant_id: int):
    """A webhook for new versions, as ``POST /api/share/grants/{id}/subscriptions``."""
    with page(request) as ctx:
        _require(ctx.actor)
        values = ctx.form()
        form = Form(values, ctx.t)
        url = form.text("url", "share.webhook_url", required=True, max_len=500)
        if url and "url" not in form.errors and not _is_web_url(url):
            form.errors["url"] = ctx.t("share.err.webhook_url")
        if not form.ok:
            return _grant_page(ctx, grant_id, errors=form.errors, values=values, status=422)
    try:
        with page(request) as ctx:
            subscriptions.subscribe(ctx.session, ctx.actor, grant_id, url)
    except HuitongError as exc:
        if exc.status not in (400, 422):
            raise
        with page(request) as ctx:
            errors = _map_problems(ctx, exc, {"url": "url"}, "url")
            return _grant_page(ctx, grant_id, errors=errors, values=values, status=422)
    return RedirectResponse(f"/share/grants/{grant_id}?done=subscribe", status_code=303)


@router.post("/share/subscriptions/{subscription_id}/stop")
def unsubscribe(request: Request, subscription_id: int):
    """Stop a webhook, as ``DELETE /api/share/subscriptions/{id}``."""
    with page(request) as ctx:
        _require(ctx.actor)
        sub = subscriptions.unsubscribe(ctx.session, ctx.actor, subscription_id)
        grant_id = sub.grant_id
    return RedirectResponse(f"/share/grants/{grant_id}?done=unsubscribe", status_code=303)


@router.get("/share/grants/{grant_id}/data")
def grant_data(request: Request, grant_id: int):
    """The granted view, as the consumer receives it: a delivery (query), recorded and counted."""
    store = store_for(request)  # outside the page's transaction (SQLite: it may create tables)
    with page(request) as ctx:
        _require(ctx.actor)
        g = grants.get_grant(ctx.session, ctx.actor, grant_id)
        if not decide(ctx.actor, "share.deliver", Target(department_id=g.consumer_id)):
            raise Forbidden("only the consumer department named in the grant receives data under it")
        res = ctx.session.get(Resource, g.resource_id)
        form = Form(dict(request.query_params), ctx.t)
        page_no = form.integer("page", "catalog.page", default=1, high=100_000)
        version = form.optional_integer("v", "version.id", low=0, high=2**63)
        info = _grant_row(g, department_names(ctx.session), {res.code: res.name})
    result = refusal = None
    if not form.ok:
        refusal = {"status": 422, "message": "; ".join(form.errors.values())}
    elif store is None:
        refusal = {"status": 503, "message": ctx.t("resource.no_store")}
    else:
        try:
            result = delivery.query(
                ctx.db,
                store,
                ctx.actor,
                grant_id,
                limit=DATA_PER_PAGE,
                offset=(page_no - 1) * DATA_PER_PAGE,
                snapshot_id=version,
            )
        except HuitongError as exc:
            refusal = {"status": exc.status, "message": exc.message}
    keys = [it.name for it in res.items if it.is_key]
    prefills = [prefill_key(keys, result["items"], row) for row in result["rows"]] if result else []
    status = (
        200 if refusal is None else (refusal["status"] if refusal["status"] in (403, 404, 409, 422) else 400)
    )
    return _render(
        ctx,
        "data.html",
        "grants",
        status=status,
        info=info,
        result=result,
        refusal=refusal,
        page_no=page_no,
        per_page=DATA_PER_PAGE,
        resource_code=res.code,
        prefill_action=PREFILL,
        prefills=prefills,
    )


@router.get("/share/recalls")
def recall_list(request: Request):
    with page(request) as ctx:
        _require(ctx.actor)
        found = sorted(grants.recalls(ctx.session, ctx.actor), key=lambda r: (r.status != "open", -r.id))
        names = department_names(ctx.session)
        codes = {
            g.id: g.resource_code
            for g in ctx.session.scalars(
                select(Grant).where(Grant.id.in_([r.grant_id for r in found] or [-1]))
            )
        }
        resources = resource_names(ctx.session, codes.values())
        rows = [
            {
                "recall": r,
                "resource": codes.get(r.grant_id, ""),
                "resource_name": resources.get(codes.get(r.grant_id, ""), ""),
                "consumer": names.get(r.consumer_id, ""),
                "may_ack": r.status == "open"
                and bool(decide(ctx.actor, "share.subscribe", Target(department_id=r.consumer_id))),
            }
            for r in found
        ]
        return _render(ctx, "recalls.html", "recalls", rows=rows, done=_done(request))


@router.post("/share/recalls/{recall_id}/ack")
def acknowledge(request: Request, recall_id: int):
    with page(request) as ctx:
        _require(ctx.actor)
        form = Form(ctx.form(), ctx.t)
        note = form.text(f"note_{recall_id}", "share.ack_note", max_len=1000)
        if not form.ok:
            raise HuitongError(next(iter(form.errors.values())), status=422)
        grants.acknowledge_recall(ctx.session, ctx.actor, recall_id, note or None)
    return RedirectResponse("/share/recalls?done=ack", status_code=303)


# ---------------------------------------------------------------- application credentials


def _credentials_page(ctx: Ctx, *, errors=None, values=None, status: int = 200, issued=None, done=None):
    rows = credentials.list_credentials(ctx.session, ctx.actor)  # credential.manage, as over REST
    return _render(
        ctx,
        "credentials.html",
        "credentials",
        status=status,
        rows=rows,
        errors=errors or {},
        values=values or {},
        issued=issued,
        done=done,
    )


@router.get("/share/credentials")
def credential_list(request: Request):
    with page(request) as ctx:
        _require(ctx.actor)
        return _credentials_page(ctx, done=_done(request))


@router.post("/share/credentials")
def credential_issue(request: Request):
    """Issue a client id and secret; the secret is on this response only (only its hash is kept)."""
    with page(request) as ctx:
        _require(ctx.actor)
        values = ctx.form()
        form = Form(values, ctx.t)
        name = form.text("name", "share.credential_name", required=True, max_len=100)
        if not form.ok:  # the list on that page refuses whoever may not manage credentials
            return _credentials_page(ctx, errors=form.errors, values=values, status=422)
    with page(request) as ctx:
        cred, secret = credentials.create(ctx.session, ctx.actor, name)
        issued = {"client_id": cred.client_id, "name": cred.name, "secret": secret}
        return _credentials_page(ctx, issued=issued)


@router.post("/share/credentials/{client_id}/revoke")
def credential_revoke(request: Request, client_id: str):
    with page(request) as ctx:
        _require(ctx.actor)
        credentials.revoke(ctx.session, ctx.actor, client_id)
    return RedirectResponse("/share/credentials?done=cred_revoke", status_code=303)


# ---------------------------------------------------------------- dashboard sections

dashboard.register(
    Section("data_flow", "dashboard.data_flow", "data_flow.html", share_figures.data_flow, order=10)
)
dashboard.register(
    Section(
        "decision_time",
        "dashboard.decision_time",
        "decision_time.html",
        share_figures.decision_time,
        order=20,
    )
)
dashboard.register(
    Section(
        "sleeping_data",
        "dashboard.sleeping_data",
        "sleeping_data.html",
        share_figures.sleeping_data,
        order=30,
    )
)
