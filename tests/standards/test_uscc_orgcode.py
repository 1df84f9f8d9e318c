"""统一社会信用代码 structure checks and 组织机构代码 forms."""

import pytest

from huitong.standards import (
    make_credit_code,
    org_check_char,
    uscc_check_char,
    validate_credit_code,
    validate_org_code,
)


@pytest.mark.parametrize("authority, kind", [("A", "1"), ("N", "2"), ("Y", "1")])
def test_authorities_a_n_y_are_accepted(authority, kind):
    code = make_credit_code(authority, kind, "330106", "MA2H3K4L")
    result = validate_credit_code(code)
    assert result.ok and result.findings == ()
    assert code[:2] == authority + kind


def test_lower_case_and_spaces_are_normalised():
    assert validate_credit_code(" 91110000600037341l ").value == "91110000600037341L"


def test_bad_embedded_org_code():
    body = "60003734"
    first17 = "91110000" + body + "2"  # org check should be 1
    result = validate_credit_code(first17 + uscc_check_char(first17))
    assert result.codes == ("embedded_org_code",)
    assert result.errors[0].message == (
        "embedded organisation code 60003734-2 fails the GB 11714 check (expected 1)"
    )


def test_unknown_registration_authority_is_an_error():
    first17 = "B1110000600037341"
    result = validate_credit_code(first17 + uscc_check_char(first17))
    assert result.codes == ("registration_authority",)


def test_unknown_entity_type_is_a_warning():
    code = make_credit_code("9", "4", "110000", "60003734")
    result = validate_credit_code(code)
    assert result.ok
    assert [f.code for f in result.warnings] == ["unknown_entity_type"]
    assert "entity type 4" in result.warnings[0].message


def test_region_that_never_existed_is_a_warning():
    result = validate_credit_code(make_credit_code("9", "1", "999999", "60003734"))
    assert result.ok
    assert [f.code for f in result.warnings] == ["unknown_region"]


def test_national_level_and_abolished_regions_are_fine():
    assert validate_credit_code(make_credit_code("1", "2", "100000", "40000062")).findings == ()
    # registered under 330103 下城区 before it was abolished: the code stays valid
    assert validate_credit_code(make_credit_code("9", "1", "330103", "60003734")).findings == ()


@pytest.mark.parametrize(
    "value, code, fragment",
    [
        ("91110000600037341", "format", "has 17 characters"),
        ("91110000600O37341L", "invalid_character", "'O' at position 12"),
        ("9111000060003734IL", "invalid_character", "'I' at position 17"),
    ],
)
def test_credit_code_format_errors(value, code, fragment):
    result = validate_credit_code(value)
    assert result.codes == (code,) and result.value is None
    assert fragment in result.errors[0].message


def test_make_credit_code_rejects_bad_parts():
    with pytest.raises(ValueError, match="registration authority"):
        make_credit_code("B", "1", "110000", "60003734")
    with pytest.raises(ValueError, match="region"):
        make_credit_code("9", "1", "11000", "60003734")
    with pytest.raises(ValueError):
        make_credit_code("9", "1", "110000", "6000373O")


def test_org_code_forms():
    assert validate_org_code("600037341").value == "60003734-1"
    assert validate_org_code(" 60003734－1 ").value == "60003734-1"
    assert validate_org_code("60003734-2").codes == ("check_digit",)
    assert validate_org_code("6000373-1").codes == ("format",)
    assert validate_org_code(None).codes == ("empty",)


def test_org_check_char_special_values():
    # a body whose remainder gives 10 -> X and one giving 11 -> 0
    bodies = {org_check_char(f"{n:08d}") for n in range(200)}
    assert {"X", "0"} <= bodies
