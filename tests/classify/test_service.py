"""Discovery over stored versions through the real catalog and store: proposals, the undeclared
finding, confirm and override with their ledger entries, and the re-grading reviews."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from huitong.catalog import service as catalog
from huitong.catalog.model import DataItem, DataType
from huitong.classify import service as classify
from huitong.errors import Conflict, Forbidden, HuitongError
from huitong.ledger.tables import EvidenceEntry
from tests.quality.city import PEOPLE_ITEMS, make_city, people, table

pytestmark = pytest.mark.pg

# 公安's resource with a 备注 column declared as plain text: it holds mobile numbers
ITEMS = [*PEOPLE_ITEMS, DataItem("备注", DataType.C, 200)]


def _rows(n: int, *, note_every: int = 3) -> list[dict]:
    rows = people(n, bad_every=10_000)
    for i, r in enumerate(rows):
        r["姓名"] = (
            "王李张刘陈杨黄赵吴周"[i % 10] + "伟芳娜敏静丽强磊军洋"[(i // 10) % 10] + ("" if i % 3 else "华")
        )
        r["备注"] = (
            f"本人联系电话1381234{i % 10000:04d}已核实" if note_every and i % note_every == 0 else "无"
        )
    return rows


@pytest.fixture
def city(world, test_database, tmp_path):
    c = make_city(world, test_database, tmp_path)
    with world.db.session() as s:
        res = catalog.get(s, world.actor("ga"), c.people)
        spec = catalog.spec_of(res)
        spec.items = ITEMS
        catalog.update_entry(s, world.actor("ga"), c.people, spec)
        catalog.review(s, world.actor("op"), c.people, "approve")
    c.store.ensure_table(c.people, ITEMS)
    return c


def _scan(city, actor="ga", **kw):
    with city.world.db.session() as s:
        result = classify.scan(s, city.store, city.world.actor(actor), city.people, **kw)
        return {c.column: (c.kind, c.proposed_grade, classify.undeclared(c)) for c in result.columns}, [
            r.trigger for r in result.reviews
        ]


def test_a_scan_proposes_grades_and_finds_the_undeclared_column(city):
    city.store.write(city.people, table(_rows(300), ITEMS))
    found, reviews = _scan(city)
    assert found["公民身份号码"][0] == "id_number"
    assert found["姓名"][0] == "person_name"
    assert found["住址"][0] == "address"
    assert found["出生日期"][0] == "birth_date"
    assert found["备注"] == ("free_text_with_identifiers", "general_4", True)  # declared 一般1级
    assert "户籍状态" not in found and "年龄" not in found  # no personal data: no finding
    assert reviews == []  # the first scan proposes; it raises no review
    with city.world.db.session(read_only=True) as s:
        shown = [c.column for c in classify.open_findings(s, city.world.actor("ga"))]
        assert "备注" in shown
        assert classify.open_findings(s, city.world.actor("mz")) == []  # another department's
        assert "备注" in [c.column for c in classify.open_findings(s, city.world.actor("op"))]


def test_confirm_raises_the_item_grade_and_keeps_the_entry_published(city):
    city.store.write(city.people, table(_rows(120), ITEMS))
    _scan(city)
    with city.world.db.session() as s:
        col = classify.decide_column(s, city.world.actor("ga"), city.people, "备注", action="confirm")
        assert col.status == "confirmed" and col.decided_grade == "general_4"
    with city.world.db.session(read_only=True) as s:
        res = catalog.get(s, city.world.actor("ga"), city.people)
        item = next(it for it in res.items if it.name == "备注")
        assert item.grade == "general_4" and res.status == "published"
        assert res.grade == "general_4"  # 就高从严
        assert classify.open_findings(s, city.world.actor("ga")) == []
        entry = s.scalars(select(EvidenceEntry).where(EvidenceEntry.action == "classify.confirm")).one()
        assert entry.object_id == city.people and "备注" in entry.details
    with city.world.db.session() as s, pytest.raises(Conflict):
        classify.decide_column(s, city.world.actor("ga"), city.people, "备注", action="confirm")


def test_override_needs_a_reason_and_only_the_provider_admin_decides(city):
    city.store.write(city.people, table(_rows(120), ITEMS))
    _scan(city)
    with city.world.db.session() as s, pytest.raises(HuitongError, match="reason"):
        classify.decide_column(
            s, city.world.actor("ga"), city.people, "备注", action="override", grade="general_3"
        )
    with city.world.db.session() as s, pytest.raises(Forbidden):
        classify.decide_column(
            s, city.world.actor("mz"), city.people, "备注", action="override", grade="general_3", reason="x"
        )
    with city.world.db.session() as s:
        col = classify.decide_column(
            s,
            city.world.actor("ga"),
            city.people,
            "备注",
            action="override",
            grade="一般3级",
            reason="电话为单位总机，非个人号码",
        )
        assert col.status == "overridden" and col.decided_grade == "general_3"
        assert col.reason == "电话为单位总机，非个人号码"


def test_a_new_personal_column_and_a_coverage_jump_become_reviews(city):
    city.store.write(city.people, table(_rows(100, note_every=0), ITEMS))  # 备注 all 无
    found, _ = _scan(city)
    assert "备注" not in found
    city.store.write(city.people, table(_rows(250), ITEMS))
    found, reviews = _scan(city)
    assert "备注" in found
    assert "new_personal_column" in reviews and "coverage_jump" in reviews
    with city.world.db.session() as s:
        (task,) = [
            r for r in classify.reviews(s, city.world.actor("ga")) if r.trigger == "new_personal_column"
        ]
        assert task.details["columns"] == ["备注"]
        with pytest.raises(HuitongError, match="reason"):
            classify.close_review(s, city.world.actor("ga"), task.id, " ")
        classify.close_review(s, city.world.actor("ga"), task.id, "已核实并确认分级")
    with city.world.db.session(read_only=True) as s:
        assert all(r.trigger != "new_personal_column" for r in classify.reviews(s, city.world.actor("ga")))


def test_a_load_scans_the_new_version(city):
    """The listener scans every stored version, as a load's VersionLoaded event."""
    from huitong.events import VersionLoaded, emit

    version = city.store.write(city.people, table(_rows(60), ITEMS))
    with city.world.db.session() as s:
        emit(
            s,
            VersionLoaded(
                resource=city.people,
                snapshot_id=version.snapshot_id,
                previous_snapshot_id=None,
                store=city.store,
            ),
        )
    with city.world.db.session(read_only=True) as s:
        cols = classify.columns_of(s, city.world.actor("ga"), city.people)
        assert {c.column for c in cols} >= {"公民身份号码", "备注"}
        (scan,) = classify.scans_of(s, city.world.actor("op"), city.people)
        assert scan.trigger == "load"


