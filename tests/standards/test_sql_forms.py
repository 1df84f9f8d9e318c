"""The SQL forms of the validators agree, value for value, with the per-value validators.

"Valid" for a stored value means the validator finds no error and returns the value unchanged.
Each hypothesis example is a batch of values checked in one DuckDB query on the locked-down
connection, as the quality engine runs them.
"""

from __future__ import annotations

import string
from datetime import date, timedelta
from functools import partial

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.standards import idcard, orgcode, uscc
from huitong.standards.elements import VALIDATORS, validator_function
from huitong.standards.idcard import id_check_char, make_id_number, validate_id_number
from huitong.standards.orgcode import org_check_char
from huitong.standards.sql_forms import SQL_VALIDATORS, valid_sql
from huitong.standards.uscc import ALPHABET, AUTHORITIES, make_credit_code, uscc_check_char
from huitong.store.duck import connect, quote

BATCH = settings(max_examples=40, deadline=None)


@pytest.fixture(scope="module")
def con():
    c = connect()
    yield c
    c.close()


def sql_valid(con, validator: str, values: list[str | None], column: str = "v") -> list[bool | None]:
    """Every value checked in one query, in order."""
    con.register("t", pa.table({"i": range(len(values)), column: pa.array(values, pa.string())}))
    try:
        rows = con.sql(f"SELECT {valid_sql(validator, quote(column))} FROM t ORDER BY i").fetchall()
    finally:
        con.unregister("t")
    return [r[0] for r in rows]


def sql_today(con) -> date:
    return con.sql("SELECT current_date").fetchall()[0][0]


def reference(con, validator: str):
    """The per-value answer: no error, and the value already in canonical form."""
    check = validator_function(validator)
    if validator == "id_number":  # "not after today" by the same clock as the SQL
        check = partial(validate_id_number, today=sql_today(con))

    def valid(value: str) -> bool:
        result = check(value)
        return result.ok and result.value == value

    return valid


def assert_agrees(con, validator: str, values: list[str]) -> None:
    valid = reference(con, validator)
    got = sql_valid(con, validator, values)
    wrong = [(v, g) for v, g in zip(values, got, strict=True) if g is not valid(v)]
    assert not wrong, f"{validator}: SQL disagrees with the reference on {wrong[:5]}"


# -- strategies ------------------------------------------------------------------------------------

# the characters a near miss is made of: ASCII look-alikes, full-width and foreign digits, spaces
NEAR = string.digits + string.ascii_uppercase + "xabz- _.@+()０１Ｘｘ٣\t\n　"


@st.composite
def mutated(draw, base: st.SearchStrategy[str]) -> str:
    """A value with one character replaced, inserted or deleted, lowercased, padded, or left alone."""
    value = draw(base)
    i = draw(st.integers(0, len(value)))
    ch = draw(st.sampled_from(NEAR) | st.characters(codec="utf-8", exclude_categories=["Cs"]))
    how = draw(st.sampled_from(["replace", "insert", "delete", "lower", "pad", "same"]))
    if how == "replace":
        return value[:i] + ch + value[i + 1 :]
    if how == "insert":
        return value[:i] + ch + value[i:]
    if how == "delete":
        return value[:i] + value[i + 1 :]
    if how == "lower":
        return value.lower()
    if how == "pad":
        return draw(st.sampled_from([" ", "\t", "　", ""])) + value + draw(st.sampled_from([" ", "\n", ""]))
    return value


