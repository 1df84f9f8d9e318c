"""Versions, time travel by snapshot and by time, diffs between versions, and expiring old versions.
Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from huitong.errors import HuitongError
from huitong.store import Store
from tests.store.conftest import CODE, LOG, by_key, enterprises, inspections

A = ("A0001", "甲", "1", date(2020, 1, 1))
B = ("B0002", "乙", "2", date(2020, 1, 2))
C = ("C0003", "丙", "3", date(2020, 1, 3))
D = ("D0004", "丁", "4", date(2020, 1, 4))


def three_versions(store: Store) -> tuple[list, list[datetime]]:
    """v1: A B; v2 (upsert): B changed, C added; v3 (full): A, B changed again, D.  Returns the
    versions and a moment just after each."""
    moments = []
    versions = []
    for mode, rows in (
        ("full", enterprises(A, B)),
        ("upsert", enterprises((B[0], "乙二", "2", B[3]), C)),
        ("full", enterprises(A, (B[0], "乙三", "2", B[3]), D)),
    ):
        versions.append(store.write(CODE, rows, mode, f"load-{len(versions) + 1}"))
        time.sleep(0.01)
        moments.append(datetime.now(UTC))
        time.sleep(0.01)
    return versions, moments


def test_versions_list_each_load_with_row_counts(keyed: Store):
    (v1, v2, v3), _ = three_versions(keyed)
    listed = keyed.versions(CODE)
    assert [v.snapshot_id for v in listed] == [v1.snapshot_id, v2.snapshot_id, v3.snapshot_id]
    assert [(v.mode, v.load_id, v.rows) for v in listed] == [
        ("full", "load-1", 2),
        ("upsert", "load-2", 3),
        ("full", "load-3", 3),
    ]
    assert [(v.inserted, v.updated, v.deleted) for v in listed] == [(2, 0, 0), (1, 1, 0), (1, 1, 1)]
    assert listed[0].committed_at < listed[1].committed_at < listed[2].committed_at
    assert listed[0].committed_at.tzinfo is UTC
    assert keyed.version(CODE) == v3 and keyed.version(CODE, snapshot_id=v1.snapshot_id) == v1


def test_read_any_past_version_by_snapshot_or_time(keyed: Store):
    (v1, v2, v3), (t1, t2, t3) = three_versions(keyed)
    assert set(by_key(keyed.read(CODE, snapshot_id=v1.snapshot_id))) == {A[0], B[0]}
    assert by_key(keyed.read(CODE, snapshot_id=str(v2.snapshot_id)))[B[0]]["企业名称"] == "乙二"
    assert set(by_key(keyed.read(CODE, as_of=t1))) == {A[0], B[0]}
    assert set(by_key(keyed.read(CODE, as_of=t2))) == {A[0], B[0], C[0]}
    assert set(by_key(keyed.read(CODE, as_of=t3))) == {A[0], B[0], D[0]}
    naive_utc = t2.astimezone(UTC).replace(tzinfo=None)  # naive datetimes are UTC
    assert keyed.version(CODE, as_of=naive_utc) == v2
    assert keyed.version(CODE, as_of=t1 + timedelta(hours=8)) == v3  # a later time sees the latest
    assert keyed.query(CODE, "select count(*) as n from t", as_of=t1).to_pylist() == [{"n": 2}]


def test_bad_versions_and_times_are_refused_clearly(keyed: Store):
    before_first = datetime.now(UTC) - timedelta(seconds=5)
    with pytest.raises(HuitongError, match="has not been loaded yet"):
        keyed.read(CODE, as_of=before_first)
    (v1, _, _), _ = three_versions(keyed)
    with pytest.raises(HuitongError) as err:
        keyed.read(CODE, as_of=before_first)
    assert err.value.code == "not_found" and "first kept version is from" in str(err.value)
    with pytest.raises(HuitongError) as err:
        keyed.read(CODE, snapshot_id=42)
    assert err.value.code == "not_found" and "has no version 42" in str(err.value)
    with pytest.raises(HuitongError, match="not a snapshot id"):
        keyed.read(CODE, snapshot_id="最新")
    with pytest.raises(HuitongError, match="not both"):
        keyed.read(CODE, snapshot_id=v1.snapshot_id, as_of=datetime.now(UTC))
    with pytest.raises(HuitongError, match="as_of must be a datetime"):
        keyed.read(CODE, as_of="2024-01-01")  # type: ignore[arg-type]


def test_an_unloaded_table_reads_empty(keyed: Store):
    empty = keyed.read(CODE)
    assert empty.num_rows == 0 and empty.column_names[0] == "统一社会信用代码"
    assert keyed.versions(CODE) == []


def test_diff_by_key_finds_added_removed_and_changed(keyed: Store):
    (v1, v2, v3), _ = three_versions(keyed)
    d = keyed.diff(CODE, v1.snapshot_id, v3.snapshot_id)
    assert d.counts() == {"added": 1, "removed": 0, "changed": 1}
    assert d.added.column("统一社会信用代码").to_pylist() == [D[0]]
    assert d.changed.to_pylist()[0]["企业名称"] == "乙三"
    assert d.changed_before.to_pylist()[0]["企业名称"] == "乙"
    back = keyed.diff(CODE, v3, v1)  # Version objects work too
    assert back.counts() == {"added": 0, "removed": 1, "changed": 1}
    d23 = keyed.diff(CODE, v2.snapshot_id)  # to the current version
    assert (d23.b, d23.key) == (v3.snapshot_id, ("统一社会信用代码",))
    assert d23.removed.column("统一社会信用代码").to_pylist() == [C[0]]
    assert d23.added.column("统一社会信用代码").to_pylist() == [D[0]]
    assert keyed.diff(CODE, v2.snapshot_id, v2.snapshot_id).is_empty
    with pytest.raises(HuitongError, match="has no version 7"):
        keyed.diff(CODE, 7)


def test_diff_after_an_append_reads_only_the_new_files(keyed: Store):
    v1 = keyed.write(CODE, enterprises(A, B), "full", "1")
    v2 = keyed.write(CODE, enterprises(C), "append", "2")
    d = keyed.diff(CODE, v1.snapshot_id, v2.snapshot_id)
    assert d.counts() == {"added": 1, "removed": 0, "changed": 0}
    assert d.added.to_pylist()[0]["企业名称"] == "丙"


def test_diff_without_key_compares_rows_as_multisets(unkeyed: Store):
    x = ("甲", datetime(2024, 1, 1, 9), True)
    y = ("乙", datetime(2024, 1, 2, 9), False)
    z = ("丙", datetime(2024, 1, 3, 9), True)
    v1 = unkeyed.write(LOG, inspections(x, x, y), "full", "1")
    v2 = unkeyed.write(LOG, inspections(x, y, y, z), "full", "2")
    assert (v2.inserted, v2.deleted, v2.updated) == (2, 1, 0)
    d = unkeyed.diff(LOG, v1.snapshot_id, v2.snapshot_id)
    assert sorted(r["检查对象"] for r in d.added.to_pylist()) == ["丙", "乙"]
    assert [r["检查对象"] for r in d.removed.to_pylist()] == ["甲"]
    assert d.changed.num_rows == 0 and d.key == ()


def data_files(store: Store) -> set[Path]:
    return set((store.warehouse / "huitong" / "r_101002_00001" / "data").glob("*.parquet"))


def test_expire_forgets_old_versions_and_deletes_their_files(keyed: Store):
    (v1, v2, v3), _ = three_versions(keyed)
    assert keyed.expire(CODE, timedelta(days=1)) == 0  # nothing that old
    files_before = data_files(keyed)
    assert keyed.expire(CODE, datetime.now(UTC) + timedelta(seconds=1), retain_last=2) == 1
    assert [v.snapshot_id for v in keyed.versions(CODE)] == [v2.snapshot_id, v3.snapshot_id]
    assert keyed.expire(CODE, datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert [v.snapshot_id for v in keyed.versions(CODE)] == [v3.snapshot_id]
    for old in (v1, v2):
        with pytest.raises(HuitongError, match=f"has no version {old.snapshot_id}"):
            keyed.read(CODE, snapshot_id=old.snapshot_id)
    with pytest.raises(HuitongError, match="first kept version"):
        keyed.read(CODE, as_of=v2.committed_at)
    assert set(by_key(keyed.read(CODE))) == {A[0], B[0], D[0]}
    files_after = data_files(keyed)
    assert files_after < files_before  # the expired versions' own files are gone
    # What remains is exactly what the current version reads.
    tbl = keyed.catalog.load_table(("huitong", "r_101002_00001"))
    live = {Path(t.file.file_path.removeprefix("file://")) for t in tbl.scan().plan_files()}
    assert files_after == live
    assert keyed.expire(CODE, datetime.now(UTC) + timedelta(seconds=1)) == 0  # the current one stays
    assert keyed.write(CODE, enterprises(C), "upsert", "after-expire").rows == 4


def test_expire_checks_its_arguments(keyed: Store):
    with pytest.raises(HuitongError, match="datetime or a timedelta"):
        keyed.expire(CODE, 30)  # type: ignore[arg-type]
    with pytest.raises(HuitongError, match="retain_last is 1 or more"):
        keyed.expire(CODE, timedelta(days=1), retain_last=0)
