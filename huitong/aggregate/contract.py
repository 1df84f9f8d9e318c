"""The schema contract (数据契约) of a load, named as dlt names its contracts: what happens when the
department's source and the confirmed mapping disagree, or the values do not fit.

=====================  =====================================================================
a mapped column is     the load **fails** before a row is read, naming the column and the
missing                closest one in the source (a renamed header must be re-mapped, never
                       guessed)
a new column appears   the load goes ahead **without it**, and the column is recorded as a
(not in the mapping)   note on the load (``ingest show``, the API's load, the console) so the
                       department can decide whether to map it
a value is bad         its **row is rejected**, kept with file, row, column and reason
too many rejects       the load is **aborted** (no version is made) above the load policy's
                       ``max_rejects`` / ``max_reject_ratio``
=====================  =====================================================================

Pure: the pipeline applies it and keeps what it found with the load's lineage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MISSING_COLUMN = "fail"
NEW_COLUMN = "note"
BAD_VALUE = "reject_row"
TOO_MANY_REJECTS = "abort"


@dataclass(frozen=True)
class Contract:
    """The contract one load ran under, with the thresholds that abort it."""

    max_rejects: int | None = None
    max_reject_ratio: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "missing_column": MISSING_COLUMN,
            "new_column": NEW_COLUMN,
            "bad_value": BAD_VALUE,
            "too_many_rejects": TOO_MANY_REJECTS,
            "max_rejects": self.max_rejects,
            "max_reject_ratio": self.max_reject_ratio,
        }


def new_columns(source_columns: Iterable[str], mapped: Iterable[str]) -> list[str]:
    """The source's columns the mapping does not name, in source order."""
    taken = set(mapped)
    return [c for c in dict.fromkeys(source_columns) if c not in taken]


def notes(contract: Contract, unmapped: list[str]) -> dict[str, Any]:
    """What is kept with the load: the contract and what it found."""
    return {"contract": contract.as_dict(), "new_columns": unmapped}
