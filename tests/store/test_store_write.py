"""Loads: full, append and upsert, each one snapshot; idempotent reloads; types and Chinese text;
tables following their data items; clear errors.  Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import create_engine, inspect

from huitong.catalog.model import DataItem, DataType
from huitong.errors import HuitongError
from huitong.store import Store
from tests.store.conftest import CODE, ENTERPRISE, INSPECTION, LOG, by_key, enterprises, inspections

A = ("91330100MA27XXXX1A", "杭州甲科技有限公司", "100.5", date(2015, 3, 1))
B = ("91330100MA27XXXX2B", "乙（杭州）贸易有限公司", "30", date(2018, 7, 9))
C = ("91330100MA27XXXX3C", "丙餐饮店", None, None)


def test_the_catalog_tables_live_in_the_metadata_database(store, test_database):
    store.ensure_table(CODE, ENTERPRISE)
    engine = create_engine(test_database.url)
    try:
        names = set(inspect(engine).get_table_names(schema=test_database.schema))  # PG: the test's schema
    finally:
        engine.dispose()
    assert {"iceberg_tables", "iceberg_namespace_properties"} <= names
    info = store.describe(CODE)
    assert info.table == "huitong.r_101002_00001" and info.key == ["统一社会信用代码"]
    assert info.location.startswith("file://") and "数据 warehouse" in info.location
    assert store.exists(CODE) and not store.exists("101002/09999")


def test_the_store_shares_a_migrated_huitong_database(db, test_database, tmp_path):
    """The Iceberg catalog's two tables sit beside huitong's own (same URL, same PG schema)."""
    with Store(test_database.url, tmp_path / "wh") as store:
        store.ensure_table(CODE, ENTERPRISE)
        store.write(CODE, enterprises(A), "full", "1")
        assert store.read(CODE).num_rows == 1
    names = set(inspect(db.engine).get_table_names())
    assert {"resource", "iceberg_tables"} <= names


def test_full_load_replaces_everything_in_one_snapshot(keyed: Store):
    v1 = keyed.write(CODE, enterprises(A, B), "full", "load-1")
    v2 = keyed.write(CODE, enterprises(B, C), "full", "load-2")
    assert (v1.mode, v1.load_id, v1.rows, v1.inserted) == ("full", "load-1", 2, 2)
    assert (v2.mode, v2.operation, v2.rows, v2.inserted, v2.updated, v2.deleted) == (
        "full",
        "overwrite",
        2,
        1,
        0,
        1,
    )
    assert sorted(by_key(keyed.read(CODE))) == sorted([B[0], C[0]])
    assert [v.snapshot_id for v in keyed.versions(CODE)] == [v1.snapshot_id, v2.snapshot_id]
    assert v2.parent_id == v1.snapshot_id


def test_append_adds_rows_and_refuses_keys_already_stored(keyed: Store):
    keyed.write(CODE, enterprises(A), "append", "1")
    v2 = keyed.write(CODE, enterprises(B), "append", "2")
    assert (v2.mode, v2.operation, v2.rows, v2.inserted) == ("append", "append", 2, 1)
    with pytest.raises(HuitongError) as err:
        keyed.write(CODE, enterprises(C, A), "append", "3")
    assert err.value.code == "conflict"
    assert f"统一社会信用代码={A[0]} is already stored" in str(err.value) and "upsert" in str(err.value)
    assert len(keyed.versions(CODE)) == 2


def test_upsert_replaces_by_key_and_adds_new_keys(keyed: Store):
    keyed.write(CODE, enterprises(A, B), "full", "1")
    changed_b = (B[0], "乙（杭州）贸易有限公司", "60", B[3])
    v2 = keyed.write(CODE, enterprises(changed_b, C), "upsert", "2")
    assert (v2.mode, v2.rows, v2.inserted, v2.updated, v2.deleted) == ("upsert", 3, 1, 1, 0)
    rows = by_key(keyed.read(CODE, columns=["统一社会信用代码", "注册资本（万元）", "_load_id"]))
    assert rows[B[0]]["注册资本（万元）"] == Decimal("60") and rows[B[0]]["_load_id"] == "2"
    assert rows[A[0]]["_load_id"] == "1"  # untouched rows keep their load
    assert len(keyed.versions(CODE)) == 2


def test_upsert_needs_a_key(unkeyed: Store):
    with pytest.raises(HuitongError, match="no key columns, so it cannot be loaded by upsert"):
        unkeyed.write(LOG, inspections(("甲", datetime(2024, 1, 1), True)), "upsert", "1")


def test_loading_the_same_content_again_makes_no_new_version(keyed: Store):
    v1 = keyed.write(CODE, enterprises(A, B), "full", "1")
    again = keyed.write(CODE, enterprises(B, A), "full", "2")  # same rows, other order
    assert again.unchanged and again.snapshot_id == v1.snapshot_id and again.load_id == "1"
    same_upsert = keyed.write(CODE, enterprises(A), "upsert", "3")
    assert same_upsert.unchanged
    v2 = keyed.write(CODE, enterprises(C), "append", "4")
    replay = keyed.write(CODE, enterprises(C), "append", "4-retry")
    assert replay.unchanged and replay.snapshot_id == v2.snapshot_id
    # A full load equal to what the table holds after the append is also no change.
    assert keyed.write(CODE, enterprises(A, B, C), "full", "5").unchanged
    assert keyed.read(CODE).num_rows == 3
    assert len(keyed.versions(CODE)) == 2


def test_unkeyed_append_replay_is_not_duplicated(unkeyed: Store):
    batch = inspections(("甲", datetime(2024, 1, 1, 9), True), ("甲", datetime(2024, 1, 1, 9), True))
    unkeyed.write(LOG, batch, "append", "1")
    assert unkeyed.write(LOG, batch, "append", "1-again").unchanged
    assert unkeyed.read(LOG).num_rows == 2  # repeated rows inside one load are kept


def test_snapshot_summary_carries_the_load(keyed: Store):
    v = keyed.write(CODE, enterprises(A, B), "full", "agg-load-17")
    tbl = keyed.catalog.load_table(("huitong", "r_101002_00001"))
    summary = tbl.current_snapshot().summary
    assert summary["huitong.load-id"] == "agg-load-17" and summary["huitong.mode"] == "full"
    assert summary["huitong.rows-in"] == "2" and summary["huitong.content-hash"] == v.content_hash
    assert len(v.content_hash) == 64
    assert v.as_dict()["snapshot_id"] == str(v.snapshot_id)


def test_first_load_may_be_empty_and_load_ids_are_generated(keyed: Store):
    v = keyed.write(CODE, enterprises(), "full")
    assert v.rows == 0 and len(v.load_id) == 32 and keyed.read(CODE).num_rows == 0
    assert keyed.write(CODE, enterprises(), "append").unchanged


def test_chinese_text_and_types_round_trip(store: Store):
    items = [
        DataItem("编号", DataType.I, is_key=True),
        DataItem("名称 (含空格).备注", DataType.M),
        DataItem("金额", DataType.N),
        DataItem("价款", DataType.Y),
        DataItem("日期", DataType.D),
        DataItem("时间", DataType.T),
        DataItem("合格", DataType.L),
        DataItem("附件", DataType.G),
        DataItem("比率", DataType.F),
    ]
    store.ensure_table("101003/0001A", items)
    text = "𠀀繁體「引号」，全角１２３ — emoji 🏛️"
    data = pa.table(
        {
            "编号": [1, 2],
            "名称 (含空格).备注": [text, None],
            "金额": [Decimal("12345678901234567890.0123456789"), Decimal("-0.5")],
            "价款": [Decimal("19.99"), None],
            "日期": [date(1949, 10, 1), date(2099, 12, 31)],
            "时间": [datetime(2024, 2, 29, 23, 59, 59, 999999), None],
            "合格": [True, False],
            "附件": [b"\x89PNG\x00", None],
            "比率": [0.1, None],
        }
    )
    store.write("101003/0001a", data, "full", "中文批次")
    got = store.read("101003/0001A").sort_by("编号").to_pylist()
    assert got[0] == {
        "编号": 1,
        "名称 (含空格).备注": text,
        "金额": Decimal("12345678901234567890.0123456789"),
        "价款": Decimal("19.99"),
        "日期": date(1949, 10, 1),
        "时间": datetime(2024, 2, 29, 23, 59, 59, 999999),
        "合格": True,
        "附件": b"\x89PNG\x00",
        "比率": 0.1,
    }
    assert got[1]["金额"] == Decimal("-0.5") and got[1]["名称 (含空格).备注"] is None
    assert store.read("101003/0001A", filter={"名称 (含空格).备注": text}).num_rows == 1
    assert (
        store.read("101003/0001A", filter={"金额": Decimal("12345678901234567890.0123456789")}).num_rows == 1
    )
    assert store.read("101003/0001A", filter={"金额": -0.5, "合格": False}).num_rows == 1
    assert store.versions("101003/0001A")[0].load_id == "中文批次"


def test_read_columns_filters_and_paging(keyed: Store):
    keyed.write(CODE, enterprises(A, B, C), "full", "1")
    only = keyed.read(CODE, columns=["企业名称"], filter={"统一社会信用代码": [A[0], C[0]]})
    assert only.column_names == ["企业名称"] and sorted(only.column(0).to_pylist()) == sorted([A[1], C[1]])
    assert keyed.read(CODE, filter={"注册资本（万元）": None}).num_rows == 1
    assert keyed.read(CODE, filter={"注册资本（万元）": Decimal("30"), "成立日期": B[3]}).num_rows == 1
    everything = keyed.read(CODE).column("统一社会信用代码").to_pylist()
    pages = [keyed.read(CODE, limit=2, offset=o).column("统一社会信用代码").to_pylist() for o in (0, 2, 4)]
    assert pages[0] + pages[1] == everything and pages[2] == []
    with pytest.raises(HuitongError, match="column 地址: not a data item"):
        keyed.read(CODE, columns=["地址"])
    with pytest.raises(HuitongError, match="column 成立日期: cannot compare"):
        keyed.read(CODE, filter={"成立日期": "去年"})
    with pytest.raises(HuitongError, match="limit must be a whole number"):
        keyed.read(CODE, limit=-1)


def test_schema_mismatch_names_the_column_and_stores_nothing(keyed: Store):
    keyed.write(CODE, enterprises(A), "full", "1")
    bad = enterprises(B).set_column(3, "成立日期", pa.array(["2018-07-09"]))
    with pytest.raises(HuitongError) as err:
        keyed.write(CODE, bad, "full", "2")
    assert err.value.status == 422 and err.value.problems[0].column == "成立日期"
    with pytest.raises(HuitongError, match="column 联系电话: not a data item"):
        keyed.write(CODE, enterprises(B).append_column("联系电话", pa.array(["0571"])), "full", "3")
    with pytest.raises(HuitongError, match="load mode 'merge'"):
        keyed.write(CODE, enterprises(B), "merge", "4")
    assert len(keyed.versions(CODE)) == 1


def test_unknown_resources_are_refused_clearly(store: Store):
    for call in (
        lambda: store.write("101002/09999", enterprises(A), "full", "1"),
        lambda: store.read("101002/09999"),
        lambda: store.versions("101002/09999"),
        lambda: store.query("101002/09999", "select 1"),
    ):
        with pytest.raises(HuitongError) as err:
            call()
        assert err.value.code == "not_found" and "101002/09999 has no data table" in str(err.value)
    with pytest.raises(HuitongError, match="not a resource code"):
        store.read("../etc")


def test_tables_follow_their_data_items(keyed: Store):
    v1 = keyed.write(CODE, enterprises(A), "full", "1")
    items = [*ENTERPRISE[:2], ENTERPRISE[3], DataItem("法定代表人", DataType.C)]  # capital dropped, one added
    info = keyed.ensure_table(CODE, items)
    assert [c.name for c in info.columns] == ["统一社会信用代码", "企业名称", "成立日期", "法定代表人"]
    now = keyed.read(CODE)
    assert now.column_names == [c.name for c in info.columns] and now.column("法定代表人").to_pylist() == [
        None
    ]
    then = keyed.read(CODE, snapshot_id=v1.snapshot_id)  # a version shows its own columns
    assert then.column_names == [c.name for c in ENTERPRISE]
    assert then.column("注册资本（万元）").to_pylist() == [Decimal("100.5")]
    asked = keyed.read(CODE, snapshot_id=v1.snapshot_id, columns=["企业名称", "法定代表人"])
    assert asked.to_pylist() == [{"企业名称": A[1], "法定代表人": None}]
    assert (
        keyed.query(CODE, 'select "注册资本（万元）" as c from t', snapshot_id=v1.snapshot_id).num_rows == 1
    )
    with pytest.raises(HuitongError, match="column 注册资本（万元）: not a data item"):
        keyed.read(CODE, filter={"注册资本（万元）": 1})
    with pytest.raises(HuitongError, match="column 法定代表人: this version has no such column"):
        keyed.read(CODE, snapshot_id=v1.snapshot_id, filter={"法定代表人": "张三"})
    data = pa.table(
        {"统一社会信用代码": [A[0]], "企业名称": [A[1]], "成立日期": [A[3]], "法定代表人": ["张三"]}
    )
    v2 = keyed.write(CODE, data, "upsert", "2")
    assert v2.updated == 1 and keyed.read(CODE, columns=["法定代表人"]).column(0).to_pylist() == ["张三"]
    with pytest.raises(HuitongError) as err:
        keyed.ensure_table(CODE, [*items[:3], DataItem("法定代表人", DataType.D)])
    assert err.value.code == "conflict" and err.value.problems[0].column == "法定代表人"


def test_ensure_table_is_idempotent_and_checks_the_key(store: Store):
    first = store.ensure_table(CODE, ENTERPRISE)
    assert store.ensure_table(CODE, ENTERPRISE) == first
    with pytest.raises(HuitongError, match="not one of the data items"):
        store.ensure_table(LOG, INSPECTION, key=["编号"])
    assert store.ensure_table(LOG, INSPECTION, key=["检查对象", "检查时间"]).key == ["检查对象", "检查时间"]


def test_a_bad_metadata_url_is_a_clear_error(tmp_path: Path):
    with pytest.raises(HuitongError, match="not a database URL"):
        Store("no-such-scheme", tmp_path)
    with pytest.raises(HuitongError) as err:
        Store("postgresql+psycopg://nobody:secret@127.0.0.1:1/none?connect_timeout=2", tmp_path)
    assert err.value.code == "unavailable" and "secret" not in str(err.value)


def test_from_settings_uses_the_data_directory(tmp_path: Path):
    from huitong.config import Settings

    with Store.from_settings(Settings(data_dir=tmp_path / "hd")) as store:
        store.ensure_table(CODE, ENTERPRISE)
        assert store.warehouse == (tmp_path / "hd" / "warehouse").resolve()
    assert (tmp_path / "hd" / "huitong.db").exists()


def test_a_new_key_must_identify_the_stored_rows(unkeyed: Store):
    x = ("甲", datetime(2024, 1, 1, 9), True)
    unkeyed.write(LOG, inspections(x, ("甲", datetime(2024, 1, 2, 9), False)), "full", "1")
    with pytest.raises(HuitongError) as err:
        unkeyed.ensure_table(LOG, INSPECTION, key=["检查对象"])
    assert err.value.code == "conflict" and "检查对象=甲 appears 2 times" in str(err.value)
    with pytest.raises(HuitongError, match="no values yet for the new key column"):
        unkeyed.ensure_table(LOG, [*INSPECTION, DataItem("编号", DataType.C)], key=["编号"])
    assert unkeyed.ensure_table(LOG, INSPECTION, key=["检查对象", "检查时间"]).key == ["检查对象", "检查时间"]
    assert unkeyed.write(LOG, inspections(x), "upsert", "2").unchanged
