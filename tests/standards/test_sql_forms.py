"""The SQL forms of the validators agree with the per-value reference on every value: near-valid
numbers (one character changed, a wrong check character, an impossible or future birth date,
lowercase x, full-width digits, legacy 15-digit forms) and random text, evaluated in one query."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.standards.elements import validator_function
from huitong.standards.idcard import make_id_number
from huitong.standards.sql_forms import SQL_VALIDATORS, valid_sql
from huitong.standards.uscc import ALPHABET, make_credit_code


def reference(validator: str, value: str) -> bool:
    result = validator_function(validator)(value)
    return result.ok and result.value == value


def sql(validator: str, values: list[str | None]) -> list[bool | None]:
    con = duckdb.connect()
    con.register("t", pa.table({"v": pa.array(values, pa.string())}))
    try:
        return [r[0] for r in con.sql(f"SELECT {valid_sql(validator, 't.v')} FROM t").fetchall()]
    finally:
        con.close()


def _mutated(draw, good: str, alphabet: str) -> str:
    kind = draw(st.sampled_from(["same", "char", "check", "lower", "wide", "cut"]))
    if kind == "same" or not good:
        return good
    i = draw(st.integers(0, len(good) - 1))
    if kind == "char":
        return good[:i] + draw(st.sampled_from(alphabet)) + good[i + 1 :]
    if kind == "check":
        return good[:-1] + draw(st.sampled_from(alphabet))
    if kind == "lower":
        return good.lower()
    if kind == "wide":
        return good[:i] + chr(ord(good[i]) + 0xFEE0) + good[i + 1 :] if good[i].isdigit() else good
    return good[:i]


@st.composite
def id_numbers(draw) -> str:
    born = draw(st.dates(date(1000, 1, 1), date.today() + timedelta(days=4000)))
    good = make_id_number(
        draw(st.sampled_from(["330106", "110101", "999999"])), born, draw(st.integers(0, 999))
    )
    value = _mutated(draw, good, "0123456789X")
    if draw(st.booleans()):
        value = (
            value[:6] + draw(st.sampled_from(["20230230", "00000101", "19991301", "18991231"])) + value[14:]
        )
    return value


@st.composite
def credit_codes(draw) -> str:
    body = draw(st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8))
    good = make_credit_code(
        draw(st.sampled_from("159ANY")),
        draw(st.sampled_from("1239")),
        draw(st.sampled_from(["330100", "110101"])),
        body,
    )
    return _mutated(draw, good, ALPHABET + "IOSVZ")


@st.composite
def org_codes(draw) -> str:
    code = draw(credit_codes())
    return _mutated(draw, f"{code[8:16]}-{code[16:17]}", "0123456789X")


STRATEGIES = {
    "id_number": id_numbers(),
    "credit_code": credit_codes(),
    "org_code": org_codes(),
    "gender": st.sampled_from(["0", "1", "2", "9", "男", "M", "3", " 1", ""]),
    "mobile": st.from_regex(r"1[0-9]{10}|1[3-9][0-9]{8,10}|[0-9]{11}", fullmatch=True),
}


@pytest.mark.parametrize("validator", sorted(STRATEGIES))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_the_sql_form_agrees_with_the_reference(validator, data):
    values = data.draw(st.lists(STRATEGIES[validator] | st.text(max_size=20), min_size=1, max_size=60))
    assert sql(validator, values) == [reference(validator, v) for v in values]


def test_known_values_and_null():
    good_id = make_id_number("330106", date(1990, 5, 17), 123)
    assert sql(
        "id_number", [good_id, good_id[:-1] + "0" if good_id[-1] != "0" else good_id[:-1] + "1", None]
    ) == [
        True,
        False,
        None,
    ]
    good_credit = make_credit_code("9", "1", "330100", "MA2H3K4L")
    assert sql("credit_code", [good_credit, good_credit.lower()]) == [True, False]


def test_every_form_compiles():
    for name in sorted(SQL_VALIDATORS):
        assert sql(name, ["x", None])[1] is None, name