def batch(*strategies: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """A batch mixing valid values, near misses of them and random text."""
    values = st.one_of(*strategies)
    return st.lists(values | mutated(values) | st.text(max_size=20), min_size=1, max_size=60)


TODAY = date.today()
regions = st.sampled_from(["110101", "330106", "440113", "810000", "000000", "999999"]) | st.from_regex(
    r"[0-9]{6}", fullmatch=True
)
ids = st.builds(
    make_id_number, regions, st.dates(date(1000, 1, 1), TODAY - timedelta(days=2)), st.integers(0, 999)
)


@st.composite
def id_any_date(draw) -> str:
    """Right check character, but any YYYYMMDD: 20230230, 00000101, month 13, the future."""
    year = draw(st.integers(0, 9999) | st.integers(TODAY.year - 1, TODAY.year + 1))
    month, day = draw(st.integers(0, 13)), draw(st.integers(0, 32))
    first17 = f"{draw(regions)}{year:04d}{month:02d}{day:02d}{draw(st.integers(0, 999)):03d}"
    return first17 + id_check_char(first17)


def wrong_check(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "X")


legacy15 = ids.map(lambda n: n[:6] + n[8:17])
id_values = batch(
    ids, id_any_date(), ids.map(wrong_check), legacy15, st.text("0123456789Xx", min_size=17, max_size=19)
)


def credit_code(authority: str, kind: str, region: str, body: str) -> str:
    """Both check characters right, whatever the parts (make_credit_code refuses a bad region)."""
    first17 = authority + kind + region + body + org_check_char(body)
    return first17 + uscc_check_char(first17)


bodies = st.text(ALPHABET, min_size=8, max_size=8)
credit_codes = st.builds(
    make_credit_code,
    st.sampled_from(list(AUTHORITIES)),
    st.sampled_from(ALPHABET),
    st.from_regex(r"[0-9]{6}", fullmatch=True) | st.just("100000"),
    bodies,
)
odd_credit_codes = st.builds(  # any authority and region: B..., 91AB0000...
    credit_code,
    st.sampled_from(ALPHABET),
    st.sampled_from(ALPHABET),
    st.text(ALPHABET, min_size=6, max_size=6),
    bodies,
)
credit_values = batch(
    credit_codes,
    credit_codes.map(lambda c: c[:17] + ("0" if c[17] != "0" else "1")),
    st.builds(
        lambda c, ch, i: c[:i] + ch + c[i + 1 :], credit_codes, st.sampled_from("IOSVZ"), st.integers(0, 17)
    ),
    odd_credit_codes,
    st.text(ALPHABET, min_size=18, max_size=18),
)

org_bodies = st.text(string.digits + string.ascii_uppercase, min_size=8, max_size=8)
org_codes = org_bodies.map(lambda b: f"{b}-{org_check_char(b)}")
org_values = batch(
    org_codes,
    org_codes.map(lambda c: c.replace("-", "")),
    st.from_regex(r"[0-9A-Z]{8}-[0-9X]", fullmatch=True),
)

gender_values = batch(
    st.sampled_from(["0", "1", "2", "9", "3", "男", "女", "M", "f", "male", "未知", "１", " 1", "01"])
)
mobiles = st.from_regex(r"1[0-9]{10}", fullmatch=True)
landlines = st.from_regex(r"0[0-9]{2,3}-[0-9]{6,9}(-[0-9]{1,7})?", fullmatch=True)
phone_forms = st.builds(
    lambda p, n: p + n, st.sampled_from(["", "+86", "0086", "+86 ", "(0", "0"]), mobiles | landlines
)
phone_values = batch(mobiles, landlines, phone_forms, st.from_regex(r"[0-9 ()+-]{7,20}", fullmatch=True))
email_values = batch(
    st.from_regex(
        r"[A-Za-z0-9._%+-]{1,8}@[A-Za-z0-9-]{1,8}(\.[A-Za-z0-9-]{1,5}){0,2}\.[A-Za-z]{1,4}", fullmatch=True
    )
)


@st.composite
def date_texts(draw) -> str:
    year, month, day = draw(st.integers(0, 9999)), draw(st.integers(0, 13)), draw(st.integers(0, 32))
    form = draw(
        st.sampled_from(["{:04d}-{:02d}-{:02d}", "{:04d}/{}/{}", "{:04d}{:02d}{:02d}", "{:04d}年{}月{}日"])
    )
    return form.format(year, month, day)


date_values = batch(st.dates().map(date.isoformat), date_texts())
division_values = batch(
    st.from_regex(r"[0-9]{6}", fullmatch=True), st.sampled_from(["110000", "330110", "810000"])
)


# -- properties ------------------------------------------------------------------------------------

CASES = {
    "id_number": id_values,
    "credit_code": credit_values,
    "org_code": org_values,
    "gender": gender_values,
    "mobile": phone_values,
    "landline": phone_values,
    "phone": phone_values,
    "email": email_values,
    "date": date_values,
    "division_code": division_values,
}


def test_every_form_has_a_property():
    assert set(CASES) == SQL_VALIDATORS
    assert set(VALIDATORS) >= SQL_VALIDATORS


def test_weights_are_the_powers_the_folds_assume():
    assert tuple(pow(2, 17 - k, 11) for k in range(17)) == idcard.WEIGHTS
    assert tuple(pow(2, 8 - k, 11) for k in range(8)) == orgcode.WEIGHTS
    assert tuple(pow(3, k, 31) for k in range(17)) == uscc.WEIGHTS


@pytest.mark.parametrize("validator", sorted(CASES))
def test_sql_agrees_with_the_validator(con, validator):
    @BATCH
    @given(CASES[validator])
    def agrees(values):
        assert_agrees(con, validator, values)

    agrees()


# -- examples --------------------------------------------------------------------------------------


def test_known_values(con):
    today = sql_today(con)
    cases = {
        "id_number": (
            ["360426199101010071", "44011320141005001X", "120103198806018241"]
            + [
                make_id_number(r, d, 1)
                for r, d in [("110105", today), ("999999", date(1000, 1, 1)), ("810000", date(2000, 1, 1))]
            ],
            [
                "44011320141005001x",  # lowercase x
                "360426199101010072",  # check character
                "360426910101007",  # legacy 15 digits
                make_id_number("110105", today + timedelta(days=1), 1),  # born tomorrow
                id_check_char_appended("11010520230230001"),  # 30 February
                id_check_char_appended("11010500000101001"),  # year 0
                " 360426199101010071",
                "３60426199101010071",
            ],
        ),
        "credit_code": (
            ["91110000600037341L", make_credit_code("Y", "1", "999999", "ABCDEFGH")],
            [
                "91110000600037341l",
                "91110000600037341M",  # MOD 31 check
                uscc_check_appended("91110000600037342"),  # embedded organisation code check
                credit_code("B", "1", "110000", "60003734"),  # no such 登记管理部门
                credit_code("9", "1", "11A000", "60003734"),  # a letter in the region
                "9111000060003734IL",
                "91110000600037341",
            ],
        ),
        "org_code": (["60003734-1"], ["600037341", "60003734-2", "6000373a-1", " 60003734-1"]),
        "gender": (["0", "1", "2", "9"], ["男", "M", "3", " 1", ""]),
        "mobile": (["13812345678"], ["138 1234 5678", "+8613812345678", "12812345678"]),
        "landline": (["010-12345678", "0571-8765432-123"], ["01012345678", "0571-07654321", "0012-3456789"]),
        "phone": (["13812345678", "021-6123456"], ["138-1234-5678", "(0571)87654321"]),
        "email": (["a.b+c@mail.example.cn"], ["A@example.com", "a@b", " a@example.com"]),
        "date": (
            ["2024-02-29", "0001-01-01", "9999-12-31"],
            ["2023-02-29", "0000-01-01", "2023-1-05", "20230105"],
        ),
        "division_code": (["330106", "999999"], ["33010", "3301060", " 330106"]),
    }
    assert set(cases) == SQL_VALIDATORS
    for validator, (good, bad) in cases.items():
        valid = reference(con, validator)
        assert [valid(v) for v in good + bad] == [True] * len(good) + [False] * len(bad), validator
        assert sql_valid(con, validator, good + bad) == [True] * len(good) + [False] * len(bad), validator


def id_check_char_appended(first17: str) -> str:
    return first17 + id_check_char(first17)


def uscc_check_appended(first17: str) -> str:
    return first17 + uscc_check_char(first17)


@pytest.mark.parametrize("validator", sorted(SQL_VALIDATORS))
def test_null_is_null(con, validator):
    assert sql_valid(con, validator, [None, "x", None]) == [None, False, None]


def test_any_column_name(con):
    assert sql_valid(con, "id_number", ["360426199101010071", None], column='身份证 "号"') == [True, None]


def test_no_form_for_unknown_validators():
    assert valid_sql("no_such_validator", "v") is None


def test_foreign_digits_are_no_digits_to_either(con):
    """Arabic-Indic or full-width digits that survive normalisation are refused by the per-value
    validator and by the SQL form alike (the reference once took them for digits)."""
    arabic = str.maketrans(string.digits, "٠١٢٣٤٥٦٧٨٩")
    values = {
        "id_number": "36042619910101007".translate(arabic) + "1",
        "division_code": "３３０１０６",  # not NFKC-normalised, so full-width digits stay
        "landline": "0571-87654321-" + "12".translate(arabic),  # an extension
        "phone": "0571-87654321-" + "12".translate(arabic),
    }
    for validator, value in values.items():
        assert not reference(con, validator)(value), validator
        assert sql_valid(con, validator, [value]) == [False], validator
