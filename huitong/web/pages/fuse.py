"""Base-library pages (基础库, 多源融合): every base library with its last run's figures and a run-now
button; one library's definition, runs, the trained model as a chart of match weights, the clerical
review queue (人工复核: both source records side by side, masked, with a same / different form) and
its first conflicts; one person's (or entity's) record with the source of every field (字段来源).

Values are shown masked by grade everywhere: the base library's by its own items'
(``fuse.views.displayer``), a source record's by its source item's (``service.source_records``), and a
record key's record id (a source's own key, often an ID number) by the grade of the item it is."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse

from huitong.access import Target, decide
from huitong.errors import HuitongError, Problem, Unauthenticated, invalid
from huitong.fuse import service
from huitong.fuse.spec import COMPARED
from huitong.fuse.views import displayer, key_displayer
from huitong.fuse.weights import level_weights, prior_weight
from huitong.web import nav
from huitong.web.charts import weight_bars
from huitong.web.data import required_store
from huitong.web.names import resource_names
from huitong.web.routing import Ctx, console_router, page

router = console_router()
nav.register(nav.NavItem("fuse", "/fuse", "nav.fuse", 28, lambda a: bool(decide(a, "fuse.read", Target()))))
SHOWN_PAIRS = 20  # pairs of the review queue shown at once (the most uncertain first)
SHOWN_CONFLICTS = 20


def _require(ctx: Ctx) -> None:
    if ctx.actor.is_public:
        raise Unauthenticated()


def _may_manage(ctx: Ctx) -> bool:
    return bool(decide(ctx.actor, "fuse.manage", Target()))


@router.get("/fuse")
def overview(request: Request):
    with page(request, read_only=True) as ctx:
        _require(ctx)
        libraries = [
            service.summary(ctx.session, ctx.actor, f.code) for f in service.fusions(ctx.session, ctx.actor)
        ]
        codes = {c for lib in libraries for c in [lib["target"], *lib["inputs"]]}
        return ctx.render(
            "fuse/index.html",
            area="fuse",
            libraries=libraries,
            names=resource_names(ctx.session, codes),
            may_manage=_may_manage(ctx),
            done=request.query_params.get("done"),
        )


@router.post("/fuse/{code}/run")
def run_now(request: Request, code: str):
    """Run outside the page's transaction: a run reads and writes the store, then records itself."""
    store = required_store(request)
    with page(request, read_only=True) as ctx:
        _require(ctx)
        actor = ctx.actor
        back = ctx.form().get("back")
    result = service.run(request.app.state.db, store, actor, code)
    done = "unchanged" if result.unchanged else "run"
    target = (
        f"/fuse/{quote(code)}?done={done}" if back == "library" else f"/fuse?done={done}#lib-{quote(code)}"
    )
    return RedirectResponse(target, status_code=303)


def _library_page(ctx: Ctx, store, code: str, *, status: int = 200, **values):
    row = service.get(ctx.session, ctx.actor, code)
    d = service.definition_of(row)
    summary = service.summary(ctx.session, ctx.actor, code)
    runs = service.runs(ctx.session, ctx.actor, code)
    show, key = displayer(ctx.session, row), key_displayer(ctx.session, d)
    trained = row.model or {}
    weights = level_weights(trained)
    may_manage = _may_manage(ctx)
    pairs, records = [], {}
    if may_manage:  # the queue and the source records are the steward's (fuse.manage)
        queue = service.review_queue(ctx.session, ctx.actor, code, limit=SHOWN_PAIRS)
        wanted = list(dict.fromkeys(k for p in queue for k in (p.record_a, p.record_b)))
        if wanted:
            records = {
                r["record_key"]: r
                for r in service.source_records(ctx.session, store, ctx.actor, code, wanted)
            }
        pairs = [{"pair": p, "levels": p.levels or {}} for p in queue]
    conflicts = service.conflicts(ctx.session, ctx.actor, code, limit=SHOWN_CONFLICTS)
    codes = {
        row.target_code,
        *(i.resource for i in d.inputs),
        *(summary["last_run"] or {}).get("by_input", {}),
    }
    values = {"refused": None, "done": ctx.request.query_params.get("done"), **values}
    return ctx.render(
        "fuse/library.html",
        area="fuse",
        status=status,
        row=row,
        d=d,
        summary=summary,
        runs=runs,
        names=resource_names(ctx.session, codes),
        chart=weight_bars([(w.comparison, w.level, w.weight) for w in weights]),
        weights=weights,
        prior=prior_weight(trained),
        pairs=pairs,
        records=records,
        compared=COMPARED[d.kind],
        conflicts=conflicts,
        show=show,
        key=key,
        may_manage=may_manage,
        **values,
    )


@router.get("/fuse/{code}")
def library(request: Request, code: str):
    """A write session: showing the review queue's source records is a data access, in the ledger."""
    store = required_store(request)
    with page(request) as ctx:
        _require(ctx)
        return _library_page(ctx, store, code)


@router.get("/fuse/{code}/find")
def find(request: Request, code: str):
    """The search box: a base id typed in opens its record."""
    with page(request, read_only=True) as ctx:
        _require(ctx)
        row = service.get(ctx.session, ctx.actor, code)
    wanted = request.query_params.get("base_id", "").strip()
    if not wanted:
        return RedirectResponse(f"/fuse/{quote(row.code)}", status_code=303)
    return RedirectResponse(f"/fuse/{quote(row.code)}/records/{quote(wanted, safe='')}", status_code=303)


@router.post("/fuse/{code}/review")
def review(request: Request, code: str):
    """A verdict on one pair of the queue: the form names the pair (its record keys, which may hold
    an ID number, stay out of the page), the verdict and a reason."""
    store = required_store(request)
    with page(request) as ctx:
        _require(ctx)
        form = ctx.form()
        verdict, reason = form.get("verdict", ""), form.get("reason", "")
        # the queue first: it is the permission check (fuse.manage) before anything is said of the form
        queue = service.review_queue(ctx.session, ctx.actor, code, limit=service.REVIEW_LIMIT)
        try:
            if verdict not in ("same", "different"):
                raise invalid(
                    "choose same or different", Problem("no verdict", field="verdict", code="fuse.verdict")
                )
            wanted = form.get("pair", "")
            pair = next((p for p in queue if str(p.id) == wanted), None)
            if pair is None:
                raise invalid(
                    "that pair no longer waits for review",
                    Problem("not in the review queue", field="pair", code="fuse.pair_gone"),
                )
            service.decide(
                ctx.session, ctx.actor, code, pair.record_a, pair.record_b, verdict == "same", reason
            )
        except HuitongError as exc:
            if exc.code != "invalid":
                raise
            return _library_page(ctx, store, code, status=422, refused=exc)
    return RedirectResponse(f"/fuse/{quote(code)}?done=decided#review", status_code=303)


@router.get("/fuse/{code}/records/{base_id}")
def record(request: Request, code: str, base_id: str):
    """One record with the source of every field; reading it is in the ledger (a write session)."""
    store = required_store(request)
    with page(request) as ctx:
        _require(ctx)
        explained = service.explain(ctx.session, store, ctx.actor, code, base_id)
        row = service.get(ctx.session, ctx.actor, code)
        d = service.definition_of(row)
        codes = {row.target_code, *(i.resource for i in d.inputs)}
        return ctx.render(
            "fuse/record.html",
            area="fuse",
            row=row,
            e=explained,
            names=resource_names(ctx.session, codes),
            show=displayer(ctx.session, row),
            key=key_displayer(ctx.session, d),
        )
