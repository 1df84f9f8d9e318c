"""The navigation registry: each page area registers its entry with who may see it.

The predicate only decides whether the link is shown; the page itself still checks
permission with :func:`huitong.access.require`, as the REST route does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from huitong import plugins
from huitong.access import Actor

_ITEMS: dict[str, NavItem] = {}


@dataclass(frozen=True)
class NavItem:
    key: str  # also the ``area`` a page passes to mark the current link
    path: str
    label: str  # translation key
    order: int
    visible: Callable[[Actor], bool] = lambda actor: True


def register(item: NavItem) -> NavItem:
    _ITEMS[item.key] = item
    return item


def items_for(actor: Actor) -> list[NavItem]:
    return [i for i in all_items() if i.visible(actor)]


def all_items() -> list[NavItem]:
    """The built-in areas and those plugin pages bring, in order."""
    pages = plugins.flattened(plugins.hook().huitong_console_pages())
    extra = {p.nav.key: p.nav for p in pages if p.nav is not None}
    return sorted((_ITEMS | extra).values(), key=lambda i: i.order)
