"""Rule files: what a department writes is either all kept or refused with the line of every mistake."""

from __future__ import annotations

import json
import time

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


# ---------------------------------------------------------------- what YAML cannot give a rule file

R = "330100/00001"


def _bomb(depth: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, depth)]
    return "\n".join(lines) + f"\nresource: {R}\nrules: []\n"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (f"x: &d {{kind: not_null, column: a}}\nresource: {R}\nrules:\n  - <<: *d\n    name: n\n", 1),
        (f"resource: {R}\nrules:\n  - <<: {{kind: not_null, column: a}}\n    name: n\n", 3),
        (f"resource: {R}\nrules: &a [*a]\n", 2),
        (f"resource: {R}\nrules:\n  - {{name: &n n, kind: not_null, column: *n}}\n", 3),
        (_bomb(7), 1),
    ],
    ids=["merge-key", "merge-key-without-alias", "recursive-alias", "alias", "alias-bomb"],
)
def test_anchors_aliases_and_merge_keys_are_refused_with_their_line_before_expanding(text, line):
    started = time.monotonic()
    err = _refusal(text)
    assert time.monotonic() - started < 1.0  # refused while composing: nothing is expanded
    assert err.problems[0].line == line and "alias" in err.problems[0].message


@pytest.mark.parametrize(
    "value",
    ["min: 2020-02-30", "threshold: !!int abc", "name: !!python/name:os.system x", "name: !custom x"],
)
def test_a_value_yaml_cannot_construct_is_refused_with_its_line(value):
    err = _refusal(f"resource: {R}\nrules:\n  - name: n\n    kind: range\n    column: a\n    {value}\n")
    assert err.problems[0].line == 6 and err.problems[0].file == "rules.yaml"


def test_a_tagged_mapping_is_refused_not_read_as_a_plain_one():
    err = _refusal(f"resource: {R}\nrules:\n  - !!set {{name, kind}}\n")
    assert err.problems[0].line == 3 and "tag" in err.problems[0].message


def test_deep_nesting_is_refused_not_a_recursion_error():
    _refusal("rules: " + "[" * 5000 + "]" * 5000 + "\n")
    _refusal('{"rules": ' + "[" * 5000 + "]" * 5000 + "}", "r.json")


# ---------------------------------------------------------------- range bounds and numbers


def test_an_unquoted_date_bound_is_kept_as_its_iso_text():
    f = parse(f"resource: {R}\nrules:\n  - {{name: d, kind: range, column: 出生日期, min: 1900-01-01}}\n")
    (rule,) = f.rules
    assert rule.params["min"] == "1900-01-01"
    json.dumps(rule.as_dict())  # the JSON column holds it
    assert parse(dump(list(f.rules), resource=R)).rules[0].params == {"min": "1900-01-01"}


@pytest.mark.parametrize(
    ("bounds", "reason"),
    [
        ("min: 2020-01-01, max: 5", "both be numbers or both dates"),
        ('min: 5, max: "2020-01-01"', "both be numbers or both dates"),
        ("min: 2020-01-01 10:00:00", "not a date and time"),
        ('min: "2021-06-01", max: "20210301"', "YYYY-MM-DD"),
        ('min: "2021-06-01", max: 2021-03-01', "before min"),
        ('min: "2021-06-01", max: "2021-6-1"', "YYYY-MM-DD"),
        ("min: .nan", "finite"),
        ("max: .inf", "finite"),
        ("min: -.inf", "finite"),
        ("max: 9223372036854775808", "at most"),
        ("max: 99999999999999999999999999999999999999999", "at most"),
        ("max: 1.0e+300", "at most"),
    ],
)
def test_range_bounds_that_cannot_be_compared_or_kept_are_refused(bounds, reason):
    err = _refusal(f"resource: {R}\nrules:\n  - {{name: n, kind: range, column: a, {bounds}}}\n")
    assert err.problems[0].line == 3 and reason in err.problems[0].message, err.problems


def test_a_date_range_compares_dates():
    f = parse(
        f'resource: {R}\nrules:\n  - {{name: n, kind: range, column: a, min: "2021-03-01", max: 2021-06-01}}\n'
    )
    assert f.rules[0].params == {"min": "2021-03-01", "max": "2021-06-01"}


@pytest.mark.parametrize(
    "field",
    ["max_age_days: .inf", "max_age_days: .nan", "max_age_days: 1.0e+400", "max_age_days: 10000000000"],
)
def test_an_age_or_change_that_cannot_be_kept_is_refused(field):
    err = _refusal(f"resource: {R}\nrules:\n  - {{name: n, kind: freshness, {field}}}\n")
    assert err.problems[0].field == "max_age_days"


# ---------------------------------------------------------------- given twice


@pytest.mark.parametrize(
    ("text", "filename", "lines"),
    [
        (
            f'{{"resource": "{R}", "rules": [{{"name": "n", "kind": "not_null", "column": "a"}},'
            ' {"name": "n", "kind": "not_null", "column": "b"}]}',
            "rules.json",
            (1, 1),
        ),
        (
            f"resource: {R}\nrules: [{{name: n, kind: not_null, column: a}}, {{name: ' n', kind: valid, column: b}}]\n",
            "rules.yaml",
            (2, 2),
        ),
        (
            f"resource: {R}\nrules:\n  - {{name: n, kind: not_null, column: a}}\n"
            f"  - {{name: x, kind: not_null, column: a}}\n  - {{name: n, kind: valid, column: b, resource: {R}}}\n",
            "rules.yaml",
            (3, 5),
        ),
    ],
    ids=["minified-json", "yaml-flow-list", "explicit-resource"],
)
def test_two_rules_with_one_name_for_one_target_are_refused_naming_both(text, filename, lines):
    err = _refusal(text, filename)
    (p,) = err.problems
    assert p.field == "name" and p.line == lines[1]
    assert f"line {lines[0]} and rule" in p.message and "declared twice" in p.message


