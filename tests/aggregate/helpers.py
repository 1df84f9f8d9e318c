"""Small helpers shared by the connector tests."""

from __future__ import annotations

from typing import Any

from huitong.aggregate.sources import Row, Source


def read_all(source: Source, batch_size: int = 1000) -> list[Row]:
    rows: list[Row] = []
    for batch in source.batches(batch_size=batch_size):
        assert batch, "no batch may be empty"
        assert len(batch) <= batch_size
        rows.extend(batch)
    return rows


def values(rows: list[Row]) -> list[dict[str, Any]]:
    return [r.values for r in rows]


def problems(rows: list[Row]) -> list[tuple[int, str | None, str]]:
    """(row, column, message) of every reading problem, in order."""
    return [(p.row, p.column, p.message) for r in rows for p in r.problems]
