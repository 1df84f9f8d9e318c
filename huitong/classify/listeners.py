"""Classification's reaction to a new version: scan it for personal data (数据资产梳理 kept up to
date), so a column that starts holding ID numbers is a finding the day it arrives (a built-in plugin).

It runs after quality (whose gate may hold the version back) and never fails the load: a scan that
cannot run is logged and the next version or a manual scan catches up."""

from __future__ import annotations

import logging
from typing import Any

from huitong.access.actor import SYSTEM
from huitong.classify import service
from huitong.events import Event, VersionLoaded
from huitong.plugins import hookimpl

log = logging.getLogger("huitong.classify")


@hookimpl
def huitong_event(session: Any, event: Event) -> dict[str, Any] | None:
    if not isinstance(event, VersionLoaded) or event.store is None:
        return None
    try:
        with session.begin_nested():
            result = service.scan(
                session, event.store, SYSTEM, event.resource, int(event.snapshot_id), trigger="load"
            )
    except Exception:
        log.exception("classification scan of %s %s failed", event.resource, event.snapshot_id)
        return {"classify": {"scan": None}}
    return {
        "classify": {
            "scan": result.scan.id,
            "findings": len(result.columns),
            "undeclared": [c.column for c in result.columns if service.undeclared(c)],
            "reviews": [r.trigger for r in result.reviews],
        }
    }
