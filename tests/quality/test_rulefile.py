"""Rule files: what a department writes is either all kept or refused with the line of every mistake."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.errors import HuitongError
from huitong.quality.rulefile import dump, parse
from huitong.quality.rules import KINDS, Dimension, Severity

GOOD = """# 公安局 人口 rules
resource: 330100/00001
gate: true
rules:
  - name: 身份证号有效
    kind: valid
    column: 公民身份号码
    severity: fail
  - name: 姓名完整
    kind: not_null
    column: 姓名
    threshold: 0.99
    dimension: 完整性
  - name: 证件号码符合数据元
    kind: valid
    element: DE01001
  - name: 住址多源校核
    kind: cross_source
    column: 住址
    other: {resource: 330100/00002, key: 公民身份号码, compare: exact}
"""


def _refusal(text: str, filename: str = "rules.yaml") -> HuitongError:
    with pytest.raises(HuitongError) as exc:
        parse(text, filename)
    assert exc.value.status == 422
    return exc.value


def test_a_good_file_gives_its_rules_with_their_lines():
    f = parse(GOOD, "ga.yaml")
    assert f.gate is True and f.resource == "330100/00001"
    names = [r.name for r in f.rules]
    assert names == ["身份证号有效", "姓名完整", "证件号码符合数据元", "住址多源校核"]
    first, second, element, cross = f.rules
    assert first.resource == "330100/00001" and first.severity is Severity.fail
    assert first.dimension is Dimension.conformity and first.origin == "ga.yaml:5"
    assert second.threshold == 0.99 and second.dimension is Dimension.completeness  # the Chinese label
    assert element.element == "DE01001" and element.resource is None and element.columns == ()
    assert cross.params["other"]["compare"] == "exact"


def test_the_same_rules_in_json():
    doc = {
        "resource": "330100/00001",
        "rules": [{"name": "姓名完整", "kind": "not_null", "column": "姓名", "threshold": 0.9}],
    }
    f = parse(json.dumps(doc, ensure_ascii=False, indent=2), "rules.json")
    assert f.rules[0].threshold == 0.9 and f.rules[0].origin == "rules.json:4"  # where its mapping opens


def test_every_mistake_is_reported_with_its_line():
    text = """resource: 330100/00001
colour: blue
rules:
  - name: a
    kind: patern
    column: 姓名
  - name: b
    kind: not_null
    columns: [姓名, 住址]
  - name: c
    kind: range
    column: 年龄
    min: 10
    max: 5
  - name: d
    kind: not_null
    column: 姓名
    threshold: 1.5
  - name: e
    kind: pattern
    column: 姓名
    regex: "(?<=x)y"
  - name: f
    kind: unique
    element: DE01001
  - name: a
    kind: not_null
    column: 住址
  - name: g
    kind: in_code_table
    column: 性别
    severity: fatal
"""
    err = _refusal(text, "ga.yaml")
    where = sorted((p.line, p.field) for p in err.problems)
    assert where == [
        (2, "colour"),
        (5, "kind"),
        (9, "columns"),
        (14, "max"),
        (18, "threshold"),
        (22, "regex"),
        (25, "element"),
        (26, "name"),
        (32, "severity"),
    ]
    assert "ga.yaml, line 5, kind: unknown rule kind 'patern'" in str(err)
    assert all(p.file == "ga.yaml" for p in err.problems)


@pytest.mark.parametrize(
    ("text", "filename", "line"),
    [
        ("rules:\n  - name: a\n    kind: [not_null\n", "r.yaml", 4),
        ('{\n  "rules": [\n    {"name": "a",}\n  ]\n}\n', "r.json", 3),
        ("rules:\n\t- name: a\n", "r.yaml", 2),
    ],
)
def test_unreadable_files_say_where(text, filename, line):
    err = _refusal(text, filename)
    assert err.problems[0].line == line and err.problems[0].file == filename


@pytest.mark.parametrize("text", ["", "just text", "[1, 2]", "rules: 3"])
def test_files_without_rules_are_refused_clearly(text):
    err = _refusal(text)
    assert err.problems


def test_a_gate_needs_its_resource():
    err = _refusal("gate: true\nrules:\n  - {name: a, kind: valid, element: DE01001}\n")
    assert err.problems[0].line == 1 and err.problems[0].field == "gate"


def test_dump_reads_back_as_the_same_rules():
    f = parse(GOOD)
    again = parse(dump(list(f.rules), resource=f.resource, gate=f.gate))
    assert [r.as_dict() for r in again.rules] == [r.as_dict() for r in f.rules]
    assert again.gate is True


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.lists(st.text(max_size=4), max_size=3),
)
_fields = st.sampled_from(
    ["name", "kind", "column", "columns", "element", "resource", "severity", "threshold", "dimension"]
    + sorted({k for kind in KINDS.values() for k in (*kind.required, *kind.optional)})
)


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.dictionaries(_fields, st.one_of(_values, st.sampled_from(list(KINDS))), max_size=7),
        min_size=1,
        max_size=4,
    )
)
def test_any_file_is_kept_or_refused_with_lines_never_a_traceback(entries):
    text = json.dumps({"resource": "330100/00001", "rules": entries}, ensure_ascii=False, indent=1)
    try:
        f = parse(text, "x.json")
    except HuitongError as exc:
        assert exc.problems and all(p.file == "x.json" and p.line for p in exc.problems)
        return
    for rule in f.rules:  # what is kept is whole: a known kind, a ratio threshold, a target
        assert rule.kind in KINDS and 0 <= rule.threshold <= 1 and rule.target


def test_a_list_where_a_word_belongs_is_refused_not_a_crash():  # found by the property test
    err = _refusal('rules:\n  - {name: a, kind: cross_field, check: [], columns: [x, y], resource: "1"}\n')
    assert err.problems[0].field == "check" and err.problems[0].line == 2