def test_the_inventory_covers_what_the_actor_may_scan_and_says_what_it_describes(city):
    city.store.write(city.people, table(_rows(60), ITEMS))
    with city.world.db.session(read_only=True) as s:
        assert classify.scannable(s, city.store, city.world.actor("ga")) == [city.people]  # not 民政's
        assert set(classify.scannable(s, city.store, city.world.actor("op"))) == {city.people, city.civil}
        assert classify.scannable(s, city.store, city.world.actor("aud")) == []
    _scan(city)
    with city.world.db.session(read_only=True) as s:
        assert classify.describes(classify.columns_of(s, city.world.actor("ga"), city.people)) == "personal"
    assert classify.describes([]) == "public"


def test_a_scan_reads_the_version_as_a_stream_and_skips_an_item_with_no_column_yet(city):
    city.store.write(city.people, table(_rows(80), ITEMS))
    with city.world.db.session() as s:
        res = catalog.get(s, city.world.actor("ga"), city.people)
        spec = catalog.spec_of(res)
        spec.items = [*ITEMS, DataItem("联系邮箱", DataType.C, 100)]  # in the catalog, not yet stored
        catalog.update_entry(s, city.world.actor("ga"), city.people, spec)
        catalog.review(s, city.world.actor("op"), city.people, "approve")
    found, _ = _scan(city)
    assert found["公民身份号码"][0] == "id_number" and "联系邮箱" not in found
