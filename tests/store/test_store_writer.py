"""A version written in parts is the version written at once: same rows, hash, counts and errors,
and a writer that does not commit leaves no file behind."""

from __future__ import annotations

import errno
import itertools
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huitong.catalog.model import DataItem, DataType
from huitong.errors import Conflict, HuitongError
from huitong.store import Store, hashing, writer
from huitong.store import store as store_module
from tests.store.conftest import CODE, LOG, by_key, enterprises, inspections

KEYED = [DataItem("k", DataType.C, is_key=True), DataItem("v", DataType.N)]
PLAIN = [DataItem("k", DataType.C), DataItem("v", DataType.N)]
VALUES = st.one_of(st.none(), st.integers(min_value=-3, max_value=3))


def rows(pairs) -> pa.Table:
    return pa.table(
        {
            "k": pa.array([k for k, _ in pairs], pa.large_string()),
            "v": pa.array([None if v is None else Decimal(v) for _, v in pairs], pa.decimal128(38, 10)),
        }
    )


def pairs(t: pa.Table) -> Counter:
    return Counter((r["k"], None if r["v"] is None else int(r["v"])) for r in t.to_pylist())


def parquet_files(store: Store) -> set[Path]:
    return set(store.warehouse.rglob("*.parquet"))


def in_parts(store: Store, code: str, data: pa.Table, cuts: list[int], mode: str, load: str):
    with store.writer(code, mode, load) as version:
        start = 0
        for cut in [*sorted(c for c in cuts if 0 < c < data.num_rows), data.num_rows]:
            version.add(data.slice(start, cut - start))
            start = cut
        return version.commit()


_codes = itertools.count(1)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    keyed=st.booleans(),
    before=st.lists(st.tuples(st.sampled_from("abcdefgh"), VALUES), max_size=8),
    after=st.lists(st.tuples(st.sampled_from("abcdefgh"), VALUES), max_size=12),
    cuts=st.lists(st.integers(min_value=0, max_value=12), max_size=4),
    part_rows=st.integers(min_value=1, max_value=5),
    split_rows=st.sampled_from([1, 3, writer.SPLIT_ROWS]),
    mode=st.sampled_from(["full", "append", "upsert"]),
)
def test_parts_make_the_same_version_as_one_write(
    sqlite_store, monkeypatch, keyed, before, after, cuts, part_rows, split_rows, mode
):
    """Also when the last part is written as two side by side (``split_rows``)."""
    if keyed:
        before, after = list(dict(before).items()), list(dict(after).items())
        if mode == "append":
            after = [(k.upper(), v) for k, v in after]  # new keys
    elif mode == "upsert":
        mode = "full"
    monkeypatch.setattr(writer, "PART_ROWS", part_rows)
    monkeypatch.setattr(writer, "SPLIT_ROWS", split_rows)
    results = []
    for how in ("once", "parts"):
        code = f"900002/{next(_codes):05d}"
        sqlite_store.ensure_table(code, KEYED if keyed else PLAIN)
        sqlite_store.write(code, rows(before), "full", "before")
        if how == "once":
            v = sqlite_store.write(code, rows(after), mode, "after")
        else:
            v = in_parts(sqlite_store, code, rows(after), cuts, mode, "after")
        results.append((v, pairs(sqlite_store.read(code)), len(sqlite_store.versions(code))))
    (once, once_rows, once_n), (parts, parts_rows, parts_n) = results
    assert parts_rows == once_rows
    assert parts_n == once_n
    assert parts.unchanged == once.unchanged
    assert (parts.inserted, parts.updated, parts.deleted, parts.rows) == (
        once.inserted,
        once.updated,
        once.deleted,
        once.rows,
    )
    assert parts.content_hash == once.content_hash


