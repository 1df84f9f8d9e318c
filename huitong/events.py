"""Typed domain events: what happened, as the packages that care about it hear it.

An event is emitted inside the transaction of the action that caused it; listeners (plugins
implementing ``huitong_event``) run in that same transaction, so what they do commits or rolls
back with the action. This is how packages react to each other without importing upwards:
the pipeline emits :class:`VersionLoaded` and sharing's subscriptions queue their notices;
sharing emits :class:`GrantRevoked` and the subscriptions close; the organisation emits
:class:`DepartmentAdded` and the catalog gives the department its 部门 classification node.
Quality, classification, fusion and the portal hook in the same way.

Each event names the ledger action it is evidence of (``action``); the action's entry is
recorded by the emitter with the event's fields and whatever details listeners add.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from huitong import plugins


@dataclass(frozen=True)
class Event:
    action: ClassVar[str]  # the ledger action this event is the evidence of

    def details(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class VersionLoaded(Event):
    """A load stored a new version of a resource (存)."""

    action: ClassVar[str] = "aggregate.load"
    resource: str
    snapshot_id: int | str
    previous_snapshot_id: int | str | None
    counts: dict[str, int] = field(default_factory=dict)
    load_id: int | None = None
    # the store holding the version, for listeners that read it (quality); not part of the evidence
    store: Any = field(default=None, compare=False, repr=False)

    def details(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "store"}


@dataclass(frozen=True)
class GrantRevoked(Event):
    """A provider revoked a grant; held batch extracts are being recalled (转)."""

    action: ClassVar[str] = "share.grant.revoke"
    grant: int
    resource: str
    reason: str
    recall: int | None
    delete_batches: list[int]


@dataclass(frozen=True)
class DepartmentAdded(Event):
    """A department joined the platform (组织)."""

    action: ClassVar[str] = "org.department.add"
    department_id: int
    code: str
    name: str
    region: str
    region_name: str


CATALOGUE: tuple[type[Event], ...] = (VersionLoaded, GrantRevoked, DepartmentAdded)


log = logging.getLogger("huitong.events")


def emit(session: Any, event: Event) -> dict[str, Any]:
    """Tell every listener, in the caller's transaction; returns the details they added. A
    listener that raises refuses the action: the emitter's transaction rolls back."""
    return plugins.collected(plugins.hook().huitong_event(session=session, event=event), "event detail")


def emit_after(session: Any, event: Event) -> dict[str, Any]:
    """For an event about something already durable outside the database (a version in the
    store): the listeners run in a savepoint; one that raises cannot undo what happened, so its
    writes are rolled back, the failure is logged, and it is said in the returned details
    (``listener_failed``) for the evidence, while the action itself is recorded as it was."""
    try:
        with session.begin_nested():
            return emit(session, event)
    except Exception as exc:  # a plugin's bug must not leave the action unrecorded
        log.exception("a listener failed on %s", type(event).__name__)
        return {"listener_failed": f"{type(exc).__name__}: {exc}"[:300]}


def merged(details: dict[str, Any], added: dict[str, Any]) -> dict[str, Any]:
    """The emitter's evidence details with what listeners added; the emitter's own fields win, so
    a listener can add to the evidence but never rewrite it."""
    clash = sorted(set(details) & set(added))
    if clash:
        log.warning("listeners tried to replace evidence fields %s; kept the emitter's", clash)
    return {**added, **details}
