"""The console's access to stored data and load lineage, with the one permission rule for it.

Stored rows and loads are shown under the policy's ``data.read`` (the provider department's
staff) until the sharing work adds grants: change :func:`may_read_data` there, nowhere else.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request

from huitong.access import Actor, Target, decide
from huitong.errors import HuitongError

log = logging.getLogger("huitong.web")


def may_read_data(actor: Actor, provider_id: int) -> bool:
    """Rows, versions, diffs and load lineage of a resource of department ``provider_id``."""
    return bool(decide(actor, "data.read", Target(department_id=provider_id)))


def may_monitor(actor: Actor, provider_id: int) -> bool:
    """Sources, schedules and load lineage of department ``provider_id`` (not rows or rejects)."""
    return bool(decide(actor, "aggregate.monitor", Target(department_id=provider_id)))


def store_for(request: Request) -> Any | None:
    """The app's :class:`~huitong.store.Store` (``app.state.store``), opened on first use from the
    settings; None when it has neither or the store cannot be opened (the page says so).
    Call it outside a page's transaction: on SQLite, opening may create the catalog's tables."""
    state = request.app.state
    store = getattr(state, "store", None)
    if store is None and getattr(state, "settings", None) is not None:
        from huitong.store import Store

        try:
            store = Store.from_settings(state.settings)
        except HuitongError as exc:
            log.warning("the console cannot open the data store: %s", exc.message)
            return None
        state.store = store
    return store


def required_store(request: Request) -> Any:
    """:func:`store_for`, or a clear 503 for a page that cannot work without the store."""
    store = store_for(request)
    if store is None:
        raise HuitongError("the data store cannot be opened here", code="storage_error", status=503)
    return store
