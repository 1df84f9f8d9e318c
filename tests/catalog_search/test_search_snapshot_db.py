"""A restarted server loads the saved search index and then only what changed after it; a copy
saved from another catalog, or from an older state of this one, is not used."""

from __future__ import annotations

from sqlalchemy import func, select

from huitong.catalog import service as catalog
from huitong.catalog.search import SearchIndex
from huitong.catalog.search import snapshot as snapshots
from huitong.catalog.search_service import CatalogSearch
from huitong.catalog.tables import Resource
from tests.world import spec


def names(search: CatalogSearch, session, query: str) -> list[str]:
    from huitong.access import SYSTEM

    return sorted(h.code for h in search.search(session, SYSTEM, query, per_page=100).hits)


def fresh(path) -> CatalogSearch:
    return CatalogSearch(SearchIndex(), snapshot=path)


def test_a_saved_index_is_loaded_and_brought_up_to_date(world, tmp_path):
    path = tmp_path / "search" / "catalog.npz"
    with world.db.session() as s:
        first = catalog.create(s, world.actor("ga"), spec(world.police, "常住人口户籍信息")).code
        catalog.create(s, world.actor("mz"), spec(world.civil, "低保对象名单"))
    with world.db.session() as s:
        before = fresh(path)
        before.refresh(s)
        assert before.save(s) and path.exists()
        assert not before.save(s)  # nothing new since
    with world.db.session() as s:  # after the copy: one new entry, one renamed
        catalog.create(s, world.actor("ga"), spec(world.police, "流动人口登记信息"))
        catalog.update_entry(s, world.actor("ga"), first, spec(world.police, "户籍人口基本信息"))
    with world.db.session() as s:
        after = fresh(path)
        loaded = after.refresh(s)
        assert loaded == 2  # the copy was used: only the two changes were read
        rebuilt = CatalogSearch(SearchIndex())
        rebuilt.refresh(s)
        for q in ["人口", "户籍", "常住", "低保", "流动", "基本", ""]:
            assert names(after, s, q) == names(rebuilt, s, q), q
        assert first in names(after, s, "基本") and len(names(after, s, "流动")) >= 1


def test_a_copy_of_another_or_an_older_catalog_is_not_used(world, tmp_path, caplog):
    path = tmp_path / "catalog.npz"
    with world.db.session() as s:
        catalog.create(s, world.actor("ga"), spec(world.police, "常住人口户籍信息"))
        search = fresh(path)
        search.refresh(s)
        assert search.save(s)
    index, meta = snapshots.load(path)
    snapshots.save(index, path, {**meta, "count": meta["count"] + 5})  # it counted entries since gone
    with world.db.session() as s:
        other = fresh(path)
        assert other.refresh(s) == s.scalar(select(func.count()).select_from(Resource))  # built anew
        assert "not used" in caplog.text or "another catalog" in caplog.text
    snapshots.save(index, path, {**meta, "seen_seq": meta["seen_seq"] + 1000})  # newer than the database
    with world.db.session() as s:
        assert fresh(path).refresh(s) == s.scalar(select(func.count()).select_from(Resource))
    path.write_bytes(b"not an index")
    with world.db.session() as s:
        damaged = fresh(path)
        assert damaged.refresh(s) >= 1 and names(damaged, s, "户籍")


def _other_world(backend, tmp_path):
    from tests.conftest import TestDatabase
    from tests.world import build_world

    (tmp_path / "other").mkdir()
    tdb = TestDatabase(backend, tmp_path / "other")
    return tdb, build_world(tdb.open())


def _history(world, renames: dict[str, str], extra: list[str]) -> list[str]:
    """Two entries every copy shares, then this copy's own renames and new entries."""
    with world.db.session() as s:
        codes = [
            catalog.create(s, world.actor("ga"), spec(world.police, "常住人口户籍信息")).code,
            catalog.create(s, world.actor("mz"), spec(world.civil, "低保对象名单")).code,
        ]
    with world.db.session() as s:
        for code, name in renames.items():
            provider = world.police if code == codes[0] else world.civil
            actor = world.actor("ga" if code == codes[0] else "mz")
            catalog.update_entry(s, actor, code, spec(provider, name))
        for name in extra:
            catalog.create(s, world.actor("ga"), spec(world.police, name))
    return codes


def test_a_copy_from_a_catalog_with_the_same_codes_or_a_diverged_backup_is_not_used(
    world, backend, tmp_path, caplog
):
    """Two catalogs built alike share ids and codes; a database restored from a backup and changed
    again has the copy's change numbers for other changes. Neither may use the copy."""
    path = tmp_path / "catalog.npz"
    first, second = _history(world, {}, [])
    with world.db.session() as s:
        catalog.update_entry(s, world.actor("ga"), first, spec(world.police, "户籍人口基本信息"))
        saved = fresh(path)
        saved.refresh(s)
        assert saved.save(s)
    tdb, other = _other_world(backend, tmp_path)
    try:
        codes = _history(other, {second: "低保边缘家庭名单"}, ["流动人口登记信息", "出生医学证明信息"])
        assert codes == [first, second]  # the same codes, as a catalog built the same way has
        with other.db.session() as s:
            loaded = fresh(path)
            total = s.scalar(select(func.count()).select_from(Resource))
            assert loaded.refresh(s) == total  # built from the database, not from the copy
            rebuilt = CatalogSearch(SearchIndex())
            rebuilt.refresh(s)
            for q in ["户籍", "基本", "低保", "边缘", "流动", ""]:
                assert names(loaded, s, q) == names(rebuilt, s, q), q
            assert names(loaded, s, "基本") == [] and names(loaded, s, "边缘") == [second]
        assert "not used" in caplog.text
    finally:
        other.db.dispose()
        tdb.drop()


def test_a_copy_of_this_catalog_with_later_changes_is_used(world, tmp_path):
    """The comparison does not refuse a good copy: entries changed after it are only re-read."""
    path = tmp_path / "catalog.npz"
    first, second = _history(world, {}, [f"人口统计{i}" for i in range(5)])
    with world.db.session() as s:
        saved = fresh(path)
        saved.refresh(s)
        assert saved.save(s)
    with world.db.session() as s:
        catalog.update_entry(s, world.actor("mz"), second, spec(world.civil, "低保边缘家庭名单"))
        catalog.update_entry(s, world.actor("ga"), first, spec(world.police, "户籍人口基本信息"))
    with world.db.session() as s:
        loaded = fresh(path)
        assert loaded.refresh(s) == 2
        assert names(loaded, s, "边缘") == [second] and names(loaded, s, "基本") == [first]
