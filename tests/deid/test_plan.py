"""A plan is read all-or-nothing: a bad one is refused with every problem, each naming where it is."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from huitong.deid import Plan, apply
from huitong.errors import HuitongError

KEY = b"0123456789abcdef"
GOOD = {
    "direct": ["姓名", "公民身份号码"],
    "quasi": ["年龄", "住址代码"],
    "sensitive": ["诊断"],
    "k": 5,
    "l": 2,
    "columns": {
        "姓名": "drop",
        "公民身份号码": {"op": "id_pseudonym", "keep_region": True},
        "年龄": {"op": "age_band", "width": 5, "top": 90},
        "住址代码": {"op": "division", "level": "city"},
        "出生日期": {"op": "age_band", "width": 10, "as_of": "2026-01-01"},
    },
    "table": [{"op": "sample", "fraction": 0.5, "seed": 7}, "suppress_rows"],
}


def refused(raw) -> HuitongError:
    with pytest.raises(HuitongError) as info:
        Plan.parse(raw)
    assert info.value.status == 422
    return info.value


def test_a_good_plan_reads_and_round_trips():
    plan = Plan.parse(GOOD)
    assert plan.direct == ("姓名", "公民身份号码") and plan.k == 5 and plan.l == 2
    assert plan.columns["出生日期"].args["as_of"] == date(2026, 1, 1)
    assert Plan.parse(plan.to_dict()) == plan


def test_an_unknown_operator_names_the_column_and_lists_the_known_ones():
    err = refused({"columns": {"电话": {"op": "blur"}}})
    [p] = err.problems
    assert p.column == "电话" and p.field == "columns.电话.op"
    assert "unknown operator 'blur'" in p.message and "mask" in p.message


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        ({"op": "age_band", "width": -5}, "columns.c.width", "age_band: width must be at least 1"),
        ({"op": "age_band", "width": True}, "columns.c.width", "must be an integer"),
        ({"op": "age_band"}, "columns.c.width", "width is required"),
        ({"op": "mask", "keep_prefix": "3"}, "columns.c.keep_prefix", "must be an integer"),
        ({"op": "mask", "char": "**"}, "columns.c.char", "single character"),
        ({"op": "mask", "keep": 3}, "columns.c.keep", "unknown parameter 'keep'"),
        ({"op": "pseudonym", "length": 100}, "columns.c.length", "at most 64"),
        ({"op": "division", "level": "county"}, "columns.c.level", "one of city, province"),
        ({"op": "round", "base": 0}, "columns.c.base", "above 0"),
        ({"op": "noise", "scale": 1}, "columns.c.seed", "seed is required"),
        ({"op": "noise", "scale": float("nan"), "seed": 1}, "columns.c.scale", "finite"),
        ({"op": "age_band", "width": 5, "as_of": "2026-02-30"}, "columns.c.as_of", "YYYY-MM-DD"),
        ({"op": "micro_aggregate", "k": 1}, "columns.c.k", "at least 2"),
    ],
)
def test_a_bad_parameter_names_the_column_operator_and_parameter(spec, field, words):
    [p] = refused({"columns": {"c": spec}}).problems
    assert p.column == "c" and p.field == field and words in p.message
    assert str(p).startswith("column c: ")


def test_every_problem_is_listed_at_once():
    err = refused(
        {
            "direct": ["姓名", "电话"],
            "k": 1,
            "columns": {"姓名": {"op": "age_band", "width": 5}, "年龄": {"op": "round"}},
            "table": [{"op": "shuffle"}],
            "release": "open",
        }
    )
    where = {(p.column, p.field) for p in err.problems}
    assert (None, "k") in where  # k < 2
    assert ("电话", "direct") in where  # a direct identifier with no operator
    assert ("姓名", "columns.姓名.op") in where  # age_band does not hide a direct identifier
    assert ("年龄", "columns.年龄.base") in where
    assert (None, "table[0].op") in where
    assert (None, "release") in where
    assert "6 problem(s)" in err.message


def test_a_direct_identifier_must_be_removed_masked_or_pseudonymised():
    [p] = refused({"direct": ["电话"]}).problems
    assert p.column == "电话" and "drop" in p.message and "id_pseudonym" in p.message
    for op in ("drop", "suppress", "mask", "pseudonym", "id_pseudonym"):
        Plan.parse({"direct": ["电话"], "columns": {"电话": op}})


def test_roles_do_not_overlap_and_targets_are_checked():
    err = refused({"direct": ["a"], "quasi": ["a", "b", "b"], "columns": {"a": "drop"}, "l": 2})
    messages = {(p.column, p.message) for p in err.problems}
    assert ("a", "is listed as both direct and quasi") in messages
    assert ("b", "is listed twice in quasi") in messages
    assert any("l-diversity target needs sensitive" in m for _, m in messages)


def test_suppress_rows_needs_a_k_and_columns():
    fields = {p.field for p in refused({"table": ["suppress_rows"]}).problems}
    assert fields == {"table[0].k", "table[0].columns"}
    Plan.parse({"table": [{"op": "suppress_rows", "k": 3, "columns": ["a"]}]})


def test_a_plan_that_is_not_a_mapping_is_refused_clearly():
    assert "must be a mapping" in str(refused(["drop"]))
    assert refused({"columns": ["a"]}).problems[0].field == "columns"


TABLE = pa.table({"姓名": ["张三"], "年龄": [30], "出生日期": pa.array([date(1990, 1, 1)])})


def test_applying_names_columns_the_table_lacks():
    plan = Plan.parse({"quasi": ["性别"], "columns": {"电话": "mask"}})
    with pytest.raises(HuitongError) as info:
        apply(TABLE, plan)
    assert {(p.column, p.field) for p in info.value.problems} == {("性别", "quasi"), ("电话", "columns.电话")}


def test_applying_refuses_an_operator_that_does_not_fit_the_column_type():
    with pytest.raises(HuitongError) as info:
        apply(TABLE, Plan.parse({"columns": {"年龄": {"op": "division", "level": "city"}}}))
    [p] = info.value.problems
    assert p.column == "年龄" and "division applies to text columns, not int64" in p.message


def test_birth_dates_need_as_of_for_age_bands():
    with pytest.raises(HuitongError) as info:
        apply(TABLE, Plan.parse({"columns": {"出生日期": {"op": "age_band", "width": 5}}}))
    [p] = info.value.problems
    assert p.column == "出生日期" and "as_of is required" in p.message


@pytest.mark.parametrize("key", [None, b"short"])
def test_pseudonyms_need_a_real_key(key):
    plan = Plan.parse({"direct": ["姓名"], "columns": {"姓名": "pseudonym"}})
    with pytest.raises(HuitongError) as info:
        apply(TABLE, plan, key=key)
    [p] = info.value.problems
    assert p.column == "姓名" and p.field == "key" and "16 bytes" in p.message
    assert len(apply(TABLE, plan, key=KEY).column("姓名")[0].as_py()) == 16


def test_user_values_are_bound_not_written_into_the_sql():
    from huitong.deid.release import build

    table = pa.table({"a'; DROP": ["x"]})
    plan = Plan.parse({"columns": {"a'; DROP": {"op": "mask", "char": "'"}}})
    sql, params = build(table, plan)
    assert "'''" not in sql and "'" in params.values()
    assert apply(table, plan).to_pylist() == [{"a'; DROP": "'"}]


def test_apply_takes_plain_data_and_an_empty_table():
    empty = pa.table({"姓名": pa.array([], pa.string()), "年龄": pa.array([], pa.int64())})
    out = apply(empty, {"columns": {"姓名": "mask", "年龄": {"op": "age_band", "width": 5}}})
    assert out.num_rows == 0 and out.column_names == ["姓名", "年龄"]
    with pytest.raises(HuitongError) as info:
        apply(empty, {"columns": {"年龄": {"op": "round", "base": 2**70}}})
    assert info.value.problems[0].field == "columns.年龄.base" and "64 bits" in info.value.problems[0].message
