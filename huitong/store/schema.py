"""Data items as an Iceberg schema, and incoming Arrow data made to fit it (no files, no database).

Type mapping (信息项数据类型 → Iceberg → Arrow):

====  ==========  ======================  =========================================================
C     字符型       string                  text
M     备注型       string                  long text is still text
N     数值型       decimal(38, 10)         exact: counts, amounts, rates and coordinates compare and
                                           sum without binary rounding; 28 integer digits, 10 decimals
Y     货币型       decimal(38, 4)          the currency type's four decimals
D     日期型       date
T     日期时间型    timestamp (no zone, µs)  local wall-clock time, as departments write it
L     逻辑型       boolean
G     通用型       binary                  opaque content (the "general" type)
B     双精度型     double
F     浮点型       double
I     整型         long
====  ==========  ======================  =========================================================

Decimals get one fixed precision and scale per letter rather than one derived from the item's
length: Iceberg cannot change a decimal's scale later, and a catalog revision that widens an item
must not strand the stored column.  A value with more decimals than the scale is refused, not
rounded.

Columns are named by the data items' own (Chinese) names.  pyiceberg, Parquet and DuckDB all take
them as they are (tests cover 中文, full-width brackets, spaces and dots), so the SQL people write,
the rows a read returns and a diff's columns say ``姓名`` instead of ``c01``; Iceberg tracks columns
by field id, so a later rename stays possible without rewriting data.  Item positions were the
alternative, but they shift when a catalog revision inserts or reorders an item.  What the name
cannot carry (type letter, English name, data element) is kept in the field's doc and in the
table's ``huitong.items`` property.  Names that differ only by letter case are refused: DuckDB
identifiers are case-insensitive.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from huitong.catalog.model import DataItem, DataType
from huitong.errors import Problem, invalid
from huitong.store import duck
from huitong.store._iceberg import (
    BinaryType,
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    IcebergType,
    LongType,
    NestedField,
    PrimitiveType,
    Schema,
    StringType,
    TimestampType,
)

NAMESPACE = "huitong"
ROW_HASH = "_row_hash"
LOAD_ID = "_load_id"
SYSTEM_COLUMNS = (ROW_HASH, LOAD_ID)

N_SCALE = 10
Y_SCALE = 4

ICEBERG_TYPES: dict[DataType, PrimitiveType] = {
    DataType.C: StringType(),
    DataType.M: StringType(),
    DataType.N: DecimalType(38, N_SCALE),
    DataType.Y: DecimalType(38, Y_SCALE),
    DataType.D: DateType(),
    DataType.T: TimestampType(),
    DataType.L: BooleanType(),
    DataType.G: BinaryType(),
    DataType.B: DoubleType(),
    DataType.F: DoubleType(),
    DataType.I: LongType(),
}

_CODE = re.compile(r"^[0-9A-Z]+(?:/[0-9A-Z]+)*$")


def normalise_code(code: str) -> str:
    """A resource code as the catalog writes it (``101002/00001``), or a clear refusal."""
    text = str(code or "").strip().upper()
    if not _CODE.match(text):
        raise invalid(
            f"{code!r} is not a resource code (letters and digits in parts separated by '/', "
            "e.g. 101002/00001)",
            Problem("not a resource code", field="code", value=str(code)),
        )
    return text


def table_name(code: str) -> str:
    """The Iceberg table of a resource: ``101002/00001`` → ``r_101002_00001``.

    Codes hold only letters, digits and '/', so the mapping cannot send two codes to one name.
    """
    return "r_" + normalise_code(code).replace("/", "_").lower()


@dataclass(frozen=True)
class StoredColumn:
    """One stored column: the data item's name and type letter, and its Iceberg type."""

    name: str
    data_type: DataType
    iceberg_type: PrimitiveType
    doc: str | None = None

    @property
    def arrow_type(self) -> pa.DataType:
        return _arrow_type(self.iceberg_type)

    def describe(self) -> str:
        return f"{self.data_type.label_zh} {self.data_type.value}"


def _arrow_type(t: IcebergType) -> pa.DataType:
    return Schema(NestedField(1, "x", t, required=False)).as_arrow().field("x").type


def _data_type(value: Any, where: str) -> DataType:
    if isinstance(value, DataType):
        return value
    return DataType.parse(str(value), where)


def _doc(item: DataItem, data_type: DataType) -> str:
    parts = [f"{item.name} ({data_type.label_zh} {data_type.value})"]
    if item.name_en:
        parts.append(f"en: {item.name_en}")
    if item.element:
        parts.append(f"element: {item.element}")
    if item.description:
        parts.append(item.description.strip())
    return "; ".join(parts)


