"""A department's GBK export loaded end to end: source, proposed mapping, normalise and
validate, rejects with row and column, a version in the store, idempotence, time travel."""

from __future__ import annotations

import gc
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from huitong.aggregate import registry
from huitong.aggregate.mapping import propose_mapping
from huitong.aggregate.pipeline import run_load
from huitong.aggregate.tables import LoadReject, LoadRun
from huitong.aggregate.validate import LoadPolicy
from huitong.catalog import service as catalog
from huitong.catalog.model import DataItem, DataType
from huitong.errors import HuitongError
from huitong.standards.idcard import make_id_number
from huitong.store import Store
from tests.world import spec

ITEMS = [
    DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
    DataItem("姓名", DataType.C, 50, element="DE01002", required=True),
    DataItem("性别", DataType.C, 1, element="DE01003"),
    DataItem("出生日期", DataType.D),
]
GOOD_1 = make_id_number("330106", date(1949, 12, 31), 1)
GOOD_2 = make_id_number("330106", date(1949, 12, 31), 2)
BAD = GOOD_1[:-1] + ("0" if GOOD_1[-1] != "0" else "1")  # a wrong check character
EXPORT = (
    "杭州市公安局常住人口信息（2026年11月）\n"
    "身份证号,姓名,性别,出生日期\n"
    f"{GOOD_1},张三,男,1949年12月31日\n"
    f"{GOOD_2},李四,女,1949/12/31\n"
    f"{BAD},王五,男,19491231\n"
)


@pytest.fixture
def loading(world, test_database, tmp_path):
    with world.db.session() as s:
        code = catalog.create(s, world.actor("ga"), spec(world.police, items=ITEMS)).code
    path = tmp_path / "人口.csv"
    path.write_bytes(EXPORT.encode("gbk"))
    with world.db.session() as s:
        registry.add_source(s, world.actor("ga"), "hj", code, "csv", {"path": str(path)}, mode="upsert")
        desc = registry.describe_source(s, world.actor("ga"), "hj")
        proposals = propose_mapping([c.name for c in desc.columns], ITEMS)
        registry.save_mapping(s, world.actor("ga"), "hj", proposals.to_mapping().to_dict())
    store = Store(test_database.url, tmp_path / "warehouse")
    yield world, store, code, path
    store.close()


def test_a_gbk_export_loads_with_rejects_located_and_a_new_version(loading):
    world, store, code, path = loading
    result = run_load(world.db, store, world.actor("ga"), "hj")
    assert result.status == "loaded" and result.summary.rows_in == 3 and result.summary.rows_out == 2
    rows = store.read(code).to_pylist()
    assert {r["公民身份号码"]: (r["姓名"], r["性别"]) for r in rows} == {
        GOOD_1: ("张三", "1"),
        GOOD_2: ("李四", "2"),
    }
    with world.db.session() as s:
        [reject] = s.scalars(select(LoadReject).where(LoadReject.load_id == result.load_id)).all()
        assert (reject.row, reject.value) == (5, BAD) and "身份证号" in reject.column
        run = s.get(LoadRun, result.load_id)
        assert (run.rows_in, run.rows_out, run.rows_rejected, run.status) == (3, 2, 1, "loaded")
        assert run.snapshot_id == str(result.snapshot_id) and run.mapping_version == 1


def test_loading_the_same_file_twice_adds_nothing_and_upsert_keeps_history(loading):
    world, store, code, path = loading
    first = run_load(world.db, store, world.actor("ga"), "hj")
    again = run_load(world.db, store, world.actor("ga"), "hj")
    assert again.status == "unchanged" and len(store.read(code)) == 2 and len(store.versions(code)) == 1
    path.write_bytes(EXPORT.replace("李四", "李思").encode("gbk"))
    changed = run_load(world.db, store, world.actor("ga"), "hj")
    assert changed.status == "loaded" and len(store.versions(code)) == 2
    names = {r["姓名"] for r in store.read(code).to_pylist()}
    old = {r["姓名"] for r in store.read(code, snapshot_id=first.snapshot_id).to_pylist()}
    assert names == {"张三", "李思"} and old == {"张三", "李四"}


def test_too_many_rejects_abort_and_leave_the_store_untouched(loading):
    world, store, code, path = loading
    with pytest.raises(HuitongError, match="aborted"):
        run_load(world.db, store, world.actor("ga"), "hj", policy=LoadPolicy(max_reject_ratio=0.1))
    assert not store.exists(code) or store.versions(code) == []
    with world.db.session() as s:
        run = s.scalars(select(LoadRun)).one()
        assert run.status == "aborted" and run.rows_rejected == 1


def test_only_the_providers_administrator_runs_a_load(loading):
    world, store, code, path = loading
    with pytest.raises(HuitongError):
        run_load(world.db, store, world.actor("mz"), "hj")


