"""A version written in parts is the version written at once: same rows, hash, counts and errors,
and a writer that does not commit leaves no file behind."""

from __future__ import annotations

import itertools
import os
import shutil
import time
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huitong.catalog.model import DataItem, DataType
from huitong.errors import Conflict, HuitongError
from huitong.store import Store, writer
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


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory) -> Store:
    base: Path = tmp_path_factory.mktemp("parts")
    store = Store(f"sqlite:///{base / 'meta.db'}", base / "warehouse")
    yield store
    store.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    keyed=st.booleans(),
    before=st.lists(st.tuples(st.sampled_from("abcdefgh"), VALUES), max_size=8),
    after=st.lists(st.tuples(st.sampled_from("abcdefgh"), VALUES), max_size=12),
    cuts=st.lists(st.integers(min_value=0, max_value=12), max_size=4),
    part_rows=st.integers(min_value=1, max_value=5),
    mode=st.sampled_from(["full", "append", "upsert"]),
)
def test_parts_make_the_same_version_as_one_write(
    sqlite_store, monkeypatch, keyed, before, after, cuts, part_rows, mode
):
    if keyed:
        before, after = list(dict(before).items()), list(dict(after).items())
        if mode == "append":
            after = [(k.upper(), v) for k, v in after]  # new keys
    elif mode == "upsert":
        mode = "full"
    monkeypatch.setattr(writer, "PART_ROWS", part_rows)
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
