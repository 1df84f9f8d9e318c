"""Validation: rows through a mapping into clean records or rejects that say exactly where."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.aggregate.mapping import ItemOptions, Mapping, propose_mapping
from huitong.aggregate.sources import Column, Row, open_source
from huitong.aggregate.validate import (
    LoadPolicy,
    LoadVerdict,
    Reject,
    RowWarning,
    Summary,
    Validator,
    load_verdict,
    validate_all,
    validate_rows,
)
from huitong.catalog.model import DataItem, DataType
from huitong.errors import HuitongError, Problem
from huitong.standards.idcard import id_check_char, make_id_number
from huitong.standards.uscc import make_credit_code
from tests.aggregate.helpers import read_all

FILE = "民政局低保名单.csv"
HEADERS = ["序号", "姓名", "身份证号", "性别", "出生日期", "联系电话", "户籍地址", "社会信用代码"]
COLUMNS = [Column(name, i, (name,), chr(64 + i)) for i, name in enumerate(HEADERS, start=1)]
ITEMS = [
    DataItem("姓名", element="DE01002", length=10, required=True),
    DataItem("公民身份号码", element="DE01001", length=18, is_key=True),
    DataItem("性别", element="DE01003"),
    DataItem("出生日期", DataType.D, element="DE01004"),
    DataItem("联系电话", element="DE04003"),
    DataItem("户籍地址", element="DE03002", length=200),
    DataItem("统一社会信用代码", element="DE02001"),
]
MAPPING = Mapping(
    {
        "姓名": "姓名",
        "身份证号": "公民身份号码",
        "性别": "性别",
        "出生日期": "出生日期",
        "联系电话": "联系电话",
        "户籍地址": "户籍地址",
        "社会信用代码": "统一社会信用代码",
    }
)
ID_1 = make_id_number("330106", date(1985, 3, 1), 11)
ID_2 = make_id_number("330102", date(1990, 12, 31), 22)
ID_X = next(
    make_id_number("330104", date(1979, 6, d), 7)
    for d in range(1, 29)
    if make_id_number("330104", date(1979, 6, d), 7).endswith("X")
)
CREDIT = make_credit_code("9", "1", "330106", "MA2H3K4L")


def bad_check(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def row(n: int, **values) -> Row:
    base = {
        "序号": n - 1,
        "姓名": "张三",
        "身份证号": ID_1,
        "性别": "男",
        "出生日期": "1985-03-01",
        "联系电话": "13800138000",
        "户籍地址": "浙江省杭州市西湖区文三路1号",
        "社会信用代码": CREDIT,
    }
    base.update(values)
    return Row(base, n, file=FILE)


def run(rows, **kwargs):
    kwargs.setdefault("columns", COLUMNS)
    return validate_all(rows, MAPPING, ITEMS, **kwargs)


def where(reject: Reject) -> tuple:
    return (reject.file, reject.row, reject.column, reject.item, reject.code)


# ---------------------------------------------------------------- clean rows


def test_clean_rows_come_out_normalised_and_keyed_by_item():
    outcome = run(
        [
            row(2),
            row(
                3,
                姓名="\u3000李四 ",
                身份证号=ID_X.lower(),
                性别="女",
                出生日期="1979年6月3日",
                联系电话="139 1234 5678",
                社会信用代码=CREDIT.lower(),
            ),
            row(
                4,
                身份证号=ID_2,
                性别="２",
                出生日期=33238,
                联系电话="（０５７１）８７６５４３２１",
                社会信用代码="",
            ),
        ]
    )
    assert outcome.rejects == [] and outcome.warnings == []
    first, second, third = outcome.records
    assert first == {
        "姓名": "张三",
        "公民身份号码": ID_1,
        "性别": "1",
        "出生日期": date(1985, 3, 1),
        "联系电话": "13800138000",
        "户籍地址": "浙江省杭州市西湖区文三路1号",
        "统一社会信用代码": CREDIT,
    }
    assert second["姓名"] == "李四"
    assert second["公民身份号码"] == ID_X  # upper-case X, as the standard writes it
    assert second["性别"] == "2"
    assert second["出生日期"] == date(1979, 6, 3)
    assert second["联系电话"] == "13912345678"
    assert second["统一社会信用代码"] == CREDIT
    assert third["性别"] == "2"
    assert third["出生日期"] == date(1990, 12, 31)  # an Excel serial
    assert third["联系电话"] == "0571-87654321"
    assert third["统一社会信用代码"] is None  # optional and blank
    assert str(outcome.summary) == "3 rows in, 3 out, 0 rejected"


def test_unmapped_optional_items_are_none():
    items = ITEMS + [DataItem("备注")]
    (result,) = list(validate_rows([row(2)], MAPPING, items))
    assert result.ok and result.values["备注"] is None


# ---------------------------------------------------------------- rejects


def test_rejects_name_the_row_and_the_source_column():
    outcome = run(
        [
            row(2),
            row(3, 身份证号=bad_check(ID_1)),
            row(4, 姓名="  "),
            row(5, 出生日期="2023-02-30"),
            row(6, 性别="男士"),
            row(7, 联系电话="1380013800"),
            row(8, 社会信用代码=bad_check(CREDIT)),
            row(9, 姓名="欧阳娜娜欧阳娜娜欧阳娜娜"),
        ]
    )
    assert [where(r) for r in outcome.rejects] == [
        (FILE, 3, "C (身份证号)", "公民身份号码", "check_digit"),
        (FILE, 4, "B (姓名)", "姓名", "required"),
        (FILE, 5, "E (出生日期)", "出生日期", "invalid_date"),
        (FILE, 6, "D (性别)", "性别", "unknown_gender"),
        (FILE, 7, "F (联系电话)", "联系电话", "format"),
        (FILE, 8, "H (社会信用代码)", "统一社会信用代码", "check_digit"),
        (FILE, 9, "B (姓名)", "姓名", "too_long"),
    ]
    id_reject = outcome.rejects[0]
    assert id_reject.value == bad_check(ID_1)
    assert id_reject.reason == f"公民身份号码: check digit is 0, expected {ID_1[17]}"
    assert id_reject.reason_zh.startswith("校验码为")
    assert outcome.rejects[1].reason == "姓名 is blank but is a required item"
    assert outcome.rejects[1].value == "  "
    assert outcome.rejects[6].reason == "姓名: 12 characters, at most 10"
    assert str(id_reject) == f"{FILE}, row 3, column C (身份证号): {id_reject.reason}"
    assert len(outcome.records) == 1
    assert outcome.summary.as_dict() == {
        "rows_in": 8,
        "rows_out": 1,
        "rows_rejected": 7,
        "warnings": 0,
        "by_reason": {
            "check_digit": 2,
            "required": 1,
            "invalid_date": 1,
            "unknown_gender": 1,
            "format": 1,
            "too_long": 1,
        },
        "warnings_by_reason": {},
        "by_item": {
            "公民身份号码": 1,
            "姓名": 2,
            "出生日期": 1,
            "性别": 1,
            "联系电话": 1,
            "统一社会信用代码": 1,
        },
    }


def test_every_error_of_a_row_is_reported_and_the_row_counted_once():
    (result,) = list(validate_rows([row(12, 姓名="", 身份证号="33010619850301", 性别="x")], MAPPING, ITEMS))
    assert not result.ok and result.values is None
    assert [(r.item, r.code) for r in result.rejects] == [
        ("姓名", "required"),
        ("公民身份号码", "format"),
        ("性别", "unknown_gender"),
    ]
    # without columns the rejects name the column as the source has it
    assert [r.column for r in result.rejects] == ["姓名", "身份证号", "性别"]


def test_blank_key_is_rejected():
    outcome = run([row(2, 身份证号=None)])
    assert [(r.column, r.code, r.reason) for r in outcome.rejects] == [
        ("C (身份证号)", "required", "公民身份号码 is blank but is a key item")
    ]


def test_id_number_excel_stored_as_a_float_is_rejected():
    outcome = run([row(2, 身份证号=float(ID_2[:17] + "0"))])
    (reject,) = outcome.rejects
    assert (reject.column, reject.code) == ("C (身份证号)", "digits_lost")
    assert "last digits are lost" in reject.reason


def test_duplicate_keys_are_rejected_naming_the_first_row():
    outcome = run([row(2), row(3, 身份证号=ID_2), row(4, 身份证号=ID_1.lower())])
    (reject,) = outcome.rejects
    assert where(reject) == (FILE, 4, "C (身份证号)", "公民身份号码", "duplicate_key")
    assert reject.reason == f"duplicate key 公民身份号码={ID_1}: the same key is already in row 2"
    assert len(run([row(2), row(3)], unique_keys=False).records) == 2


def test_reading_problems_reject_the_row():
    bad = row(5)
    bad.problems.append(Problem("ragged line: 9 fields, expected 8", file=FILE, row=5))
    bad.problems.append(
        Problem("cell is an error (#REF!)", file=FILE, row=5, column="C (身份证号)", value="#REF!")
    )
    outcome = run([bad])
    assert [(r.row, r.column, r.item, r.code) for r in outcome.rejects] == [
        (5, None, None, "unreadable"),
        (5, "C (身份证号)", "公民身份号码", "unreadable"),
    ]
    assert outcome.rejects[1].value == "#REF!"


def test_row_key_is_kept_in_the_reason():
    api_row = Row({"姓名": ""}, 17, file="https://api.example.gov.cn/persons", key="id=9001")
    mapping = Mapping({"姓名": "姓名"})
    (result,) = list(validate_rows([api_row], mapping, [DataItem("姓名", required=True)]))
    assert result.rejects[0].reason == "姓名 is blank but is a required item (id=9001)"
    assert result.key == "id=9001"


def test_file_defaults_for_rows_without_one():
    plain = Row({"姓名": ""}, 3)
    (result,) = list(
        validate_rows([plain], Mapping({"姓名": "姓名"}), [DataItem("姓名", required=True)], file="上传.xlsx")
    )
    assert result.rejects[0].file == "上传.xlsx"


# ---------------------------------------------------------------- warnings


def test_warnings_do_not_reject_but_are_kept_and_counted():
    unknown_region = make_id_number("999901", date(1980, 1, 1), 5)
    legacy = ID_2[:6] + ID_2[8:17]  # 15-digit form
    outcome = run([row(2, 身份证号=unknown_region), row(3, 身份证号=legacy, 姓名="李四")])
    assert outcome.rejects == []
    assert len(outcome.records) == 2
    assert outcome.records[1]["公民身份号码"] == ID_2  # converted to 18 digits
    assert [(w.row, w.column, w.code) for w in outcome.warnings] == [
        (2, "C (身份证号)", "unknown_region"),
        (3, "C (身份证号)", "legacy_15_digit"),
    ]
    assert all(isinstance(w, RowWarning) and not isinstance(w, Reject) for w in outcome.warnings)
    assert outcome.summary.warnings == 2
    assert outcome.summary.warnings_by_reason == {"unknown_region": 1, "legacy_15_digit": 1}
    assert str(outcome.summary) == "2 rows in, 2 out, 0 rejected, 2 warnings"


# ---------------------------------------------------------------- types and options


def test_types_and_options():
    items = [
        DataItem("编号", DataType.I, is_key=True),
        DataItem("注册资本", DataType.N),
        DataItem("婚姻状况"),
        DataItem("登记日期", DataType.D),
        DataItem("是否有效", DataType.L),
        DataItem("行政区划代码", element="DE03001"),
    ]
    mapping = Mapping(
        {
            "编号": "编号",
            "注册资本（万元）": "注册资本",
            "婚姻": "婚姻状况",
            "登记日期": "登记日期",
            "有效": "是否有效",
            "区划": "行政区划代码",
        },
        options={
            "婚姻状况": ItemOptions(codes={"10": "未婚", "20": "已婚", "30": "丧偶", "40": "离婚"}),
            "登记日期": ItemOptions(date_format="%d/%m/%Y"),
        },
    )
    good = {
        "编号": "1,024",
        "注册资本（万元）": "1,234.50",
        "婚姻": "已婚",
        "登记日期": "05/01/2023",
        "有效": "是",
        "区划": "330106",
    }
    rows = [
        Row(good, 2),
        Row({**good, "编号": "2", "登记日期": "2023年1月6日", "婚姻": "10"}, 3),
        Row(
            {
                **good,
                "编号": "2.5",
                "注册资本（万元）": "一千",
                "婚姻": "同居",
                "登记日期": "31/02/2023",
                "有效": "也许",
                "区划": "33010",
            },
            4,
        ),
    ]
    outcome = validate_all(rows, mapping, items)
    assert outcome.records[0] == {
        "编号": 1024,
        "注册资本": Decimal("1234.50"),
        "婚姻状况": "20",
        "登记日期": date(2023, 1, 5),
        "是否有效": True,
        "行政区划代码": "330106",
    }
    assert outcome.records[1]["登记日期"] == date(2023, 1, 6)  # the usual forms still work
    assert outcome.records[1]["婚姻状况"] == "10"
    assert [(r.row, r.item, r.code) for r in outcome.rejects] == [
        (4, "编号", "not_integer"),
        (4, "注册资本", "format"),
        (4, "婚姻状况", "unknown_code"),
        (4, "登记日期", "format"),
        (4, "是否有效", "format"),
        (4, "行政区划代码", "format"),
    ]


def test_unknown_division_is_a_warning():
    items = [DataItem("行政区划代码", element="DE03001", required=True)]
    outcome = validate_all([Row({"区划": "339999"}, 2)], Mapping({"区划": "行政区划代码"}), items)
    assert outcome.records == [{"行政区划代码": "339999"}]
    assert [w.code for w in outcome.warnings] == ["unknown_region"]


def test_gender_through_a_code_table_option():
    mapping = Mapping({"xb": "性别"}, options={"性别": ItemOptions(codes={"1": "男", "2": "女"})})
    items = [DataItem("性别", element="DE01003")]
    outcome = validate_all([Row({"xb": "女"}, 2), Row({"xb": "9"}, 3)], mapping, items)
    assert outcome.records == [{"性别": "2"}]
    assert outcome.rejects[0].code == "unknown_code"


# ---------------------------------------------------------------- configuration errors


def test_bad_configuration_is_refused_before_any_row():
    consumed = []

    def rows():
        consumed.append(1)
        yield row(2)

    with pytest.raises(HuitongError) as caught:
        validate_rows(
            rows(), Mapping({"身份证号码": "公民身份号码", "姓名": "姓名"}), ITEMS, columns=COLUMNS, file=FILE
        )
    assert consumed == []
    (problem,) = caught.value.problems
    assert problem.column == "身份证号码"
    assert "did you mean '身份证号'?" in problem.message
    with pytest.raises(HuitongError, match="required item '姓名' is not mapped"):
        validate_rows(rows(), Mapping({"身份证号": "公民身份号码"}), ITEMS)
    with pytest.raises(HuitongError, match="not an item of the resource"):
        Validator(Mapping({"身份证号": "公民身份号码", "姓名": "姓名", "籍贯": "籍贯"}), ITEMS)


def test_mapping_by_leaf_resolves_against_merged_headers():
    columns = [Column("序号", 1, ("序号",), "A"), Column("基本信息/姓名", 2, ("基本信息", "姓名"), "B")]
    rows = [Row({"序号": 1, "基本信息/姓名": ""}, 4, file="名单.xlsx", sheet="名单")]
    outcome = validate_all(
        rows, Mapping({"姓名": "姓名"}), [DataItem("姓名", required=True)], columns=columns
    )
    (reject,) = outcome.rejects
    assert (reject.file, reject.sheet, reject.row, reject.column) == (
        "名单.xlsx",
        "名单",
        4,
        "B (基本信息/姓名)",
    )


# ---------------------------------------------------------------- policy


@pytest.mark.parametrize(
    ("policy", "total", "rejected", "abort"),
    [
        (LoadPolicy(), 100, 100, False),
        (LoadPolicy(max_rejects=0), 100, 0, False),
        (LoadPolicy(max_rejects=0), 100, 1, True),
        (LoadPolicy(max_rejects=5), 100, 5, False),
        (LoadPolicy(max_rejects=5), 100, 6, True),
        (LoadPolicy(max_reject_ratio=0.05), 100, 5, False),
        (LoadPolicy(max_reject_ratio=0.05), 100, 6, True),
        (LoadPolicy(max_reject_ratio=0.0), 10, 1, True),
        (LoadPolicy(max_reject_ratio=0.5, max_rejects=3), 10, 4, True),
        (LoadPolicy(max_reject_ratio=0.1, max_rejects=30), 100, 20, True),
        (LoadPolicy(max_reject_ratio=0.1), 0, 0, False),
    ],
)
def test_decide(policy, total, rejected, abort):
    decision = load_verdict(policy, total, rejected)
    assert isinstance(decision, LoadVerdict)
    assert decision.abort is abort
    assert f"{rejected} of {total} rows rejected" in decision.reason


def test_decide_reasons():
    assert (
        load_verdict(LoadPolicy(max_rejects=5), 100, 6).reason
        == "6 of 100 rows rejected (6.0%): more than the 5 allowed"
    )
    assert load_verdict(LoadPolicy(max_reject_ratio=0.05), 100, 6).reason == (
        "6 of 100 rows rejected (6.0%): more than the 5.0% allowed"
    )
    assert load_verdict(LoadPolicy(), 10, 1).reason == "1 of 10 rows rejected (10.0%): no limit"
    assert (
        load_verdict(LoadPolicy(0.1, 2), 10, 1).reason
        == "1 of 10 rows rejected (10.0%): within the limit (at most 2, at most 10.0%)"
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_reject_ratio": 1.5},
        {"max_reject_ratio": -0.1},
        {"max_rejects": -1},
        {"max_rejects": 2.5},
        {"max_reject_ratio": True},
    ],
)
def test_policy_limits_are_checked(kwargs):
    with pytest.raises(HuitongError):
        LoadPolicy(**kwargs)


def test_decide_refuses_impossible_counts():
    with pytest.raises(HuitongError, match="do not add up"):
        load_verdict(LoadPolicy(), 5, 6)


def test_outcome_decides_and_summary_streams():
    summary = Summary()
    results = validate_rows([row(2), row(3, 身份证号="x")], MAPPING, ITEMS, summary=summary)
    assert summary.rows_in == 0  # lazy: nothing read yet
    assert [r.ok for r in results] == [True, False]
    assert (summary.rows_in, summary.rows_out, summary.rows_rejected) == (2, 1, 1)
    outcome = run([row(2), row(3, 身份证号="x")])
    assert outcome.load_verdict(LoadPolicy(max_reject_ratio=0.5)).abort is False
    assert outcome.load_verdict(LoadPolicy(max_reject_ratio=0.49)).abort is True


# ---------------------------------------------------------------- end to end


def test_gbk_department_file_proposed_and_validated(tmp_path):
    lines = [
        "序号,姓名,身份证号,性别,出生日期,联系电话,户籍地址,社会信用代码",
        f"1,张三,{ID_1},男,1985-03-01,13800138000,浙江省杭州市西湖区文三路1号,{CREDIT}",
        f"2,李四,{bad_check(ID_2)},女,1990/12/31,0571-87654321,杭州市上城区,",
        f"3,,{ID_2},女,1990年12月31日,13912345678,杭州市上城区,",
    ]
    path = tmp_path / "低保名单.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    source = open_source("csv", path=str(path))
    description = source.describe()
    rows = read_all(source)
    samples = {c: [r.values.get(c) for r in rows] for c in description.names}
    proposals = propose_mapping(description.columns, ITEMS, samples=samples)
    mapping = proposals.to_mapping()
    assert mapping.columns["身份证号"] == "公民身份号码"
    assert "序号" in proposals.unmatched_columns
    outcome = validate_all(rows, mapping, ITEMS, columns=description.columns, file=description.source)
    assert len(outcome.records) == 1
    assert [(r.file, r.row, r.column, r.code) for r in outcome.rejects] == [
        ("低保名单.csv", 3, description.column("身份证号").label, "check_digit"),
        ("低保名单.csv", 4, description.column("姓名").label, "required"),
    ]


# ---------------------------------------------------------------- properties


REGIONS = ["110101", "310104", "330106", "330102", "440305", "510104", "650102", "999999"]


@st.composite
def id_numbers(draw):
    region = draw(st.sampled_from(REGIONS))
    born = draw(st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31)))
    return make_id_number(region, born, draw(st.integers(0, 999)))


ID_ITEMS = [DataItem("公民身份号码", element="DE01001", is_key=True, required=True), DataItem("姓名")]
ID_MAPPING = Mapping({"身份证号": "公民身份号码", "姓名": "姓名"})
ID_COLUMNS = [Column("姓名", 1, ("姓名",), "A"), Column("身份证号", 2, ("身份证号",), "B")]


@settings(max_examples=150, deadline=None)
@given(number=id_numbers(), lower=st.booleans())
def test_valid_id_numbers_always_pass(number, lower):
    written = number.lower() if lower else number
    (result,) = list(
        validate_rows(
            [Row({"姓名": "王五", "身份证号": written}, 2)], ID_MAPPING, ID_ITEMS, columns=ID_COLUMNS
        )
    )
    assert result.ok, result.rejects
    assert result.values == {"公民身份号码": number, "姓名": "王五"}


@settings(max_examples=200, deadline=None)
@given(number=id_numbers(), position=st.integers(0, 17), digit=st.integers(0, 9), line=st.integers(2, 60000))
def test_any_single_digit_corruption_is_rejected_in_the_id_column(number, position, digit, line):
    if number[position] == str(digit):
        digit = (digit + 1) % 10
    corrupted = number[:position] + str(digit) + number[position + 1 :]
    assert id_check_char(number[:17]) == number[17]
    (result,) = list(
        validate_rows(
            [Row({"姓名": "王五", "身份证号": corrupted}, line, file=FILE)],
            ID_MAPPING,
            ID_ITEMS,
            columns=ID_COLUMNS,
        )
    )
    assert not result.ok
    assert {(r.row, r.column, r.item) for r in result.rejects} == {(line, "B (身份证号)", "公民身份号码")}
    assert {r.code for r in result.rejects} <= {"check_digit", "birth_date_invalid", "birth_date_future"}
    assert all(r.value == corrupted for r in result.rejects)
