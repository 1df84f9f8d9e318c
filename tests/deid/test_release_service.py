"""Releases through the real catalog and store: a plan applied to a version and checked before it
leaves, refused below k with the failing classes, approved (twice for 重要 data) into a version of its
own table with its lineage; the re-identification key the operator's alone; a privacy budget spent
and refused once exhausted; grants and releases that break a grade's controls refused."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from sqlalchemy import select

from huitong.catalog import service as catalog
from huitong.catalog.model import DataItem, DataType
from huitong.classify.controls import check_grant
from huitong.deid import service as deid
from huitong.errors import Conflict, Forbidden, HuitongError
from huitong.ledger.tables import EvidenceEntry
from huitong.standards.elements import Grade
from huitong.standards.idcard import make_id_number, validate_id_number
from tests.stored import published

pytestmark = pytest.mark.pg

ITEMS = [
    DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
    DataItem("姓名", DataType.C, 50, element="DE01002"),
    DataItem("性别", DataType.C, 1, element="DE01003"),
    DataItem("出生日期", DataType.D, element="DE01004"),
    DataItem("区县", DataType.C, 6, element="DE03001"),
]
PLAN = {
    "direct": ["公民身份号码", "姓名"],
    "quasi": ["性别", "出生日期", "区县"],
    "k": 5,
    "columns": {
        "公民身份号码": {"op": "id_pseudonym", "keep_region": True},
        "姓名": "drop",
        "出生日期": {"op": "date", "level": "year"},
        "区县": {"op": "division", "level": "city"},
    },
}


def _people(n: int) -> pa.Table:
    born = [date(1960 + i % 30, 1 + i % 12, 1) for i in range(n)]
    return pa.table(
        {
            "公民身份号码": [make_id_number("330110", b, i % 999) for i, b in enumerate(born)],
            "姓名": ["张三"] * n,
            "性别": ["1" if i % 2 else "2" for i in range(n)],
            "出生日期": pa.array(born, pa.date32()),
            "区县": ["330110" if i % 3 else "330106" for i in range(n)],
        }
    )


@pytest.fixture
def city(world, test_database, tmp_path):
    store, code = published(world, test_database.url, tmp_path, ITEMS, _people(600))
    return world, store, code


def test_a_passing_plan_is_approved_into_a_release_with_its_lineage(city):
    world, store, code = city
    with world.db.session() as s:
        rel = deid.propose(s, store, world.actor("ga"), code, PLAN, name="常住人口去标识化明细")
        assert rel.status == "pending" and rel.risk["k_achieved"] >= 5 and rel.needs == ["provider"]
        assert rel.grade_in == "general_4" and rel.grade_out == "general_2"  # de-identification lowers
        rid = rel.id
    with pytest.raises(Forbidden):
        deid.approve(world.db, store, world.actor("mz"), rid)
    rel = deid.approve(world.db, store, world.actor("ga"), rid)
    assert rel.status == "released" and rel.output_code == f"{code}/R{rid}"
    out = store.read(rel.output_code)
    assert "姓名" not in out.column_names and out.num_rows == 600
    ids = out.column("公民身份号码").to_pylist()
    real = _people(600).column("公民身份号码").to_pylist()
    # each pseudonym is a valid ID and not the person's own (another real ID may be hit by chance:
    # format-preserving pseudonyms are not one-to-one, docs/deidentification.md)
    assert all(validate_id_number(v).ok for v in ids) and all(p != r for p, r in zip(ids, real, strict=True))
    assert len(set(ids)) > 590
    assert set(out.column("区县").to_pylist()) == {"330100"}
    with world.db.session() as s:
        entry = s.scalars(select(EvidenceEntry).where(EvidenceEntry.action == "deid.release.approve")).one()
        assert rel.output_snapshot_id in entry.details
    with pytest.raises(Conflict):
        deid.approve(world.db, store, world.actor("ga"), rid)


def test_below_k_the_release_is_refused_with_the_failing_classes(city):
    world, store, code = city
    exact = {**PLAN, "k": 15, "columns": {**PLAN["columns"], "出生日期": {"op": "date", "level": "month"}}}
    with world.db.session() as s:
        rel = deid.propose(s, store, world.actor("ga"), code, exact, name="按月出生")
        assert rel.status == "refused" and "below 15" in rel.reason
        assert rel.risk["failing"] and all(c["size"] < 15 for c in rel.risk["failing"])
        assert rel.risk["records_below_k"] > 0
        rid = rel.id
    with pytest.raises(Conflict):
        deid.approve(world.db, store, world.actor("ga"), rid)


def test_the_grade_sets_a_floor_on_k_and_important_data_needs_two_approvals(city):
    world, store, code = city
    with world.db.session() as s, pytest.raises(HuitongError, match="k of 5"):
        deid.propose(s, store, world.actor("ga"), code, {**PLAN, "k": 3}, name="k3")
    with world.db.session() as s:
        catalog.raise_grades(s, world.actor("ga"), code, {"性别": Grade.important}, reason="test")
    with world.db.session() as s, pytest.raises(HuitongError, match="derived statistics only"):
        deid.propose(s, store, world.actor("ga"), code, PLAN, name="重要")
    with pytest.raises(HuitongError, match="never bulk-exported"):
        check_grant("core", ["query", "batch"])
    check_grant("important", ["batch"])  # 重要 may be extracted under a grant the operator reviewed


def test_only_the_operator_reads_the_key_and_it_is_recorded(city):
    world, store, code = city
    with world.db.session() as s:
        rid = deid.propose(s, store, world.actor("ga"), code, PLAN, name="常住人口").id
    with world.db.session() as s, pytest.raises(Forbidden):
        deid.read_key(s, store, world.actor("ga"), rid, "核查")
    with world.db.session() as s:
        key = deid.read_key(s, store, world.actor("op"), rid, "司法协查 (2026) 第12号")
        assert len(key) == 32
        assert s.scalars(select(EvidenceEntry).where(EvidenceEntry.action == "deid.key.read")).one()


def test_the_privacy_budget_is_spent_and_refused_when_exhausted(city):
    world, store, code = city
    ga = world.actor("ga")
    with world.db.session() as s:
        fig = deid.publish_statistic(
            s,
            store,
            ga,
            code,
            statistic="histogram",
            column="区县",
            categories=["330110", "330106"],
            epsilon=0.6,
        )
        assert set(fig.result["value"]) == {"330110", "330106"}
        assert abs(fig.result["value"]["330110"] - 400) < 60
    with world.db.session() as s, pytest.raises(HuitongError, match="exhausted") as err:
        deid.publish_statistic(s, store, ga, code, statistic="count", epsilon=0.5)
    assert err.value.status == 409
    with world.db.session() as s:
        assert deid.budget(s, code).spent == pytest.approx(0.6)
        deid.publish_statistic(s, store, ga, code, statistic="count", epsilon=0.4)  # exactly what is left
        entries = s.scalars(select(EvidenceEntry).where(EvidenceEntry.action == "deid.dp.release")).all()
        assert [e.result for e in entries].count("refused") == 1
    with world.db.session() as s, pytest.raises(Forbidden):
        deid.set_budget(s, ga, code, 2.0)
    with world.db.session() as s:
        assert deid.set_budget(s, world.actor("op"), code, 2.0).total == 2.0
