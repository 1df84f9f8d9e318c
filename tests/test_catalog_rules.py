"""The catalog's pure rules: legal basis, conditions, format ↔ mode, names, codes, lifecycle."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huitong.catalog.classification import check_resource_code, default_tree, make_code
from huitong.catalog.lifecycle import next_status
from huitong.catalog.model import DataItem, FormatClass, OpenType, ShareMode, ShareType, Status
from huitong.catalog.rules import check_spec, normalise_name
from huitong.errors import HuitongError
from tests.world import spec


def fields(problems):
    return {p.field for p in problems}


def test_a_valid_spec_has_no_problems():
    assert check_spec(spec("X")) == []


@pytest.mark.parametrize("share_type", [ShareType.conditional, ShareType.none])
def test_conditional_and_none_need_a_legal_basis(share_type):
    problems = check_spec(spec("X", share_type=share_type, share_basis="  "))
    assert "share_basis" in fields(problems)


def test_conditional_needs_its_condition():
    assert "share_condition" in fields(check_spec(spec("X", share_condition=None)))
    # unconditional sharing needs neither
    assert (
        check_spec(spec("X", share_type=ShareType.unconditional, share_condition=None, share_basis=None))
        == []
    )


def test_conditional_open_needs_its_condition():
    assert "open_condition" in fields(check_spec(spec("X", open_type=OpenType.conditional)))


@pytest.mark.parametrize(
    "fmt,mode,ok",
    [
        (FormatClass.file, ShareMode.file, True),
        (FormatClass.file, ShareMode.database, False),
        (FormatClass.spreadsheet, ShareMode.api, False),
        (FormatClass.database, ShareMode.database, True),
        (FormatClass.database, ShareMode.api, True),
        (FormatClass.service, ShareMode.api, True),
        (FormatClass.service, ShareMode.file, False),
    ],
)
def test_format_class_fits_the_sharing_mode(fmt, mode, ok):
    problems = check_spec(spec("X", format_class=fmt, share_mode=mode))
    assert ("share_mode" not in fields(problems)) is ok


def test_structured_resources_list_their_items():
    assert "items" in fields(check_spec(spec("X", items=[])))
    assert "items" not in fields(
        check_spec(spec("X", items=[], format_class=FormatClass.file, share_mode=ShareMode.file))
    )


def test_item_names_unique_and_lengths_positive():
    problems = check_spec(
        spec("X", items=[DataItem("姓名"), DataItem(" 姓 名 "), DataItem("年龄", length=0)])
    )
    assert {"items[2].name", "items[3].length"} <= fields(problems)


def test_unknown_data_element_is_reported():
    problems = check_spec(spec("X", items=[DataItem("姓名", element="DE99999")]), known_elements={"DE01001"})
    assert fields(problems) == {"items[1].element"}


def test_classification_must_reach_mu_level():
    assert "class_code" in fields(check_spec(spec("X", class_code="101")))
    assert "class_code" in fields(check_spec(spec("X", class_code="4010001")))


@pytest.mark.parametrize(
    "a,b",
    [
        ("常住人口户籍信息", "常住人口 户籍信息"),
        ("常住人口户籍信息", "常住人口（户籍）信息"),
        ("企业登记信息(2023)", "企业登记信息（２０２３）"),
        ("Population Register", "population  register"),
    ],
)
def test_names_that_differ_only_by_spaces_punctuation_or_width_clash(a, b):
    assert normalise_name(a) == normalise_name(b)


def test_different_names_do_not_clash():
    assert normalise_name("常住人口户籍信息") != normalise_name("流动人口户籍信息")


@given(st.text(min_size=1, max_size=40))
def test_normalising_is_idempotent(name):
    assert normalise_name(normalise_name(name)) == normalise_name(name)


def test_codes_are_front_segment_slash_sequence():
    assert make_code("101002", 7) == "101002/00007"
    check_resource_code("101002/00007")
    check_resource_code("3070011A/00001")
    for bad in ("101/00001", "101002-00001", "501002/00001", "101002/"):
        with pytest.raises(HuitongError):
            check_resource_code(bad)


def test_default_tree_has_base_theme_and_department_roots():
    tree = default_tree()
    codes = {n.code for n in tree}
    assert {"1", "2", "3", "101", "105", "212", "307"} <= codes
    names = {n.code: n.name for n in tree}
    assert names["101"] == "人口" and names["212"] == "应急维稳"
    for node in tree:
        assert node.parent is None or node.parent in codes


@pytest.mark.parametrize(
    "status,action,expected",
    [
        (Status.draft, "submit", Status.submitted),
        (Status.returned, "submit", Status.submitted),
        (Status.submitted, "publish", Status.published),
        (Status.submitted, "return", Status.returned),
        (Status.published, "retire", Status.retired),
    ],
)
def test_lifecycle_transitions(status, action, expected):
    assert next_status(status, action) is expected


@pytest.mark.parametrize(
    "status,action",
    [
        (Status.draft, "publish"),
        (Status.published, "submit"),
        (Status.retired, "publish"),
        (Status.retired, "submit"),
        (Status.published, "return"),
        (Status.submitted, "retire"),
    ],
)
def test_illegal_transitions_are_refused_clearly(status, action):
    with pytest.raises(HuitongError, match=f"cannot {action}"):
        next_status(status, action)
