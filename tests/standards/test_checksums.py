"""Check-character algorithms: the guide's verified examples plus property tests."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.standards import (
    id_check_char,
    make_credit_code,
    make_id_number,
    org_check_char,
    uscc_check_char,
    validate_credit_code,
    validate_id_number,
    validate_org_code,
)
from huitong.standards.uscc import ALPHABET

FAST = settings(max_examples=150, deadline=None)
TODAY = date(2030, 1, 1)


@pytest.mark.parametrize("number", ["360426199101010071", "44011320141005001X", "120103198806018241"])
def test_verified_id_numbers(number):
    assert id_check_char(number[:17]) == number[17]
    result = validate_id_number(number)
    assert result.ok and result.value == number


def test_verified_credit_code_and_org_code():
    assert uscc_check_char("91110000600037341") == "L"
    assert org_check_char("60003734") == "1"
    assert validate_credit_code("91110000600037341L").findings == ()
    assert validate_org_code("60003734-1").value == "60003734-1"


def test_check_char_inputs_are_validated():
    with pytest.raises(ValueError, match="17 digits"):
        id_check_char("1234")
    with pytest.raises(ValueError, match="17 characters"):
        uscc_check_char("91110000600037341I")
    with pytest.raises(ValueError, match="8 digits"):
        org_check_char("6000373")


ids = st.builds(
    make_id_number,
    st.sampled_from(["110101", "330106", "440113", "650102"]),
    st.dates(date(1950, 1, 1), date(2020, 12, 31)),
    st.integers(0, 999),
)


@FAST
@given(ids)
def test_generated_ids_validate(number):
    result = validate_id_number(number, today=TODAY)
    assert result.ok, result.findings
    assert result.value == number


@FAST
@given(ids, st.data())
def test_id_check_position_corruption_is_caught(number, data):
    wrong = data.draw(st.sampled_from([c for c in "0123456789X" if c != number[17]]))
    result = validate_id_number(number[:17] + wrong, today=TODAY)
    assert not result.ok
    assert "check_digit" in result.codes
    assert f"expected {number[17]}" in result.errors[0].message


@FAST
@given(ids, st.integers(0, 16), st.data())
def test_id_single_digit_change_is_caught(number, pos, data):
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != number[pos]]))
    changed = number[:pos] + digit + number[pos + 1 :]
    assert "check_digit" in validate_id_number(changed, today=TODAY).codes


org_bodies = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8)
usccs = st.builds(
    make_credit_code,
    st.sampled_from(["1", "5", "9", "A", "N", "Y"]),
    st.sampled_from("123"),
    st.sampled_from(["110000", "330106", "440300", "100000"]),
    org_bodies,
)


@FAST
@given(usccs)
def test_generated_credit_codes_validate(code):
    result = validate_credit_code(code)
    assert result.ok, result.findings
    assert result.value == code


@FAST
@given(usccs, st.data())
def test_credit_code_check_position_corruption_is_caught(code, data):
    wrong = data.draw(st.sampled_from([c for c in ALPHABET if c != code[17]]))
    result = validate_credit_code(code[:17] + wrong)
    assert result.codes == ("check_digit",)


@FAST
@given(usccs, st.integers(0, 16), st.data())
def test_credit_code_single_change_is_caught(code, pos, data):
    ch = data.draw(st.sampled_from([c for c in ALPHABET if c != code[pos]]))
    changed = code[:pos] + ch + code[pos + 1 :]
    assert "check_digit" in validate_credit_code(changed).codes


@FAST
@given(org_bodies)
def test_generated_org_codes_validate_in_both_forms(body):
    check = org_check_char(body)
    assert validate_org_code(body + check).value == f"{body}-{check}"
    assert validate_org_code(f"{body}-{check}").ok


@FAST
@given(org_bodies, st.data())
def test_org_code_corruption_is_caught(body, data):
    check = org_check_char(body)
    wrong = data.draw(st.sampled_from([c for c in "0123456789X" if c != check]))
    result = validate_org_code(f"{body}-{wrong}")
    assert result.codes == ("check_digit",)
    assert result.errors[0].message == f"check character is {wrong}, expected {check}"
