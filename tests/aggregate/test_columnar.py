"""The columnar validator gives the per-row validator's answer: the same clean records, the same
rejects (file, sheet, row, column, value, reason, item, code) in the same order, the same counts,
on generated batches split across several calls."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.aggregate.columnar import ColumnarValidator
from huitong.aggregate.mapping import Mapping
from huitong.aggregate.sources import Column, ColumnBatch, Row
from huitong.aggregate.validate import validate_all
from huitong.catalog.model import DataItem, DataType
from huitong.standards.idcard import make_id_number
from huitong.standards.uscc import make_credit_code
from huitong.store.schema import columns_for, conform

HEADERS = [
    "身份证号",
    "姓名",
    "性别",
    "出生日期",
    "电话",
    "住址",
    "区划",
    "信用代码",
    "机构代码",
    "金额",
    "人数",
    "登记时间",
]
COLUMNS = [Column(name, i, (name,), chr(64 + i)) for i, name in enumerate(HEADERS, start=1)]
ITEMS = [
    DataItem("公民身份号码", element="DE01001", length=18, is_key=True, required=True),
    DataItem("姓名", element="DE01002", length=6, required=True),
    DataItem("性别", element="DE01003"),
    DataItem("出生日期", DataType.D, element="DE01004"),
    DataItem("联系电话", element="DE04003"),
    DataItem("住址", length=20),
    DataItem("行政区划", element="DE03001"),
    DataItem("统一社会信用代码", element="DE02001"),
    DataItem("组织机构代码", element="DE02002"),
    DataItem("金额", DataType.N, length=12),
    DataItem("人数", DataType.N, length=6),
    DataItem("登记时间", DataType.T),
]
MAPPING = Mapping(dict(zip(HEADERS, [i.name for i in ITEMS], strict=True)))
SCHEMA = pa.schema([(c.name, c.arrow_type) for c in columns_for(ITEMS)])

born = st.dates(date(1890, 1, 1), date.today() + timedelta(days=400))
region = st.sampled_from(["330106", "330184", "330110", "110101", "999999", "810000", "330112"])


@st.composite
def id_numbers(draw) -> str:
    number = make_id_number(draw(region), draw(born), draw(st.integers(0, 999)))
    damage = draw(
        st.sampled_from(["none"] * 6 + ["check", "lower", "wide", "space", "legacy", "cut", "junk"])
    )
    if damage == "check":
        return number[:17] + ("0" if number[17] != "0" else "1")
    if damage == "lower":
        return number.lower()
    if damage == "wide":
        return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    if damage == "space":
        return f" {number}\u3000"
    if damage == "legacy":
        return number[:6] + number[8:17]
    if damage == "cut":
        return number[: draw(st.integers(0, 17))]
    return draw(st.text(max_size=20))


text = st.one_of(
    st.sampled_from(
        [
            "张三",
            "李四",
            "王小明",
            "欧阳娜娜",
            "Ｊｏｈｎ",
            " 赵六 ",
            "\u200b钱七",
            "",
            "   ",
            "孙悟空齐天大圣",
            "张\u3000三",
            "李（一）",
        ]
    ),
    st.text(max_size=8),
)
dates = st.one_of(
    born.map(lambda d: d.isoformat()),
    born.map(lambda d: f"{d.year}年{d.month}月{d.day}日"),
    born.map(lambda d: f"{d.year}/{d.month}/{d.day}"),
    born.map(lambda d: d.strftime("%Y%m%d")),
    st.sampled_from(
        ["2023-02-30", "44931", "昨天", "", "2023-1/5", "0000-01-01", "２０２３-01-05", " 2023-01-05"]
        + ["2024年2月29", "2023.13.01", "2023-01-05 10:30", "20230105"]
    ),
)
cell = {
    "身份证号": id_numbers(),
    "姓名": text,
    "性别": st.sampled_from(["男", "女", "1", "2", "9", "未知", "M", "男性", "", "x"]),
    "出生日期": dates,
    "电话": st.sampled_from(
        ["13800138000", "0571-87654321", "1380013800", "12345", "", "１３８００１３８０００"]
    ),
    "住址": text,
    "区划": st.sampled_from(["330106", "330184", "999999", "33010", "", "３３０１０６", " 330106", "100000"]),
    "信用代码": st.one_of(
        st.builds(
            make_credit_code,
            st.sampled_from(["9", "5", "1", "N", "Y"]),
            st.sampled_from(["1", "2", "3", "9", "A"]),
            region,
            st.sampled_from(["MA2H3K4L", "12345678", "00000000", "MA0000X1"]),
        ),
        st.sampled_from(["", "91330106MA2H3K4L0X", "91330106ma2h3k4l0x", " 91330106MA2H3K4L03"]),
    ),
    "机构代码": st.sampled_from(
        ["MA2H3K4L-4", "MA2H3K4L4", "ma2h3k4l-4", "MA2H3K4L-1", "60003734-1", "", "X"]
    ),
    "金额": st.sampled_from(
        [
            "1,234.50",
            "100",
            "2.5E+3",
            "-0.01",
            "1,23",
            "abc",
            "",
            "１２３",
            "1E30",
            "0.12345678901",
            "1.50000000000",
        ]
    ),
    "人数": st.sampled_from(["1", "20", "3.0", "2.5", "", "x"]),
    "登记时间": st.sampled_from(["2023-01-05 10:30", "2023年1月5日10时30分", "2023-01-05", "25:00", ""]),
}
rows_strategy = st.lists(st.fixed_dictionaries(cell), max_size=40)


def make_rows(values: list[dict], repeat: list[int]) -> list[Row]:
    rows = [Row(v, n + 2, file="人口.csv") for n, v in enumerate(values)]
    for i in repeat:  # a key seen again later in the file
        if rows and values:
            rows.append(Row(dict(values[i % len(values)]), len(rows) + 2, file="人口.csv"))
    return rows


def columnar(rows: list[Row], cut: int) -> tuple[pa.Table, list, dict]:
    validator = ColumnarValidator(MAPPING, ITEMS, columns=COLUMNS, file="人口.csv", schema=SCHEMA)
    tables, rejects = [], []
    for batch in (rows[:cut], rows[cut:]):  # keys stay unique across batches
        checked = validator.check_batch(batch)
        tables.append(checked.table)
        rejects.extend(checked.rejects)
    return pa.concat_tables(tables), rejects, validator.summary.as_dict()


@settings(max_examples=150, deadline=None)
@given(rows_strategy, st.lists(st.integers(0, 50), max_size=4), st.integers(0, 60))
def test_the_columnar_validator_agrees_with_the_per_row_one(values, repeat, cut):
    rows = make_rows(values, repeat)
    reference = validate_all(rows, MAPPING, ITEMS, columns=COLUMNS, file="人口.csv")
    table, rejects, summary = columnar(rows, cut)
    assert table.to_pylist() == pa.Table.from_pylist(reference.records, schema=SCHEMA).to_pylist()
    assert rejects == reference.rejects
    assert summary == reference.summary.as_dict()


def test_a_clean_export_is_certified_by_the_kernels_and_a_bad_value_still_gets_its_message():
    ids = [make_id_number("330106", date(1980, 1, 1) + timedelta(days=i), i % 1000) for i in range(300)]
    values = [{**{h: "" for h in HEADERS}, "身份证号": n, "姓名": "张三"} for n in ids]
    values[7]["身份证号"] = ids[7][:17] + ("0" if ids[7][17] != "0" else "1")
    values[9]["姓名"] = "张三李四王五赵六"
    rows = make_rows(values, [3])
    table, rejects, summary = columnar(rows, 100)
    assert summary["rows_in"] == 301 and summary["rows_out"] == 298
    assert [(r.row, r.column, r.code) for r in rejects] == [
        (9, "A (身份证号)", "check_digit"),
        (11, "B (姓名)", "too_long"),
        (302, "A (身份证号)", "duplicate_key"),
    ]
    assert "the same key is already in row 5" in rejects[-1].reason
    assert table.column("公民身份号码").to_pylist()[:2] == ids[:2]


@settings(max_examples=100, deadline=None)
@given(rows_strategy, st.lists(st.integers(0, 50), max_size=4), st.integers(0, 60))
def test_rows_read_as_columns_are_judged_as_the_rows_are(values, repeat, cut):
    """A ColumnBatch (a plain stretch of a CSV read by Arrow) gets the answer its rows get."""
    rows = [
        Row({k: v or None for k, v in r.values.items()}, r.row, r.file) for r in make_rows(values, repeat)
    ]
    reference = validate_all(rows, MAPPING, ITEMS, columns=COLUMNS, file="人口.csv")
    validator = ColumnarValidator(MAPPING, ITEMS, columns=COLUMNS, file="人口.csv", schema=SCHEMA)
    tables, rejects = [], []
    for part in (rows[:cut], rows[cut:]):
        table = pa.table({h: pa.array([r.values[h] for r in part], pa.string()) for h in HEADERS})
        checked = validator.check_batch(ColumnBatch(table, np.array([r.row for r in part]), "人口.csv"))
        tables.append(checked.table)
        rejects.extend(checked.rejects)
    assert (
        pa.concat_tables(tables).to_pylist()
        == pa.Table.from_pylist(reference.records, schema=SCHEMA).to_pylist()
    )
    assert rejects == reference.rejects
    assert validator.summary.as_dict() == reference.summary.as_dict()


def test_numbers_with_the_same_wrong_check_character_keep_their_own_warnings():
    """Rows whose only fault is the check character are judged once per kind; a kind is the
    character found, the one expected and the warnings, so an age over 130 or an unknown region
    is still counted for exactly the rows that have it."""
    from huitong.standards.idcard import id_check_char

    def wrong(region: str, born: date) -> str:
        for seq in range(1000):
            number = make_id_number(region, born, seq)
            if id_check_char(number[:17]) == "5":
                return number[:17] + "0"
        raise AssertionError("no number with check character 5")

    numbers = [wrong(r, b) for r in ("330106", "999999") for b in (date(1880, 1, 1), date(1980, 1, 1))]
    values = [{**{h: "" for h in HEADERS}, "身份证号": n, "姓名": "张三"} for n in numbers * 2]
    rows = make_rows(values, [])
    reference = validate_all(rows, MAPPING, ITEMS, columns=COLUMNS, file="人口.csv")
    table, rejects, summary = columnar(rows, 3)
    assert rejects == reference.rejects and summary == reference.summary.as_dict()
    assert summary["warnings_by_reason"] == {"implausible_age": 4, "unknown_region": 4}
    assert {r.code for r in rejects} == {"check_digit"} and len(rejects) == 8


def test_a_number_the_stored_decimal_cannot_hold_is_rejected_on_its_row_not_the_whole_load():
    """金额 is stored as decimal(38, 10) and a 货币型 (Y) item as decimal(38, 4): a value with more
    integer digits or more decimals than that is one reject, in both validators, and the rest load."""
    items = [
        DataItem("编号", length=4, is_key=True),
        DataItem("金额", DataType.N),
        DataItem("费用", DataType.Y),
    ]
    mapping = Mapping({"编号": "编号", "金额": "金额", "费用": "费用"})
    schema = pa.schema([(c.name, c.arrow_type) for c in columns_for(items)])
    cols = [Column(n, i, (n,), chr(64 + i)) for i, n in enumerate(["编号", "金额", "费用"], start=1)]
    values = [
        ("1", "1E30", "1"),  # 31 integer digits: more than 28
        ("2", "0.12345678901", "1"),  # 11 decimals: more than 10
        ("3", "1.50000000000", "2.50000"),  # trailing zeros change nothing: kept
        ("4", "9" * 28 + ".5", "1.23456"),  # 28 digits fit N; five decimals do not fit Y
        ("5", "12.5", "9" * 34),  # 34 integer digits fit Y exactly
        ("6", "12.5", "9" * 35),
        ("7", "1234567890123456789012345678.12345678901", "1"),  # 39 digits: past the 28 of the context
        (
            "8",
            "0." + "1" + "0" * 40,
            "9999999999999999999999999999.9999999999",
        ),  # zeros fit; Y has 4 decimals
        ("9", "-0", "0E-20"),
    ]
    rows = [
        Row(dict(zip(["编号", "金额", "费用"], v, strict=True)), n + 2, file="费用.csv")
        for n, v in enumerate(values)
    ]
    reference = validate_all(rows, mapping, items, columns=cols, file="费用.csv")
    found = [(r.row, r.column, r.code) for r in reference.rejects]
    assert found == [
        (2, "B (金额)", "number_too_large"),
        (3, "B (金额)", "too_many_decimals"),
        (5, "C (费用)", "too_many_decimals"),
        (7, "C (费用)", "number_too_large"),
        (8, "B (金额)", "too_many_decimals"),
        (9, "C (费用)", "too_many_decimals"),
    ]
    assert "at most 28 digits before the decimal point" in reference.rejects[0].reason
    assert "at most 10 decimals" in reference.rejects[1].reason
    validator = ColumnarValidator(mapping, items, columns=cols, file="费用.csv", schema=schema)
    checked = validator.check_batch(rows)
    assert checked.rejects == reference.rejects
    assert checked.table.to_pylist() == pa.Table.from_pylist(reference.records, schema=schema).to_pylist()
    assert [r["编号"] for r in checked.table.to_pylist()] == ["3", "5", "9"]
    conform(checked.table, columns_for(items))  # the store takes every value the validators let through


def test_a_clean_legal_entity_export_is_judged_by_the_kernels_alone():
    """Credit codes, organisation codes and division codes in their canonical form never reach the
    per-value reference (it would cost a Python call per distinct value); one bad code still gets
    the reference's message on its own row."""
    items = [
        DataItem("统一社会信用代码", element="DE02001", is_key=True),
        DataItem("组织机构代码", element="DE02002"),
        DataItem("行政区划", element="DE03001"),
    ]
    names = ["信用代码", "机构代码", "区划"]
    mapping = Mapping(dict(zip(names, [i.name for i in items], strict=True)))
    schema = pa.schema([(c.name, c.arrow_type) for c in columns_for(items)])
    cols = [Column(n, i, (n,), chr(64 + i)) for i, n in enumerate(names, start=1)]
    bodies = [f"MA{i:06d}" for i in range(400)]
    codes = [make_credit_code("9", "1", "330106", b) for b in bodies]
    values = [(c, f"{c[8:16]}-{c[16]}", "330106") for c in codes]
    values[5] = (codes[5][:17] + ("0" if codes[5][17] != "0" else "1"), values[5][1], "330106")
    rows = [Row(dict(zip(names, v, strict=True)), n + 2, file="法人.csv") for n, v in enumerate(values)]
    validator = ColumnarValidator(mapping, items, columns=cols, file="法人.csv", schema=schema)
    checked = validator.check_batch(rows)
    assert [(r.row, r.column, r.code) for r in checked.rejects] == [(7, "A (信用代码)", "check_digit")]
    assert checked.rejects == validate_all(rows, mapping, items, columns=cols, file="法人.csv").rejects
    assert checked.table.num_rows == 399
    assert validator._memo.get("组织机构代码", {}) == {} and validator._memo.get("行政区划", {}) == {}
    bad = checked.rejects[0].value
    assert set(validator._memo["统一社会信用代码"]) == {bad, None}  # the bad code (and "missing") only
