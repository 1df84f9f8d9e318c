"""Display masking rules."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huitong.share.treatments import ItemView, Treatment, render
from huitong.standards import mask
from huitong.standards.masking import keep, rule_function


@pytest.mark.parametrize(
    "rule, value, masked",
    [
        ("id_number", "330106199001011234", "330106********1234"),
        ("id_number", "330106198005170118", "330106********0118"),
        ("phone", "13812345678", "138****5678"),
        ("name", "司马相如", "司马**"),
        ("address", "浙江省杭州市西湖区文三路90号", "浙江省杭州市西湖区****"),
        ("email", "zhang.san@zj.gov.cn", "z***@zj.gov.cn"),
        ("keep:2:1", "ABCDEFG", "AB****G"),
        ("default", "ABCDEFG", "A*****G"),
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
        ("address", "文三路90号", "文三****"),  # no region to keep: never shown whole
        ("address", "西湖区", "****"),
        ("email", "alice@example.com", "a***@example.com"),
        ("email", "not-an-email", "************"),
        ("full", "秘密", "**"),
        ("none", "公开", "公开"),
    ],
)
def test_rules(rule, value, masked):
    assert mask(rule, value) == masked
    # sharing's mask treatment uses the very same rule: one engine for every view and delivery
    # (``none`` excepted: an element with no display rule that a grant masks gets ``default``)
    if rule != "none":
        assert render(ItemView("item", Treatment.mask, rule), [value]) == [masked]


def test_a_masked_or_pseudonymised_value_reads_as_the_text_json_shows():
    from decimal import Decimal

    assert render(ItemView("x", Treatment.mask, "full"), [Decimal("0.0000001000"), b"\x00\xff"]) == [
        "*" * len("0.0000001000"),
        "****",
    ]


def test_short_values_are_masked_in_full():
    assert mask("id_number", "1234567") == "*******"
    assert mask("mobile", "1234") == "****"


def test_none_and_empty():
    assert mask("name", None) is None
    assert mask("mobile", "") == ""


def test_unknown_rule_is_named():
    with pytest.raises(ValueError, match="unknown masking rule 'shuffle'"):
        mask("shuffle", "x")
    with pytest.raises(ValueError, match="unknown masking rule 'keep:x'"):
        rule_function("keep:x")


@given(st.text(min_size=0, max_size=40), st.integers(0, 8), st.integers(0, 8))
def test_keep_never_reveals_more_than_asked_and_keeps_length(text, p, s):
    out = keep(text, p, s)
    assert len(out) == len(text)
    if len(text) > p + s:
        assert out[:p] == text[:p] and (s == 0 or out[-s:] == text[-s:])
        assert set(out[p : len(text) - s]) <= {"*"}
    else:
        assert set(out) <= {"*"}  # too short to hide anything: hidden whole


def test_a_one_character_name_is_masked_whole():
    assert mask("name", "李") == "*"
    assert mask("name", "李四") == "李*"
    # the defect: sharing's engine showed 张 as 张* (the name in full)
    assert render(ItemView("姓名", Treatment.mask, "name"), ["张"]) == ["*"]