def test_a_key_repeated_in_a_later_part_is_refused_and_nothing_is_left(keyed, monkeypatch):
    monkeypatch.setattr(writer, "PART_ROWS", 2)
    before = parquet_files(keyed)
    one = enterprises(("91110000100000000A", "甲", None, None), ("91110000100000000B", "乙", None, None))
    two = enterprises(("91110000100000000C", "丙", None, None), ("91110000100000000A", "甲二", None, None))
    with pytest.raises(HuitongError) as err, keyed.writer(CODE, "full", "dupe") as version:
        version.add(one)
        version.add(two)  # the first part is on disk by now
        assert len(parquet_files(keyed)) > len(before)
        version.commit()
    assert "1 key(s) appear more than once" in err.value.message
    assert "统一社会信用代码=91110000100000000A appears 2 times" in [p.message for p in err.value.problems]
    assert parquet_files(keyed) == before
    assert keyed.versions(CODE) == []


def test_a_key_repeated_across_the_two_halves_of_the_last_part_is_refused(keyed, monkeypatch):
    """The remainder at the commit is written as two parts side by side: a key in both halves is
    still one key twice, and both halves' files are deleted."""
    monkeypatch.setattr(writer, "SPLIT_ROWS", 2)
    before = parquet_files(keyed)
    one = enterprises(("91110000100000000A", "甲", None, None), ("91110000100000000B", "乙", None, None))
    two = enterprises(("91110000100000000C", "丙", None, None), ("91110000100000000A", "甲二", None, None))
    with pytest.raises(HuitongError) as err, keyed.writer(CODE, "full", "dupe") as version:
        version.add(one)
        version.add(two)
        version.commit()
    assert "统一社会信用代码=91110000100000000A appears 2 times" in [p.message for p in err.value.problems]
    assert parquet_files(keyed) == before
    assert keyed.versions(CODE) == []


def test_a_missing_key_is_placed_in_the_whole_load(keyed, monkeypatch):
    monkeypatch.setattr(writer, "PART_ROWS", 2)
    one = enterprises(("91110000100000000A", "甲", None, None), ("91110000100000000B", "乙", None, None))
    two = enterprises(("91110000100000000C", "丙", None, None), (None, "无码", None, None))
    with pytest.raises(HuitongError) as err, keyed.writer(CODE, "full", "nokey") as version:
        version.add(one)
        version.add(two)
        version.commit()
    problem = err.value.problems[0]
    assert (problem.column, problem.row) == ("统一社会信用代码", 4)


def test_a_writer_left_without_commit_deletes_its_files(unkeyed, monkeypatch):
    monkeypatch.setattr(writer, "PART_ROWS", 1)
    before = parquet_files(unkeyed)
    with unkeyed.writer(LOG, "full", "left") as version:
        version.add(inspections(("某店", datetime(2026, 1, 5, 9), True)))
        version.add(inspections(("某厂", datetime(2026, 1, 6, 9), False)))
        assert len(parquet_files(unkeyed)) > len(before)  # the first part at least is on disk
    assert parquet_files(unkeyed) == before
    assert unkeyed.versions(LOG) == []


def test_an_unchanged_load_in_parts_leaves_no_files(keyed, monkeypatch):
    data = enterprises(*[(f"9111000010000000{i:02d}", f"企业{i}", None, None) for i in range(6)])
    first = keyed.write(CODE, data, "full", "first")
    files = parquet_files(keyed)
    monkeypatch.setattr(writer, "PART_ROWS", 2)
    again = in_parts(keyed, CODE, data.take([5, 4, 3, 2, 1, 0]), [2, 4], "full", "again")
    assert again.unchanged and again.snapshot_id == first.snapshot_id
    assert parquet_files(keyed) == files


def test_an_append_of_a_stored_key_in_a_later_part_is_a_conflict(keyed, monkeypatch):
    keyed.write(CODE, enterprises(("91110000100000000A", "甲", None, None)), "full", "first")
    files = parquet_files(keyed)
    monkeypatch.setattr(writer, "PART_ROWS", 1)
    data = enterprises(("91110000100000000B", "乙", None, None), ("91110000100000000A", "甲", None, None))
    with pytest.raises(Conflict) as err:
        in_parts(keyed, CODE, data, [1], "append", "again")
    assert "1 row(s) of this append have keys" in err.value.message
    assert parquet_files(keyed) == files
    assert len(keyed.versions(CODE)) == 1


