"""Which records of a resource are disputed (异议标注) now, for every delivery and data view.

A flagged record is marked, never withheld (51号: a citizen under 校核 must still be served). The
deliveries' hot paths ask on every call, so the answer is kept in memory per database
(``db.parts``) for a few seconds: a step that changes a flag forgets it once committed, so this
process sees the change on its next call; another process (the CLI, a second server) within
:data:`TTL` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session

from huitong.catalog.tables import Resource
from huitong.db.base import Database
from huitong.quality.objection_flow import DISPUTED
from huitong.quality.service import latest_run
from huitong.quality.tables import Objection
from huitong.store.schema import normalise_code

TTL = 5.0
_DISPUTED = sorted(s.value for s in DISPUTED)


def norm(value: Any) -> str:
    """A key value as keys are compared at delivery (blanks and letter case do not count)."""
    return str(value).strip().upper() if value is not None else ""


def key_of(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(norm(v) for v in values)


def _normalised(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """:func:`norm` over a whole column: as text, blanks trimmed, upper case, nulls as ''."""
    text = pc.cast(column, pa.string()) if not pa.types.is_string(column.type) else column
    out = pc.fill_null(pc.utf8_upper(pc.utf8_trim_whitespace(text)), "")
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


@dataclass(frozen=True)
class Disputes:
    """A resource's disputed records: normalised key → the disputed items (empty: the whole
    record); ``whole``: an objection to the resource itself is flagged."""

    code: str
    key_items: tuple[str, ...] = ()
    records: Mapping[tuple[str, ...], frozenset[str]] = field(default_factory=dict)
    whole: bool = False
    open: int = 0  # flagged objections (shown as disputed) on the resource
    score: float | None = None  # the quality score of the current version

    def of(self, key: tuple[str, ...]) -> frozenset[str] | None:
        """The disputed items of a record (empty: all of it), None when it is not disputed."""
        return self.records.get(key)

    def mark(self, row: dict[str, Any], key: tuple[str, ...]) -> dict[str, Any]:
        """The row with ``_disputed`` (and ``_disputed_items`` for a field) when disputed."""
        items = self.of(key)
        if items is None:
            return row
        row["_disputed"] = True
        if items:
            row["_disputed_items"] = sorted(items)
        return row

    def mark_rows(self, rows: list[dict[str, Any]], columns: Mapping[str, list[Any]]) -> list[dict[str, Any]]:
        """Mark each row by its key values, taken from ``columns`` (key item → values, in row order)."""
        if self.records and all(k in columns for k in self.key_items):
            keys = zip(*(columns[k] for k in self.key_items), strict=True)
            for row, key in zip(rows, keys, strict=True):
                self.mark(row, key_of(key))
        return rows

    def marker_columns(
        self, columns: Mapping[str, pa.ChunkedArray | pa.Array], rows: int
    ) -> dict[str, pa.Array]:
        """The markers of a whole table at once (batch extracts): ``_disputed`` (bool) and
        ``_disputed_items`` (the disputed items joined by ``;``, empty for a whole record), found by
        joining the table's normalised key columns with the disputed keys instead of row by row."""
        flags = np.zeros(rows, dtype=bool)
        texts = np.full(rows, "", dtype=object)
        if self.records and rows and all(k in columns for k in self.key_items):
            names = [f"k{i}" for i in range(len(self.key_items))]
            keys = {n: _normalised(columns[k]) for n, k in zip(names, self.key_items, strict=True)}
            left = pa.table({**keys, "_row": pa.array(np.arange(rows, dtype=np.int64))})
            listed = list(self.records.items())
            right = pa.table(
                {
                    **{n: pa.array([k[i] for k, _ in listed], pa.string()) for i, n in enumerate(names)},
                    "_items": pa.array([";".join(sorted(v)) for _, v in listed], pa.string()),
                }
            )
            hit = left.join(right, names, join_type="inner")
            at = hit.column("_row").to_numpy()
            flags[at] = True
            texts[at] = hit.column("_items").to_numpy(zero_copy_only=False)
        flag, items = pa.array(flags, pa.bool_()), pa.array(texts, pa.string())
        return {"_disputed": flag, "_disputed_items": items}

    def summary(self) -> dict[str, Any]:
        return {"score": self.score, "open_objections": self.open, "resource_disputed": self.whole}


def disputed_keys(session: Session, code: str) -> Disputes:
    """Read what is disputed on a resource now (one indexed query on the objections)."""
    code = normalise_code(code)
    res = session.scalar(select(Resource).where(Resource.code == code))
    key_items = tuple(it.name for it in res.items if it.is_key) if res is not None else ()
    rows = session.execute(
        select(Objection.scope, Objection.key, Objection.item).where(
            Objection.resource_code == code, Objection.state.in_(_DISPUTED)
        )
    ).all()
    records: dict[tuple[str, ...], set[str] | None] = {}
    whole = False
    for scope, key, item in rows:
        if scope == "resource" or not key:
            whole = True
            continue
        k = key_of(key)
        if scope == "record":
            records[k] = None  # the whole record
        elif k not in records:
            records[k] = {item}
        elif records[k] is not None:
            records[k].add(item)
    last = latest_run(session, code)
    return Disputes(
        code,
        key_items,
        {k: frozenset(v or ()) for k, v in records.items()},
        whole,
        len(rows),
        last.score if last is not None else None,
    )


class DisputeCache:
    """Disputes per resource code for :data:`TTL` seconds, one per database."""

    def __init__(self, ttl: float = TTL):
        self.ttl = ttl
        self._lock = threading.Lock()
        self._by_code: dict[str, tuple[float, Disputes]] = {}
        self._generation = 0  # a read that a forget overtook is not kept

    def get(self, db: Database, code: str) -> Disputes:
        code = normalise_code(code)
        with self._lock:
            hit = self._by_code.get(code)
            generation = self._generation
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        started = time.monotonic()
        with db.session(read_only=True) as s:
            found = disputed_keys(s, code)
        with self._lock:
            if generation == self._generation:
                self._by_code[code] = (started, found)
        return found

    def forget(self, code: str) -> None:
        with self._lock:
            self._generation += 1
            self._by_code.pop(normalise_code(code), None)


def cache(db: Database) -> DisputeCache:
    return db.parts.get(DisputeCache, DisputeCache)


def current(db: Database, code: str) -> Disputes:
    """What is disputed on a resource, from memory when it is fresh (the deliveries' path)."""
    return cache(db).get(db, code)
