"""Sharing's reactions to other packages' events: subscribers hear of new versions and of
revoked grants (a built-in plugin, registered through ``huitong_event``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from huitong.events import Event, GrantRevoked, VersionLoaded
from huitong.plugins import hookimpl
from huitong.quality import service as quality
from huitong.share.subscriptions import enqueue, on_new_version
from huitong.share.tables import Subscription


@hookimpl
def huitong_event(session: Any, event: Event) -> dict[str, Any] | None:
    if isinstance(event, VersionLoaded):
        if quality.held_back(session, event.resource, event.snapshot_id):
            return None  # its quality gate kept it from being current: nothing new to tell
        # subscribers hear of the version in the transaction that records it
        on_new_version(session, event.resource, event.snapshot_id, event.previous_snapshot_id, event.counts)
    elif isinstance(event, GrantRevoked):
        subs = list(
            session.scalars(
                select(Subscription).where(Subscription.grant_id == event.grant, Subscription.active)
            )
        )
        for sub in subs:
            enqueue(
                session,
                sub,
                {
                    "type": "grant.revoked",
                    "grant": event.grant,
                    "resource": event.resource,
                    "reason": event.reason,
                    "recall": event.recall,
                    "delete_batches": event.delete_batches,
                },
            )
            sub.active = False
    return None