def test_a_part_that_does_not_fit_stops_the_load_with_its_row(keyed, monkeypatch):
    monkeypatch.setattr(writer, "PART_ROWS", 2)
    before = parquet_files(keyed)
    good = enterprises(("91110000100000000A", "甲", "1.5", None), ("91110000100000000B", "乙", None, None))
    bad = pa.table(
        {
            "统一社会信用代码": ["91110000100000000C", "91110000100000000D"],
            "企业名称": ["丙", "丁"],
            "注册资本（万元）": pa.array([Decimal("1"), Decimal("0.00000000001")], pa.decimal128(24, 11)),
            "成立日期": pa.array([None, None], pa.date32()),
        }
    )
    with pytest.raises(HuitongError) as err, keyed.writer(CODE, "full", "misfit") as version:
        version.add(good)
        version.add(bad)  # written in the writer's thread: its error comes at the next call
        version.add(good.slice(0, 0))
        version.commit()
    problem = err.value.problems[0]
    assert (problem.column, problem.row, problem.value) == ("注册资本（万元）", 4, "1E-11")
    assert parquet_files(keyed) == before
    assert keyed.versions(CODE) == []


def test_expiry_removes_the_parts_a_killed_load_left_and_nothing_else(keyed):
    data = enterprises(("91110000100000000A", "甲", "1.5", None), ("91110000100000000B", "乙", None, None))
    keyed.write(CODE, data, "full", "first")
    [stored] = parquet_files(keyed)
    old, fresh = (
        stored.with_name("00000-0-killed-old.parquet"),
        stored.with_name("00000-0-killed-new.parquet"),
    )
    shutil.copy(stored, old)  # what a killed load leaves: Parquet no snapshot refers to
    shutil.copy(stored, fresh)
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    os.utime(stored, (two_days_ago, two_days_ago))
    assert keyed.expire(CODE, timedelta(0)) == 0  # the one version stays
    assert parquet_files(keyed) == {stored, fresh}  # a part younger than a day may be a running load's
    assert by_key(keyed.read(CODE)).keys() == {"91110000100000000A", "91110000100000000B"}


def test_a_failure_after_the_catalog_took_the_commit_keeps_the_files(keyed, monkeypatch):
    """Ctrl-C (or a dropped connection) just after the snapshot is committed: the version is
    there, so its files must be too."""
    real = store_module.version_of

    def interrupted(snap):
        monkeypatch.setattr(store_module, "version_of", real)
        raise KeyboardInterrupt

    monkeypatch.setattr(store_module, "version_of", interrupted)
    data = enterprises(("91110000100000000A", "甲", None, None), ("91110000100000000B", "乙", None, None))
    with pytest.raises(KeyboardInterrupt):
        keyed.write(CODE, data, "full", "interrupted")
    assert len(keyed.versions(CODE)) == 1
    assert by_key(keyed.read(CODE)).keys() == {"91110000100000000A", "91110000100000000B"}


def test_a_writer_whose_part_failed_cannot_commit_the_rest(keyed, monkeypatch):
    monkeypatch.setattr(writer, "PART_ROWS", 2)
    good = enterprises(("91110000100000000A", "甲", None, None), ("91110000100000000B", "乙", None, None))
    misfit = pa.table(
        {
            "统一社会信用代码": ["91110000100000000C", "91110000100000000D"],
            "企业名称": ["丙", "丁"],
            "注册资本（万元）": pa.array([Decimal("1"), Decimal("0.00000000001")], pa.decimal128(24, 11)),
            "成立日期": pa.array([None, None], pa.date32()),
        }
    )
    with keyed.writer(CODE, "full", "partial") as version:
        version.add(good)
        version.add(misfit)
        with pytest.raises(HuitongError):
            for _ in range(50):  # the part's error comes at a later call
                version.add(good.slice(0, 0))
                time.sleep(0.01)
            version.commit()
        with pytest.raises(HuitongError):
            version.commit()  # not the two rows that were written: nothing
    assert keyed.versions(CODE) == []


