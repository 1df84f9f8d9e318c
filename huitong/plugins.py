"""The plugin manager: built-ins first, then installed plugins (``huitong`` entry points).

Built once per process, on first use, and never changed afterwards except by
:func:`register` (tests, embedding applications). The hooks are in :mod:`huitong.hookspecs`.
"""

from __future__ import annotations

import importlib
import threading
from importlib.metadata import entry_points
from typing import Any

import pluggy

from huitong import hookspecs
from huitong.errors import HuitongError

hookimpl = pluggy.HookimplMarker("huitong")
ENTRY_POINT_GROUP = "huitong"

# The built-ins, registered through the same hooks a plugin uses (named, not imported here, so
# that a low layer asking for a hook never imports the layers above it).
DEFAULT_PLUGINS = (
    "huitong.share.listeners",
    "huitong.catalog.listeners",
    "huitong.quality.listeners",
    "huitong.classify.listeners",
)

_lock = threading.RLock()
_manager: pluggy.PluginManager | None = None
_building: pluggy.PluginManager | None = None  # while plugins load (a plugin may ask for hooks)


def manager() -> pluggy.PluginManager:
    global _manager, _building
    if _manager is not None:
        return _manager
    with _lock:
        if _manager is not None:
            return _manager
        if _building is not None:  # this thread, from a plugin being imported: what is loaded so far
            return _building
        pm = _building = pluggy.PluginManager("huitong")
        try:
            pm.add_hookspecs(hookspecs)
            for name in DEFAULT_PLUGINS:
                pm.register(importlib.import_module(name), name=name)
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                if pm.get_plugin(ep.name) is None:
                    try:
                        pm.register(ep.load(), name=ep.name)
                    except Exception as exc:  # name the broken plugin instead of a traceback
                        raise HuitongError(
                            f"plugin {ep.name!r} ({ep.value}) could not be loaded: {type(exc).__name__}: {exc}; "
                            "fix or uninstall it",
                            code="plugin_error",
                            status=500,
                        ) from exc
        finally:
            _building = None
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
            if name in out and out[name] is not value and out[name] != value:
                raise ValueError(f"two plugins define the {what} {name!r}")
            out[name] = value
    return out


def additions(results: list[dict[str, Any] | None], builtins, what: str) -> dict[str, Any]:
    """What plugins add to a registry of built-ins; a plugin redefining a built-in is refused."""
    found = collected(results, what)
    clash = sorted(set(found) & set(builtins))
    if clash:
        raise ValueError(f"a plugin redefines the built-in {what} {clash[0]!r}")
    return found


def flattened(results: list[list[Any] | None]) -> list[Any]:
    return [item for part in results for item in (part or [])]


def plugin_names() -> list[str]:
    """Installed plugins, built-ins last (what ``huitong plugins`` lists)."""
    pm = manager()
    return [pm.get_name(p) or repr(p) for p in pm.get_plugins()]


__all__ = ["collected", "flattened", "hook", "hookimpl", "manager", "plugin_names", "register", "unregister"]
