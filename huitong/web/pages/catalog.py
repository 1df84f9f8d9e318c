"""Catalog pages: search with facets and highlighting, and a resource's page with its data
items, revisions, stored versions, a version diff, sample rows and load lineage."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import select
from starlette.requests import Request

from huitong.access import Target, decide
from huitong.aggregate import reads as data_service
from huitong.aggregate.tables import LoadRun
from huitong.catalog import service as catalog
from huitong.catalog.search_service import FACET_KEYS, search_page
from huitong.errors import HuitongError, NotFound
from huitong.quality import disputes
from huitong.quality import service as quality
from huitong.standards.tables import DataElementRow
from huitong.web import nav
from huitong.web.data import may_read_data, store_for
from huitong.web.forms import Form
from huitong.web.routing import Ctx, console_router, page

router = console_router()
nav.register(nav.NavItem("catalog", "/catalog", "nav.catalog", 10))

PER_PAGE = 10
SORTS = ("relevance", "name", "recent")
SAMPLE_ROWS = 10
DIFF_ROWS = 50


@router.get("/")
@router.get("/catalog")
def search(request: Request):
    params = request.query_params
    with page(request) as ctx:
        form = Form(dict(params), ctx.t)
        q = form.text("q", "catalog.query", max_len=200)
        page_no = form.integer("page", "catalog.page", default=1, high=10_000)
        sort = form.choice("sort", "catalog.sort", SORTS, default="relevance")
        filters = {k: params.getlist(k) for k in FACET_KEYS if params.getlist(k)}
        result = None
        if form.ok:
            result = search_page(
                ctx.db, ctx.session, ctx.actor, q, filters=filters, page=page_no, per_page=PER_PAGE, sort=sort
            )
        pages = -(-result["total"] // PER_PAGE) if result else 0
        return ctx.render(
            "catalog/search.html",
            area="catalog",
            status=200 if form.ok else 422,
            q=q,
            sort=sort,
            sorts=SORTS,
            filters=filters,
            result=result,
            errors=form.errors,
            page_no=page_no,
            pages=pages,
            page_url=lambda n: "/catalog?" + _query(q, sort, filters, n),
        )


def _query(q: str, sort: str, filters: dict[str, list[str]], page_no: int) -> str:
    pairs = [("q", q), ("sort", sort)] + [(k, v) for k, vs in filters.items() for v in vs]
    return urlencode([*pairs, ("page", str(page_no))])


def _items(ctx: Ctx, res) -> list[dict]:
    elements = {
        e.identifier: e
        for e in ctx.session.scalars(
            select(DataElementRow).where(
                DataElementRow.identifier.in_([i.element for i in res.items if i.element])
            )
        )
    }
    out = []
    for it in res.items:
        el = elements.get(it.element) if it.element else None
        out.append(
            {
                "name": it.name,
                "data_type": it.data_type,
                "length": it.length,
                "element": it.element,
                "element_name": el.name_zh if el else None,
                "grade": it.grade,
                "mask_rule": el.mask_rule if el and el.mask_rule != "none" else None,
                "is_key": it.is_key,
                "required": it.required,
            }
        )
    return out


def sample_rows(ctx: Ctx, res, table) -> dict:
    """Rows as this viewer may see them. Today only the provider's staff get here and see the
    values as stored; grantees (sharing) will see them masked by grade through this hook. A
    record under objection is marked (有异议, with its disputed items), never left out."""
    rows = table.to_pylist()
    marks = disputes.current(ctx.db, res.code)
    keys = {k: table.column(k) for k in marks.key_items if k in table.column_names}
    flags = marks.marker_columns(keys, table.num_rows)
    disputed = [
        (items.split(";") if items else []) if flag else None
        for flag, items in zip(
            flags["_disputed"].to_pylist(), flags["_disputed_items"].to_pylist(), strict=True
        )
    ]
    return {
        "columns": table.column_names,
        "rows": [[r[c] for c in table.column_names] for r in rows],
        "disputed": disputed if any(d is not None for d in disputed) else None,
        "resource_disputed": marks.whole,
    }


def _lineage(ctx: Ctx, res) -> dict:
    """Load lineage, read in the page's transaction; versions and rows come after it."""
    if not may_read_data(ctx.actor, res.provider_id):
        return {"allowed": False}
    loads = list(
        ctx.session.scalars(
            select(LoadRun).where(LoadRun.resource_code == res.code).order_by(LoadRun.id.desc()).limit(50)
        )
    )
    return {"allowed": True, "loads": loads, "versions": [], "sample": None, "store": True}


