"""What one version of a resource's table is (a snapshot and the load that made it), and how a
load is applied (its mode): shared by the store and the writer that builds versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from huitong.store._iceberg import Snapshot

P_LOAD, P_MODE, P_HASH = "huitong.load-id", "huitong.mode", "huitong.content-hash"
P_ROWS_IN, P_INSERTED, P_UPDATED, P_DELETED = (
    "huitong.rows-in",
    "huitong.inserted",
    "huitong.updated",
    "huitong.deleted",
)


class Mode(StrEnum):
    full = "full"  # the load is the whole new content
    append = "append"  # the load's rows are added (their keys must be new)
    upsert = "upsert"  # rows replace those with the same key, others are added


@dataclass(frozen=True)
class Version:
    """One snapshot of a resource's table."""

    snapshot_id: int
    committed_at: datetime  # UTC
    operation: str  # Iceberg's: append, overwrite, delete
    mode: str | None  # the load's: full, append, upsert
    load_id: str | None
    rows: int  # rows in this version
    inserted: int
    updated: int
    deleted: int
    content_hash: str | None  # of the load's rows
    parent_id: int | None
    unchanged: bool = False  # set by write(): the load changed nothing, this is the existing version

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["committed_at"] = self.committed_at.isoformat()
        d["snapshot_id"] = str(self.snapshot_id)  # 64-bit ids do not survive JSON numbers
        d["parent_id"] = None if self.parent_id is None else str(self.parent_id)
        return d


def _prop_int(summary: Mapping[str, Any] | None, name: str, fallback: str | None = None) -> int:
    if summary is None:
        return 0
    value = summary[name]
    if value is None and fallback:
        value = summary[fallback]
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def version_of(s: Snapshot) -> Version:
    sm = s.summary
    return Version(
        snapshot_id=s.snapshot_id,
        committed_at=datetime.fromtimestamp(s.timestamp_ms / 1000, UTC),
        operation=sm.operation.value if sm else "unknown",
        mode=sm[P_MODE] if sm else None,
        load_id=sm[P_LOAD] if sm else None,
        rows=_prop_int(sm, "total-records"),
        inserted=_prop_int(sm, P_INSERTED, "added-records"),
        updated=_prop_int(sm, P_UPDATED),
        deleted=_prop_int(sm, P_DELETED, "deleted-records"),
        content_hash=sm[P_HASH] if sm else None,
        parent_id=s.parent_snapshot_id,
    )
