"""One encoding of a stored value at every edge: JSON answers, CSV files, change sets.

A decimal is written in plain notation at its stored scale (``100.0000000000``, never ``1E+2``
nor ``1.000E-7``), so a consumer reads the same text whichever delivery mode it uses; dates and
times are ISO 8601; bytes are hex. JSON keeps decimals as strings so no float rounds them.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pyarrow as pa


def jsonable(value: Any) -> Any:
    """A stored value as JSON carries it."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def text(value: Any) -> str:
    """A stored value as the text a mask or a pseudonym is computed from (the same text JSON shows)."""
    return str(jsonable(value))


def csv_cell(value: Any) -> Any:
    """A stored value as a CSV cell (None is the empty cell)."""
    return "" if value is None else jsonable(value)


def _needs_encoding(t: pa.DataType) -> bool:
    return (
        pa.types.is_decimal(t)
        or pa.types.is_temporal(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_fixed_size_binary(t)
    )


def column_values(column: pa.Array | pa.ChunkedArray) -> list[Any]:
    """A column as JSON-ready Python values; only decimal, temporal and binary columns pay for a
    per-value conversion."""
    values = column.to_pylist()
    if _needs_encoding(column.type):
        return [None if v is None else jsonable(v) for v in values]
    return values


def table_rows(table: pa.Table, skip: frozenset[str] | set[str] = frozenset()) -> list[dict[str, Any]]:
    """A table as JSON-ready row dicts, without the ``skip`` columns."""
    names = [n for n in table.column_names if n not in skip]
    cols = [column_values(table.column(n)) for n in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*cols, strict=True)]