def columns_for(items: Sequence[DataItem]) -> list[StoredColumn]:
    """The stored columns of a resource's data items, refusing names the store cannot keep apart."""
    problems: list[Problem] = []
    columns: list[StoredColumn] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(items, start=1):
        where = f"items[{i}]"
        name = (item.name or "").strip()
        if not name:
            problems.append(Problem("data item name is required", field=f"{where}.name"))
            continue
        if any(unicodedata.category(ch) == "Cc" for ch in name):
            problems.append(Problem("data item name holds a control character", field=f"{where}.name"))
            continue
        folded = unicodedata.normalize("NFKC", name).casefold()
        if folded in (c.casefold() for c in SYSTEM_COLUMNS):
            problems.append(
                Problem(f"{name!r} is reserved for the store's own column", field=f"{where}.name", value=name)
            )
            continue
        if folded in seen:
            problems.append(
                Problem(
                    f"data item {name!r} repeats {seen[folded]!r} (names may not differ only by case or width)",
                    field=f"{where}.name",
                    value=name,
                )
            )
            continue
        seen[folded] = name
        try:
            data_type = _data_type(item.data_type, f"{where}.data_type")
        except Exception as exc:  # HuitongError from DataType.parse
            problems.append(Problem(str(exc), field=f"{where}.data_type", value=str(item.data_type)))
            continue
        columns.append(StoredColumn(name, data_type, ICEBERG_TYPES[data_type], _doc(item, data_type)))
    if not items:
        problems.append(Problem("a stored resource needs at least one data item", field="items"))
    if problems:
        raise invalid("the data items cannot be stored", *problems)
    return columns


def resolve_key(
    columns: Sequence[StoredColumn], items: Sequence[DataItem], key: Iterable[str] | None
) -> list[str]:
    """The key columns: those named, or else the items marked 是否主键."""
    names = [c.name for c in columns]
    wanted = [k.strip() for k in key] if key is not None else [i.name.strip() for i in items if i.is_key]
    problems = [
        Problem(f"key column {k!r} is not one of the data items", field="key", value=k)
        for k in wanted
        if k not in names
    ]
    if len(set(wanted)) != len(wanted):
        problems.append(Problem("a key column is named twice", field="key"))
    bad_types = [k for k in wanted if k in names and columns[names.index(k)].data_type == DataType.G]
    problems += [Problem(f"key column {k!r} is binary (通用型 G)", field="key", value=k) for k in bad_types]
    if problems:
        raise invalid("the key cannot be used", *problems)
    return wanted


def iceberg_schema(columns: Sequence[StoredColumn]) -> Schema:
    fields = [
        NestedField(i, c.name, c.iceberg_type, required=False, doc=c.doc)
        for i, c in enumerate(columns, start=1)
    ]
    n = len(fields)
    fields.append(NestedField(n + 1, ROW_HASH, StringType(), required=True, doc="hash of the row's values"))
    fields.append(NestedField(n + 2, LOAD_ID, StringType(), required=True, doc="the load that wrote the row"))
    return Schema(*fields)


def items_property(columns: Sequence[StoredColumn]) -> str:
    return json.dumps([{"name": c.name, "type": c.data_type.value} for c in columns], ensure_ascii=False)


def columns_from_properties(schema: Schema, properties: dict[str, str]) -> list[StoredColumn]:
    """The data columns of a stored table, in schema order, with their type letters."""
    letters = {d["name"]: d["type"] for d in json.loads(properties.get("huitong.items", "[]"))}
    out = []
    for f in schema.fields:
        if f.name in SYSTEM_COLUMNS:
            continue
        letter = letters.get(f.name)
        data_type = DataType(letter) if letter else _letter_for(f.field_type)
        out.append(StoredColumn(f.name, data_type, f.field_type, f.doc))  # type: ignore[arg-type]
    return out


def _letter_for(t: IcebergType) -> DataType:
    for letter, it in ICEBERG_TYPES.items():
        if it == t:
            return letter
    return DataType.C


# ----------------------------------------------------------------- incoming data


def _kind_ok(data_type: DataType, t: pa.DataType) -> bool:
    if pa.types.is_null(t):
        return True
    if data_type in (DataType.C, DataType.M):
        return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
    if data_type in (DataType.N, DataType.Y, DataType.B, DataType.F):
        return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
    if data_type == DataType.I:
        return pa.types.is_integer(t) or pa.types.is_floating(t)
    if data_type == DataType.L:
        return pa.types.is_boolean(t)
    if data_type == DataType.D:
        return pa.types.is_date(t)
    if data_type == DataType.T:
        return (pa.types.is_timestamp(t) and t.tz is None) or pa.types.is_date(t)
    if data_type == DataType.G:
        return (
            pa.types.is_binary(t)
            or pa.types.is_large_binary(t)
            or pa.types.is_fixed_size_binary(t)
            or pa.types.is_binary_view(t)
        )
    return False


