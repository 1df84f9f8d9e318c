"""The linkage model as Splink settings (Fellegi–Sunter): huitong's comparisons as Splink comparison
levels, the blocking rules that choose which pairs are compared, and the training recipe (prior from
a near-certain key, u by random sampling, m by expectation maximisation on blocks that leave the
trained comparisons free). Splink is the engine; this module only configures it.
"""

from __future__ import annotations

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule

from huitong.fuse.comparisons import Comparison

# which pairs are compared at all: a pair none of these puts together is a non-match
BLOCKING = {
    "person": (
        ("id_number", "l.id_number = r.id_number"),
        ("id_birth_region", "left(l.id_current, 14) = left(r.id_current, 14)"),
        ("birth_date_surname", "l.birth_date = r.birth_date AND l.surname_py = r.surname_py"),
        ("fuzzy_name_birth_year", "l.name_fz = r.name_fz AND l.birth_year = r.birth_year"),
        ("phone", "l.phone = r.phone"),
        (
            "name_chars_address_numbers",
            "l.name_sorted = r.name_sorted AND l.address_numbers = r.address_numbers",
        ),
    ),
    "entity": (
        ("credit_code", "l.credit_code = r.credit_code"),
        ("org_code", "l.org_code = r.org_code"),
        ("name_core", "l.name_core = r.name_core"),
        ("name_pinyin", "l.name_py = r.name_py"),
        ("address", "l.address = r.address"),
    ),
}
# the key whose agreement estimates how often two records are one (its share of true pairs found)
PRIOR_KEY = {"person": ("id_number", 0.8), "entity": ("credit_code", 0.8)}
# EM sessions: each blocks on something that leaves the others free to be learnt
TRAINING_BLOCKS = {
    "person": (("id_number",), ("birth_date", "surname_py")),
    "entity": (("credit_code",), ("name_core",)),
}


def splink_comparison(comparison: Comparison):
    levels = [cll.CustomLevel(comparison.null, label_for_charts="null").configure(is_null_level=True)]
    for level in comparison.levels:
        custom = cll.CustomLevel(level.sql, label_for_charts=level.label)
        if level.tf:
            custom = custom.configure(tf_adjustment_column=comparison.columns[0])
        if level.fixed_m is not None:
            custom = custom.configure(m_probability=level.fixed_m, fix_m_probability=True)
        levels.append(custom)
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(
        output_column_name=comparison.role, comparison_levels=levels, comparison_description=comparison.role
    )


def settings(kind: str, comparisons: tuple[Comparison, ...], present: set[str]) -> SettingsCreator:
    """Splink settings for records of ``kind`` whose prepared table has the columns ``present``
    (a blocking rule on a role no record holds is dropped)."""
    rules = [
        CustomRule(sql, sql_dialect="duckdb")
        for name, sql in BLOCKING[kind]
        if all(col in present for col in _columns_of(sql))
    ]
    if not rules:
        from huitong.errors import Problem, invalid

        needs = "; ".join(" + ".join(sorted(_columns_of(sql))) for _, sql in BLOCKING[kind])
        raise invalid(
            "the records hold no values any blocking rule can pair on, so nothing would be linked",
            Problem(f"give the records one of: {needs} (prepared from the roles)", field="spec"),
        )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[splink_comparison(c) for c in comparisons],
        blocking_rules_to_generate_predictions=rules,
        additional_columns_to_retain=["source_dataset"],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=True,
    )


def _columns_of(sql: str) -> set[str]:
    import re

    return set(re.findall(r"\b[lr]\.(\w+)", sql))


def training_blocks(kind: str, present: set[str]):
    return [block_on(*cols) for cols in TRAINING_BLOCKS[kind] if all(c in present for c in cols)]


def prior_rule(kind: str, present: set[str]):
    key, recall = PRIOR_KEY[kind]
    return (block_on(key), recall) if key in present else None


def shipped(kind: str) -> dict:
    """The model trained on labelled synthetic records (bench/fusion_data.py, every role present),
    shipped for inputs too small to train on: its m and u probabilities and its blocking rules."""
    import json
    from importlib import resources

    text = resources.files("huitong.fuse").joinpath(f"data/{kind}_model.json").read_text(encoding="utf-8")
    return json.loads(text)
