"""Adversarial checks on de-identified releases (found in review)."""

from __future__ import annotations

import pytest

from huitong.catalog import service as catalog
from huitong.deid import dicts
from huitong.deid import service as deid
from huitong.errors import HuitongError
from huitong.standards.elements import Grade
from tests.deid.test_release_service import PLAN, _people, city  # noqa: F401

pytestmark = pytest.mark.pg


def test_a_plan_without_k_is_a_clear_error(city):  # noqa: F811
    world, store, code = city
    plan = {k: v for k, v in PLAN.items() if k != "k"}
    with world.db.session() as s, pytest.raises(HuitongError) as err:
        deid.propose(s, store, world.actor("ga"), code, plan, name="no k")
    assert err.value.status == 422


def test_a_plan_without_quasi_is_a_clear_error(city):  # noqa: F811
    world, store, code = city
    plan = {k: v for k, v in PLAN.items() if k != "quasi"}
    with world.db.session() as s, pytest.raises(HuitongError) as err:
        deid.propose(s, store, world.actor("ga"), code, plan, name="no quasi")
    assert err.value.status == 422


def test_a_grade_raised_after_the_proposal_is_enforced_at_approval(city):  # noqa: F811
    world, store, code = city
    with world.db.session() as s:
        rid = deid.propose(s, store, world.actor("ga"), code, PLAN, name="明细").id
    with world.db.session() as s:  # the column is found to be 重要 before anyone approves
        catalog.raise_grades(s, world.actor("ga"), code, {"性别": Grade.important}, reason="test")
    with pytest.raises(HuitongError) as err:
        deid.approve(world.db, store, world.actor("ga"), rid)
    assert err.value.status == 409


def test_a_k_floor_raised_after_the_proposal_is_enforced_at_approval(city):  # noqa: F811
    world, store, code = city
    with world.db.session() as s:
        rid = deid.propose(s, store, world.actor("ga"), code, PLAN, name="明细").id
    with world.db.session() as s:
        catalog.raise_grades(s, world.actor("ga"), code, {"性别": Grade.core}, reason="test")
    with pytest.raises(HuitongError) as err:
        deid.approve(world.db, store, world.actor("ga"), rid)
    assert err.value.status == 409


def test_the_auditor_sees_no_raw_id_numbers_in_a_refused_release(city):  # noqa: F811
    """A plan that measures k over an untouched identifying column fails with classes of one; the
    failing classes must show those values as the item's grade shows them elsewhere (masked)."""
    world, store, code = city
    plan = {"quasi": ["公民身份号码"], "k": 5, "columns": {"姓名": "drop"}}
    with world.db.session() as s:
        rid = deid.propose(s, store, world.actor("ga"), code, plan, name="按身份号码").id
    raw = set(_people(600).column("公民身份号码").to_pylist())
    with world.db.session(read_only=True) as s:
        rel = deid.get(s, world.actor("aud"), rid)
        assert rel.status == "refused" and rel.risk["failing"]
        shown = {c["values"]["公民身份号码"] for c in dicts.release_dict(rel)["risk"]["failing"]}
        assert not shown & raw


def test_a_bad_plan_leaves_no_key_and_a_figure_may_not_spend_a_huge_epsilon(city):  # noqa: F811
    from huitong.deid.service import key_dir

    world, store, code = city
    with world.db.session() as s, pytest.raises(HuitongError):
        deid.propose(s, store, world.actor("ga"), code, {**PLAN, "quasi": ["无此列"]}, name="坏方案")
    assert not key_dir(store).exists() or not any(key_dir(store).iterdir())
    with world.db.session() as s:
        rid = deid.propose(s, store, world.actor("ga"), code, PLAN, name="好方案").id
    assert (key_dir(store) / f"release-{rid}.key").stat().st_mode & 0o777 == 0o600
    with world.db.session() as s:
        deid.set_budget(s, world.actor("op"), code, 1e6)
    with world.db.session() as s, pytest.raises(HuitongError, match="no protection"):
        deid.publish_statistic(s, store, world.actor("ga"), code, statistic="count", epsilon=1e3)
