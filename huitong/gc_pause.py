"""Pausing Python's cyclic garbage collector around bulk work (批量处理).

Bulk work allocates many objects that stay alive (a catalog import), or runs beside a process's
large, long-lived heap (a load, next to the analyzer's dictionaries and the division tables). A
collection then walks that whole heap, frees almost nothing, and holds the GIL while it does, which
stops a load's reader and writer threads too. Reference counting still frees everything that is
not a cycle; the few cycles made meanwhile are collected once the pause ends. The pause is
process-wide: in a server, a long load also defers the cycles of other requests until it ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_gc_lock = threading.Lock()
_gc_depth = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """No automatic cyclic collection inside the block (reference counting still frees
    everything else). Nests, and across threads: the collector comes back when the last
    block ends, and only if it was on when the first began."""
    global _gc_depth, _gc_was_enabled
    with _gc_lock:
        if _gc_depth == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_was_enabled:
                gc.enable()


__all__ = ["gc_paused"]
