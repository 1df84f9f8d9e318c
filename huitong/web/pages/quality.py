"""Data quality (数据质量) pages: departments ranked by the quality of their current data, each
resource's scorecard (a score per GB/T 36344 dimension, the trend over versions, the worst rules
first, failing rows masked by grade for the provider), measuring a resource now, releasing a
version its quality gate held back, and editing a resource's rule file (checked, then saved whole);
plus the dashboard's quality section."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse

from huitong.access import Target, decide
from huitong.errors import HuitongError, Unauthenticated
from huitong.quality import service as quality
from huitong.quality.rules import KINDS, Dimension, Kind
from huitong.web import nav
from huitong.web.charts import bars, trend
from huitong.web.data import required_store
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


# A rule of each kind, as a file writes it: the reference beside the editor (columns are examples).
KIND_EXAMPLES = {
    "not_null": "{name: 姓名完整, kind: not_null, column: 姓名, threshold: 0.99}",
    "valid": "{name: 身份证号有效, kind: valid, column: 公民身份号码, severity: fail}",
    "in_code_table": "{name: 性别代码, kind: in_code_table, column: 性别, values: [男, 女]}",
    "pattern": '{name: 本市地址, kind: pattern, column: 住址, regex: "浙江省杭州市.+"}',
    "range": "{name: 金额合理, kind: range, column: 金额, min: 0, max: 100000}",
    "unique": "{name: 号码唯一, kind: unique, columns: [公民身份号码]}",
    "referential": "{name: 单位存在, kind: referential, column: 单位代码, ref: {resource: 330100/00003/00001, column: 统一社会信用代码}}",
    "cross_field": "{name: 性别与号码一致, kind: cross_field, columns: [公民身份号码, 性别], check: gender_in_id}",
    "cross_source": "{name: 住址与公安一致, kind: cross_source, column: 住址, other: {resource: 330100/00001/00001, key: 公民身份号码}}",
    "freshness": "{name: 按时更新, kind: freshness}",
    "row_count_change": "{name: 记录数平稳, kind: row_count_change, max_change: 0.2}",
    "accessible": "{name: 数据可访问, kind: accessible, severity: fail}",
}


def _columns_of(kind: Kind) -> str:
    lo, hi = kind.min_columns, kind.max_columns
    return str(lo) if lo == hi else f"{lo}+" if hi is None else f"{lo}–{hi}"


def _kinds() -> list[dict]:
    """Every kind rules.KINDS knows, with what a rule of it needs, so nobody needs the docs."""
    return [
        {
            "name": k.name,
            "label_zh": k.label_zh,
            "dimension": k.dimension,
            "columns": _columns_of(k),
            "required": list(k.required),
            "optional": list(k.optional),
            "example": KIND_EXAMPLES.get(k.name, f"{{name: …, kind: {k.name}}}"),
        }
        for k in KINDS.values()
    ]


def _rules_page(ctx: Ctx, sheet: quality.RuleSheet, text: str, *, status: int = 200, **values):
    values = {"saved": None, "refused": None, "plan": None, **values}
    return ctx.render(
        "quality/rules.html",
        area="quality",
        status=status,
        sheet=sheet,
        text=text,
        kinds=_kinds(),
        dimensions=list(Dimension),
        **values,
    )


def _counts(request: Request) -> dict[str, int]:
    q = request.query_params
    return {k: int(q[k]) if q.get(k, "").isdigit() else 0 for k in ("added", "changed", "removed")}


# before the scorecard's route: its {code:path} would take ".../rules" for a code
@router.get("/quality/resource/{code:path}/rules")
def rules(request: Request, code: str):
    with page(request, read_only=True) as ctx:
        _require(ctx)
        sheet = quality.rule_sheet(ctx.session, ctx.actor, code)
        saved = _counts(request) if request.query_params.get("done") == "saved" else None
        return _rules_page(ctx, sheet, sheet.text, saved=saved)


@router.post("/quality/resource/{code:path}/rules")
def edit_rules(request: Request, code: str):
    """``check`` shows what the text would change; ``save`` keeps it as the resource's whole rule
    file (pruned). A refused file changes nothing and comes back as typed, with every line's reason."""
    with page(request) as ctx:
        _require(ctx)
        sheet = quality.rule_sheet(ctx.session, ctx.actor, code)
        text = ctx.form().get("text", "")
        save = ctx.form().get("action") == "save"
        args = (ctx.session, ctx.actor, text, f"console/{sheet.code}.yaml")
        try:
            if save:
                done = quality.import_rules(*args, prune=True, resource=sheet.code)
            else:
                plan = quality.check_rules(*args, prune=True, resource=sheet.code)
        except HuitongError as exc:
            if exc.code != "invalid":
                raise
            return _rules_page(ctx, sheet, text, status=422, refused=exc)
        if not save:
            return _rules_page(ctx, sheet, text, plan=plan)
    target = (
        f"/quality/resource/{sheet.code}/rules?done=saved"
        f"&added={done.added}&changed={done.updated}&removed={done.removed}"
    )
    return RedirectResponse(target, status_code=303)


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
    store = required_store(request)  # opened outside the page's transaction (SQLite)
    with page(request) as ctx:
        _require(ctx)
        qrun = quality.run(ctx.session, store, ctx.actor, code)
        target = f"/quality/resource/{qrun.resource_code}?done=run"
    return RedirectResponse(target, status_code=303)


@router.post("/quality/resource/{code:path}/release/{snapshot_id}")
def release(request: Request, code: str, snapshot_id: str):
    store = required_store(request)
    with page(request, read_only=True) as ctx:
        _require(ctx)
        actor = ctx.actor
    qrun = quality.release(request.app.state.db, store, actor, code, snapshot_id)
    return RedirectResponse(f"/quality/resource/{qrun.resource_code}?done=release", status_code=303)


def _section(ctx: Ctx) -> dict | None:
    if ctx.actor.is_public:
        return None
    return _ranking(ctx)


dashboard.register(Section("quality", "dashboard.quality", "quality.html", _section, order=35))