def test_a_key_repeated_many_batches_later_is_a_located_reject_not_a_failed_load(loading):
    world, store, code, path = loading
    lines = ["身份证号,姓名,性别,出生日期"]
    lines += [
        f"{make_id_number('330106', date(1949, 12, 1 + i // 999), i % 999 + 1)},人{i},男,1949-12-01"
        for i in range(2500)
    ]
    lines.append(lines[1].split(",")[0] + ",重复,女,1949-12-01")  # row 2's number again, at row 2502
    path.write_bytes("\n".join(lines).encode("gbk"))
    result = run_load(world.db, store, world.actor("ga"), "hj")
    assert result.status == "loaded" and result.summary.rows_out == 2500
    with world.db.session() as s:
        [reject] = s.scalars(select(LoadReject).where(LoadReject.load_id == result.load_id)).all()
    assert reject.row == 2502 and "already in row 2" in reject.reason


def test_an_identical_re_send_is_recognised_before_it_is_read(loading):
    world, store, code, path = loading
    first = run_load(world.db, store, world.actor("ga"), "hj")
    again = run_load(world.db, store, world.actor("ga"), "hj")
    assert again.status == "unchanged" and "not read again" in again.message
    assert (again.summary.rows_in, again.summary.rows_rejected, again.snapshot_id) == (
        3,
        1,
        first.snapshot_id,
    )
    with world.db.session() as s:
        run = s.get(LoadRun, again.load_id)
        assert run.notes["same_input_as"] == first.load_id and run.input_hash
        # the re-send's own report is complete: the reject is there, at its row and value
        [reject] = s.scalars(select(LoadReject).where(LoadReject.load_id == again.load_id)).all()
        assert (reject.row, reject.value) == (5, BAD)
    # a different policy could decide differently: the file is read again
    stricter = run_load(world.db, store, world.actor("ga"), "hj", policy=LoadPolicy(max_rejects=5))
    assert stricter.status == "unchanged" and "not read again" not in (stricter.message or "")


def test_a_re_send_is_read_again_when_the_current_version_is_not_its_own(loading, tmp_path):
    world, store, code, path = loading
    run_load(world.db, store, world.actor("ga"), "hj")
    other = tmp_path / "人口-补报.csv"  # another source writes the same resource in between
    other.write_bytes(EXPORT.replace("李四", "李思").encode("gbk"))
    with world.db.session() as s:
        registry.add_source(s, world.actor("ga"), "hj2", code, "csv", {"path": str(other)}, mode="upsert")
        desc = registry.describe_source(s, world.actor("ga"), "hj2")
        mapping = propose_mapping([c.name for c in desc.columns], ITEMS).to_mapping()
        registry.save_mapping(s, world.actor("ga"), "hj2", mapping.to_dict())
    assert run_load(world.db, store, world.actor("ga"), "hj2").status == "loaded"
    back = run_load(world.db, store, world.actor("ga"), "hj")  # the same file as hj's last load
    assert back.status == "loaded" and "not read again" not in (back.message or "")
    assert {r["姓名"] for r in store.read(code).to_pylist()} == {"张三", "李四"}


def test_the_progress_of_a_load_says_how_many_rows_to_expect(loading):
    """The bar's ETA comes from the source's estimate: exact for a small file, close for a big one."""
    world, store, code, path = loading
    seen: list[tuple[int, int | None]] = []
    run_load(
        world.db, store, world.actor("ga"), "hj", progress=lambda n, expected: seen.append((n, expected))
    )
    assert seen == [(3, 3)]
    lines = ["标题", "身份证号,姓名,性别,出生日期"]
    born = [date(1950, 1, 1) + timedelta(days=i // 999) for i in range(30_000)]
    lines += [f"{make_id_number('330106', b, i % 999 + 1)},人{i},男,{b}" for i, b in enumerate(born)]
    path.write_bytes("\n".join(lines).encode("gbk"))  # 1.4 MB: the estimate reads the first megabyte
    seen.clear()
    result = run_load(
        world.db, store, world.actor("ga"), "hj", progress=lambda n, expected: seen.append((n, expected))
    )
    assert result.summary.rows_rejected == 0 and sum(n for n, _ in seen) == 30_000
    assert all(abs(expected - 30_000) < 300 for _, expected in seen)


def test_a_load_runs_with_the_cyclic_collector_paused_and_gives_it_back(loading):
    """Its walks of the heap held the GIL for 5-7 % of a load; the load must not leave it off."""
    world, store, code, path = loading
    seen: list[bool] = []
    assert gc.isenabled()
    run_load(
        world.db, store, world.actor("ga"), "hj", progress=lambda n, expected: seen.append(gc.isenabled())
    )
    assert seen == [False] and gc.isenabled()
    path.write_bytes(b"\xff\xfe not a csv")  # a failed load gives it back too
    with pytest.raises(HuitongError):
        run_load(world.db, store, world.actor("ga"), "hj")
    assert gc.isenabled()