def test_one_name_on_a_resource_and_on_an_element_is_not_a_duplicate():
    f = parse(
        f"resource: {R}\nrules:\n  - {{name: n, kind: valid, column: a}}\n  - {{name: n, kind: valid, element: DE01001}}\n"
    )
    assert len(f.rules) == 2


@pytest.mark.parametrize(
    ("text", "filename", "line"),
    [
        (
            f"resource: {R}\nrules:\n  - {{name: n, kind: not_null, column: a, threshold: 0.5, threshold: 0.9}}\n",
            "r.yaml",
            3,
        ),
        (f"resource: {R}\nrules: []\nrules:\n  - {{name: n, kind: not_null, column: a}}\n", "r.yaml", 3),
        (
            f'{{"resource": "{R}", "rules": [\n{{"name": "n", "kind": "not_null",\n "column": "a", "name": "m"}}]}}',
            "r.json",
            3,
        ),
    ],
)
def test_a_field_given_twice_in_one_mapping_is_refused_not_last_wins(text, filename, line):
    err = _refusal(text, filename)
    assert err.problems[0].line == line and "given twice" in err.problems[0].message


# ---------------------------------------------------------------- text a column cannot keep


@pytest.mark.parametrize(
    ("text", "filename", "field"),
    [
        (
            f'{{"resource": "{R}", "rules": [{{"name": "a\\u0000b", "kind": "not_null", "column": "a"}}]}}',
            "r.json",
            "name",
        ),
        (f'resource: {R}\nrules:\n  - {{name: "a\\0b", kind: not_null, column: a}}\n', "r.yaml", "name"),
        (f'resource: {R}\nrules:\n  - {{name: "a\\rb", kind: not_null, column: a}}\n', "r.yaml", "name"),
        (
            f'{{"resource": "{R}", "rules": [{{"name": "n", "kind": "pattern", "column": "a", "regex": "\\ud800"}}]}}',
            "r.json",
            "regex",
        ),
        (
            f'resource: {R}\nrules:\n  - {{name: n, kind: in_code_table, column: a, values: ["\\x01"]}}\n',
            "r.yaml",
            "values",
        ),
        (f"resource: {R}\nrules:\n  - {{name: {'名' * 101}, kind: not_null, column: a}}\n", "r.yaml", "name"),
        (f"rules:\n  - {{name: n, kind: not_null, column: a, resource: {'1' * 65}}}\n", "r.yaml", "resource"),
        (f"rules:\n  - {{name: n, kind: valid, element: {'D' * 65}}}\n", "r.yaml", "element"),
        (f"resource: {'1' * 65}\nrules: []\n", "r.yaml", "resource"),
    ],
)
def test_text_a_rule_cannot_keep_is_refused_with_its_field(text, filename, field):
    err = _refusal(text, filename)
    assert err.problems[0].field == field and err.problems[0].line, err.problems


def test_tab_and_newline_in_a_name_are_kept():
    f = parse(f'resource: {R}\nrules:\n  - {{name: "a\\tb\\nc", kind: not_null, column: a}}\n')
    assert f.rules[0].name == "a\tb\nc"


@pytest.mark.parametrize("filename", ["x" * 200 + ".yaml", "a\x00b.yaml"])
def test_a_file_name_its_rules_cannot_keep_is_refused(filename):
    err = _refusal(f"resource: {R}\nrules:\n  - {{name: n, kind: not_null, column: a}}\n", filename)
    assert err.problems[0].field == "filename"


def test_a_file_name_of_200_characters_is_kept():
    f = parse(f"resource: {R}\nrules:\n  - {{name: n, kind: not_null, column: a}}\n", "x" * 195 + ".yaml")
    assert len(f.rules[0].origin) <= 300


# ---------------------------------------------------------------- JSON read as JSON


def test_json_is_read_as_json_tabs_exponents_and_a_byte_order_mark():
    text = f'\ufeff{{\n\t"resource": "{R}",\n\t"rules": [\n\t\t{{"name": "n", "kind": "not_null", "column": "a", "threshold": 5e-1}}\n\t]\n}}'
    (rule,) = parse(text, "rules.JSON").rules
    assert rule.threshold == 0.5 and rule.origin == "rules.JSON:4"


def test_a_yaml_file_with_a_byte_order_mark_is_read():
    assert len(parse(f"\ufeffresource: {R}\nrules:\n  - {{name: n, kind: not_null, column: a}}\n").rules) == 1


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{"rules": []} x', 1),
        ('{"rules": [NaN]}', 1),
        ('{"rules": [1 2]}', 1),
        ('{\n"rules": "a\tb"}', 2),
        ('{"rules": [' + "9" * 5000 + "]}", 1),
    ],
)
def test_what_json_does_not_allow_is_refused_with_its_line(text, line):
    err = _refusal(text, "r.json")
    assert err.problems[0].line == line and err.problems[0].file == "r.json"


# what a rule file may hold: no control characters (refused in rule files anyway), no non-characters
PRINTABLE = st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"], exclude_characters="\ufffe\uffff")
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(PRINTABLE, max_size=8),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(PRINTABLE, max_size=4), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES, st.sampled_from([None, 1, "\t"]))
def test_a_json_file_reads_as_the_standard_library_reads_it(value, indent):
    """JSON is checked by ``json`` and composed as YAML for its lines: the values are JSON's."""
    from huitong.quality.rulefile import _load, _unlocated

    text = json.dumps({"doc": value}, indent=indent, ensure_ascii=bool(indent == 1))
    assert _unlocated(_load(text, "x.json")) == json.loads(text)
