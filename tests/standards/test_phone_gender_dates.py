"""Phone numbers, gender codes and dates."""

import pytest

from huitong.standards import normalise_gender, parse_date, validate_landline, validate_mobile, validate_phone


@pytest.mark.parametrize(
    "value",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "008613812345678",
        "+86-19912345678",
    ],
)
def test_mobile_forms(value):
    result = validate_mobile(value)
    assert result.ok and result.value in ("13812345678", "19912345678")


@pytest.mark.parametrize("value", ["12812345678", "1381234567", "138123456789", "23812345678", "abc"])
def test_bad_mobiles(value):
    result = validate_mobile(value)
    assert result.codes == ("format",) and result.value is None


def test_mobile_error_says_what_is_wrong():
    assert "has 10 digits, expected 11" in validate_mobile("1381234567").errors[0].message


@pytest.mark.parametrize(
    "value, normal",
    [
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("0571-87654321", "0571-87654321"),
        ("0571 8765432", "0571-8765432"),
        ("(0571)87654321", "0571-87654321"),
        ("0571-87654321-123", "0571-87654321-123"),
        ("0571-87654321转8", "0571-87654321-8"),
        ("+86 571 87654321", "0571-87654321"),
        ("021-6123456", "021-6123456"),
    ],
)
def test_landline_forms(value, normal):
    assert validate_landline(value).value == normal


@pytest.mark.parametrize(
    "value",
    [
        "87654321",
        "0571-876543",
        "0571-876543210",
        "571-87654321",
        "0571-07654321",
        "0012-3456789",  # 00 is the international prefix, never an area code
        "0086-87654321",
        "0",
        "0-",
        "+86",
        "0086",
        "+",
    ],
)
def test_bad_landlines(value):
    assert validate_landline(value).codes == ("format",)
    assert validate_phone(value).codes == ("format",)


def test_phone_accepts_either():
    assert validate_phone("13812345678").value == "13812345678"
    assert validate_phone("0571-87654321").value == "0571-87654321"
    bad = validate_phone("12345")
    assert bad.codes == ("format",) and "neither a mobile" in bad.errors[0].message


@pytest.mark.parametrize(
    "value, code",
    [
        ("男", "1"),
        ("女", "2"),
        ("男性", "1"),
        ("女性", "2"),
        ("M", "1"),
        ("f", "2"),
        ("Male", "1"),
        ("FEMALE", "2"),
        ("1", "1"),
        ("2", "2"),
        ("0", "0"),
        ("9", "9"),
        (" 女 ", "2"),
        ("１", "1"),
        ("未知", "0"),
        ("未说明的性别", "9"),
    ],
)
def test_gender_normalisation(value, code):
    assert normalise_gender(value).value == code


def test_unknown_gender():
    result = normalise_gender("x")
    assert result.codes == ("unknown_gender",) and "'x'" in result.errors[0].message


@pytest.mark.parametrize(
    "value",
    [
        "2023-01-05",
        "2023/1/5",
        "2023.1.5",
        "2023年1月5日",
        "2023年01月05日",
        "20230105",
        "２０２３年１月５日",
        "  2023-1-5 ",
        "2023年1月5",
    ],
)
def test_date_formats(value):
    result = parse_date(value)
    assert result.ok and result.value == "2023-01-05"


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("2023-02-29", "2023-02-29 is not a real date: February 2023 has 28 days"),
        ("2023-13-01", "month 13 is out of range"),
        ("2023/4/31", "April 2023 has 30 days"),
        ("20230230", "February 2023 has 28 days"),
        ("0000-01-01", "no year 0"),
    ],
)
def test_invalid_dates_name_the_problem(value, fragment):
    result = parse_date(value)
    assert result.codes == ("invalid_date",)
    assert fragment in result.errors[0].message


def test_leap_day_and_unrecognised_formats():
    assert parse_date("2024-02-29").value == "2024-02-29"
    for value in ("2023-01", "05/01/2023", "yesterday", "2023-1-5-1", "2023/1.5"):
        assert parse_date(value).codes == ("format",)
    assert parse_date(None).codes == ("empty",)


@pytest.mark.parametrize("value", ["1٣800138000", "13800١38000", "0571-8٧654321", "٠571-87654321"])
def test_digits_of_other_scripts_are_no_phone_digits(value):
    """Arabic-Indic digits pass str.isdigit() and a Unicode \\d, but no telephone exchange reads them."""
    assert not validate_phone(value).ok
