"""Aggregation (归集) pages: the sources a viewer may see, their schedules, load runs with
status and counts, and each load's rejected rows with row, column and reason."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request

from huitong.access import Actor
from huitong.access.roles import Role
from huitong.aggregate import loads
from huitong.aggregate.registry import redact
from huitong.aggregate.tables import SourceRow
from huitong.catalog.tables import Resource
from huitong.errors import Unauthenticated
from huitong.web import nav
from huitong.web.data import may_read_data
from huitong.web.forms import Form
from huitong.web.routing import Ctx, console_router, page

router = console_router()
nav.register(
    nav.NavItem(
        "aggregate",
        "/aggregate",
        "nav.aggregate",
        20,
        lambda a: a.has(Role.dept_admin) or a.has(Role.dept_user),
    )
)
REJECTS_PER_PAGE = 100


def schedule_zone(ctx: Ctx) -> str | None:
    settings = getattr(ctx.request.app.state, "settings", None)
    return settings.schedule_timezone if settings is not None else None


def _require_staff(actor: Actor) -> None:
    if actor.is_public:
        raise Unauthenticated()


@router.get("/aggregate")
def sources(request: Request):
    with page(request) as ctx:
        _require_staff(ctx.actor)
        found = loads.source_statuses(ctx.session, ctx.actor, datetime.now(UTC), schedule_zone(ctx))
        rows = [
            {
                "source": st.source,
                "resource": st.resource,
                "options": redact(st.source.config),
                "last": st.last,
                "schedule": st.schedule,
            }
            for st in found
        ]
        recent = loads.recent_loads(ctx.session, [st.source for st in found])
        names = {st.source.id: st.source.name for st in found}
        return ctx.render("aggregate/index.html", area="aggregate", rows=rows, loads=recent, names=names)


@router.get("/aggregate/loads/{load_id}")
def load(request: Request, load_id: int):
    with page(request) as ctx:
        _require_staff(ctx.actor)
        run = loads.get_load(ctx.session, ctx.actor, load_id)  # the API's answer: 404, or 403 if not yours
        source = ctx.session.get(SourceRow, run.source_id)
        res = ctx.session.get(Resource, source.resource_id)
        raw = may_read_data(ctx.actor, res.provider_id)  # rejects hold raw values
        form = Form(dict(request.query_params), ctx.t)
        page_no = form.integer("page", "catalog.page", default=1, high=100_000)
        rejects = (
            raw
            and loads.rejects(
                ctx.session,
                ctx.actor,
                load_id,
                limit=REJECTS_PER_PAGE,
                offset=(page_no - 1) * REJECTS_PER_PAGE,
            )[1]
        )
        return ctx.render(
            "aggregate/load.html",
            area="aggregate",
            status=200 if form.ok else 422,
            run=run,
            source=source,
            res=res,
            rejects=rejects or [],
            rejects_hidden=not raw,
            page_no=page_no,
            pages=max(1, -(-run.rows_rejected // REJECTS_PER_PAGE)),
            errors=form.errors,
        )
