"""Quality after every load, through the real pipeline: a gated resource keeps a version that
fails a ``fail`` rule out of current (readable by its id, releasable), and says why."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from huitong.aggregate.pipeline import run_load
from huitong.errors import Conflict, Forbidden, NotFound
from huitong.ledger.tables import EvidenceEntry
from huitong.quality import service as quality
from tests.aggregate.flow import make_flow, write_export

pytestmark = pytest.mark.pg

RULES = """resource: {code}
gate: true
rules:
  - {{name: 姓名规范, kind: pattern, column: 姓名, regex: "居民[0-9]+", severity: fail}}
  - {{name: 性别代码, kind: in_code_table, column: 性别, threshold: 0.5}}
"""


@pytest.fixture
def flow(world, test_database, tmp_path):
    f = make_flow(world, test_database, tmp_path, good=6)
    with world.db.session() as s:
        quality.import_rules(s, world.actor("ga"), RULES.format(code=f.code))
    return f


def test_a_failing_version_is_held_back_and_can_be_released(flow):
    ga, db, store = flow.world.actor("ga"), flow.world.db, flow.store
    first = run_load(db, store, ga, "hj")
    assert first.status == "loaded"
    write_export(flow.export, 6, rename={2: "张三"})  # breaks the fail rule
    second = run_load(db, store, ga, "hj")
    assert second.status == "quarantined" and "quality gate" in second.message
    assert store.version(flow.code).snapshot_id == first.snapshot_id  # readers see the old version
    held = store.read(flow.code, snapshot_id=second.snapshot_id)  # kept, readable by its id
    assert "张三" in held.column("姓名").to_pylist()
    with db.session(read_only=True) as s:
        assert quality.held_back(s, flow.code, second.snapshot_id)
        runs = quality.runs(s, ga, flow.code)
        assert [r.outcome for r in runs] == ["quarantined", "passed"]
        _, metrics, _ = quality.get_run(s, ga, runs[0].id)
        failing = next(m for m in metrics if m.rule_name == "姓名规范")
        assert failing.failed == 1 and failing.sample[0]["姓名"] != "张三"  # masked: 张*
        entry = s.scalars(
            select(EvidenceEntry)
            .where(EvidenceEntry.action == "aggregate.load")
            .order_by(EvidenceEntry.id.desc())
        ).first()
        assert entry.result == "quarantined"
        card = quality.scorecard(s, ga, flow.code)
        assert card.run.id == runs[1].id  # the scorecard is the current version's
    with db.session(read_only=True) as s:
        assert quality.releasable(quality.runs(s, ga, flow.code)) == {str(second.snapshot_id)}
    with pytest.raises(Forbidden):
        quality.release(db, store, flow.world.actor("mz"), flow.code, second.snapshot_id)
    quality.release(db, store, ga, flow.code, second.snapshot_id)
    assert store.version(flow.code).snapshot_id == second.snapshot_id
    with pytest.raises(Conflict):
        quality.release(db, store, ga, flow.code, second.snapshot_id)


def test_a_later_load_builds_on_the_current_version_not_the_held_one(flow):
    ga, db, store = flow.world.actor("ga"), flow.world.db, flow.store
    first = run_load(db, store, ga, "hj")
    write_export(flow.export, 6, rename={2: "张三"})
    held = run_load(db, store, ga, "hj")
    write_export(flow.export, 7)  # corrected, and one more person
    third = run_load(db, store, ga, "hj")
    assert third.status == "loaded"
    v = store.version(flow.code)
    assert v.snapshot_id == third.snapshot_id and v.parent_id == first.snapshot_id and v.rows == 7
    with pytest.raises(Conflict):  # releasing it now would undo the third load
        quality.release(db, store, ga, flow.code, held.snapshot_id)
    with db.session(read_only=True) as s:  # so the console offers no release for it
        assert quality.releasable(quality.runs(s, ga, flow.code)) == set()


def test_a_first_version_that_fails_leaves_the_resource_unloaded(flow):
    ga, db, store = flow.world.actor("ga"), flow.world.db, flow.store
    write_export(flow.export, 4, rename={0: "李四"})
    result = run_load(db, store, ga, "hj")
    assert result.status == "quarantined"
    with pytest.raises(NotFound):
        store.version(flow.code)
    assert store.read(flow.code, snapshot_id=result.snapshot_id).num_rows == 4


def test_without_a_gate_a_failing_version_is_current_and_marked_failed(flow):
    ga, db, store = flow.world.actor("ga"), flow.world.db, flow.store
    with db.session() as s:
        quality.import_rules(s, ga, RULES.format(code=flow.code).replace("gate: true", "gate: false"))
    write_export(flow.export, 4, rename={0: "李四"})
    result = run_load(db, store, ga, "hj")
    assert result.status == "loaded"
    assert store.version(flow.code).snapshot_id == result.snapshot_id
    with db.session(read_only=True) as s:
        assert quality.runs(s, ga, flow.code)[0].outcome == "failed"


def test_a_version_the_rules_cannot_measure_is_held_back_not_served(world, test_database, tmp_path):
    """The gate fails closed: when the run itself fails on a new version (here its data file was
    cut short on disk before it was measured), the version is held back with the reason, as the
    pipeline's listeners see it after a load."""
    from huitong.events import VersionLoaded, emit_after
    from tests.quality.city import PEOPLE_ITEMS, make_city, people, table

    city = make_city(world, test_database, tmp_path)
    try:
        with world.db.session() as s:
            quality.import_rules(
                s,
                world.actor("ga"),
                f"resource: {city.people}\ngate: true\nrules:\n  - {{name: 姓名完整, kind: not_null, column: 姓名}}\n",
            )
        good = city.store.write(city.people, table(people(20), PEOPLE_ITEMS))
        before = set((tmp_path / "warehouse").rglob("*.parquet"))
        bad = city.store.write(city.people, table(people(25), PEOPLE_ITEMS))
        for path in set((tmp_path / "warehouse").rglob("*.parquet")) - before:
            path.write_bytes(path.read_bytes()[:12])
        with world.db.session() as s:
            heard = emit_after(
                s, VersionLoaded(city.people, bad.snapshot_id, bad.parent_id, {}, None, city.store)
            )
        assert city.store.version(city.people).snapshot_id == good.snapshot_id, heard
        with world.db.session() as s:
            assert quality.held_back(s, city.people, bad.snapshot_id)
            entry = s.scalars(
                select(EvidenceEntry)
                .where(EvidenceEntry.action == "quality.run")
                .order_by(EvidenceEntry.id.desc())
            ).first()
            assert entry.result == "quarantined" and "error" in entry.details
    finally:
        city.store.close()


