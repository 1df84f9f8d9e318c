"""The compiled pass on small tables where the right count is plain: cross-source values that are
missing on one row of a key, full-width capitals on one side only, numbers against codes."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa

from huitong.quality.compile import NUMBER, TEXT, Check, Column, Other, plan
from huitong.quality.rules import check_rule
from huitong.store import duck


def rule(**fields):
    r, problems = check_rule({"resource": "R", "name": "r", **fields})
    assert r is not None, problems
    return r


def counts(checks, tables):
    con = duck.connect(tables)
    try:
        p = plan(checks)
        row = con.sql(p.sql, params=p.params).fetchall()[0]
    finally:
        con.close()
    return [(row[1 + 2 * i], row[2 + 2 * i]) for i in range(len(checks))]


def cross(unique: bool = False) -> Check:
    r = rule(kind="cross_source", column="v", other={"resource": "O", "key": "k"})
    return Check(
        0,
        r,
        (Column("v", TEXT), Column("k", TEXT)),
        other=Other("o0", (Column("k", TEXT),), Column("v", TEXT), unique=unique),
    )


def test_a_key_held_with_a_value_and_a_blank_disagrees_with_itself():
    ours = pa.table({"v": pa.array(["A", None], pa.string()), "k": pa.array(["1", "2"], pa.string())})
    theirs = pa.table({"k": ["1", "1", "2", "2"], "v": pa.array(["A", None, None, "B"], pa.string())})
    assert counts([cross()], {"t": ours, "o0": theirs}) == [(2, 2)]


def test_full_width_capitals_and_blanks_compare_alike_on_both_sides():
    ours = pa.table({"v": ["Ｂ区 1号", "ａ栋"], "k": ["1", "2"]})
    theirs = pa.table({"k": ["1", "2"], "v": ["Ｂ区1号", "Ａ栋"]})
    assert counts([cross(unique=True)], {"t": ours, "o0": theirs}) == [(2, 0)]


def test_a_number_is_matched_against_codes_and_references_as_written():
    t = pa.table({"a": pa.array([Decimal(1), Decimal(2), Decimal("2.5")], pa.decimal128(38, 10))})
    codes = Check(
        0, rule(kind="in_code_table", column="a", values=[1, 2]), (Column("a", NUMBER),), values=("1", "2")
    )
    digits = Check(1, rule(kind="pattern", column="a", regex="[0-9]+"), (Column("a", NUMBER),))
    ref = Check(
        2,
        rule(kind="referential", column="a", ref={"resource": "O", "column": "c"}),
        (Column("a", NUMBER),),
        other=Other("o0", (Column("c", TEXT),)),
    )
    theirs = pa.table({"c": ["1", "2"]})
    assert counts([codes, digits, ref], {"t": t, "o0": theirs}) == [(3, 1), (3, 1), (3, 1)]
