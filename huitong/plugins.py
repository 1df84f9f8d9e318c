"""The plugin manager: built-ins first, then installed plugins (``huitong`` entry points).

Built once per process, on first use, and never changed afterwards except by
:func:`register` (tests, embedding applications). The hooks are in :mod:`huitong.hookspecs`.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

import pluggy

from huitong import hookspecs

hookimpl = pluggy.HookimplMarker("huitong")
ENTRY_POINT_GROUP = "huitong"

# The built-ins, registered through the same hooks a plugin uses (named, not imported here, so
# that a low layer asking for a hook never imports the layers above it).
DEFAULT_PLUGINS = (
    "huitong.share.listeners",
    "huitong.catalog.listeners",
)

_lock = threading.Lock()
_manager: pluggy.PluginManager | None = None


def manager() -> pluggy.PluginManager:
    global _manager
    if _manager is None:
        with _lock:
            if _manager is None:
                pm = pluggy.PluginManager("huitong")
                pm.add_hookspecs(hookspecs)
                for name in DEFAULT_PLUGINS:
                    pm.register(importlib.import_module(name), name=name)
                pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
                _manager = pm
    return _manager


def hook() -> Any:
    return manager().hook


def register(plugin: object, name: str | None = None) -> None:
    """Install a plugin in this process (what an entry point does at start)."""
    manager().register(plugin, name=name)


def unregister(plugin: object) -> None:
    manager().unregister(plugin)


def collected(results: list[dict[str, Any] | None], what: str) -> dict[str, Any]:
    """Merge the dicts several plugins answered; two plugins giving one name is an error."""
    out: dict[str, Any] = {}
    for part in results:
        for name, value in (part or {}).items():
            if name in out and out[name] is not value:
                raise ValueError(f"two plugins define the {what} {name!r}")
            out[name] = value
    return out


def flattened(results: list[list[Any] | None]) -> list[Any]:
    return [item for part in results for item in (part or [])]


def plugin_names() -> list[str]:
    """Installed plugins, built-ins last (what ``huitong plugins`` lists)."""
    pm = manager()
    return [pm.get_name(p) or repr(p) for p in pm.get_plugins()]


__all__ = ["collected", "flattened", "hook", "hookimpl", "manager", "plugin_names", "register", "unregister"]
