"""The comparison levels as DuckDB runs them on prepared records: every left record joined with every
right record (columns ``_l``/``_r``), and the level each hand-chosen pair lands on."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.fuse import comparisons as C
from huitong.fuse.names import name_keys
from huitong.fuse.prepare import prepare
from huitong.fuse.spec import parse_spec
from huitong.standards.divisions import division_table
from huitong.standards.idcard import make_id_number, validate_id_number
from huitong.standards.orgcode import validate_org_code
from huitong.standards.uscc import make_credit_code, validate_credit_code

# columns named as departments name them: the spec maps the roles onto them
PERSON = {
    "record_id": "人员编号",
    "name": "姓名",
    "id_number": "公民身份号码",
    "birth_date": "出生日期",
    "gender": "性别",
    "address": "户籍地址",
    "phone": "联系电话",
}
ENTITY = {
    "record_id": "主体编号",
    "name": "单位名称",
    "credit_code": "统一社会信用代码",
    "org_code": "组织机构代码",
    "address": "住所",
}


def _side(spec: dict[str, str], prefix: str, rows: list[dict[str, str | None]], source: str) -> pa.Table:
    columns = {spec["record_id"]: pa.array([f"{prefix}{i}" for i in range(len(rows))], pa.string())}
    for role, column in spec.items():
        if role != "record_id":
            columns[column] = pa.array([row.get(role) for row in rows], pa.string())
    return prepare(pa.table(columns), parse_spec(spec), source=source)


def levels(comparison: C.Comparison, spec: dict[str, str], pairs: list[tuple[dict, dict]]) -> list[str]:
    """The level of each (left record, right record) pair, from a cross join of the two prepared
    tables in DuckDB."""
    left = _side(spec, "L", [a for a, _ in pairs], "left")
    right = _side(spec, "R", [b for _, b in pairs], "right")
    con = duckdb.connect()
    try:
        con.register("l", left.rename_columns([f"{c}_l" for c in left.column_names]))
        con.register("r", right.rename_columns([f"{c}_r" for c in right.column_names]))
        rows = con.sql(
            f"SELECT unique_id_l, unique_id_r, {comparison.level_of_sql()} FROM l CROSS JOIN r"
        ).fetchall()
    finally:
        con.close()
    assert len(rows) == len(pairs) ** 2
    found = {(a, b): level for a, b, level in rows}
    return [found[f"L{i}", f"R{i}"] for i in range(len(pairs))]


def check(comparison: C.Comparison, spec: dict[str, str], role: str, cases: list[tuple]) -> None:
    """``cases``: (left value, right value, expected level) of one role; the diff names the pairs."""
    got = levels(comparison, spec, [({role: a}, {role: b}) for a, b, _ in cases])
    assert [(a, b, level) for (a, b, _), level in zip(cases, got, strict=True)] == cases


# ---- ID numbers --------------------------------------------------------------------------------

BORN = date(1985, 4, 12)
ID = make_id_number("330106", BORN, 217)  # 杭州市西湖区
OTHER_ID = make_id_number("330106", BORN, 219)  # the next man born that day in 西湖区


def _one_digit_off(number: str, at: int) -> str:
    return number[:at] + str((int(number[at]) + 1) % 10) + number[at + 1 :]


def test_id_number_levels():
    legacy = ID[:6] + ID[8:17]  # 15 digits: no century, no check character
    with_x = next(n for s in range(1000) if (n := make_id_number("330106", BORN, s)).endswith("X"))
    spaced = " ".join([with_x[:6], with_x[6:14], with_x[14:]]).lower()
    typo = _one_digit_off(ID, 12)
    swapped = ID[:10] + ID[11] + ID[10] + ID[12:]  # 04 → 40: neighbours swapped
    assert ID[10] != ID[11]
    for wrong in (typo, swapped):
        assert not validate_id_number(wrong).ok  # the check character catches both
    assert validate_id_number(ID).ok and validate_id_number(OTHER_ID).ok
    check(
        C.ID_NUMBER,
        PERSON,
        "id_number",
        [
            (ID, ID, "exact"),
            (legacy, ID, "exact"),  # the legacy form converted to its 18 digits
            (spaced, with_x, "exact"),  # spaces and a lower-case x are how it was typed, not who
            (typo, ID, "typo"),
            (ID, swapped, "typo"),
            (ID, OTHER_ID, "both_valid_different"),
            (ID, None, "null"),
            ("3301061985", ID, "null"),  # too short to be a number: says nothing
        ],
    )


def _abolished_county() -> tuple[str, str, date]:
    """A county code abolished after a birth date in its window, the code in force today for the
    same place, and that birth date."""
    table = division_table()
    old = "330184"  # 余杭市, since 2001 余杭区
    successors = table.successors(old)
    assert successors and table.is_valid(successors[-1]) and not table.is_valid(old)
    (window,) = table.windows(old)
    return old, successors[-1], window.valid_from.replace(month=6, day=1)


@pytest.mark.parametrize("legacy", [False, True], ids=["18-digit", "15-digit"])
def test_an_abolished_region_code_and_its_successor_are_one_number(legacy):
    old, new, born = _abolished_county()
    before = make_id_number(old, born, 37)
    after = make_id_number(new, born, 37)  # the same person's number re-issued under the new code
    assert before[:6] != after[:6] and before[6:17] == after[6:17]
    if legacy:
        before = before[:6] + before[8:17]
    check(C.ID_NUMBER, PERSON, "id_number", [(before, after, "same_after_region_change")])


# ---- names -------------------------------------------------------------------------------------


def test_name_levels():
    for near in (("刘宁", "刘凌"), ("张伟", "臧伟"), ("陈成", "程成")):  # n/l and -ing/-in, zh/z, -en/-eng
        a, b = (name_keys(n) for n in near)
        assert a[1] != b[1] and a[2] == b[2], near  # pinyin differs, fuzzy pinyin agrees
    check(
        C.NAME,
        PERSON,
        "name",
        [
            ("张伟", "张伟", "exact"),
            ("張偉", "张伟", "exact"),  # traditional folded to simplified
            ("张 伟", "张伟　", "exact"),  # inner and full-width blanks
            ("张晓明", "张小明", "same_pinyin"),  # a homophone typed for the right character
            ("张晓明", "张明晓", "swapped"),
            ("刘宁", "刘凌", "fuzzy_pinyin"),
            ("张伟", "臧伟", "fuzzy_pinyin"),
            ("陈成", "程成", "fuzzy_pinyin"),
            ("张晓明", "张明", "one_char"),  # one given-name character dropped
            ("张伟", "李娜", "else"),
            ("张伟", None, "null"),
            ("", "张伟", "null"),
        ],
    )


def test_one_char_counts_characters_not_utf8_bytes():
    """DuckDB's edit distances count bytes (a CJK character is three): the level must not."""
    pairs = [("王小明", "王大明"), ("欧阳小明", "欧阳大明"), ("王明", "王小明")]
    con = duckdb.connect()
    for a, b in pairs:
        assert con.execute("SELECT levenshtein(?, ?)", [a, b]).fetchone()[0] > 1  # the pitfall is real
        ka, kb = name_keys(a), name_keys(b)
        assert ka[1] != kb[1] and ka[2] != kb[2] and ka[3] != kb[3]  # no earlier level can hold
    con.close()
    check(C.NAME, PERSON, "name", [(a, b, "one_char") for a, b in pairs])


