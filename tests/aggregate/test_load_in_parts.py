"""A load whose rows leave memory in parts makes the version a load in one part makes, and an
aborted load leaves neither a version nor a file."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from huitong.aggregate import pipeline
from huitong.aggregate.pipeline import run_load
from huitong.aggregate.tables import LoadReject
from huitong.aggregate.validate import LoadPolicy
from huitong.errors import HuitongError
from huitong.store import Store, writer
from tests.aggregate.flow import broken_id, make_flow, write_export


def parquet_files(store: Store) -> set:
    return set(store.warehouse.rglob("*.parquet"))


def test_a_load_in_parts_is_the_load_in_one_part(world, test_database, tmp_path, monkeypatch):
    f = make_flow(world, test_database, tmp_path, good=23, bad=4, mode="full")
    run_load(world.db, f.store, world.actor("ga"), "hj")
    [whole] = f.store.versions(f.code)
    files = parquet_files(f.store)
    assert len(files) == 1
    monkeypatch.setattr(pipeline, "LOAD_BATCH_ROWS", 3)
    monkeypatch.setattr(writer, "PART_ROWS", 5)
    f.export.write_bytes(f.export.read_bytes() + b"\n")  # another digest, so it is read and checked
    again = run_load(world.db, f.store, world.actor("ga"), "hj")
    assert again.status == "unchanged" and again.snapshot_id == whole.snapshot_id
    assert parquet_files(f.store) == files  # the parts it wrote are gone
    write_export(f.export, 23, 4, rename={0: "改名"})
    changed = run_load(world.db, f.store, world.actor("ga"), "hj")
    assert changed.status == "loaded" and (changed.summary.rows_out, changed.summary.rows_rejected) == (23, 4)
    latest = f.store.versions(f.code)[-1]
    assert (latest.rows, latest.inserted, latest.updated, latest.deleted) == (23, 0, 1, 0)
    assert len(parquet_files(f.store) - files) > 1  # this version was written in parts
    names = {r["姓名"] for r in f.store.read(f.code).to_pylist()}
    assert "改名" in names and "居民0" not in names and len(names) == 23
    with world.db.session() as s:
        lines = s.scalars(select(LoadReject.row).where(LoadReject.load_id == changed.load_id)).all()
    assert sorted(lines) == [25, 26, 27, 28]  # the header is line 1: rejects keep their place
    f.store.close()


def test_an_aborted_load_in_parts_leaves_no_file(world, test_database, tmp_path, monkeypatch):
    f = make_flow(world, test_database, tmp_path, good=20, bad=6, mode="full")
    monkeypatch.setattr(pipeline, "LOAD_BATCH_ROWS", 3)
    monkeypatch.setattr(writer, "PART_ROWS", 4)
    with pytest.raises(HuitongError, match="aborted"):
        run_load(world.db, f.store, world.actor("ga"), "hj", policy=LoadPolicy(max_reject_ratio=0.1))
    assert parquet_files(f.store) == set()
    assert not f.store.exists(f.code) or f.store.versions(f.code) == []
    f.store.close()


def test_many_rejects_are_stored_each_with_its_place_and_reason(world, test_database, tmp_path):
    """Rejects go to the database as tuples (a COPY on PostgreSQL from 100 rows): every one is
    stored, with the file, line, column, value and reason the load found."""
    f = make_flow(world, test_database, tmp_path, good=30, bad=150, mode="full")
    result = run_load(world.db, f.store, world.actor("ga"), "hj")
    assert (result.summary.rows_out, result.summary.rows_rejected) == (30, 150)
    with world.db.session() as s:
        stored = s.scalars(
            select(LoadReject).where(LoadReject.load_id == result.load_id).order_by(LoadReject.row)
        ).all()
    assert [r.row for r in stored] == list(range(32, 182))  # header line 1, then 30 good rows
    first = stored[0]
    assert first.file == f.export.name and first.sheet is None and first.item == "公民身份号码"
    assert first.column.startswith("A") and first.value == broken_id(30)
    assert "check digit is" in first.reason
    f.store.close()
