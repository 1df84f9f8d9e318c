"""Aggregation (归集) pages: the sources a viewer may see, their schedules, load runs with
status and counts, and each load's rejected rows with row, column and reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from starlette.requests import Request

from huitong.access import Actor
from huitong.aggregate.registry import redact
from huitong.aggregate.tables import LoadReject, LoadRun, SourceRow
from huitong.catalog.tables import Resource
from huitong.errors import HuitongError, NotFound, Unauthenticated
from huitong.org.model import Role
from huitong.web import nav
from huitong.web.data import may_monitor, may_read_data
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
LATE_GRACE = timedelta(hours=1)  # a scheduled load may take a while before it counts as late


def visible_sources(ctx: Ctx) -> list[tuple[SourceRow, Resource]]:
    rows = ctx.session.execute(
        select(SourceRow, Resource)
        .join(Resource, SourceRow.resource_id == Resource.id)
        .order_by(SourceRow.name)
    ).all()
    return [(s, r) for s, r in rows if may_monitor(ctx.actor, r.provider_id)]


def last_loads(ctx: Ctx, source_ids: list[int]) -> dict[int, LoadRun]:
    out: dict[int, LoadRun] = {}
    if not source_ids:
        return out
    for run in ctx.session.scalars(
        select(LoadRun).where(LoadRun.source_id.in_(source_ids)).order_by(LoadRun.id)
    ):
        out[run.source_id] = run
    return out


def schedule_zone(ctx: Ctx) -> str | None:
    settings = getattr(ctx.request.app.state, "settings", None)
    return settings.schedule_timezone if settings is not None else None


def schedule_state(
    schedule: str | None,
    last: LoadRun | None,
    now: datetime,
    tz: str | None = None,
    added: datetime | None = None,
) -> dict | None:
    """When a scheduled source last should have run and next will, and whether it is late:
    no load started since the last scheduled time (plus a grace period). Read in the worker's
    time zone (``schedule_timezone``), so the console and the worker agree."""
    if not schedule:
        return None
    from huitong.aggregate.schedule import next_run, previous_run

    try:
        previous, following = previous_run(schedule, now, tz), next_run(schedule, now, tz)
    except (ValueError, KeyError, HuitongError):
        return {"previous": None, "next": None, "late": False, "invalid": True}
    # the last load, or for a source never loaded when it was added: not late before its first turn
    since = last.started_at if last else added
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)  # stored as UTC
    late = now - previous > LATE_GRACE and (since is None or since < previous)
    return {"previous": previous, "next": following, "late": late, "invalid": False}


def _require_staff(actor: Actor) -> None:
    if actor.is_public:
        raise Unauthenticated()


@router.get("/aggregate")
def sources(request: Request):
    with page(request) as ctx:
        _require_staff(ctx.actor)
        found = visible_sources(ctx)
        last = last_loads(ctx, [s.id for s, _ in found])
        now = datetime.now(UTC)
        rows = [
            {
                "source": s,
                "resource": r,
                "options": redact(s.config),
                "last": last.get(s.id),
                "schedule": schedule_state(s.schedule, last.get(s.id), now, schedule_zone(ctx), s.created_at),
            }
            for s, r in found
        ]
        loads = list(
            ctx.session.scalars(
                select(LoadRun)
                .where(LoadRun.source_id.in_([s.id for s, _ in found] or [-1]))
                .order_by(LoadRun.id.desc())
                .limit(100)
            )
        )
        names = {s.id: s.name for s, _ in found}
        return ctx.render("aggregate/index.html", area="aggregate", rows=rows, loads=loads, names=names)


@router.get("/aggregate/loads/{load_id}")
def load(request: Request, load_id: int):
    with page(request) as ctx:
        _require_staff(ctx.actor)
        run = ctx.session.get(LoadRun, load_id)
        source = ctx.session.get(SourceRow, run.source_id) if run else None
        res = ctx.session.get(Resource, source.resource_id) if source else None
        if res is None or not may_monitor(ctx.actor, res.provider_id):
            raise NotFound(f"no load {load_id}")  # not yours and not there look the same
        raw = may_read_data(ctx.actor, res.provider_id)  # rejects hold raw values
        form = Form(dict(request.query_params), ctx.t)
        page_no = form.integer("page", "catalog.page", default=1, high=100_000)
        rejects = raw and list(
            ctx.session.scalars(
                select(LoadReject)
                .where(LoadReject.load_id == load_id)
                .order_by(LoadReject.id)
                .limit(REJECTS_PER_PAGE)
                .offset((page_no - 1) * REJECTS_PER_PAGE)
            )
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
