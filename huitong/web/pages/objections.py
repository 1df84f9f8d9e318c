"""Objection (异议处理) pages: the objections the reader sees, one objection with its history,
evidence and the steps the reader may take now, the form that raises one (with an evidence file),
and the dashboard's section of each holder department's handling.

Every page calls :mod:`huitong.quality.objections`, as ``/api/quality/objections`` does: who sees
an objection and who takes which step are the service's and the flow's, so the forms shown are
exactly ``Detail.actions`` and the fields each needs come from :mod:`objection_flow`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from huitong.access import Target, decide
from huitong.catalog import service as catalog
from huitong.db.base import utcnow
from huitong.errors import HuitongError, NotFound, Unauthenticated
from huitong.quality import objection_flow as flow
from huitong.quality import objections as service
from huitong.quality.objection_flow import Deadlines, State
from huitong.quality.tables import Objection
from huitong.web import nav
from huitong.web.charts import bars
from huitong.web.data import store_for
from huitong.web.forms import Form
from huitong.web.names import department_names, resource_names
from huitong.web.pages import dashboard
from huitong.web.pages.dashboard import Section
from huitong.web.routing import Ctx, DbId, console_router, page

router = console_router()
nav.register(nav.NavItem("objections", "/objections", "nav.objections", 27, lambda a: not a.is_public))

STATES = tuple(s.value for s in State)
MB = service.MAX_EVIDENCE // (1024 * 1024)


def _require(ctx: Ctx) -> None:
    if ctx.actor.is_public:
        raise Unauthenticated()


def _deadlines(request: Request) -> Deadlines:
    settings = getattr(request.app.state, "settings", None)
    return service.configured(settings.deadlines) if settings is not None else Deadlines()


def _row(
    o: Objection, names: dict[int, str], resources: dict[str, str], key: list[str | None]
) -> dict[str, Any]:
    """What a list or the detail shows of one objection; ``overdue`` when its stage is past due,
    ``key`` the record key as the reader is shown it (masked unless raiser or holder)."""
    return {
        "o": o,
        "key": key,
        "resource_name": resources.get(o.resource_code, ""),
        "holder": names.get(o.holder_department_id, ""),
        "raiser_department": names.get(o.raiser_department_id, ""),
        "overdue": o.due_at is not None and o.due_at < utcnow(),
    }


def _rows(ctx: Ctx, found: list[Objection]) -> list[dict[str, Any]]:
    names = department_names(ctx.session)
    resources = resource_names(ctx.session, (o.resource_code for o in found))
    keys = service.shown_keys(ctx.session, ctx.actor, found)
    return [_row(o, names, resources, keys[o.id]) for o in found]


PREFILL = "/objections/new/prefill"  # the data view's per-row 提出异议 form posts here


def prefill_key(key_items: list[str], treatments: dict[str, str], row: dict) -> list[str]:
    """What a data view's row gives the raise form to prefill: the row's key, only when the reader
    sees every key item in clear (a masked key names no record); else nothing. The key is posted
    (:data:`PREFILL`), never put in a URL: an ID number must not land in browser history or an
    access log."""
    if not key_items or not all(treatments.get(k) == "clear" for k in key_items):
        return []
    return ["" if row.get(k) is None else str(row[k]) for k in key_items]


# ---------------------------------------------------------------- the list


@router.get("/objections")
def index(request: Request):
    with page(request, read_only=True) as ctx:
        _require(ctx)
        form = Form(dict(request.query_params), ctx.t)
        state = form.choice("state", "objection.state", ("", *STATES), default="")
        resource = form.text("resource", "objection.resource", max_len=64)
        found = service.list_for(ctx.session, ctx.actor, resource=resource or None, state=state or None)
        told = service.notices(ctx.session, ctx.actor)
        return ctx.render(
            "objections/index.html",
            area="objections",
            rows=_rows(ctx, found),
            notices=told,
            states=STATES,
            values={"state": state, "resource": resource},
            errors=form.errors,
        )


# ---------------------------------------------------------------- one objection


def _needs(state: str, parties, action: str) -> dict[str, bool]:
    """Which fields the action's form needs, as the flow says for this state and these parties."""
    steps = [s for s in flow.find(state, action) if s.party in parties]
    return {
        "reason": any(s.needs_reason for s in steps),
        "correction": any(s.needs_correction for s in steps),
    }