def _stored(ctx: Ctx, res, store, stored: dict, *, sample: bool) -> dict:
    """Versions and sample rows through the store's service, which checks ``data.read`` again
    and records the read in the ledger. Called after the page's transaction has ended: the
    service writes its evidence in a transaction of its own."""
    if not stored["allowed"]:
        return stored
    if store is None:
        return stored | {"store": False}
    stored["versions"] = list(reversed(data_service.versions(ctx.db, store, ctx.actor, res.code)))
    if sample and stored["versions"]:
        page_ = data_service.read_rows(ctx.db, store, ctx.actor, res.code, limit=SAMPLE_ROWS)
        stored["sample"] = sample_rows(ctx, res, page_.rows)
    return stored


def _diff(d) -> dict:
    return {
        "counts": {"added": d.added.num_rows, "removed": d.removed.num_rows, "changed": d.changed.num_rows},
        "columns": [c for c in d.added.column_names if not c.startswith("_")],
        "added": d.added.slice(0, DIFF_ROWS).to_pylist(),
        "removed": d.removed.slice(0, DIFF_ROWS).to_pylist(),
        "changed": list(
            zip(
                d.changed_before.slice(0, DIFF_ROWS).to_pylist(),
                d.changed.slice(0, DIFF_ROWS).to_pylist(),
                strict=True,
            )
        ),
    }


@router.get("/catalog/resource/{code:path}/diff")
def version_diff(request: Request, code: str):
    store = store_for(request)  # opened outside the page's transaction (SQLite: it may create tables)
    with page(request) as ctx:
        res = catalog.get(ctx.session, ctx.actor, code)
        stored = _lineage(ctx, res)
        if not stored["allowed"]:
            raise NotFound(f"no catalog entry {code}")
    stored = _stored(ctx, res, store, stored, sample=False)
    ids = [str(v.snapshot_id) for v in stored["versions"]]
    form = Form(dict(request.query_params), ctx.t)
    a = form.choice("a", "resource.version_from", tuple(ids), default=ids[-1] if ids else "")
    b = form.choice("b", "resource.version_to", tuple(ids), default=ids[0] if ids else "")
    diff = None
    if form.ok and ids:
        try:
            diff = _diff(data_service.diff(ctx.db, store, ctx.actor, res.code, int(a), int(b)))
        except HuitongError as exc:
            form.errors["a"] = exc.message
    return ctx.render(
        "catalog/diff.html",
        area="catalog",
        status=200 if form.ok else 422,
        res=res,
        versions=stored["versions"],
        a=a,
        b=b,
        diff=diff,
        errors=form.errors,
        limit=DIFF_ROWS,
    )


def _apply_state(ctx: Ctx, res) -> dict | None:
    """Whether this viewer may put the resource in the sharing cart, and what is in it now
    (the same ``share.apply`` rule the application itself is checked against)."""
    if res.status != "published" or not decide(
        ctx.actor, "share.apply", Target(department_id=res.provider_id)
    ):
        return None
    cart = ctx.web.get("cart") or {}
    names = [it.name for it in res.items]
    chosen = cart.get(res.code)
    return {"in_cart": chosen is not None, "checked": chosen or names}


@router.get("/catalog/resource/{code:path}")
def resource(request: Request, code: str):
    store = store_for(request)  # opened outside the page's transaction (SQLite: it may create tables)
    with page(request) as ctx:
        res = catalog.get(ctx.session, ctx.actor, code)
        provider = f"{res.provider.region.name}{res.provider.name}"
        values = {
            "res": res,
            "provider": provider,
            "items": _items(ctx, res),
            "revisions": catalog.revisions(ctx.session, ctx.actor, code),
            "apply": _apply_state(ctx, res),
            "quality": quality.summary(ctx.session, res.code),
        }
        stored = _lineage(ctx, res)
    return ctx.render(
        "catalog/resource.html",
        area="catalog",
        stored=_stored(ctx, res, store, stored, sample=True),
        **values,
    )
