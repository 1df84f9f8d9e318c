"""What a process keeps for one database beside its connections: the evidence writer, the
sequencer, the catalog's search index, the delivery caches. Each is built once on first use, is
owned here, and is closed with the database (newest first), so there is one declared home for
per-database state: no attributes stuck onto the handle, no module-global caches keyed by id()."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger("huitong.db")


class Parts:
    def __init__(self) -> None:
        self.lock = threading.RLock()  # held while a part is built or swapped
        self._parts: dict[type, Any] = {}

    def get(self, kind: type[T], build: Callable[[], T]) -> T:
        """The part of this kind, built by ``build`` the first time it is asked for."""
        found = self._parts.get(kind)
        if found is None:
            with self.lock:
                found = self._parts.get(kind)
                if found is None:
                    found = self._parts[kind] = build()
        return found

    def peek(self, kind: type[T]) -> T | None:
        return self._parts.get(kind)

    def put(self, kind: type[T], part: T | None) -> None:
        """Set (or with None, forget) the part of this kind; the caller closes what it replaces."""
        with self.lock:
            if part is None:
                self._parts.pop(kind, None)
            else:
                self._parts[kind] = part

    def close(self) -> None:
        """Close every part, newest first; each is forgotten only once closed (a writer handing
        over its entries is still the one ``get`` returns), and one that fails to close does not
        keep the others open: the first failure is raised after all were tried."""
        failure: BaseException | None = None
        with self.lock:
            for kind in reversed(list(self._parts)):
                close = getattr(self._parts[kind], "close", None)
                try:
                    if close is not None:
                        close()
                except Exception as exc:
                    log.exception("closing %s failed", kind.__name__)
                    failure = failure or exc
                finally:
                    self._parts.pop(kind, None)
        if failure is not None:
            raise failure
