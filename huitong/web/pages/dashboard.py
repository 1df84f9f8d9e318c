"""治理驾驶舱: the governance dashboard.

Charts count the resources the viewer may see (the search index's facets, so hidden
entries are never counted), by department, category and sharing type. Further sections
are registered in :data:`SECTIONS`: the sharing work fills the placeholders (data flows,
decision times, sleeping data) by registering a provider under the same key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from starlette.requests import Request

from huitong import plugins
from huitong.aggregate import loads
from huitong.catalog.search_service import search_page
from huitong.web import nav
from huitong.web.charts import bars
from huitong.web.pages.aggregate import schedule_zone
from huitong.web.routing import Ctx, console_router, page

router = console_router()
nav.register(nav.NavItem("dashboard", "/dashboard", "nav.dashboard", 50))


@dataclass
class Section:
    """A dashboard section: ``provide`` returns what its template shows, or None when the
    viewer has nothing there; a section without a provider shows as "coming with sharing"."""

    key: str
    title: str  # translation key
    template: str | None = None  # under templates/dashboard/
    provide: Callable[[Ctx], dict | None] | None = None
    order: int = 100
    templates: Path | None = None  # a plugin's folder holding dashboard/<template>


SECTIONS: dict[str, Section] = {}


def all_sections() -> list[Section]:
    """The built-in sections and those plugins bring (``huitong_dashboard_sections``), in order."""
    extra = {s.key: s for s in plugins.flattened(plugins.hook().huitong_dashboard_sections())}
    return sorted((SECTIONS | extra).values(), key=lambda s: s.order)


def register(section: Section) -> Section:
    SECTIONS[section.key] = section
    return section


def _late_loads(ctx: Ctx) -> dict | None:
    if ctx.actor.is_public:
        return None
    found = loads.source_statuses(ctx.session, ctx.actor, datetime.now(UTC), schedule_zone(ctx))
    late = [
        {"source": st.source, "resource": st.resource, "state": st.schedule, "last": st.last}
        for st in found
        if st.schedule and st.schedule.late
    ]
    return {"late": late, "scheduled": sum(1 for st in found if st.source.schedule)}


# Placeholders the sharing work (huitong/share) fills by registering a provider and template.
register(Section("data_flow", "dashboard.data_flow", order=10))
register(Section("decision_time", "dashboard.decision_time", order=20))
register(Section("sleeping_data", "dashboard.sleeping_data", order=30))
register(Section("late_loads", "dashboard.late_loads", "late_loads.html", _late_loads, order=40))


@router.get("/dashboard")
def dashboard(request: Request):
    with page(request) as ctx:
        result = search_page(ctx.db, ctx.session, ctx.actor, "", per_page=1)
        t = ctx.t
        charts = [
            (
                "department",
                "dashboard.by_department",
                bars([(f["label"], f["count"]) for f in result["facets"]["department"]], limit=12),
            ),
            (
                "category",
                "dashboard.by_category",
                bars([(t.label("category", f["value"]), f["count"]) for f in result["facets"]["category"]]),
            ),
            (
                "share_type",
                "dashboard.by_share_type",
                bars(
                    [(t.label("share_type", f["value"]), f["count"]) for f in result["facets"]["share_type"]]
                ),
            ),
        ]
        sections = []
        for section in all_sections():
            data = section.provide(ctx) if section.provide else None
            if section.provide and data is None:
                continue  # nothing for this viewer
            sections.append({"section": section, "data": data})
        return ctx.render(
            "dashboard/index.html", area="dashboard", total=result["total"], charts=charts, sections=sections
        )
