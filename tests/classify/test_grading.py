"""Grading rules: 就高从严, the derived-grade rule, the impact table, and a province's policy file."""

from __future__ import annotations

import pytest

from huitong.classify.grading import Degree, Impact, Treatment, dataset_grade, derived_grade, load_policy
from huitong.classify.kinds import Kind
from huitong.errors import HuitongError
from huitong.standards.elements import Grade

G = Grade


def test_a_dataset_takes_its_highest_element():
    assert dataset_grade([G.general_1, G.general_4, G.general_2]) is G.general_4
    assert dataset_grade([G.general_3, G.important]) is G.important
    assert dataset_grade([]) is G.general_1


@pytest.mark.parametrize(
    ("inputs", "treatment", "want"),
    [
        ([G.general_2, G.general_3], Treatment.copy, G.general_3),
        ([G.general_2, G.general_3], Treatment.fusion, G.general_4),  # fusion raises one step
        ([G.general_4, G.general_4], Treatment.fusion, G.general_4),  # never past 4级 by itself
        ([G.important], Treatment.fusion, G.important),
        ([G.general_4], Treatment.deidentified, G.general_2),  # de-identification lowers
        ([G.general_1], Treatment.deidentified, G.general_1),
        ([G.important], Treatment.deidentified, G.important),  # 重要 stays 重要
        ([G.general_4], Treatment.statistics, G.general_1),
        ([G.important], Treatment.statistics, G.general_2),
        ([G.core], Treatment.statistics, G.core),
    ],
)
def test_a_derived_resource_is_graded_from_its_inputs_and_treatment(inputs, treatment, want):
    assert derived_grade(inputs, treatment) is want


def test_the_impact_table_gives_core_important_and_general_levels():
    policy = load_policy(None)
    assert policy.assess({Impact.national_security: Degree.ordinary}) is G.important
    assert policy.assess({Impact.economy: Degree.severe}) is G.core
    assert policy.assess({Impact.individual: Degree.severe}) is G.general_4
    assert (
        policy.assess({Impact.individual: Degree.ordinary, Impact.public_interest: Degree.serious})
        is G.important
    )


def test_a_policy_file_overrides_the_defaults(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(
        'minor = "important"\n[kinds]\nmobile = "一般4级"\n[impact.economy]\nordinary = "important"\n',
        "utf-8",
    )
    policy = load_policy(path)
    assert policy.kinds[Kind.mobile] is G.general_4
    assert policy.assess({Impact.economy: Degree.ordinary}) is G.important
    assert policy.proposed(Kind.birth_date, ["minor_under_14"]) is G.important


def test_a_bad_policy_file_names_every_mistake(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(
        '[kinds]\nshoe_size = "一般2级"\nmobile = "五级"\n[impact.economy]\nordinary = "huge"\n[extra]\n',
        "utf-8",
    )
    with pytest.raises(HuitongError) as err:
        load_policy(path)
    fields = {p.field for p in err.value.problems}
    assert {"kinds.shoe_size", "kinds.mobile", "impact.economy.ordinary", "extra"} <= fields


def test_the_settings_name_the_policy_every_scan_uses(tmp_path):
    from huitong.bootstrap import open_database
    from huitong.classify.grading import policy_of
    from huitong.config import load_settings

    path = tmp_path / "浙江省分级.toml"
    path.write_text('[kinds]\nmobile = "一般4级"\n', "utf-8")
    settings = load_settings(
        env={"HUITONG_DATA_DIR": str(tmp_path / "d"), "HUITONG_GRADING_POLICY": str(path)}
    )
    db = open_database(settings)
    try:
        with db.session(read_only=True) as s:
            assert policy_of(s).kinds[Kind.mobile] is G.general_4
    finally:
        db.dispose()
    path.write_text("[kinds]\nmobile = 4\n", "utf-8")
    with pytest.raises(HuitongError) as err:
        open_database(settings)
    assert err.value.problems[0].field == "kinds.mobile"