def _detail_page(ctx: Ctx, objection_id: int, *, errors=None, values=None, status: int = 200, done=None):
    d = service.get(ctx.session, ctx.actor, objection_id)
    o = d.objection
    names = department_names(ctx.session)
    return ctx.render(
        "objections/detail.html",
        area="objections",
        status=status,
        d=d,
        info=_rows(ctx, [o])[0],
        names=names,
        needs={a: _needs(o.state, d.parties, a) for a in d.actions},
        lineage=service.sees_lineage(ctx.actor, o),
        errors=errors or {},
        values=values or {},
        done=done,
    )


@router.get("/objections/new")
def new(request: Request):
    """The raise form for a resource (``?resource=CODE``, the catalog page's link). A record's key
    is never taken from the URL (an ID number would be in browser history and the access log): a
    ``key`` given there is ignored, and the reader told to type it (the data view posts it to
    :data:`PREFILL` instead)."""
    with page(request, read_only=True) as ctx:
        _require(ctx)
        q = request.query_params
        values = {"resource": q.get("resource", ""), "item": q.get("item", ""), "keys": []}
        return _raise_page(ctx, values, {}, key_in_url="key" in q)


def _keyless(values: dict) -> str:
    """The raise form's address without any key (what the language switch returns to)."""
    params = {k: values[k] for k in ("resource", "item") if values.get(k)}
    return "/objections/new" + (f"?{urlencode(params)}" if params else "")


@router.post(PREFILL)
def prefill(request: Request):
    """The raise form filled in from a data view's row (resource and ``key_0``…, posted so the key
    is in no URL); it creates nothing."""
    with page(request, read_only=True) as ctx:
        _require(ctx)
        values = _raise_values(ctx)
        return _raise_page(ctx, values, {})


@router.get("/objections/{objection_id}")
def detail(request: Request, objection_id: DbId):
    with page(request, read_only=True) as ctx:
        _require(ctx)
        return _detail_page(ctx, objection_id, done=request.query_params.get("done"))


@router.get("/objections/{objection_id}/evidence/{evidence_id}")
def evidence(request: Request, objection_id: DbId, evidence_id: DbId):
    """An evidence file, always as a download (never rendered by the browser: it is the raiser's)."""
    with page(request, read_only=True) as ctx:
        _require(ctx)
        found = service.evidence_file(ctx.session, ctx.actor, objection_id, evidence_id)
        name, content = found.name, found.content
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}"},
    )


def _service_errors(ctx: Ctx, exc: HuitongError, fields: dict[str, str], default: str = "_form"):
    """A service's refusal placed on the form's fields: coded problems in the reader's language,
    the rest as the service wrote them, each under the reader's own lead-in."""
    errors: dict[str, str] = {}
    for p in exc.problems:
        name = fields.get(p.field or p.column or "", default)
        said = ctx.t.problem(p)
        errors[name] = f"{errors[name]}; {said}" if name in errors else said
    if not errors:
        errors[default] = exc.message
    lead = ctx.t(f"objection.refused_{exc.status}" if exc.status in (403, 404, 409) else "objection.refused")
    return {k: ctx.t("objection.service_said", lead=lead, message=v) for k, v in errors.items()}


@router.post("/objections/{objection_id}/step")
def step(request: Request, objection_id: DbId):
    store = store_for(request)  # outside the page's transaction (SQLite); a correction checks it
    with page(request, read_only=True) as ctx:
        _require(ctx)
        values = ctx.form()
        action = values.get("action") or ""
        d = service.get(ctx.session, ctx.actor, objection_id)
        if action not in flow.ACTIONS:
            raise NotFound(f"no objection action {action!r}")
        needs = _needs(d.objection.state, d.parties, action)
        form = Form(values, ctx.t)
        reason = form.text(f"reason_{action}", "objection.reason", required=needs["reason"], max_len=2000)
        correction = form.text(
            f"correction_{action}", "objection.correction", required=needs["correction"], max_len=64
        )
        if not form.ok:
            return _detail_page(ctx, objection_id, errors=form.errors, values=values, status=422)
    try:
        with page(request) as ctx:
            service.take_step(
                ctx.session,
                ctx.actor,
                objection_id,
                action,
                reason=reason or None,
                correction=correction or None,
                store=store,
                deadlines=_deadlines(request),
            )
    except HuitongError as exc:
        if exc.status == 403:
            raise
        fields = {"reason": f"reason_{action}", "correction": f"correction_{action}"}
        with page(request, read_only=True) as ctx:
            errors = _service_errors(ctx, exc, fields)
            status = exc.status if exc.status in (404, 409, 422) else 400
            return _detail_page(ctx, objection_id, errors=errors, values=values, status=status)
    return RedirectResponse(f"/objections/{objection_id}?done={action}", status_code=303)


# ---------------------------------------------------------------- raising one


