"""Classification and grading (分类分级) pages: the proposals awaiting a decision (undeclared personal
data first), the re-grading reviews, the list of important data (重要数据目录, also as CSV), one
resource's findings with a confirm / override form per column and a scan-now button, and a file
checked for personal data before it is sent; plus the dashboard's undeclared-personal-data section."""

from __future__ import annotations

import csv
import io

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from huitong.access import Target, decide
from huitong.access.roles import Role
from huitong.catalog import service as catalog
from huitong.classify import service as classify
from huitong.classify.files import discover_upload, upload_name
from huitong.classify.kinds import INFO, Kind
from huitong.deid import service as deid
from huitong.errors import HuitongError, Problem, Unauthenticated, invalid
from huitong.standards.elements import Grade
from huitong.web import nav
from huitong.web.charts import bars
from huitong.web.data import required_store
from huitong.web.names import department_names
from huitong.web.pages import dashboard
from huitong.web.pages.dashboard import Section
from huitong.web.routing import Ctx, console_router, page

router = console_router()
nav.register(nav.NavItem("classify", "/classify", "nav.classify", 27, lambda a: not a.is_public))
UPLOAD_LIMIT = 20 * 1024 * 1024


def _require(ctx: Ctx) -> None:
    if ctx.actor.is_public:
        raise Unauthenticated()


def _overview(ctx: Ctx, **values):
    proposals = classify.proposals(ctx.session, ctx.actor)
    proposals.sort(key=lambda c: (not classify.undeclared(c), c.resource_code, c.id))
    return ctx.render(
        "classify/index.html",
        area="classify",
        proposals=proposals,
        undeclared={c.id for c in proposals if classify.undeclared(c)},
        reviews=classify.reviews(ctx.session, ctx.actor),
        important=classify.important_data(ctx.session, ctx.actor),
        info=INFO,
        Kind=Kind,
        **{"scan": None, "refused": None, "filename": None, **values},
    )


@router.get("/classify")
def overview(request: Request):
    with page(request, read_only=True) as ctx:
        _require(ctx)
        return _overview(ctx)


@router.post("/classify/discover")
def discover_file(request: Request):
    """A department's export checked before it is sent: nothing is stored, nothing recorded."""
    with page(request, read_only=True) as ctx:
        _require(ctx)
        upload = ctx.upload("file")
        if upload is None:
            return _overview(
                ctx, status=422, refused=invalid("choose a file", Problem("no file", field="file"))
            )
        try:
            name, found = discover_upload(upload.filename, upload.file.read(UPLOAD_LIMIT + 1), UPLOAD_LIMIT)
        except HuitongError as exc:
            if exc.code != "invalid":
                raise
            return _overview(ctx, status=422, refused=exc, filename=upload_name(upload.filename))
        return _overview(ctx, scan=found, filename=name)


@router.get("/classify/important.csv")
def important_csv(request: Request):
    with page(request, read_only=True) as ctx:
        _require(ctx)
        rows = classify.important_data(ctx.session, ctx.actor)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["资源代码", "资源名称", "提供部门", "级别", "重要/核心信息项"])
    for e in rows:
        w.writerow([e.code, e.name, e.provider, e.grade.label_zh, "、".join(n for n, _ in e.items)])
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="important-data.csv"'},
    )


@router.post("/classify/reviews/{review_id}/close")
def close_review(request: Request, review_id: int):
    with page(request) as ctx:
        _require(ctx)
        task = classify.close_review(ctx.session, ctx.actor, review_id, ctx.form().get("note", ""))
        target = f"/classify/resource/{task.resource_code}?done=review"
    return RedirectResponse(target, status_code=303)


@router.post("/classify/resource/{code:path}/scan")
def scan_now(request: Request, code: str):
    store = required_store(request)  # opened outside the page's transaction (SQLite)
    with page(request) as ctx:
        _require(ctx)
        done = classify.scan(ctx.session, store, ctx.actor, code)
        target = f"/classify/resource/{done.scan.resource_code}?done=scan"
    return RedirectResponse(target, status_code=303)


@router.post("/classify/resource/{code:path}/decide")
def decide_column(request: Request, code: str):
    with page(request) as ctx:
        _require(ctx)
        form = ctx.form()
        try:
            col = classify.decide_column(
                ctx.session,
                ctx.actor,
                code,
                form.get("column", ""),
                action=form.get("action", ""),
                grade=form.get("grade") or None,
                reason=form.get("reason") or None,
            )
        except HuitongError as exc:
            if exc.code != "invalid":
                raise
            return _resource_page(ctx, code, status=422, refused=exc, column=form.get("column"))
        target = f"/classify/resource/{col.resource_code}?done={col.status}"
    return RedirectResponse(target, status_code=303)


def _resource_page(ctx: Ctx, code: str, *, status: int = 200, **values):
    res = catalog.get(ctx.session, ctx.actor, code)
    columns = classify.columns_of(ctx.session, ctx.actor, res.code)
    target = Target(department_id=res.provider_id)
    may = {a: bool(decide(ctx.actor, f"classify.{a}", target)) for a in ("scan", "decide")}
    may["approve"] = ctx.actor.has(Role.operator) or bool(decide(ctx.actor, "deid.manage", target))
    budget, figures = deid.statistics_of(ctx.session, ctx.actor, res.code)
    values = {"refused": None, "column": None, "done": ctx.request.query_params.get("done"), **values}
    return ctx.render(
        "classify/resource.html",
        area="classify",
        status=status,
        res=res,
        columns=columns,
        describes=classify.describes(columns),
        undeclared={c.id for c in columns if classify.undeclared(c)},
        scans=classify.scans_of(ctx.session, ctx.actor, res.code),
        reviews=classify.reviews(ctx.session, ctx.actor, status=None, code=res.code),
        releases=deid.releases(ctx.session, ctx.actor, res.code),
        budget=budget,
        figures=figures,
        grades=list(Grade),
        info=INFO,
        Kind=Kind,
        may=may,
        **values,
    )


@router.post("/classify/releases/{release_id}/approve")
def approve_release(request: Request, release_id: int):
    store = required_store(request)
    with page(request, read_only=True) as ctx:
        _require(ctx)
        actor = ctx.actor
    rel = deid.approve(request.app.state.db, store, actor, release_id)
    return RedirectResponse(f"/classify/resource/{rel.resource_code}?done=approved", status_code=303)


@router.get("/classify/resource/{code:path}")
def resource(request: Request, code: str):
    with page(request, read_only=True) as ctx:
        _require(ctx)
        return _resource_page(ctx, code)


def _section(ctx: Ctx) -> dict | None:
    if ctx.actor.is_public:
        return None
    found = classify.open_findings(ctx.session, ctx.actor)
    names = department_names(ctx.session)
    counts: dict[str, int] = {}
    for c in found:
        name = names.get(c.department_id, "?")
        counts[name] = counts.get(name, 0) + 1
    return {
        "found": found[:20],
        "total": len(found),
        "names": names,
        "bars": bars(list(counts.items())),
        "reviews": len(classify.reviews(ctx.session, ctx.actor)),
        "info": INFO,
        "Kind": Kind,
    }


dashboard.register(Section("classify", "dashboard.classify", "classify.html", _section, order=37))
