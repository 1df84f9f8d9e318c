"""Records made comparable: whole-column preparation against the per-value references."""

from __future__ import annotations

from datetime import date

import opencc
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.errors import HuitongError
from huitong.fuse.names import fold_name, name_keys, to_simplified
from huitong.fuse.prepare import dates, id_columns, per_distinct, prepare
from huitong.fuse.spec import parse_spec
from huitong.standards.idcard import make_id_number, validate_id_number
from huitong.standards.normalise import NormaliseError, parse_date
from huitong.standards.surnames import SURNAMES

SPEC = parse_spec({"record_id": "编号", "name": "姓名", "id_number": "身份证号", "birth_date": "出生日期"})


# a whole preparation costs some milliseconds (the division-name pattern is compiled per call):
# properties through it draw many values per example and fewer examples
THROUGH_PREPARE = settings(max_examples=25)


def _prepared(column: str, values: list[str | None], spec=SPEC) -> pa.Table:
    table = pa.table(
        {"编号": [f"r{i}" for i in range(len(values))], column: pa.array(values, pa.string())}
        | {c: pa.nulls(len(values), pa.string()) for c in spec.columns.values() if c not in ("编号", column)}
    )
    return prepare(table, spec, source="test")


# ---- ID numbers --------------------------------------------------------------------------------

# any six digits (the conversion does not read the region), a birth date of the legacy era
ids_of_the_1900s = st.builds(
    make_id_number,
    st.integers(110000, 659999).map(str),
    st.dates(date(1900, 1, 1), date(1999, 12, 31)),
    st.integers(0, 999),
)


@THROUGH_PREPARE
@given(st.lists(ids_of_the_1900s, min_size=1, max_size=40), st.data())
def test_a_legacy_15_digit_number_prepares_to_its_18_digit_form(numbers, data):
    # a column of legacy and current forms mixed, as a department's export holds them
    legacy = [data.draw(st.booleans()) for _ in numbers]
    written = [n[:6] + n[8:17] if old else n for n, old in zip(numbers, legacy, strict=True)]
    got = _prepared("身份证号", written)
    assert got.column("id_number").to_pylist() == numbers
    assert got.column("id_ok").to_pylist() == [True] * len(numbers)
    for text, number in zip(written, numbers, strict=True):
        reference = validate_id_number(text)  # the reference converts a 15-digit number too
        assert reference.value == number and reference.ok


@given(st.lists(st.tuples(ids_of_the_1900s, st.sampled_from(["as_is", "check_wrong", "lower", "absent"]))))
def test_id_number_and_its_check_agree_with_the_reference(drawn):
    written = []
    for number, how in drawn:
        if how == "check_wrong":
            number = number[:17] + ("0" if number[17] != "0" else "1")
        elif how == "lower":
            number = number.lower()
        written.append(None if how == "absent" else number)
    got = id_columns(pa.array(written, pa.string()))
    for text, number, ok in zip(written, got["id_number"].to_pylist(), got["id_ok"].to_pylist(), strict=True):
        if text is None:
            assert number is None and not ok
            continue
        reference = validate_id_number(text)
        assert number == reference.value
        assert ok == (not any(f.code == "check_digit" for f in reference.findings))


# ---- dates -------------------------------------------------------------------------------------

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def written_dates(draw) -> str:
    """A date in one of the forms huitong.standards.dates accepts, possibly impossible (month 13,
    day 31 of a short month) or with full-width digits and surrounding blanks."""
    y, m, d = draw(st.integers(1, 9999)), draw(st.integers(0, 13)), draw(st.integers(0, 32))
    pad = draw(st.booleans())
    mm, dd = (f"{m:02d}", f"{d:02d}") if pad else (str(m), str(d))
    form = draw(st.sampled_from(["-", "/", ".", "年月日", "年月", "digits"]))
    if form == "digits":
        text = f"{y:04d}{m:02d}{d:02d}"
    elif form == "年月日":
        text = f"{y:04d}年{mm}月{dd}日"
    elif form == "年月":
        text = f"{y:04d}年{mm}月{dd}"
    else:
        text = f"{y:04d}{form}{mm}{form}{dd}"
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return draw(st.sampled_from(["", " ", "\u3000"])) + text + draw(st.sampled_from(["", " ", "\t"]))


def _reference_date(text: str) -> date | None:
    try:
        return parse_date(text)
    except NormaliseError:
        return None


@given(st.lists(st.one_of(written_dates(), st.none()), max_size=20))
def test_dates_agree_with_the_reference_parser(values):
    got = dates(pa.array(values, pa.string())).to_pylist()
    assert got == [None if v is None else _reference_date(v) for v in values]


def _forms(day: date) -> list[str]:
    return [
        f"{day:%Y%m%d}",
        f"{day:%Y-%m-%d}",
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month}.{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}年{day.month}月{day.day}日".translate(FULL_WIDTH),
    ]