def test_items_changed_during_a_load_are_a_conflict_and_nothing_is_left(store, monkeypatch):
    monkeypatch.setattr(writer, "PART_ROWS", 2)
    items = [DataItem("k", DataType.C, is_key=True), DataItem("a", DataType.C)]
    store.ensure_table("900003/00001", items)
    files = parquet_files(store)
    raced = store.writer("900003/00001", "full", "raced")
    with pytest.raises(Conflict, match="items changed while this load ran"), raced as version:
        version.add(pa.table({"k": ["x", "y"], "a": ["1", "2"]}))
        store.ensure_table("900003/00001", [items[0]])  # an operator drops item a meanwhile
        version.add(pa.table({"k": ["z"], "a": ["3"]}))
        version.commit()
    assert parquet_files(store) == files and store.versions("900003/00001") == []


def test_a_load_that_never_commits_leaves_the_columns_as_they_were(store, monkeypatch):
    monkeypatch.setattr(writer, "PART_ROWS", 2)
    code = "900003/00002"
    store.ensure_table(code, [DataItem("k", DataType.C, is_key=True), DataItem("gone", DataType.C)])
    store.write(code, pa.table({"k": ["a"], "gone": ["kept"]}), "full", "first")
    new = [DataItem("k", DataType.C, is_key=True), DataItem("added", DataType.C)]
    with store.writer(code, "full", "aborted", items=new) as version:
        version.add(pa.table({"k": ["a", "b"], "added": ["x", "y"]}))
        version.add(pa.table({"k": ["c", "d"], "added": ["x", "y"]}))
    assert [c.name for c in store.describe(code).columns] == ["k", "gone"]
    assert store.read(code).to_pylist() == [{"k": "a", "gone": "kept"}]
    with store.writer(code, "full", "committed", items=new) as version:  # the same rows, committed
        version.add(pa.table({"k": ["a", "b"], "added": ["x", "y"]}))
        version.add(pa.table({"k": ["c", "d"], "added": ["x", "y"]}))
        assert version.commit().rows == 4
    assert [c.name for c in store.describe(code).columns] == ["k", "added"]


def test_a_part_cut_short_by_a_full_disk_leaves_no_file(keyed, monkeypatch):
    monkeypatch.setattr(writer, "PART_ROWS", 2)
    real, calls = pq.ParquetWriter.write_table, []

    def full_disk(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", full_disk)
    rows = [(f"9111000010000000{i:02d}", f"企业{i}", None, None) for i in range(8)]
    with pytest.raises(HuitongError, match="No space left"), keyed.writer(CODE, "full", "disk") as version:
        for i in range(0, 8, 2):
            version.add(enterprises(*rows[i : i + 2]))
        version.commit()
    assert parquet_files(keyed) == set() and keyed.versions(CODE) == []


def test_a_forked_child_leaves_its_parents_spill_directory(tmp_path):
    script = (
        "import os, sys\n"
        "from huitong.store import duck\n"
        "con = duck.scratch(); spill = con.sql(\"SELECT current_setting('temp_directory')\").fetchall()[0][0]\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    sys.exit(0)\n"
        "os.waitpid(pid, 0)\n"
        "print(os.path.isdir(spill))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"


@settings(max_examples=60, deadline=None)
@given(
    keys=st.lists(st.tuples(st.sampled_from(["甲", "乙", "丙", None]), st.integers(0, 3)), max_size=20),
    cut=st.integers(0, 20),
)
def test_key_hashes_find_every_repeated_key(keys, cut):
    """The commit compares keys only when two share a hash; a repeated key always does, across
    parts too (distinct keys of a small sample never collide in 64 bits)."""
    table = pa.table({"a": pa.array([k[0] for k in keys], pa.string()), "b": [k[1] for k in keys]})
    runs = [
        hashing.key_hashes(table.slice(0, cut), ["a", "b"]),
        hashing.key_hashes(table.slice(cut), ["a", "b"]),
    ]
    assert all(list(r) == sorted(r) for r in runs)
    assert hashing.all_distinct(runs) == (len(set(keys)) == len(keys))
