"""Value normalisation: what departments write → typed values, or a clear problem."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.aggregate.sources import Column, Row
from huitong.errors import HuitongError
from huitong.standards.normalise import (
    KIND_FOR_TYPE,
    KINDS,
    NormaliseError,
    is_cjk,
    map_code,
    normalise,
    to_halfwidth,
    trim,
)


@pytest.mark.parametrize(
    "raw",
    [None, "", "   ", "\u3000\u3000", "\u00a0", "\u200b", " \t\n", "\ufeff\u200d\u3000"],
)
@pytest.mark.parametrize("kind", sorted(set(KINDS) - {"code"}))
def test_blank_is_none_for_every_kind(raw, kind):
    assert normalise(raw, kind) is None


def test_trim_removes_every_kind_of_invisible_space():
    assert trim("\u3000 张\u200b三\u00a0\ufeff\t") == "张三"
    assert normalise("\u3000张\u200b三 \u00a0", "text") == "张三"
    assert normalise("张 三", "text") == "张 三"  # inner spaces are the department's business


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３", "ABC123"),
        ("（０５７１）８７６５４３２１", "(0571)87654321"),
        ("ｚｈａｎｇｓａｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", "zhangsan@example.com"),
        ("张三，李四", "张三，李四"),  # Chinese punctuation in Chinese text stays
        ("杭州市（本级）", "杭州市（本级）"),
        ("西湖区文三路１２号", "西湖区文三路12号"),
        ("第１，２项", "第1,2项"),  # a comma between digits is a number's comma
        ("《条例》第３条：", "《条例》第3条："),
    ],
)
def test_full_width_to_half_width_without_touching_chinese(raw, expected):
    assert normalise(raw, "text") == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (13800138000.0, "13800138000"),
        (42, "42"),
        (Decimal("1234.50"), "1234.50"),
        (Decimal("1E+3"), "1000"),
        (date(2025, 1, 5), "2025-01-05"),
        (datetime(2025, 1, 5), "2025-01-05"),
        (datetime(2025, 1, 5, 8, 30), "2025-01-05 08:30:00"),
        (True, "是"),
        (0.5, "0.5"),
    ],
)
def test_text_from_other_types(raw, expected):
    assert normalise(raw, "text") == expected


def test_text_refuses_a_number_that_lost_its_digits():
    with pytest.raises(NormaliseError) as caught:
        normalise(1.10105199001011e17, "text")
    assert caught.value.reason == "digits_lost"
    assert "its last digits are lost" in caught.value.message
    assert caught.value.problem.value == "1.10105199001011e+17"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.50", Decimal("1234.50")),
        ("１２３４", Decimal("1234")),
        ("1 234", Decimal("1234")),
        ("1\u00a0234\u00a0567.8", Decimal("1234567.8")),
        ("-1,234", Decimal("-1234")),
        ("－５", Decimal("-5")),
        ("\u22123.5", Decimal("-3.5")),
        (".5", Decimal("0.5")),
        ("1.5e3", Decimal("1.5E+3")),
        (" 42 ", Decimal("42")),
        (42, Decimal("42")),
        (0.1, Decimal("0.1")),  # the float's shortest form, not 0.1000000000000000055…
        (Decimal("7.00"), Decimal("7.00")),
    ],
)
def test_numbers(raw, expected):
    result = normalise(raw, "number")
    assert result == expected and isinstance(result, Decimal)
    assert str(result) == str(expected)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            "1,23",
            "'1,23' is not a number: thousands separators must separate groups of three digits (1,234.50)",
        ),
        (
            "12 34",
            "'12 34' is not a number: thousands separators must separate groups of three digits (1,234.50)",
        ),
        ("1234元", "'1234元' is not a number: unexpected '元'"),
        ("约100", "'约100' is not a number: unexpected '约'"),
        ("1.2.3", "'1.2.3' is not a number"),
        (True, "True is true/false, not a number"),
        (float("nan"), "nan is not a finite number"),
    ],
)
def test_not_numbers(raw, message):
    with pytest.raises(NormaliseError) as caught:
        normalise(raw, "number")
    assert caught.value.message == message
    assert caught.value.status == 422 and caught.value.code == "invalid_value"


def test_integers():
    assert normalise("1,234", "integer") == 1234
    assert normalise(3.0, "integer") == 3
    with pytest.raises(NormaliseError, match="'2.5' is not a whole number"):
        normalise("2.5", "integer")


@pytest.mark.parametrize(
    "raw",
    [
        "2023-01-05",
        "2023/1/5",
        "2023年1月5日",
        "2023年01月05日",
        "20230105",
        "2023.1.5",
        "２０２３年１月５日",
        " 2023 年 1 月 5 日 ",
        "44931",
        44931,
        44931.0,
        Decimal("44931.75"),
        20230105,
        "2023-01-05 10:30",
        "2023/1/5 10:30:15",
        date(2023, 1, 5),
        datetime(2023, 1, 5, 23, 59),
    ],
)
def test_dates(raw):
    assert normalise(raw, "date") == date(2023, 1, 5)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2023-02-29", "2023-02-29 is not a real date: February 2023 has 28 days"),
        ("2023-13-01", "2023-13-01 is not a real date: month 13 is out of range"),
        ("2023年1月", "'2023年1月' is not a recognised date"),
        ("1/5/2023", "'1/5/2023' is not a recognised date"),
        ("2023-01-05 24:00", "'2023-01-05 24:00' has an impossible time of day 24:00:00"),
        (60, "60 is not a date: Excel's day 60 is 1900-02-29, which never existed"),
        (3_000_000, "3000000 is not a date: as an Excel date serial it is out of range (1-2958465)"),
        (True, "True is not a date (bool)"),
    ],
)
def test_bad_dates_say_what_is_wrong(raw, message):
    with pytest.raises(NormaliseError) as caught:
        normalise(raw, "date")
    assert caught.value.message.startswith(message)


def test_excel_serials_around_the_1900_leap_year_bug():
    assert normalise(1, "date") == date(1900, 1, 1)
    assert normalise(59, "date") == date(1900, 2, 28)
    assert normalise(61, "date") == date(1900, 3, 1)
    assert normalise(45658, "date") == date(2025, 1, 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-01-05 10:30", datetime(2023, 1, 5, 10, 30)),
        ("2023/1/5 8:05:09", datetime(2023, 1, 5, 8, 5, 9)),
        ("2023年1月5日10时30分", datetime(2023, 1, 5, 10, 30)),
        ("2023年1月5日 10时30分15秒", datetime(2023, 1, 5, 10, 30, 15)),
        ("2023-01-05T10:30:00.250", datetime(2023, 1, 5, 10, 30, 0, 250000)),
        ("2023-01-05", datetime(2023, 1, 5)),
        ("2023-01-05T10:30:00+08:00", datetime(2023, 1, 5, 10, 30, tzinfo=timezone(timedelta(hours=8)))),
        (44931.5, datetime(2023, 1, 5, 12)),
        (date(2023, 1, 5), datetime(2023, 1, 5)),
    ],
)
def test_datetimes(raw, expected):
    assert normalise(raw, "datetime") == expected


def test_bad_datetime():
    with pytest.raises(NormaliseError, match="'yesterday' is not a recognised date and time"):
        normalise("yesterday", "datetime")
    with pytest.raises(NormaliseError, match="2023-02-30 is not a real date"):
        normalise("2023-02-30 10:00", "datetime")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("是", True), ("否", False), ("有", True), ("无", False), ("Y", True), ("n", False), ("ＹＥＳ", True),
     ("false", False), ("1", True), (0, False), ("√", True), ("×", False), (True, True)],
)  # fmt: skip
def test_booleans(raw, expected):
    assert normalise(raw, "bool") is expected


def test_not_a_boolean():
    with pytest.raises(NormaliseError) as caught:
        normalise("也许", "bool")
    assert caught.value.message == "'也许' is not yes/no (use 是/否, Y/N, true/false or 1/0)"
    assert caught.value.message_zh.startswith("'也许' 不是")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("男", "1"),
        ("女", "2"),
        ("未知", "0"),
        ("男性", "1"),
        ("F", "2"),
        ("Ｍ", "1"),
        (1, "1"),
        (2.0, "2"),
        ("9", "9"),
    ],
)
def test_gender_codes_via_the_standard(raw, code):
    assert normalise(raw, "gender") == code


def test_unknown_gender_uses_the_standards_message():
    with pytest.raises(NormaliseError) as caught:
        normalise("男女", "gender")
    assert caught.value.reason == "unknown_gender"
    assert "'男女' is not a recognised gender" in caught.value.message
    assert "性别" in caught.value.message_zh


def test_code_tables():
    marital = {"10": "未婚", "20": "已婚", "30": "丧偶", "40": "离婚"}
    assert normalise("已婚", "code", codes=marital) == "20"
    assert normalise(" 20 ", "code", codes=marital) == "20"
    assert map_code("２０", marital) == "20"
    with pytest.raises(NormaliseError) as caught:
        normalise("同居", "code", codes=marital)
    assert caught.value.message == "'同居' is not one of the codes (10 未婚, 20 已婚, 30 丧偶, 40 离婚)"


def test_unknown_kind_and_type_map():
    with pytest.raises(HuitongError, match="unknown value kind 'money'"):
        normalise("1", "money")
    assert {KIND_FOR_TYPE[t] for t in "CNDTL"} <= set(KINDS)


def test_a_problem_is_placed_at_its_row_and_column():
    row = Row({"出生日期": "2023-02-30"}, 7, "低保.xlsx", "名单")
    column = Column("基本信息/出生日期", 4, ("基本信息", "出生日期"), "D")
    with pytest.raises(NormaliseError) as caught:
        normalise(row.values["出生日期"], "date")
    problem = row.locate(caught.value.problem, column)
    assert str(problem) == (
        "低保.xlsx, sheet 名单, row 7, column D (基本信息/出生日期): "
        "2023-02-30 is not a real date: February 2023 has 28 days"
    )
    assert problem.value == "2023-02-30"


# ---------------------------------------------------------------- properties

CJK_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.sampled_from("，。、；：？！“”‘’（）《》【】—…·　䶮𠀾"),
    ),
    max_size=20,
)
ANY_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
        st.sampled_from("\u3000\u200b\u00a0\ufeff"),
    ),
    max_size=30,
)


@given(CJK_TEXT.map(lambda t: t.replace("\u3000", "")))
def test_halfwidth_leaves_chinese_text_alone(text):
    assert to_halfwidth(text) == text


@given(ANY_TEXT)
def test_halfwidth_changes_no_cjk_character_and_keeps_length(text):
    out = to_halfwidth(text)
    assert len(out) == len(text)
    assert [c for c in out if is_cjk(c) and c != "\u3000"] == [c for c in text if is_cjk(c) and c != "\u3000"]
    assert not any(0xFF10 <= ord(c) <= 0xFF19 for c in out)  # no full-width digit survives


RAW_VALUES = st.one_of(
    ANY_TEXT,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.dates(),
    st.datetimes(),
    st.booleans(),
    st.sampled_from(
        ["1,234.50", "１２３４", "2023年1月5日", "20230105", "44931", "男", "女", "是", "否", "Y"]
    ),
)


@settings(max_examples=300)
@given(RAW_VALUES, st.sampled_from(sorted(set(KINDS) - {"code"})))
def test_normalise_is_idempotent(raw, kind):
    try:
        once = normalise(raw, kind)
    except NormaliseError:
        return
    twice = normalise(once, kind)
    assert twice == once
    assert type(twice) is type(once)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**12), max_value=10**12))
def test_grouped_and_full_width_numbers_read_back(d):
    grouped = f"{d:,.2f}"
    assert normalise(grouped, "number") == d
    assert normalise(grouped.replace(",", " "), "number") == d
    full = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in grouped)
    assert normalise(full, "number") == d


@given(st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)))
def test_every_written_form_of_a_date_reads_back(d):
    forms = [
        d.isoformat(),
        f"{d.year}/{d.month}/{d.day}",
        f"{d.year}.{d.month}.{d.day}",
        f"{d.year}年{d.month}月{d.day}日",
        f"{d:%Y%m%d}",
        int(f"{d:%Y%m%d}"),
        (d - date(1899, 12, 30)).days,  # the Excel serial
    ]
    if d.year >= 1000:
        assert {normalise(f, "date") for f in forms} == {d}