_EXPECT = {
    DataType.C: "text",
    DataType.M: "text",
    DataType.N: "numbers (Decimal, int or float)",
    DataType.Y: "numbers (Decimal, int or float)",
    DataType.B: "numbers",
    DataType.F: "numbers",
    DataType.I: "whole numbers",
    DataType.L: "booleans",
    DataType.D: "dates",
    DataType.T: "date-times without a time zone (local wall-clock time)",
    DataType.G: "bytes",
}


def _first_bad(values: pa.ChunkedArray, target: pa.DataType) -> int:
    """Position of the first value that does not cast safely (halving, so O(n) overall)."""
    lo, hi = 0, len(values)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            pc.cast(values.slice(lo, mid - lo), target)
            lo = mid
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            hi = mid
    return lo


def _show_value(values: pa.ChunkedArray, row: int) -> str | None:
    if row >= len(values):
        return None
    try:
        return pc.cast(values.slice(row, 1), pa.string())[0].as_py()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def conform(data: pa.Table, columns: Sequence[StoredColumn], first_row: int = 0) -> pa.Table:
    """The incoming rows with exactly the stored columns and types, or an error naming each column.

    Columns may come in any order; the store's own columns (``_row_hash``, ``_load_id``) are
    recomputed if present.  A value that would change on the way in (too many decimals, a
    fraction for an integer, nanoseconds) is refused, with its row (1-based, counted from
    ``first_row`` rows before ``data`` when it is one part of a load) and value.
    """
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if not isinstance(data, pa.Table):
        raise invalid(f"data must be a pyarrow Table, not {type(data).__name__}")
    problems: list[Problem] = []
    wanted = {c.name: c for c in columns}
    given = [n for n in data.column_names if n not in SYSTEM_COLUMNS]
    if len(set(given)) != len(given):
        dupes = sorted({n for n in given if given.count(n) > 1})
        problems += [Problem("the column is given twice", column=n) for n in dupes]
    for name in given:
        if name not in wanted:
            problems.append(Problem("not a data item of this resource", column=name))
    for name in wanted:
        if name not in given:
            problems.append(
                Problem("missing: every data item needs a column (nulls are allowed)", column=name)
            )
    if problems:
        raise invalid("the data does not match the resource's data items", *problems)

    arrays = []
    for col in columns:
        values = data.column(col.name)
        target = col.arrow_type
        if not _kind_ok(col.data_type, values.type):
            problems.append(
                Problem(
                    f"is {values.type} but the item is {col.describe()}: give {_EXPECT[col.data_type]}",
                    column=col.name,
                )
            )
            continue
        try:
            arrays.append(values if values.type == target else pc.cast(values, target))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            row = _first_bad(values, target)
            value = _show_value(values, row)
            shown = "" if value is None else f"{value} "
            problems.append(
                Problem(
                    f"{shown}does not fit {col.describe()} ({target}): {exc}",
                    column=col.name,
                    row=first_row + row + 1,
                    value=value,
                )
            )
    if problems:
        raise invalid("the data does not fit the resource's data items", *problems)
    schema = pa.schema([pa.field(c.name, c.arrow_type) for c in columns])
    return pa.Table.from_arrays(arrays, schema=schema)


def check_key_present(data: pa.Table, key: Sequence[str], first_row: int = 0) -> None:
    """Key columns hold no nulls (rows are 1-based, counted from ``first_row`` rows before)."""
    problems: list[Problem] = []
    for k in key:
        nulls = pc.is_null(data.column(k))
        if pc.any(nulls).as_py():
            first = pc.index(nulls, True).as_py()
            problems.append(Problem("key column has no value", column=k, row=first_row + first + 1))
    if problems:
        raise invalid("every row needs its key", *problems)


def check_key(data: pa.Table, key: Sequence[str]) -> None:
    """Key columns hold no nulls and no key appears twice (rows are 1-based)."""
    if not key:
        return
    check_key_present(data, key)
    check_unique(data.select(list(key)), key)


def check_unique(rows: pa.Table | pa.RecordBatchReader, key: Sequence[str]) -> None:
    """No key appears twice in ``rows`` (a table, or a stream of a load's parts read once)."""
    cols = ", ".join(duck.quote(k) for k in key)
    con = duck.scratch({"rows": rows})
    try:
        dupes = con.sql(
            f"SELECT {cols}, count(*) AS __n, count(*) OVER () AS __keys FROM rows "
            f"GROUP BY {cols} HAVING count(*) > 1 ORDER BY {cols} LIMIT 5"
        ).to_arrow_table()
    finally:
        con.close()
    if dupes.num_rows:
        shown = [
            Problem(f"{show_key(r, key)} appears {r['__n']} times", field="key") for r in dupes.to_pylist()
        ]
        total = dupes.column("__keys")[0].as_py()
        raise invalid(f"{total} key(s) appear more than once in the data", *shown)


def show_key(row: dict, key: Sequence[str]) -> str:
    return ", ".join(f"{k}={row[k]}" for k in key)
