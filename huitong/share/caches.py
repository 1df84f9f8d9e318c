"""The delivery hot path's memory, one set per database (owned by ``db.parts``): the current
version of each resource, verification indexes, use counted but not yet committed, and grant
views. Each says how stale it may be and why that is safe."""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Any

from huitong.db.base import Database
from huitong.errors import NotFound
from huitong.share.grants import check_quota
from huitong.share.tables import Grant
from huitong.store.store import Store

log = logging.getLogger("huitong.share.delivery")


def _norm(value: Any) -> str:
    return str(value).strip().upper() if value is not None else ""


class _Versions:
    """The current snapshot of each resource, answered from memory and re-read in the background
    at most once a second (reading Iceberg metadata takes milliseconds, too long to hold up
    every call): a new load is seen within a second or two. Kept per Store, since two stores (two
    warehouses) may hold the same resource code."""

    def __init__(self, ttl: float = 1.0):
        self.ttl = ttl
        self._lock = threading.Lock()
        # per Store, held weakly: a closed and dropped store takes its entries with it
        self._current: weakref.WeakKeyDictionary[Store, dict[str, tuple[float, int]]] = (
            weakref.WeakKeyDictionary()
        )
        self._refreshing: set[tuple[int, str]] = set()

    def _read(self, store: Store, code: str) -> int:
        if not store.exists(code):
            raise NotFound(f"resource {code} has not been loaded yet")
        sid = store.version(code).snapshot_id
        with self._lock:
            self._current.setdefault(store, {})[code] = (time.monotonic(), sid)
        return sid

    def _refresh(self, store: Store, code: str) -> None:
        try:
            self._read(store, code)
        except Exception:  # the next call retries; the cached version stays in use meanwhile
            log.debug("re-reading the current version of %s failed", code, exc_info=True)
        finally:
            with self._lock:
                self._refreshing.discard((id(store), code))

    def current(self, store: Store, code: str) -> int:
        with self._lock:
            hit = self._current.get(store, {}).get(code)
            stale = hit is not None and time.monotonic() - hit[0] >= self.ttl
            start = stale and (id(store), code) not in self._refreshing
            if start:
                self._refreshing.add((id(store), code))
        if hit is None:
            return self._read(store, code)
        if start:
            threading.Thread(target=self._refresh, args=(store, code), daemon=True).start()
        return hit[1]


class _VerifyIndex:
    """key tuple → compared values, per (resource, version, grant scope); a few kept in memory."""

    def __init__(self, size: int = 16):
        self.size = size
        self._maps: OrderedDict[tuple, dict[tuple, tuple]] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, store: Store, code: str, sid: int, key_items: list[str], cmp_items: list[str], scope
    ) -> dict:
        ident = (
            code,
            sid,
            tuple(key_items),
            tuple(cmp_items),
            json.dumps(scope, sort_keys=True, default=str),
        )
        with self._lock:
            found = self._maps.get(ident)
            if found is not None:
                self._maps.move_to_end(ident)
                return found
        table = store.read(
            code, snapshot_id=sid, columns=list(dict.fromkeys([*key_items, *cmp_items])), filter=scope
        )
        keys = zip(*(table.column(k).to_pylist() for k in key_items), strict=True)
        vals = zip(*(table.column(c).to_pylist() for c in cmp_items), strict=True)
        built = {tuple(_norm(x) for x in k): tuple(v) for k, v in zip(keys, vals, strict=True)}
        with self._lock:
            self._maps[ident] = built
            while len(self._maps) > self.size:
                self._maps.popitem(last=False)
        # An index lives as long as its version is current: keep the collector from walking it
        # (hundreds of thousands of tuples) on every full collection.
        gc.freeze()
        return built


class _Pending:
    """Verification use counted in this process but not yet committed (it commits with the
    evidence, in the ledger's group commit); added to the stored count when checking a quota."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[int, date], list[int]] = {}

    def take(self, g: Grant, day: date, stored: tuple[int, int], rows: int) -> None:
        """Count a call against the quota, or refuse it (QuotaExceeded) before it is served."""
        with self._lock:
            pending = self._counts.setdefault((g.id, day), [0, 0])
            check_quota(g, stored[0] + pending[0], stored[1] + pending[1], rows)
            pending[0] += 1
            pending[1] += rows

    def settle(self, g: Grant, day: date, rows: int) -> None:
        with self._lock:
            pending = self._counts.get((g.id, day))
            if pending is not None:
                pending[0] -= 1
                pending[1] -= rows


class _ViewCache:
    """A grant's view (terms, items, treatments, masks, subject items) for a few seconds: it
    changes only when the catalog or a data element does. A grant's terms never change once it
    is made; only revocation writes to it, so its status is read on every call (see
    :func:`_hot`) and a cached view whose status differs is read afresh."""

    def __init__(self, ttl: float = 5.0):
        self.ttl = ttl
        self._lock = threading.Lock()
        self._views: dict[int, tuple[float, Any]] = {}

    def get(self, grant_id: int, status: str, load: Callable[[], Any]) -> Any:
        """The cached view, or what ``load`` reads when there is none, it is old, or the grant's
        status has changed since."""
        now = time.monotonic()
        with self._lock:
            hit = self._views.get(grant_id)
        if hit and now - hit[0] < self.ttl and hit[1].grant.status == status:
            return hit[1]
        view = load()
        with self._lock:
            self._views[grant_id] = (now, view)
            if len(self._views) > 4096:
                self._views.pop(next(iter(self._views)))
        return view


class DeliveryCaches:
    def __init__(self) -> None:
        self.versions = _Versions()
        self.verify_index = _VerifyIndex()
        self.pending = _Pending()
        self.views = _ViewCache()


def caches(db: Database) -> DeliveryCaches:
    return db.parts.get(DeliveryCaches, DeliveryCaches)
