"""The navigation registry: each page area registers its entry with who may see it.

The predicate only decides whether the link is shown; the page itself still checks
permission with :func:`huitong.access.require`, as the REST route does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
    return sorted((i for i in _ITEMS.values() if i.visible(actor)), key=lambda i: i.order)


def all_items() -> list[NavItem]:
    return sorted(_ITEMS.values(), key=lambda i: i.order)