@THROUGH_PREPARE
@given(st.lists(st.dates(date(1900, 1, 1), date(2030, 12, 31)), min_size=1, max_size=10))
def test_every_accepted_form_of_a_date_prepares_alike(days):
    written = [text for day in days for text in _forms(day)]
    got = _prepared("出生日期", written).column("birth_date").to_pylist()
    assert got == [day for day in days for _ in _forms(day)]


# ---- names -------------------------------------------------------------------------------------

GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏飞凤兰梅鑫波斌宇浩凯健俊帆帅旭宁龙林欣"
SEPARATORS = " ·　."
to_traditional = opencc.OpenCC("s2t")

names = st.builds(
    lambda surname, given: surname + given,
    st.sampled_from(SURNAMES),
    st.text(GIVEN_CHARS, min_size=1, max_size=2),
)


@given(st.text(GIVEN_CHARS + "張偉華龍ＡＢab" + SEPARATORS, max_size=8))
def test_fold_name_is_idempotent(text):
    once = fold_name(text)
    assert fold_name(once) == once


@given(names)
def test_a_traditional_name_has_the_keys_of_its_simplified_form(name):
    """OpenCC does not go back and forth exactly (宁 → 甯, itself a simplified surname character), so
    the folded forms agree where the round trip holds, and the readings agree always."""
    traditional = to_traditional.convert(name)
    ours, theirs = name_keys(traditional), name_keys(name)
    assert ours[1:3] == theirs[1:3]  # pinyin and fuzzy pinyin
    if to_simplified(traditional) == name:
        assert ours == theirs


@THROUGH_PREPARE
@given(st.lists(names, max_size=40))
def test_prepared_name_columns_are_the_per_value_keys(values):
    got = _prepared("姓名", values)
    keys = ("name", "name_py", "name_fz", "name_sorted", "surname_py")
    rows = [tuple(row[k] for k in keys) for row in got.select(list(keys)).to_pylist()]
    assert rows == [name_keys(v) for v in values]


# ---- per distinct value ------------------------------------------------------------------------

maybe_texts = st.lists(st.one_of(st.none(), st.text("ab张伟 ", max_size=3)), max_size=12)


@given(st.lists(maybe_texts, min_size=1, max_size=4), st.booleans())
def test_per_distinct_is_the_function_row_by_row(chunks, chunked):
    seen: list[list] = []

    def reverse_with_length(values: list) -> list:
        seen.append(list(values))
        return [None if v is None or len(v) == 2 else v[::-1] + str(len(v)) for v in values]

    flat = [v for chunk in chunks for v in chunk]
    values = (
        pa.chunked_array([pa.array(c, pa.string()) for c in chunks], pa.string())
        if chunked
        else pa.array(flat, pa.string())
    )
    got = per_distinct(values, reverse_with_length, pa.string()).to_pylist()
    assert len(seen) == 1
    distinct = [v for v in dict.fromkeys(flat) if v is not None]
    assert sorted(seen[0]) == sorted(distinct)  # each distinct value once, nulls not at all
    seen.clear()
    assert got == [None if v is None else reverse_with_length([v])[0] for v in flat]


# ---- whole records -----------------------------------------------------------------------------


@pytest.mark.parametrize("blank", [None, "", "  "])
def test_a_record_without_record_id_is_refused_naming_row_and_column(blank):
    table = pa.table({"编号": ["a1", "a2", blank, "a4"], "姓名": ["张伟", "李娜", "王芳", "刘洋"]})
    with pytest.raises(HuitongError) as caught:
        prepare(table, parse_spec({"record_id": "编号", "name": "姓名"}), source="民政")
    err = caught.value
    assert "without a record_id" in err.message
    (problem,) = err.problems
    assert (problem.row, problem.column) == (3, "编号")
    assert "row 3" in str(err) and "column 编号" in str(err)


def test_gender_is_read_from_the_id_number_when_no_column_holds_it():
    man = make_id_number("330106", date(1980, 1, 2), 11)  # 17th digit 1: odd, a man
    woman = make_id_number("330106", date(1980, 1, 2), 12)
    legacy_woman = woman[:6] + woman[8:17]
    spec = parse_spec({"record_id": "编号", "id_number": "身份证号"})
    got = _prepared("身份证号", [man, woman, legacy_woman, None], spec)
    assert got.column("gender").to_pylist() == ["1", "2", "2", None]
    assert got.column("birth_date").to_pylist() == [date(1980, 1, 2)] * 3 + [None]


def test_a_gender_column_is_read_first_and_a_blank_one_falls_back_to_the_id():
    man = make_id_number("330106", date(1980, 1, 2), 11)
    spec = parse_spec({"record_id": "编号", "id_number": "身份证号", "gender": "性别"})
    table = pa.table({"编号": ["a", "b", "c", "d"], "身份证号": [man] * 4, "性别": ["女", "F", None, "未知"]})
    got = prepare(table, spec, source="test")
    assert got.column("gender").to_pylist() == ["2", "2", "1", "1"]
