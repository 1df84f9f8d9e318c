"""Data quality (数据质量) pages: departments ranked by the quality of their current data, each
resource's scorecard (a score per GB/T 36344 dimension, the trend over versions, the worst rules
first, failing rows masked by grade for the provider), measuring a resource now, and releasing a
version its quality gate held back; plus the dashboard's quality section."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse

from huitong.access import Target, decide
from huitong.errors import HuitongError, Unauthenticated
from huitong.quality import service as quality
from huitong.quality.rules import Dimension
from huitong.web import nav
from huitong.web.charts import bars, trend
from huitong.web.data import store_for
from huitong.web.pages import dashboard
from huitong.web.pages.dashboard import Section
from huitong.web.routing import Ctx, console_router, page

router = console_router()
nav.register(nav.NavItem("quality", "/quality", "nav.quality", 25, lambda a: not a.is_public))


def _require(ctx: Ctx) -> None:
    if ctx.actor.is_public:
        raise Unauthenticated()


def _ranking(ctx: Ctx) -> dict:
    ranked = quality.departments(ctx.session, ctx.actor)
    return {
        "departments": ranked,
        "bars": bars([(d.name, round(d.score)) for d in ranked if d.score is not None]),
        "falling": [(d, c, a, b) for d in ranked for c, a, b in d.falling],
    }


@router.get("/quality")
def overview(request: Request):
    with page(request, read_only=True) as ctx:
        _require(ctx)
        return ctx.render("quality/index.html", area="quality", **_ranking(ctx))


@router.get("/quality/resource/{code:path}")
def resource(request: Request, code: str):
    with page(request, read_only=True) as ctx:
        _require(ctx)
        card = quality.scorecard(ctx.session, ctx.actor, code)
        runs = quality.runs(ctx.session, ctx.actor, card.code, limit=10)
        provider = card.run.department_id if card.run else None
        may = {
            action: bool(decide(ctx.actor, f"quality.{action}", Target(department_id=provider)))
            for action in ("samples", "run", "manage")
        }
        if provider is None:  # never measured: the catalog entry says whose it is
            from huitong.catalog import service as catalog

            res = catalog.get(ctx.session, ctx.actor, card.code)
            may = {
                a: bool(decide(ctx.actor, f"quality.{a}", Target(department_id=res.provider_id))) for a in may
            }
        held = [r for r in runs if r.outcome == "quarantined"]
        releasable = quality.releasable(runs)
        dims = [(Dimension(k), v) for k, v in card.dimensions.items()]
        return ctx.render(
            "quality/resource.html",
            area="quality",
            card=card,
            dims=dims,
            dim_bars=bars([(f"{d.label_zh} {d.value}", round(v)) for d, v in dims]),
            chart=trend([(t.strftime("%m-%d %H:%M"), s) for t, _, s in card.trend]),
            runs=runs,
            held=held,
            releasable=releasable,
            may=may,
            done=request.query_params.get("done"),
        )


@router.post("/quality/resource/{code:path}/run")
def run_now(request: Request, code: str):
    store = _store(request)  # opened outside the page's transaction (SQLite)
    with page(request) as ctx:
        _require(ctx)
        qrun = quality.run(ctx.session, store, ctx.actor, code)
        target = f"/quality/resource/{qrun.resource_code}?done=run"
    return RedirectResponse(target, status_code=303)


@router.post("/quality/resource/{code:path}/release/{snapshot_id}")
def release(request: Request, code: str, snapshot_id: str):
    store = _store(request)
    with page(request, read_only=True) as ctx:
        _require(ctx)
        actor = ctx.actor
    qrun = quality.release(request.app.state.db, store, actor, code, snapshot_id)
    return RedirectResponse(f"/quality/resource/{qrun.resource_code}?done=release", status_code=303)


def _store(request: Request):
    store = store_for(request)
    if store is None:
        raise HuitongError("the data store cannot be opened here", code="storage_error", status=503)
    return store


def _section(ctx: Ctx) -> dict | None:
    if ctx.actor.is_public:
        return None
    return _ranking(ctx)


dashboard.register(Section("quality", "dashboard.quality", "quality.html", _section, order=35))
