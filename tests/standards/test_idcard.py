"""公民身份号码: format, dates, legacy numbers, regions as of the birth date."""

from datetime import date

import pytest

from huitong.standards import IdInfo, id_check_char, make_id_number, parse_id_number, validate_id_number

TODAY = date(2025, 6, 1)


def test_lower_case_x_is_accepted_and_normalised():
    result = validate_id_number(" 44011320141005001x ")
    assert result.ok and result.findings == ()
    assert result.value == "44011320141005001X"


def test_wrong_check_digit_names_both_characters():
    result = validate_id_number("360426199101010077")
    assert [f.code for f in result.errors] == ["check_digit"]
    assert result.errors[0].message == "check digit is 7, expected 1"
    assert "校验码" in result.errors[0].message_zh


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("36042619910101007", "has 17 characters"),
        ("3604261991010100711", "has 19 characters"),
        ("36042619910101A071", "character 'A' at position 15"),
        ("", "has 0 characters"),
    ],
)
def test_format_errors(value, fragment):
    result = validate_id_number(value)
    assert result.value is None
    assert result.codes == ("format",)
    assert fragment in result.errors[0].message


def test_non_text_is_an_error_not_an_exception():
    assert validate_id_number(None).codes == ("empty",)
    assert validate_id_number(12345).codes == ("type",)


def test_impossible_birth_date():
    first17 = "11010120310230001"
    result = validate_id_number(first17 + id_check_char(first17), today=TODAY)
    assert result.codes == ("birth_date_invalid",)
    assert result.errors[0].message == "birth date 2031-02-30 is not a real date"


def test_future_birth_date():
    number = make_id_number("110101", date(2026, 1, 1), 11)
    result = validate_id_number(number, today=TODAY)
    assert "birth_date_future" in result.codes
    assert "2026-01-01 is in the future" in result.errors[0].message
    assert validate_id_number(number, today=date(2026, 1, 1)).ok


def test_implausible_age_is_only_a_warning():
    number = make_id_number("110101", date(1880, 5, 1), 11)
    result = validate_id_number(number, today=TODAY)
    assert result.ok
    assert "implausible_age" in [f.code for f in result.warnings]


def test_legacy_15_digit_is_converted():
    result = validate_id_number("110101800101001")
    assert result.ok
    assert result.value == make_id_number("110101", date(1980, 1, 1), 1)
    assert [f.code for f in result.warnings] == ["legacy_15_digit"]
    assert result.value in result.warnings[0].message


def test_legacy_15_digit_with_bad_date():
    assert validate_id_number("110101801301001").codes == ("legacy_15_digit", "birth_date_invalid")


def test_id_from_a_since_abolished_district_validates_for_its_birth_year():
    # 330103 下城区 was abolished in 2021; a 2015 number issued there is still right.
    result = validate_id_number(make_id_number("330103", date(2015, 3, 1), 123), today=TODAY)
    assert result.ok and result.findings == ()


def test_birth_before_the_first_list_uses_the_first_list():
    # The table starts with the 1980 list; a 1955 birth in 东城区 must not warn.
    result = validate_id_number(make_id_number("110101", date(1955, 4, 1), 2), today=TODAY)
    assert result.ok and result.findings == ()


def test_new_district_validates_for_recent_birth():
    result = validate_id_number(make_id_number("330113", date(2022, 1, 1), 1), today=TODAY)
    assert result.ok and result.findings == ()


def test_region_not_yet_created_at_birth_is_a_warning():
    result = validate_id_number(make_id_number("330113", date(2015, 1, 1), 1), today=TODAY)
    assert result.ok
    assert [f.code for f in result.warnings] == ["unknown_region"]
    assert "330113" in result.warnings[0].message and "2015-01-01" in result.warnings[0].message


def test_unknown_region_is_a_warning_not_an_error():
    result = validate_id_number(make_id_number("999999", date(1990, 1, 1), 1), today=TODAY)
    assert result.ok
    assert result.warnings[0].code == "unknown_region"
    assert "region 999999 is not in the division table (vintage " in result.warnings[0].message


@pytest.mark.parametrize("prefix", ["810000", "820000", "830000"])
def test_residence_permit_prefixes_for_any_birth_date(prefix):
    result = validate_id_number(make_id_number(prefix, date(1960, 7, 1), 12), today=TODAY)
    assert result.ok and result.findings == ()


def test_parse_id_number():
    info = parse_id_number("44011320141005001X")
    assert info == IdInfo("440113", date(2014, 10, 5), "1", "X", "001")
    assert parse_id_number("120103198806018241").gender_code == "2"
    assert parse_id_number("110101800101002").birth_date == date(1980, 1, 1)


def test_parse_rejects_invalid_numbers_with_the_reason():
    with pytest.raises(ValueError, match="check digit is 7, expected 1"):
        parse_id_number("360426199101010077")


def test_make_id_number_rejects_bad_parts():
    with pytest.raises(ValueError, match="6 digits"):
        make_id_number("11010", date(2000, 1, 1), 1)
    with pytest.raises(ValueError, match="0-999"):
        make_id_number("110101", date(2000, 1, 1), 1000)
