"""A load killed with SIGKILL leaves the previous version readable and unchanged, and the next load
works.  The load runs in a child process; it is killed while writing its Parquet data, and (in a
second test) at the last moment before the commit, with the new metadata file already written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from huitong.store import Store
from tests.store.conftest import CODE, ENTERPRISE, by_key, enterprises

ROOT = Path(__file__).resolve().parents[2]

WORKER = r"""
import sys, time
from pathlib import Path
import pyarrow as pa, pyarrow.compute as pc
from huitong.store import Store

url, warehouse, code, rows, pause, marks = sys.argv[1:7]
marks = Path(marks)
if pause == "before-commit":
    from pyiceberg.catalog.sql import SqlCatalog
    write_metadata = SqlCatalog._write_metadata

    def write_then_wait(metadata, io, metadata_path):
        write_metadata(metadata, io, metadata_path)
        if metadata.current_snapshot_id is not None:
            (marks / "partial").write_text(metadata_path)
            (marks / "partial").rename(marks / "metadata-written")  # appears complete or not at all
            time.sleep(120)

    SqlCatalog._write_metadata = staticmethod(write_then_wait)
store = Store(url, warehouse)
n = int(rows)
ids = pc.cast(pa.array(range(n), pa.int64()), pa.string())
data = pa.table({
    "统一社会信用代码": pc.binary_join_element_wise("K", ids, ""),
    "企业名称": pc.binary_join_element_wise("第", ids, "号企业", ""),
    "注册资本（万元）": pa.array(range(n), pa.int64()),
    "成立日期": pa.array([None] * n, pa.date32()),
})
(marks / "loading").write_text("")
store.write(code, data, "full", "doomed")
(marks / "done").write_text("")
"""


def wait_for(check: Callable[[], bool], proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the loader ended early ({proc.returncode}): {err.decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the loader did not reach the point to kill it")
        time.sleep(0.002)


def start_loader(
    store: Store, url: str, tmp_path: Path, rows: int, pause: str
) -> tuple[subprocess.Popen, Path]:
    marks = tmp_path / "marks"
    marks.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, url, str(store.warehouse), CODE, str(rows), pause, str(marks)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return proc, marks


def data_dir(store: Store) -> Path:
    return store.warehouse / "huitong" / "r_101002_00001" / "data"


def metadata_files(store: Store) -> set[Path]:
    return set((store.warehouse / "huitong" / "r_101002_00001" / "metadata").glob("*.metadata.json"))


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def check_previous_version_survives(store: Store, before: list) -> None:
    assert store.versions(CODE) == before
    rows = by_key(store.read(CODE))
    assert set(rows) == {"A0001", "B0002"} and rows["A0001"]["企业名称"] == "甲"
    assert store.query(CODE, "select count(*) as n from t").to_pylist() == [{"n": 2}]
    after = store.write(CODE, enterprises(("C0003", "丙", "3", None)), "upsert", "next")
    assert not after.unchanged and after.parent_id == before[-1].snapshot_id
    assert set(by_key(store.read(CODE))) == {"A0001", "B0002", "C0003"}
    assert len(store.versions(CODE)) == 2


@pytest.fixture
def first_version(keyed: Store) -> list:
    keyed.write(CODE, enterprises(("A0001", "甲", "1", None), ("B0002", "乙", "2", None)), "full", "kept")
    return keyed.versions(CODE)


def test_killed_while_writing_data(keyed: Store, first_version, test_database, tmp_path: Path):
    old_files = set(data_dir(keyed).glob("*.parquet"))
    proc, marks = start_loader(keyed, test_database.url, tmp_path, 300_000, "none")
    wait_for(lambda: (marks / "loading").exists(), proc)
    wait_for(lambda: bool(set(data_dir(keyed).glob("*.parquet")) - old_files), proc)
    kill(proc)
    assert not (marks / "done").exists()
    assert set(data_dir(keyed).glob("*.parquet")) - old_files  # the half-written file is left over
    fresh = Store(test_database.url, keyed.warehouse)  # as after a restart
    try:
        check_previous_version_survives(fresh, first_version)
    finally:
        fresh.close()


def test_killed_just_before_the_commit(keyed: Store, first_version, test_database, tmp_path: Path):
    before_meta = metadata_files(keyed)
    proc, marks = start_loader(keyed, test_database.url, tmp_path, 20_000, "before-commit")
    wait_for(lambda: (marks / "metadata-written").exists(), proc)
    kill(proc)
    written = Path((marks / "metadata-written").read_text().removeprefix("file://"))
    assert (
        written.exists() and written in metadata_files(keyed) - before_meta
    )  # complete, but never committed
    check_previous_version_survives(keyed, first_version)
    assert keyed.describe(CODE).columns[0].name == ENTERPRISE[0].name
