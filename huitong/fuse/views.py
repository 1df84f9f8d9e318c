"""How a base library's values are shown where no grant says otherwise: each field as its item in the
base library's catalog entry is graded (clear, masked by its element's rule, or hidden for 核心), by
the same rule every other console view of stored values follows."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from huitong.catalog.tables import Resource
from huitong.fuse.definition import parse_definition
from huitong.fuse.tables import Fusion
from huitong.quality.service import item_views
from huitong.standards.store import elements_of

HIDDEN = "—"


def displayer(session: Session, fusion: Fusion) -> Callable[[str, object], str]:
    """field → its value as shown (text); a field whose item is gone is masked whole."""
    from sqlalchemy import select

    d = parse_definition(fusion.definition, where=fusion.code)
    res = session.scalars(select(Resource).where(Resource.code == fusion.target_code)).first()
    views = (
        item_views(res, elements_of(session, {it.element for it in res.items if it.element})) if res else {}
    )

    def show(field: str, value: object) -> str:
        if value is None or value == "":
            return ""
        view = views.get(d.items.get(field, ""))
        shown = view(value) if view else "*" * len(str(value))
        return HIDDEN if shown is None else str(shown)

    return show


def key_displayer(session: Session, d) -> Callable[[str], str]:
    """A record key (``<resource>:<record id>``) as shown: the record id masked as the input's
    record-id item is graded (a 户籍 record is keyed by its ID number, which no view shows whole)."""
    from sqlalchemy import select

    views = {}
    for inp in d.inputs:
        res = session.scalars(select(Resource).where(Resource.code == inp.resource)).first()
        if res is not None:
            elements = elements_of(session, {it.element for it in res.items if it.element})
            views[inp.resource] = item_views(res, elements).get(inp.roles.get("record_id", ""))

    def show(key: str) -> str:
        resource, _, record_id = key.partition(":")
        if not record_id:
            return ""
        view = views.get(resource)
        shown = view(record_id) if view else "*" * len(record_id)
        return f"{resource}:{HIDDEN if shown is None else shown}"

    return show
