"""The plugin hooks huitong offers (pluggy), in one place, as Datasette's ``hookspecs``.

A plugin is a module (or object) with functions marked ``@huitong.plugins.hookimpl`` and named
after a spec below; it is installed with a ``huitong`` entry point or registered with
:func:`huitong.plugins.register`. The built-ins arrive through the same hooks (see
``huitong.plugins.DEFAULT_PLUGINS``), so a plugin can do what a built-in does. ``docs/plugins.md``
has a worked example per hook.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("huitong")


@hookspec
def huitong_sources() -> list[tuple[str, type, dict[str, Any]]] | None:
    """Source kinds (汇 aggregation connectors): ``(kind, class, default options)``; the class
    implements :class:`huitong.aggregate.sources.Source`."""


@hookspec
def huitong_validators() -> dict[str, Any] | None:
    """Value validators by name (``name -> fn(text) -> CheckResult``); a local data element names
    one as its ``validator``."""


@hookspec
def huitong_mask_rules() -> dict[str, Any] | None:
    """Display masking (脱敏) rules by name (``name -> fn(text) -> text``); a data element names one
    as its ``mask_rule``. A built-in name cannot be replaced."""


@hookspec
def huitong_event(session: Any, event: Any) -> dict[str, Any] | None:
    """React to a domain event (:mod:`huitong.events`) inside the transaction that caused it.
    A listener may return details to add to the event's evidence entry (it cannot replace the
    emitter's own fields). Raising refuses the action and nothing is stored, except for events
    about something already durable outside the database (``VersionLoaded``: the version is in
    the store): then the listener's writes are rolled back and its failure is recorded."""


@hookspec
def huitong_console_pages() -> list[Any] | None:
    """Console pages: :class:`huitong.web.pages.ConsolePage` (a router, a nav entry, a template
    folder)."""


@hookspec
def huitong_dashboard_sections() -> list[Any] | None:
    """Sections of the governance dashboard (治理驾驶舱): :class:`huitong.web.pages.dashboard.Section`."""


@hookspec
def huitong_messages(lang: str) -> dict[str, str] | None:
    """Console translations a plugin brings for its pages and sections (``zh`` or ``en``)."""