# the reference for the name ladder, stated on whole characters (Python strings are characters)
POOL = "王李张刘陈杨欧阳小晓明敏伟玮华芳方宁凌娜丽军君"


def _reference_name_level(a: str, b: str) -> str:
    ka, kb = name_keys(a), name_keys(b)
    if ka[0] == kb[0]:
        return "exact"
    for label, i in (("same_pinyin", 1), ("swapped", 3), ("fuzzy_pinyin", 2)):
        if ka[i] == kb[i]:
            return label
    x, y = ka[0], kb[0]
    if 3 <= len(x) == len(y) <= 4 and sum(p != q for p, q in zip(x, y, strict=True)) == 1:
        return "one_char"
    if abs(len(x) - len(y)) == 1 and min(len(x), len(y)) >= 2 and (set(x) <= set(y) or set(y) <= set(x)):
        return "one_char"
    return "else"


_NAMES = st.text(POOL, min_size=1, max_size=5)


@settings(max_examples=40)  # each example prepares two tables: many pairs per example, few examples
@given(st.lists(st.tuples(_NAMES, _NAMES), min_size=1, max_size=60))
def test_name_levels_agree_with_a_character_reference(pairs):
    got = levels(C.NAME, PERSON, [({"name": a}, {"name": b}) for a, b in pairs])
    assert got == [_reference_name_level(a, b) for a, b in pairs]


# ---- birth dates, addresses, phones ------------------------------------------------------------


def test_birth_date_levels():
    check(
        C.BIRTH_DATE,
        PERSON,
        "birth_date",
        [
            ("19900307", "1990年3月7日", "exact"),
            ("1990/3/7", "19900307", "exact"),
            ("1990年3月7日", "1990-03-07", "exact"),
            ("１９９０年３月７日", "1990.3.7", "exact"),
            ("1990-03-07", "1990-07-03", "day_month_swapped"),
            ("1990-03-07", "1990-03-30", "within_a_month"),
            ("1990-12-25", "1991-01-20", "within_a_month"),  # across the new year
            ("1990-03-07", "1990-11-20", "same_year"),
            ("1990-03-07", "1991-03-07", "else"),
            ("1990-03-07", None, "null"),
            ("不详", "1990-03-07", "null"),  # unreadable says nothing
        ],
    )


