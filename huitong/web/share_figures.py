"""The dashboard's sharing sections (registered by :mod:`huitong.web.pages.share`): data flows
between departments, decision times and overdue requests per provider, and sleeping data.

Each ``provide(ctx)`` reads in the dashboard page's transaction and returns what its template
shows, or None to hide the section from this viewer. Flows count only deliveries the viewer may
see under ``share.read`` (the operator and auditors all; a department those it is party to).
"""

from __future__ import annotations

from sqlalchemy import func, select

from huitong.access import Target, decide
from huitong.catalog.tables import Resource
from huitong.errors import Forbidden
from huitong.org.tables import Department
from huitong.share import applications as apps
from huitong.share.tables import Delivery, ShareRequest
from huitong.web.charts import bars, flow_diagram
from huitong.web.routing import Ctx

SLEEPING_SHOWN = 20


def _names(ctx: Ctx) -> dict[int, str]:
    return {d.id: f"{d.region.name}{d.name}" for d in ctx.session.scalars(select(Department))}


def _may_see(ctx: Ctx, provider_id: int, consumer_id: int) -> bool:
    return bool(
        decide(ctx.actor, "share.read", Target(department_id=consumer_id))
        or decide(ctx.actor, "share.read", Target(department_id=provider_id))
    )


def data_flow(ctx: Ctx) -> dict | None:
    """Who receives what from whom: deliveries (share_delivery) per provider → consumer."""
    if ctx.actor.is_public:
        return None
    found = ctx.session.execute(
        select(
            Delivery.provider_id,
            Delivery.consumer_id,
            Delivery.resource_code,
            func.count(Delivery.id),
            func.coalesce(func.sum(Delivery.rows), 0),
        ).group_by(Delivery.provider_id, Delivery.consumer_id, Delivery.resource_code)
    ).all()
    found = [f for f in found if _may_see(ctx, f[0], f[1])]
    names = _names(ctx)
    codes = sorted({f[2] for f in found})
    resources = (
        dict(ctx.session.execute(select(Resource.code, Resource.name).where(Resource.code.in_(codes))).all())
        if codes
        else {}
    )
    pairs: dict[tuple[int, int], dict] = {}
    for provider, consumer, code, n, rows in found:
        p = pairs.setdefault(
            (provider, consumer),
            {
                "provider": names.get(provider, str(provider)),
                "consumer": names.get(consumer, str(consumer)),
                "deliveries": 0,
                "rows": 0,
                "resources": [],
            },
        )
        p["deliveries"] += n
        p["rows"] += int(rows or 0)
        p["resources"].append({"code": code, "name": resources.get(code, code), "deliveries": n})
    flows = sorted(pairs.values(), key=lambda p: (-p["deliveries"], p["provider"], p["consumer"]))
    diagram = flow_diagram([(p["provider"], p["consumer"], p["deliveries"]) for p in flows])
    return {"flows": flows, "diagram": diagram}


def decision_time(ctx: Ctx) -> dict | None:
    """Per provider department: received, decided, median working days, overdue (考核)."""
    if ctx.actor.is_public:
        return None
    try:
        stats = apps.department_stats(ctx.session, ctx.actor)
    except Forbidden:
        return None
    names = _names(ctx)
    for s in stats:
        s["label"] = names.get(s["department_id"], s["department"] or "")
    timed = [s for s in stats if s["median_decision_days"] is not None]
    return {
        "stats": stats,
        "bars": bars([(s["label"], s["median_decision_days"]) for s in timed]),
        "overdue": sum(s["overdue_now"] for s in stats),
        "late": sum(s["decided_late"] for s in stats),
    }


def sleeping_data(ctx: Ctx) -> dict | None:
    """Published resources nobody has applied for: no share_request row names them."""
    if ctx.actor.is_public:
        return None
    requested = select(ShareRequest.resource_id).distinct()
    published = [
        r
        for r in ctx.session.scalars(
            select(Resource).where(Resource.status == "published").order_by(Resource.code)
        )
        if decide(
            ctx.actor,
            "catalog.read",
            Target(department_id=r.provider_id, status=r.status, open_type=r.open_type),
        )
    ]
    asked = set(ctx.session.scalars(requested))
    sleeping = [r for r in published if r.id not in asked]
    names = _names(ctx)
    by_department: dict[str, int] = {}
    for r in sleeping:
        label = names.get(r.provider_id, "")
        by_department[label] = by_department.get(label, 0) + 1
    return {
        "published": len(published),
        "sleeping": [
            {
                "code": r.code,
                "name": r.name,
                "provider": names.get(r.provider_id, ""),
                "published": r.publish_date,
            }
            for r in sleeping[:SLEEPING_SHOWN]
        ],
        "count": len(sleeping),
        "shown": SLEEPING_SHOWN,
        "bars": bars(list(by_department.items()), limit=8),
    }
