"""Quality's reaction to a new version: measure it against the resource's rules, and where the
resource is gated and a ``fail`` rule failed, hold the version back (a built-in plugin).

It runs first among the listeners (``tryfirst``), so sharing's subscribers are not told of a
version that is held back."""

from __future__ import annotations

import logging
from typing import Any

from huitong.access.actor import SYSTEM
from huitong.aggregate.tables import LoadRun
from huitong.events import Event, VersionLoaded
from huitong.plugins import hookimpl
from huitong.quality import service

log = logging.getLogger("huitong.quality")


@hookimpl(tryfirst=True)
def huitong_event(session: Any, event: Event) -> dict[str, Any] | None:
    if not isinstance(event, VersionLoaded) or event.store is None:
        return None
    if not service.has_rules(session, event.resource):
        return None
    try:
        with session.begin_nested():  # a run that fails leaves nothing of itself behind
            qrun = service.run(
                session,
                event.store,
                SYSTEM,
                event.resource,
                event.snapshot_id,
                trigger="load",
                load_id=event.load_id,
            )
    except Exception as exc:  # the gate fails closed: an unmeasured version is not made current
        log.exception("quality run of %s %s failed", event.resource, event.snapshot_id)
        qrun = service.unmeasured(
            session,
            event.store,
            event.resource,
            event.snapshot_id,
            event.load_id,
            f"{type(exc).__name__}: {exc}",
        )
        if qrun is None:
            return {"quality": {"run": None, "outcome": "unmeasured", "error": type(exc).__name__}}
    if qrun.outcome == "quarantined" and event.load_id is not None:
        load = session.get(LoadRun, event.load_id)
        if load is not None:
            load.status, load.input_hash = "quarantined", None  # a re-send is read again
            load.message = (
                f"held back by its quality gate: {qrun.failed_fail_rules} fail rule(s) failed "
                f"(huitong quality results {qrun.id})"
                if qrun.score is not None or qrun.failed_fail_rules
                else f"held back by its quality gate: the rules could not be measured (quality run {qrun.id})"
            )
    return {"quality": {"run": qrun.id, "score": qrun.score, "outcome": qrun.outcome}}
