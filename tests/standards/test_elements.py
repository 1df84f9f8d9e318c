"""The data-element registry and value validation."""

import pytest

from huitong.standards import (
    BUILTIN_ELEMENTS,
    VALIDATORS,
    DataElement,
    Grade,
    get_builtin,
    max_grade,
    validate_value,
)
from huitong.standards.masking import RULES


def test_builtin_identifiers_are_stable_and_unique():
    ids = [el.identifier for el in BUILTIN_ELEMENTS]
    assert len(ids) == len(set(ids))
    assert all(len(i) == 7 and i.startswith("DE") and i[2:].isdigit() for i in ids)
    assert get_builtin("公民身份号码").identifier == "DE01001"
    assert get_builtin("credit_code").identifier == "DE02001"
    names = {el.name_en for el in BUILTIN_ELEMENTS}
    assert {
        "citizen_id",
        "person_name",
        "gender",
        "birth_date",
        "credit_code",
        "org_code",
        "division_code",
        "mobile",
        "landline",
        "phone",
        "address",
        "date",
        "email",
        "org_name",
        "legal_representative",
    } <= names


def test_builtins_refer_to_real_validators_and_mask_rules():
    for el in BUILTIN_ELEMENTS:
        assert el.validator is None or el.validator in VALIDATORS
        assert el.mask_rule in RULES
        assert isinstance(el.default_grade, Grade)


def test_grades_order():
    assert max_grade(Grade.general_1, "important", Grade.general_4) is Grade.important
    assert max_grade("core", "general_2") is Grade.core
    assert Grade.general_1.rank < Grade.general_4.rank < Grade.important.rank < Grade.core.rank
    assert Grade.important.label_zh == "重要"
    with pytest.raises(ValueError):
        max_grade()


def test_validator_normalises_before_domain_check():
    gender = get_builtin("gender")
    assert validate_value(gender, "女").value == "2"
    assert validate_value(gender, "x").codes == ("unknown_gender",)


def test_element_validators_are_applied():
    assert validate_value(get_builtin("citizen_id"), "44011320141005001x").value == "44011320141005001X"
    assert validate_value(get_builtin("citizen_id"), "440113201410050010").codes == ("check_digit",)
    assert validate_value(get_builtin("birth_date"), "2023年1月5日").value == "2023-01-05"
    assert validate_value(get_builtin("email"), "bad@").codes == ("format",)
    assert validate_value(get_builtin("mobile"), None).codes == ("empty",)


def test_length_pattern_and_code_table():
    el = DataElement(
        "DE90001", "测试代码", "test_code", "C", 4, value_domain={"A1": "甲", "B2": "乙"}, pattern=r"[A-Z]\d"
    )
    assert validate_value(el, "A1").ok
    assert validate_value(el, "C3").codes == ("not_in_domain",)
    assert validate_value(el, "a1").codes == ("pattern", "not_in_domain")
    too_long = validate_value(el, "A1234")
    assert "too_long" in too_long.codes
    assert "5 characters, at most 4" in too_long.errors[0].message


def test_data_type_letters():
    number = DataElement("DE90002", "金额", "amount", "N", 12)
    assert validate_value(number, "12.50").ok
    assert validate_value(number, "12,5").codes == ("data_type",)
    flag = DataElement("DE90003", "是否有效", "active", "L")
    assert validate_value(flag, "是").ok and validate_value(flag, "maybe").codes == ("data_type",)
    stamp = DataElement("DE90004", "登记时间", "registered_at", "T")
    assert validate_value(stamp, "2023-01-05 08:30:00").ok
    assert validate_value(stamp, "2023-01-05 25:00").codes == ("data_type",)


def test_bad_definitions_are_rejected():
    with pytest.raises(ValueError, match="data type 'X'"):
        DataElement("DE90005", "坏", "bad", "X")
    with pytest.raises(ValueError, match="unknown validator 'nope'"):
        DataElement("DE90006", "坏", "bad", validator="nope")