def test_a_gate_named_with_a_padded_or_lower_case_code_is_the_resources_gate(flow):
    padded = f'resource: " {flow.code.lower()} "\ngate: true\nrules:\n  - {{name: 性别代码, kind: in_code_table, column: 性别}}\n'
    with flow.world.db.session() as s:
        done = quality.import_rules(s, flow.world.actor("ga"), padded)
    assert done.gates == {flow.code: True}
    with flow.world.db.session() as s:
        assert quality.gated(s, flow.code)
        assert "性别代码" in {r.name for r in quality.rules_of(s, flow.world.actor("ga"), flow.code)}


def test_a_manual_run_changes_neither_what_is_held_nor_the_current_score(flow):
    """The provider measures a held version again, and an old one: the held one stays held (and
    releasable), and the score shown everywhere stays that of the version served."""
    ga, db, store = flow.world.actor("ga"), flow.world.db, flow.store
    first = run_load(db, store, ga, "hj")
    write_export(flow.export, 6, rename={2: "张三"})
    held = run_load(db, store, ga, "hj")
    assert held.status == "quarantined"
    with db.session() as s:
        quality.run(s, store, ga, flow.code, held.snapshot_id)  # the provider looks again
        quality.run(s, store, ga, flow.code, first.snapshot_id)
    with db.session(read_only=True) as s:
        assert quality.held_back(s, flow.code, held.snapshot_id)
        assert str(held.snapshot_id) in quality.releasable(quality.runs(s, ga, flow.code))
        assert quality.summary(s, flow.code)["snapshot_id"] == str(first.snapshot_id)
    write_export(flow.export, 7)  # one more resident, all names right
    served = run_load(db, store, ga, "hj")
    assert served.status == "loaded"
    with db.session() as s:
        quality.run(s, store, ga, flow.code, first.snapshot_id)  # an old version measured again
    with db.session(read_only=True) as s:
        assert quality.summary(s, flow.code)["snapshot_id"] == str(served.snapshot_id)
