"""Catalog entries end to end through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from huitong.access import PUBLIC
from huitong.catalog import service as catalog
from huitong.catalog.model import DataItem, Grade, OpenType, ShareType
from huitong.errors import Forbidden, HuitongError, NotFound
from huitong.ledger.events import entries_for
from tests.world import spec


def create(world, who="ga", **kw):
    provider = {"ga": world.police, "mz": world.civil, "sj": world.market}[who]
    with world.db.session() as s:
        return catalog.create(s, world.actor(who), spec(provider, **kw)).code


def problems_of(exc):
    return {p.field for p in exc.value.problems}


def test_codes_are_generated_unique_and_sequential_per_class(world):
    a = create(world, name="常住人口户籍信息")
    b = create(world, name="流动人口居住登记信息")
    c = create(world, "mz", name="婚姻登记信息", class_code="101003")
    assert a == "101002/00001" and b == "101002/00002" and c == "101003/00001"


def test_names_are_unique_within_a_provider_after_normalising(world):
    create(world, name="常住人口户籍信息")
    with world.db.session() as s, pytest.raises(HuitongError) as exc:
        catalog.create(s, world.actor("ga"), spec(world.police, name="常住人口（户籍）信息 "))
    assert "name" in problems_of(exc)
    # another department may use the same name
    create(world, "mz", name="常住人口户籍信息")


def test_missing_legal_basis_and_condition_are_refused_with_fields(world):
    with world.db.session() as s, pytest.raises(HuitongError) as exc:
        catalog.create(s, world.actor("ga"), spec(world.police, share_basis=None, share_condition=None))
    assert {"share_basis", "share_condition"} <= problems_of(exc)


def test_related_codes_must_exist(world):
    first = create(world)
    with world.db.session() as s, pytest.raises(HuitongError) as exc:
        catalog.create(s, world.actor("ga"), spec(world.police, name="B", related_codes=["101002/09999"]))
    assert "related_codes" in problems_of(exc)
    with world.db.session() as s:
        res = catalog.create(s, world.actor("ga"), spec(world.police, name="C", related_codes=[first]))
        assert res.related_codes == [first]


def test_unknown_class_provider_and_element_are_reported_together(world):
    with world.db.session() as s, pytest.raises(HuitongError) as exc:
        catalog.create(
            s,
            world.actor("ga"),
            spec(world.police, class_code="101999", items=[DataItem("姓名", element="DE99999")]),
        )
    assert {"class_code", "items[1].element"} <= problems_of(exc)


def test_a_department_registers_only_its_own_resources(world):
    with world.db.session() as s, pytest.raises(Forbidden):
        catalog.create(s, world.actor("mz"), spec(world.police))
    with world.db.session() as s, pytest.raises(Forbidden):
        catalog.create(s, world.actor("mzu"), spec(world.civil))  # a data user is not an administrator


def test_grade_comes_from_elements_and_the_strictest_item_wins(world):
    code = create(
        world,
        items=[
            DataItem("姓名", element="DE01002"),
            DataItem("备注"),
            DataItem("公民身份号码", element="DE01001", grade=Grade.important),
        ],
    )
    with world.db.session() as s:
        res = catalog.get(s, world.actor("ga"), code)
        grades = {it.name: it.grade for it in res.items}
        assert grades["公民身份号码"] == "important"
        assert grades["备注"] == catalog.DEFAULT_ITEM_GRADE.value
        assert res.grade == "important"


def test_lifecycle_with_review_return_and_publish(world):
    code = create(world)
    ga, op = world.actor("ga"), world.actor("op")
    with world.db.session() as s, pytest.raises(HuitongError, match="cannot publish"):
        catalog.publish(s, op, code)
    with world.db.session() as s:
        catalog.submit(s, ga, code)
    with world.db.session() as s, pytest.raises(Forbidden):
        catalog.publish(s, ga, code)  # departments cannot publish their own entries
    with world.db.session() as s, pytest.raises(HuitongError, match="reason"):
        catalog.review(s, op, code, "return", "  ")
    with world.db.session() as s:
        res = catalog.review(s, op, code, "return", "摘要过于简单，请补充数据范围")
        assert res.status == "returned" and "摘要" in res.return_reason
    with world.db.session() as s:
        catalog.update_entry(
            s, ga, code, spec(world.police, summary="本市常住人口户籍登记信息，覆盖全部区县。")
        )
        catalog.submit(s, ga, code)
    with world.db.session() as s:
        res = catalog.review(s, op, code, "approve")
        assert res.status == "published" and res.publish_date is not None and res.return_reason is None
    with world.db.session() as s:
        assert catalog.retire(s, ga, code, "系统下线").status == "retired"


def test_every_change_keeps_a_diffable_revision_with_who_and_why(world):
    code = create(world)
    ga, op = world.actor("ga"), world.actor("op")
    with world.db.session() as s:
        catalog.update_entry(
            s,
            ga,
            code,
            spec(world.police, update_cycle=catalog.UpdateCycle.weekly, items=spec(world.police).items[:3]),
        )
        catalog.submit(s, ga, code)
        catalog.return_entry(s, op, code, "请补充住址字段说明")
    with world.db.session() as s:
        revs = catalog.revisions(s, ga, code)
        assert [(r.rev, r.action, r.actor_name) for r in revs] == [
            (1, "create", "ga"),
            (2, "update", "ga"),
            (3, "submit", "ga"),
            (4, "return", "op"),
        ]
        assert revs[3].reason == "请补充住址字段说明"
        changes = {c.field: c for c in catalog.diff(s, ga, code, 1, 2)}
        assert changes["update_cycle"].before == "daily" and changes["update_cycle"].after == "weekly"
        assert changes["items[住址]"].after is None
        assert "status" in {c.field for c in catalog.diff(s, ga, code, 2, 4)}
        evidence = [e.action for e in entries_for(s, "resource", code)]
        assert evidence == ["catalog.create", "catalog.update", "catalog.submit", "catalog.return"]


def test_provider_and_classification_cannot_change_on_edit(world):
    code = create(world)
    with world.db.session() as s, pytest.raises(HuitongError, match="cannot change"):
        catalog.update_entry(s, world.actor("ga"), code, spec(world.police, class_code="101001"))


def test_visibility_drafts_stay_home_public_sees_only_open_published(world):
    draft = create(world, name="草稿资源")
    open_code = create(
        world,
        name="公开资源",
        share_type=ShareType.unconditional,
        share_condition=None,
        share_basis=None,
        open_type=OpenType.unconditional,
    )
    ga, op, mz = world.actor("ga"), world.actor("op"), world.actor("mz")
    with world.db.session() as s:
        catalog.submit(s, ga, open_code)
        catalog.publish(s, op, open_code)
    with world.db.session() as s:
        assert catalog.get(s, op, draft).code == draft
        with pytest.raises(NotFound):
            catalog.get(s, mz, draft)
        with pytest.raises(NotFound):
            catalog.get(s, PUBLIC, draft)
        assert catalog.get(s, PUBLIC, open_code).code == open_code
        assert [r.code for r in catalog.list_entries(s, PUBLIC)] == [open_code]
        assert {r.code for r in catalog.list_entries(s, mz)} == {open_code}
        assert {r.code for r in catalog.list_entries(s, ga)} == {draft, open_code}


def test_a_refused_write_leaves_nothing_behind(world):
    create(world, name="甲")
    with world.db.session() as s:
        before = len(catalog.list_entries(s, world.actor("op")))
    with pytest.raises(HuitongError), world.db.session() as s:
        catalog.create(s, world.actor("ga"), spec(world.police, name="乙"))
        catalog.create(s, world.actor("ga"), spec(world.police, name="甲"))  # clash: whole unit rolls back
    with world.db.session() as s:
        assert len(catalog.list_entries(s, world.actor("op"))) == before


def test_a_departments_change_to_a_published_entry_goes_back_to_review(world):
    code = create(world)
    ga, op = world.actor("ga"), world.actor("op")
    with world.db.session() as s:
        catalog.submit(s, ga, code)
        catalog.publish(s, op, code)
    with world.db.session() as s:  # an unchanged re-save is not a change
        res, changes = catalog.update_entry(s, ga, code, spec(world.police))
        assert changes == [] and res.status == "published"
        assert [r.action for r in catalog.revisions(s, ga, code)][-1] == "publish"
    looser = spec(
        world.police,
        share_type=ShareType.unconditional,
        share_condition=None,
        share_basis=None,
        open_type=OpenType.unconditional,
    )
    with world.db.session() as s:
        res, changes = catalog.update_entry(s, ga, code, looser)
        assert res.status == "submitted" and {c.field for c in changes} >= {"share_type", "status"}
    with world.db.session() as s:  # the public no longer sees it until the operator approves
        with pytest.raises(HuitongError):
            catalog.get(s, PUBLIC, code)
        assert catalog.review(s, op, code, "approve").status == "published"


def test_an_item_cannot_be_graded_looser_than_its_data_element(world):
    items = spec(world.police).items
    looser = [DataItem(items[0].name, items[0].data_type, 18, element="DE01001", grade=Grade.general_1)]
    with world.db.session() as s, pytest.raises(HuitongError) as exc:
        catalog.create(s, world.actor("ga"), spec(world.police, items=looser + items[1:]))
    [p] = [p for p in exc.value.problems if p.field == "items[1].grade"]
    assert "就高从严" in p.message
