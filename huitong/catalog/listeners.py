"""The catalog's reactions to other packages' events (a built-in plugin)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from huitong.catalog.classification import PROVINCIAL_DEPT_ITEM
from huitong.catalog.tables import ClassNode
from huitong.events import DepartmentAdded, Event
from huitong.plugins import hookimpl


@hookimpl
def huitong_event(session: Any, event: Event) -> dict[str, Any] | None:
    if isinstance(event, DepartmentAdded):
        # every department gets its own 目 in the 部门 tree, so its resources can be coded
        prefix = "3" + PROVINCIAL_DEPT_ITEM[1:]
        taken = session.scalar(
            select(func.count()).select_from(ClassNode).where(ClassNode.parent_code == prefix)
        )
        node = ClassNode(
            code=f"{prefix}{taken + 1:03d}",
            name=f"{event.region_name}{event.name}",
            parent_code=prefix,
            department_id=event.department_id,
        )
        session.add(node)
        session.flush()
        return {"class_code": node.code}
    return None
