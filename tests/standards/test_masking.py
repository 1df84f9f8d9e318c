"""Display masking rules."""

import pytest

from huitong.standards import mask


@pytest.mark.parametrize(
    "rule, value, masked",
    [
        ("id_number", "330106199001011234", "330106********1234"),
        ("mobile", "13812345678", "138****5678"),
        ("name", "张三", "张*"),
        ("name", "王小明", "王**"),
        ("name", "欧阳修", "欧阳*"),
        ("name", "诸葛孔明", "诸葛**"),
        ("name", "司马", "司*"),  # two characters: a surname 司 and a given name 马
        ("name", "李", "*"),
        ("credit_code", "91110000600037341L", "91************341L"),
        ("address", "浙江省杭州市临平区南苑街道人民大道1号", "浙江省杭州市临平区****"),
        ("address", "北京市朝阳区建国路88号", "北京市朝阳区****"),
        ("address", "某某小区5幢301室", "某某小区5幢****"),
        ("email", "alice@example.com", "a***@example.com"),
        ("email", "not-an-email", "************"),
        ("full", "秘密", "**"),
        ("none", "公开", "公开"),
    ],
)
def test_rules(rule, value, masked):
    assert mask(rule, value) == masked


def test_short_values_are_masked_in_full():
    assert mask("id_number", "1234567") == "*******"
    assert mask("mobile", "1234") == "****"


def test_none_and_empty():
    assert mask("name", None) is None
    assert mask("mobile", "") == ""


def test_unknown_rule_is_named():
    with pytest.raises(ValueError, match="unknown masking rule 'shuffle'"):
        mask("shuffle", "x")


def test_a_one_character_name_is_masked_whole():
    assert mask("name", "李") == "*"
    assert mask("name", "李四") == "李*"