def _resource(ctx: Ctx, code: str):
    """The catalog entry the form is for, or None when none is named or the reader cannot see it."""
    if not code:
        return None
    try:
        return catalog.get(ctx.session, ctx.actor, code)
    except HuitongError:
        return None


def _raise_page(ctx: Ctx, values: dict, errors: dict, status: int = 200, *, key_in_url: bool = False):
    """The raise form; its ``here`` (the language switch's way back) never carries a key."""
    res = _resource(ctx, values.get("resource", "").strip())
    if values.get("resource") and res is None and "resource" not in errors:
        errors = {**errors, "resource": ctx.t("objection.err.no_resource", code=values["resource"])}
        status = 404 if status == 200 else status
    keys = [it.name for it in res.items if it.is_key] if res is not None else []
    given = list(values.get("keys") or [])
    return ctx.render(
        "objections/new.html",
        area="objections",
        status=status,
        res=res,
        key_fields=[(f"key_{i}", name, given[i] if i < len(given) else "") for i, name in enumerate(keys)],
        items=[it.name for it in res.items] if res is not None else [],
        values=values,
        errors=errors,
        mb=MB,
        key_in_url=key_in_url,
        here=_keyless(values),
    )


def _evidence(ctx: Ctx, form: Form) -> service.Evidence | None:
    """The uploaded file, read to at most the cap and one byte more: a larger one is refused
    here without reading the rest."""
    upload = ctx.upload("evidence")
    if upload is None:
        return None
    content = upload.file.read(service.MAX_EVIDENCE + 1)
    if len(content) > service.MAX_EVIDENCE:
        form.errors["evidence"] = ctx.t("objection.err.too_large", name=upload.filename, mb=MB)
        return None
    return service.Evidence(upload.filename, content)


def _raise_values(ctx: Ctx) -> dict:
    """What the raise form was sent, to show it again: the key fields in the resource's key order."""
    values = ctx.form()
    keys = []
    while f"key_{len(keys)}" in values:
        keys.append(values[f"key_{len(keys)}"])
    fields = ("resource", "item", "reason", "on_behalf")
    return {name: values.get(name, "") for name in fields} | {"keys": keys}


def _raise_fields(ctx: Ctx, code: str) -> dict[str, str]:
    res = _resource(ctx, code)
    keys = [it.name for it in res.items if it.is_key] if res is not None else []
    return {"reason": "reason", "item": "item", "evidence": "evidence", "key": "key_0"} | {
        name: f"key_{i}" for i, name in enumerate(keys)
    }


@router.post("/objections/new")
def create(request: Request):
    store = store_for(request)  # outside the page's transaction (SQLite): routing reads the row
    with page(request, read_only=True) as ctx:
        _require(ctx)
        values = _raise_values(ctx)
        form = Form(ctx.form(), ctx.t)
        code = form.text("resource", "objection.resource", required=True, max_len=64)
        reason = form.text("reason", "objection.reason", required=True, max_len=service.MAX_REASON)
        item = form.text("item", "objection.item", max_len=100)
        evidence = _evidence(ctx, form)
        if not form.ok:
            return _raise_page(ctx, values, form.errors, status=422)
        res = _resource(ctx, code)
        names = [it.name for it in res.items if it.is_key] if res is not None else []
        key = dict(zip(names, (v.strip() for v in values["keys"]), strict=False))
        key = key if any(key.values()) else None
    try:
        with page(request) as ctx:
            obj = service.raise_objection(
                ctx.session,
                store,
                ctx.actor,
                code,
                reason,
                key=key,
                item=item or None,
                evidence=evidence,
                on_behalf=values.get("on_behalf") or None,
                deadlines=_deadlines(request),
            )
            target = f"/objections/{obj.id}?done=raised"
    except HuitongError as exc:
        if exc.status == 403:
            raise
        with page(request, read_only=True) as ctx:
            errors = _service_errors(ctx, exc, _raise_fields(ctx, code))
            return _raise_page(
                ctx, values, errors, status=exc.status if exc.status in (404, 409, 422) else 400
            )
    return RedirectResponse(target, status_code=303)


# ---------------------------------------------------------------- the dashboard


def _section(ctx: Ctx) -> dict | None:
    if ctx.actor.is_public or not decide(ctx.actor, "quality.read", Target()):
        return None
    figures = service.department_figures(ctx.session, ctx.actor)
    return {
        "figures": figures,
        "bars": bars([(f.name, f.received) for f in figures]),
        "overdue": _rows(ctx, service.overdue(ctx.session, ctx.actor)),
    }


dashboard.register(Section("objections", "dashboard.objections", "objections.html", _section, order=37))
