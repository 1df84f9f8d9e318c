"""Audit (审计) pages for auditors: search the ledger, an entry with its inclusion proof and a
verify button, signed checkpoints, and "who used my data" (查询谁用了我的数据).

Every search and lookup goes through :mod:`huitong.ledger.service`, so it is permission
checked and itself recorded, exactly as over REST. The ID number of a lookup is sent by
POST, so it never lands in a URL, a browser history or an access log.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse

from huitong.access import Target, decide, require
from huitong.errors import NotFound
from huitong.ledger import service as ledger
from huitong.ledger.tables import EvidenceEntry
from huitong.ledger.verify import verify_bundle
from huitong.web import nav
from huitong.web.forms import Form
from huitong.web.routing import Ctx, console_router, page, safe_next

router = console_router()
nav.register(
    nav.NavItem("audit", "/audit", "nav.audit", 40, lambda a: bool(decide(a, "audit.read", Target())))
)
PER_PAGE = 50


@router.get("/audit")
def search(request: Request):
    with page(request) as ctx:
        require(ctx.actor, "audit.read")
        form = Form(dict(request.query_params), ctx.t)
        actor_name = form.text("actor", "audit.actor", max_len=64)
        action = form.text("action", "audit.action", max_len=100)
        object_id = form.text("object_id", "audit.object", max_len=200)
        since = form.day("since", "audit.since")
        until = form.day("until", "audit.until")
        page_no = form.integer("page", "catalog.page", default=1, high=100_000)
        if since and until and since > until:
            form.errors["until"] = ctx.t("audit.until_before_since")
        entries = None
        if form.ok:
            query = ledger.EntryQuery(
                object_id=object_id or None,
                actor_name=actor_name or None,
                action=action or None,
                since=since,
                until=until,
                limit=PER_PAGE + 1,
                offset=(page_no - 1) * PER_PAGE,
            )
            entries = ledger.search(ctx.session, ctx.actor, query)
        return ctx.render(
            "audit/search.html",
            area="audit",
            status=200 if form.ok else 422,
            values=form.values,
            errors=form.errors,
            entries=entries[:PER_PAGE] if entries is not None else None,
            more=entries is not None and len(entries) > PER_PAGE,
            page_no=page_no,
        )


def _entry_page(ctx: Ctx, entry_id: int, verification: dict | None = None):
    require(ctx.actor, "audit.read")
    entry = ctx.session.get(EvidenceEntry, entry_id)
    if entry is None:
        raise NotFound(f"no ledger entry {entry_id}")
    try:
        proof = ledger.inclusion(ctx.session, ctx.actor, entry_id)
    except NotFound:
        proof = None  # not yet covered by a signed checkpoint
    details = json.dumps(json.loads(entry.details), ensure_ascii=False, indent=2) if entry.details else None
    return ctx.render(
        "audit/entry.html",
        area="audit",
        entry=entry,
        details=details,
        proof=proof,
        verification=verification,
        may_sign=bool(decide(ctx.actor, "audit.checkpoint", Target())),
    )


@router.get("/audit/entries/{entry_id}")
def entry(request: Request, entry_id: int):
    with page(request) as ctx:
        return _entry_page(ctx, entry_id)


def verify_entry(db, proof: dict) -> dict:
    """Check the entry against the signed checkpoint as an outside verifier would: recompute
    its leaf from the fields, walk the inclusion proof to the root, and check the root is the
    one the checkpoint signs, under the node's published keys."""
    keys = ledger.public_keys(db)
    bundle = {
        "format": ledger.BUNDLE_FORMAT,
        "origin": db.ledger_origin,
        "checkpoint": proof["checkpoint"],
        "checkpoints": [proof["checkpoint"]],
        "consistency": [],
        "entries": [proof["entry"] | {"proof": proof["proof"]}],
        "complete": False,
    }
    report = verify_bundle(bundle, [k["vkey"] for k in keys])
    return {
        "ok": report.ok,
        "tree_size": report.tree_size,
        "findings": [str(f) for f in report.findings],
        "keys": [k["fingerprint"] for k in keys],
    }


@router.post("/audit/entries/{entry_id}/verify")
def verify(request: Request, entry_id: int):
    with page(request) as ctx:
        require(ctx.actor, "audit.read")
        proof = ledger.inclusion(ctx.session, ctx.actor, entry_id)
        return _entry_page(ctx, entry_id, verify_entry(ctx.db, proof))


@router.post("/audit/checkpoint")
def sign(request: Request):
    with page(request) as ctx:
        require(ctx.actor, "audit.checkpoint")
        target = safe_next(ctx.form().get("next"), "/audit/checkpoints")
        db = ctx.db
    ledger.sign_checkpoint(db)
    return RedirectResponse(target, status_code=303)


@router.get("/audit/checkpoints")
def checkpoints(request: Request):
    with page(request) as ctx:  # public over REST too: checkpoints are what outsiders keep
        return ctx.render(
            "audit/checkpoints.html",
            area="audit",
            checkpoints=ledger.checkpoints(ctx.session, 100),
            keys=ledger.public_keys(ctx.db),
            may_sign=bool(decide(ctx.actor, "audit.checkpoint", Target())),
        )


@router.get("/audit/who-used")
def who_used_form(request: Request):
    with page(request) as ctx:
        require(ctx.actor, "audit.subject")
        return ctx.render("audit/who_used.html", area="audit", errors={}, number="", found=None)


@router.post("/audit/who-used")
def who_used(request: Request):
    with page(request) as ctx:
        require(ctx.actor, "audit.subject")
        form = Form(ctx.form(), ctx.t)
        number = form.text("number", "audit.number", required=True, max_len=18).upper()
        if form.ok and not (number.isalnum() and len(number) in (15, 18)):
            form.errors["number"] = ctx.t("audit.number_format")
        found = ledger.who_used(ctx.session, ctx.actor, number) if form.ok else None
        return ctx.render(
            "audit/who_used.html",
            area="audit",
            status=200 if form.ok else 422,
            errors=form.errors,
            number=number,
            found=found,
            objectable=_objectable(ctx, found or []),
        )


def _objectable(ctx: Ctx, found: list[EvidenceEntry]) -> list[tuple[str, str]]:
    """The resources whose records the person's number keys, among those the entries name: where
    staff may raise an objection for the citizen (代居民提出), the number as the record's key."""
    from huitong.catalog.tables import Resource

    codes = sorted({e.object_id for e in found if e.object_type == "resource" and e.object_id})
    if not codes:
        return []
    out = []
    for res in ctx.session.scalars(select(Resource).where(Resource.code.in_(codes)).order_by(Resource.code)):
        if len([it for it in res.items if it.is_key]) == 1:
            out.append((res.code, res.name))
    return out