def test_birth_date_from_the_id_number_when_no_column_holds_it():
    got = levels(
        C.BIRTH_DATE,
        PERSON,
        [
            ({"id_number": ID}, {"birth_date": f"{BORN:%Y年%m月%d日}"}),
            ({"id_number": ID}, {"id_number": OTHER_ID}),
        ],
    )
    assert got == ["exact", "exact"]


def test_address_levels():
    check(
        C.ADDRESS,
        PERSON,
        "address",
        [
            (
                "浙江省杭州市西湖区文三路１２３号",
                "文三路123号",
                "exact",
            ),  # division words and full-width digits
            ("浙江杭州西湖区文三路123号", "杭州市西湖区文三路 123 号", "exact"),
            ("文三路3幢2单元501室", "文三路3号楼2单元501室", "exact"),
            ("文三路3栋2单元501", "文三路3幢2单元501室", "exact"),
            ("文三路3-2-501", "文三路3栋2单元501室", "exact"),
            ("文三路123号", "文三路125号", "same_road"),
            ("文三路123号", "学院路123号", "same_numbers"),
            ("文三路123号", "学院路88号", "else"),
            ("文三路123号", None, "null"),
        ],
    )


def test_a_road_named_after_a_city_keeps_its_name():
    check(
        C.ADDRESS,
        PERSON,
        "address",
        [("南京路100号", "中山路100号", "same_numbers"), ("上海市南京路100号", "南京路100号", "exact")],
    )


def test_phone_levels():
    check(
        C.PHONE,
        PERSON,
        "phone",
        [
            ("+86 138-1234-5678", "13812345678", "exact"),
            ("0086-138-1234-5678", "138 1234 5678", "exact"),
            ("８６１３８１２３４５６７８", "13812345678", "exact"),
            ("0571-88886666", "057188886666", "exact"),
            ("13812345678", "13812345679", "else"),
            ("12345", "12345", "null"),  # fewer than 7 digits is no phone
            ("13812345678", None, "null"),
        ],
    )


# ---- legal entities ----------------------------------------------------------------------------

CREDIT = make_credit_code("9", "1", "330106", "60003734")  # 企业, registered in 西湖区
OTHER_CREDIT = make_credit_code("9", "1", "330106", "60003742")
ORG = f"{CREDIT[8:16]}-{CREDIT[16]}"  # the 组织机构代码 a pre-2015 record carries


def test_the_codes_used_here_are_valid():
    assert validate_credit_code(CREDIT).ok and validate_credit_code(OTHER_CREDIT).ok
    assert validate_org_code(ORG).ok


def test_credit_code_levels():
    typo = CREDIT[:12] + ("1" if CREDIT[12] != "1" else "2") + CREDIT[13:]
    assert not validate_credit_code(typo).ok
    check(
        C.CREDIT_CODE,
        ENTITY,
        "credit_code",
        [
            (CREDIT, CREDIT, "exact"),
            (f"{CREDIT[:9]} {CREDIT[9:]}".lower(), CREDIT, "exact"),
            (typo, CREDIT, "typo"),
            (CREDIT, OTHER_CREDIT, "else"),
            (CREDIT, None, "null"),
        ],
    )


def test_a_pre_2015_org_code_matches_the_one_embedded_in_a_credit_code():
    got = levels(
        C.ORG_CODE,
        ENTITY,
        [
            ({"org_code": ORG}, {"credit_code": CREDIT}),
            ({"org_code": ORG.replace("-", "")}, {"credit_code": CREDIT}),
            ({"org_code": ORG}, {"credit_code": OTHER_CREDIT}),
            ({"org_code": ORG}, {"name": "杭州某某科技有限公司"}),
        ],
    )
    assert got == ["exact", "exact", "else", "null"]


def test_entity_name_levels():
    check(
        C.ENTITY_NAME,
        ENTITY,
        "name",
        [
            ("杭州某某科技有限公司", "杭州某某科技有限公司", "exact"),
            ("杭州某某科技有限公司（滨江分公司）", "杭州某某科技有限公司(滨江分公司)", "exact"),
            ("杭州某某科技有限公司", "杭州某某科技有限责任公司", "same_core"),
            ("杭州某某科技有限公司", "某某科技股份有限公司", "same_core"),
            ("杭州某某科技有限公司", None, "null"),
        ],
    )


def test_a_branch_is_not_the_same_core_as_its_parent():
    (level,) = levels(
        C.ENTITY_NAME,
        ENTITY,
        [({"name": "杭州某某科技有限公司"}, {"name": "杭州某某科技有限公司滨江分公司"})],
    )
    assert level not in ("exact", "same_core", "same_pinyin")


def test_companies_named_after_different_cities_differ():
    (level,) = levels(
        C.ENTITY_NAME, ENTITY, [({"name": "南京银行股份有限公司"}, {"name": "北京银行股份有限公司"})]
    )
    assert level not in ("exact", "same_core", "same_pinyin")
