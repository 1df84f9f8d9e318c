"""Bulk registration (create_many, import): the batched path keeps every rule, revision and
piece of evidence of registering entries one at a time."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from huitong.access import SYSTEM
from huitong.catalog import service
from huitong.catalog.importer import import_file
from huitong.catalog.json_io import dump_json_catalog
from huitong.catalog.search_service import terms_for
from huitong.catalog.tables import Resource
from huitong.errors import HuitongError
from huitong.ledger.events import entries_for
from tests.world import spec


def batch(world, n, **kw):
    return [
        spec(
            world.police,
            name=f"批量登记信息{i}",
            tags=[" 户籍 ", "", "人口"],
            summary=f"  第{i}批摘要。 ",
            **kw,
        )
        for i in range(n)
    ]


def test_a_batch_is_stored_exactly_as_entries_read_back_describe_themselves(world):
    with world.db.session() as s:
        codes = service.create_many(s, world.actor("ga"), batch(world, 30))
    assert codes == [f"101002/{n:05d}" for n in range(1, 31)]
    with world.db.session() as s:
        for code in codes:
            res = service.get(s, SYSTEM, code)
            (rev,) = service.revisions(s, SYSTEM, code)
            # the revision written in bulk is the snapshot the reference reads from the row
            assert rev.snapshot == service.snapshot(res) and rev.rev == 1 and rev.action == "create"
            assert res.search_terms == terms_for(res)
            assert res.tags == ["户籍", "人口"] and res.summary == res.summary.strip()
            assert [e.action for e in entries_for(s, "resource", code)] == ["catalog.create"]
        seqs = [service.get(s, SYSTEM, c).change_seq for c in codes]
    assert seqs == sorted(seqs) and len(set(seqs)) == 30


def test_one_bad_entry_registers_none_and_is_located(world):
    specs = batch(world, 5)
    specs[3] = spec(world.police, name="批量登记信息1")  # the same name as entry 1, within the batch
    specs[4] = spec(world.police, name="另一条", class_code="999999")
    with world.db.session() as s, pytest.raises(HuitongError) as exc:
        service.create_many(s, world.actor("ga"), specs)
    fields = {p.field for p in exc.value.problems}
    assert {"entries[3].name", "entries[4].class_code"} <= fields
    assert "2 of 5" in str(exc.value)
    with world.db.session() as s:
        assert s.scalars(select(Resource)).first() is None


def test_another_departments_entry_in_a_batch_is_refused(world):
    specs = batch(world, 2) + [spec(world.civil, name="婚姻登记信息", class_code="101003")]
    with world.db.session() as s, pytest.raises(HuitongError):
        service.create_many(s, world.actor("ga"), specs)
    with world.db.session() as s:
        assert s.scalars(select(Resource)).first() is None


def test_an_import_naming_one_resource_twice_points_at_the_second(world, tmp_path):
    path = tmp_path / "catalog.json"
    specs = batch(world, 3) + [spec(world.police, name="批量登记信息0 ")]
    path.write_text(dump_json_catalog([(None, x) for x in specs]), encoding="utf-8")
    with world.db.session() as s, pytest.raises(HuitongError) as exc:
        import_file(s, world.actor("ga"), path)
    (problem,) = exc.value.problems
    assert problem.field == "resources[3].name" and "earlier in this batch" in problem.message


def test_an_import_publishes_every_entry_with_three_revisions(world, tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(dump_json_catalog([(None, x) for x in batch(world, 4)]), encoding="utf-8")
    with world.db.session() as s:
        report = import_file(s, SYSTEM, path, publish=True)
    assert report.created == report.submitted == report.published and len(report.created) == 4
    with world.db.session() as s:
        for code in report.created:
            res = service.get(s, SYSTEM, code)
            assert res.status == "published" and res.publish_date is not None
            revs = service.revisions(s, SYSTEM, code)
            assert [r.action for r in revs] == ["import", "submit", "publish"]
            assert revs[-1].snapshot == service.snapshot(res)
