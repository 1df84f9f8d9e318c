"""The pyiceberg seam's contract: the calls the store builds its commits from still write, overwrite
and read as the store relies on (one snapshot per commit, overwritten files gone from the current
version, earlier snapshots still readable). Run first when upgrading pyiceberg."""

from __future__ import annotations

import uuid

import pyarrow as pa

from huitong.store import _iceberg as ice


def _table(tmp_path):
    catalog = ice.SqlCatalog(
        "seam", uri=f"sqlite:///{tmp_path / 'catalog.db'}", warehouse=f"file://{tmp_path / 'warehouse'}"
    )
    catalog.create_namespace("t")
    schema = ice.Schema(
        ice.NestedField(1, "姓名", ice.StringType(), required=False),
        ice.NestedField(2, "金额", ice.DecimalType(38, 10), required=False),
    )
    return catalog.create_table("t.people", schema=schema)


def _commit(tbl, add: pa.Table, delete=()) -> None:
    with tbl.transaction() as tx:
        update = tx.update_snapshot()
        with update.overwrite() if delete else update.fast_append() as producer:
            for f in delete:
                producer.delete_data_file(f)
            for f in ice.data_files(tx.table_metadata, add, tbl.io, producer.commit_uuid):
                producer.append_data_file(f)


def _rows(n: int, start: int = 0) -> pa.Table:
    from decimal import Decimal

    return pa.table(
        {
            "姓名": pa.array([f"居民{i}" for i in range(start, start + n)]),
            "金额": pa.array([Decimal(i) for i in range(start, start + n)], pa.decimal128(38, 10)),
        }
    )


def test_write_overwrite_and_read_back_through_the_seam(tmp_path):
    tbl = _table(tmp_path)
    _commit(tbl, _rows(3))
    first = tbl.current_snapshot()
    assert tbl.scan().to_arrow().num_rows == 3
    files = [t.file for t in tbl.scan().plan_files()]
    _commit(tbl, _rows(2, start=10), delete=files)
    tbl = tbl.refresh()
    now = tbl.scan().to_arrow()
    assert sorted(now.column("姓名").to_pylist()) == ["居民10", "居民11"]
    assert now.column("金额").type == pa.decimal128(38, 10)
    assert len(tbl.metadata.snapshots) == 2  # one snapshot per commit, not a delete and an append
    assert tbl.scan(snapshot_id=first.snapshot_id).to_arrow().num_rows == 3  # time travel


def test_data_files_are_parquet_files_of_the_table(tmp_path):
    tbl = _table(tmp_path)
    files = list(ice.data_files(tbl.metadata, _rows(5), tbl.io, uuid.uuid4()))
    assert files and sum(f.record_count for f in files) == 5
    assert all(str(f.file_path).endswith(".parquet") for f in files)


def test_the_pinned_version_is_the_installed_one():
    import pyiceberg

    assert pyiceberg.__version__ == ice.PINNED
