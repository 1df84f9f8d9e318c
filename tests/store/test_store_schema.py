"""Data items → columns, incoming Arrow data → stored types, and row hashes (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest
from pyiceberg.types import (
    BinaryType,
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    LongType,
    StringType,
    TimestampType,
)

from huitong.catalog.model import DataItem, DataType
from huitong.errors import HuitongError
from huitong.store import hashing
from huitong.store.schema import check_key, columns_for, conform, iceberg_schema, resolve_key, table_name


def test_table_names_come_from_resource_codes():
    assert table_name("101002/00001") == "r_101002_00001"
    assert table_name(" 30100A/0001B ") == "r_30100a_0001b"
    for bad in ["", "101002_00001", "101002//1", "../x", "10 1"]:
        with pytest.raises(HuitongError, match="not a resource code"):
            table_name(bad)


def test_every_data_type_letter_has_a_column_type():
    items = [DataItem(f"项{t.value}", t) for t in DataType]
    types = {c.data_type: c.iceberg_type for c in columns_for(items)}
    assert types == {
        DataType.C: StringType(),
        DataType.M: StringType(),
        DataType.N: DecimalType(38, 10),
        DataType.Y: DecimalType(38, 4),
        DataType.D: DateType(),
        DataType.T: TimestampType(),
        DataType.L: BooleanType(),
        DataType.G: BinaryType(),
        DataType.B: DoubleType(),
        DataType.F: DoubleType(),
        DataType.I: LongType(),
    }
    schema = iceberg_schema(columns_for(items))
    assert [f.name for f in schema.fields][-2:] == ["_row_hash", "_load_id"]
    assert schema.find_field("项N").doc == "项N (数值型 N)"


def test_type_letters_may_be_given_as_text_or_label():
    cols = columns_for([DataItem("a", "N"), DataItem("b", "日期型")])  # type: ignore[arg-type]
    assert [c.data_type for c in cols] == [DataType.N, DataType.D]


def test_item_names_the_store_cannot_keep_apart_are_refused():
    with pytest.raises(HuitongError) as err:
        columns_for(
            [DataItem("Name"), DataItem("name"), DataItem("_row_hash"), DataItem(" "), DataItem("a\tb")]
        )
    text = str(err.value)
    assert "repeats 'Name'" in text and "reserved" in text and "name is required" in text
    assert "control character" in text
    with pytest.raises(HuitongError, match="at least one data item"):
        columns_for([])
    with pytest.raises(HuitongError, match="not one of"):
        columns_for([DataItem("a", "Q")])  # type: ignore[arg-type]


def test_key_defaults_to_items_marked_as_key_and_is_checked():
    items = [DataItem("编号", is_key=True), DataItem("名称"), DataItem("附件", DataType.G)]
    cols = columns_for(items)
    assert resolve_key(cols, items, None) == ["编号"]
    assert resolve_key(cols, items, ["名称", "编号"]) == ["名称", "编号"]
    with pytest.raises(HuitongError, match="'代码' is not one of the data items"):
        resolve_key(cols, items, ["代码"])
    with pytest.raises(HuitongError, match="binary"):
        resolve_key(cols, items, ["附件"])


ITEMS = [
    DataItem("编号", DataType.C, is_key=True),
    DataItem("金额", DataType.N),
    DataItem("币值", DataType.Y),
    DataItem("日期", DataType.D),
    DataItem("时间", DataType.T),
    DataItem("有效", DataType.L),
    DataItem("人数", DataType.I),
    DataItem("比率", DataType.B),
    DataItem("附件", DataType.G),
]


def sample(**overrides) -> pa.Table:
    cols = {
        "编号": pa.array(["a", "b"]),
        "金额": pa.array([Decimal("1.25"), None]),
        "币值": pa.array([3, 4]),
        "日期": pa.array([date(2024, 1, 5), None]),
        "时间": pa.array([datetime(2024, 1, 5, 10, 30), None], pa.timestamp("ns")),
        "有效": pa.array([True, None]),
        "人数": pa.array([1.0, 2.0]),
        "比率": pa.array([1, 2], pa.int32()),
        "附件": pa.array([b"\x00\xff", None]),
    }
    cols.update(overrides)
    return pa.table(cols)


def test_conform_casts_to_the_stored_types_in_item_order():
    cols = columns_for(ITEMS)
    data = sample().select(list(reversed(sample().column_names)))  # any column order
    out = conform(data, cols)
    assert out.column_names == [c.name for c in cols]
    assert out.schema.field("金额").type == pa.decimal128(38, 10)
    assert out.schema.field("币值").type == pa.decimal128(38, 4)
    assert out.schema.field("时间").type == pa.timestamp("us")
    assert out.schema.field("人数").type == pa.int64()
    row = out.to_pylist()[0]
    assert row["金额"] == Decimal("1.25") and row["币值"] == Decimal(3) and row["人数"] == 1
    assert row["时间"] == datetime(2024, 1, 5, 10, 30) and row["附件"] == b"\x00\xff"


def test_all_null_columns_fit_any_type():
    cols = columns_for(ITEMS)
    out = conform(sample(**{"金额": pa.nulls(2), "日期": pa.nulls(2)}), cols)
    assert out.column("金额").null_count == 2


@pytest.mark.parametrize(
    ("column", "values", "expected"),
    [
        ("金额", pa.array(["1.5", "2"]), "column 金额: is string but the item is 数值型 N"),
        ("日期", pa.array(["2024-01-05", None]), "column 日期: is string but the item is 日期型 D"),
        (
            "日期",
            pa.array([datetime(2024, 1, 5), None]),
            "column 日期: is timestamp[us] but the item is 日期型 D",
        ),
        (
            "时间",
            pa.array([datetime(2024, 1, 5, tzinfo=UTC), None]),
            "without a time zone",
        ),
        ("有效", pa.array([1, 0]), "column 有效: is int64 but the item is 逻辑型 L"),
        ("编号", pa.array([1, 2]), "column 编号: is int64 but the item is 字符型 C"),
        (
            "金额",
            pa.array([Decimal("1"), Decimal("0.00000000001")]),
            "row 2, column 金额: 1E-11 does not fit",
        ),
        ("人数", pa.array([1.0, 2.5]), "row 2, column 人数: 2.5 does not fit 整型 I"),
        (
            "时间",
            pa.array([1000, 1_000_000_001], pa.timestamp("ns")),
            "row 2, column 时间: 1970-01-01 00:00:01.000000001",
        ),
    ],
)
def test_values_that_do_not_fit_name_their_column(column, values, expected):
    with pytest.raises(HuitongError) as err:
        conform(sample(**{column: values}), columns_for(ITEMS))
    assert expected in str(err.value)
    assert err.value.problems[0].column == column


def test_missing_unknown_and_repeated_columns_are_named():
    cols = columns_for(ITEMS)
    data = sample().drop_columns(["日期"]).append_column("备注", pa.array(["x", "y"]))
    with pytest.raises(HuitongError) as err:
        conform(data, cols)
    by_column = {p.column: p.message for p in err.value.problems}
    assert "missing" in by_column["日期"] and "not a data item" in by_column["备注"]
    twice = pa.Table.from_arrays([pa.array(["a"]), pa.array(["b"])], names=["编号", "编号"])
    with pytest.raises(HuitongError, match="given twice"):
        conform(twice, columns_for([DataItem("编号")]))
    with pytest.raises(HuitongError, match="pyarrow Table"):
        conform([{"编号": "a"}], cols)  # type: ignore[arg-type]


def test_system_columns_in_the_input_are_ignored():
    cols = columns_for([DataItem("编号")])
    data = pa.table({"编号": ["a"], "_row_hash": ["x"], "_load_id": ["y"]})
    assert conform(data, cols).column_names == ["编号"]


def test_key_values_must_be_present_and_unique():
    cols = columns_for(ITEMS)
    with pytest.raises(HuitongError) as err:
        check_key(conform(sample(编号=pa.array(["a", None])), cols), ["编号"])
    assert err.value.problems[0].row == 2 and err.value.problems[0].column == "编号"
    with pytest.raises(HuitongError, match="1 key\\(s\\) appear more than once") as err:
        check_key(conform(sample(编号=pa.array(["a", "a"])), cols), ["编号"])
    assert "编号=a appears 2 times" in str(err.value)
    check_key(conform(sample(编号=pa.array(["a", "a"])), cols), ["编号", "币值"])  # composite key differs


def test_row_hash_ignores_column_order_and_empty_new_columns():
    a = pa.table({"x": ["1"], "y": [Decimal("2")]})
    b = pa.table({"y": [Decimal("2")], "x": ["1"], "z": pa.array([None], pa.string())})
    assert hashing.row_hashes(a).to_pylist() == hashing.row_hashes(b).to_pylist()
    c = pa.table({"x": ["1"], "y": pa.array([None], pa.decimal128(3, 0))})
    d = pa.table({"x": ["1"], "y": [Decimal("0")]})
    assert hashing.row_hashes(c) != hashing.row_hashes(d)  # empty is not zero


def test_row_encoding_is_unambiguous():
    # Values that would collide if concatenated naively.
    a = pa.table({"x": ["ab"], "y": ["c"]})
    b = pa.table({"x": ["a"], "y": ["bc"]})
    c = pa.table({"x": ["1:x"], "y": pa.array([None], pa.string())})
    d = pa.table({"x": ["1"], "y": ["x"]})
    hashes = [hashing.row_hashes(t).to_pylist()[0] for t in (a, b, c, d)]
    assert len(set(hashes)) == 4 and all(len(h) == 32 for h in hashes)


def test_content_hash_ignores_row_order_but_counts_repeats():
    h = hashing.row_hashes(pa.table({"x": ["a", "b", "c"]}))
    rev = hashing.row_hashes(pa.table({"x": ["c", "b", "a"]}))
    assert hashing.content_hash(h) == hashing.content_hash(rev)
    twice = hashing.row_hashes(pa.table({"x": ["a", "a", "b", "c"]}))
    assert hashing.content_hash(twice) != hashing.content_hash(h)
    assert hashing.content_hash(pa.array([], pa.large_string())) == hashing.content_hash(h.slice(0, 0))


def test_row_hashes_a_slice_at_a_time_are_the_hashes_of_the_whole(monkeypatch):
    data = pa.table({"x": [f"v{i}" for i in range(10)], "n": list(range(10))})
    whole = hashing.row_hashes(data).to_pylist()
    monkeypatch.setattr(hashing, "HASH_SLICE_ROWS", 3)
    sliced = hashing.row_hashes(data)
    assert sliced.to_pylist() == whole and len(sliced) == 10 and sliced.num_chunks == 4
    assert len(set(whole)) == 10
