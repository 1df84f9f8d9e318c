"""Console page areas: one module per area, each with a ``router`` and its nav entry.

A plugin adds an area through the ``huitong_console_pages`` hook with a :class:`ConsolePage`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huitong import plugins
from huitong.web.nav import NavItem


@dataclass(frozen=True)
class ConsolePage:
    """A page area a plugin brings: its FastAPI router (built with ``console_router()``), its
    navigation entry, and the folder its templates are found in."""

    router: Any
    nav: NavItem | None = None
    templates: Path | None = None


def plugin_pages() -> list[ConsolePage]:
    return plugins.flattened(plugins.hook().huitong_console_pages())
