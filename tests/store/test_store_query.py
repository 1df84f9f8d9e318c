"""SQL over a version through DuckDB: read-only, no files, no extensions, a time limit."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from huitong.errors import HuitongError
from huitong.store import Store, duck, query
from tests.store.conftest import CODE, enterprises

A = ("A0001", "杭州甲公司", "100.5", date(2020, 1, 1))
B = ("B0002", "宁波乙公司", "20", date(2021, 6, 1))


@pytest.fixture
def loaded(keyed: Store) -> Store:
    keyed.write(CODE, enterprises(A, B), "full", "1")
    return keyed


def test_sql_sees_the_version_as_t_with_chinese_columns(loaded: Store):
    out = loaded.query(
        CODE, "SELECT 企业名称, \"注册资本（万元）\" AS 资本 FROM t WHERE 企业名称 LIKE '杭州%'"
    )
    assert out.to_pylist() == [{"企业名称": "杭州甲公司", "资本": Decimal("100.5")}]
    total = query(loaded, CODE, 'select sum("注册资本（万元）") as s, count(*) as n from r_101002_00001')
    assert total.to_pylist() == [{"s": Decimal("120.5"), "n": 2}]
    assert loaded.query(CODE, "select * from t").column_names == [
        "统一社会信用代码",
        "企业名称",
        "注册资本（万元）",
        "成立日期",
    ]


def test_sql_runs_on_an_old_version(loaded: Store):
    v1 = loaded.versions(CODE)[0]
    loaded.write(CODE, enterprises(A), "full", "2")
    assert loaded.query(CODE, "select count(*) as n from t").to_pylist() == [{"n": 1}]
    assert loaded.query(CODE, "select count(*) as n from t", snapshot_id=v1.snapshot_id).to_pylist() == [
        {"n": 2}
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "COPY t TO '{tmp}/out.csv'",
        "COPY (SELECT * FROM t) TO '{tmp}/out.parquet' (FORMAT parquet)",
        "CREATE TABLE x AS SELECT * FROM t",
        "INSERT INTO t VALUES ('x', 'y', 1, DATE '2020-01-01')",
        "DELETE FROM t",
        "ATTACH '{tmp}/other.db' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "PRAGMA database_list",
        "EXPORT DATABASE '{tmp}/dump'",
    ],
)
def test_statements_other_than_select_are_refused(loaded: Store, tmp_path: Path, sql: str):
    with pytest.raises(HuitongError) as err:
        loaded.query(CODE, sql.format(tmp=tmp_path))
    assert err.value.code == "forbidden" and "only a SELECT" in str(err.value)
    assert not any(p.name.startswith(("out", "other", "dump")) for p in tmp_path.iterdir())


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('{secret}')",
        "SELECT * FROM read_text('{secret}')",
        "SELECT * FROM read_parquet('{tmp}/*.parquet')",
        "SELECT * FROM glob('{tmp}/*')",
        "SELECT * FROM '{secret}'",
        "SELECT * FROM read_json('http://127.0.0.1:9/x.json')",
        "SELECT * FROM query('COPY t TO ''{tmp}/out.csv''')",
    ],
)
def test_selects_cannot_read_files_or_the_network(loaded: Store, tmp_path: Path, sql: str):
    secret = tmp_path / "secret.csv"
    secret.write_text("password\nhunter2\n")
    with pytest.raises(HuitongError) as err:
        loaded.query(CODE, sql.format(secret=secret, tmp=tmp_path))
    assert err.value.code in {"forbidden", "invalid"}
    assert "hunter2" not in str(err.value)


def test_configuration_is_locked_and_extensions_never_load():
    con = duck.connect()
    try:
        settings = dict(
            con.sql(
                "select name, value from duckdb_settings() where name in ("
                "'enable_external_access', 'autoinstall_known_extensions', 'autoload_known_extensions', "
                "'lock_configuration', 'allow_community_extensions')"
            ).fetchall()
        )
        assert settings == {
            "enable_external_access": "false",
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
            "lock_configuration": "true",
            "allow_community_extensions": "false",
        }
        with pytest.raises(duckdb.Error):
            con.sql("SET autoload_known_extensions = true")
    finally:
        con.close()


def test_python_variables_are_not_visible_to_sql(loaded: Store):
    secret_table = enterprises(A)  # noqa: F841 - a replacement scan would find it by name
    with pytest.raises(HuitongError, match="secret_table"):
        loaded.query(CODE, "select * from secret_table")


def test_a_long_query_is_stopped_at_its_time_limit(loaded: Store):
    started = time.monotonic()
    with pytest.raises(HuitongError) as err:
        loaded.query(CODE, "SELECT count(*) FROM range(1000000000000) a, t", timeout=0.5)
    assert err.value.code == "query_timeout" and err.value.status == 408
    assert "0.5 s limit" in str(err.value)
    assert time.monotonic() - started < 5
    assert loaded.query(CODE, "select 1 as one").to_pylist() == [{"one": 1}]  # the store still works


def test_bad_sql_is_a_clear_error(loaded: Store):
    for sql, expected in (
        ("", "the query is empty"),
        ("SELEC 1", "not valid SQL"),
        ("SELECT 1; SELECT 2", "one statement at a time"),
        ("SELECT no_such_column FROM t", "the query failed"),
        ("SELECT * FROM other_table", "the query failed"),
    ):
        with pytest.raises(HuitongError, match=expected) as err:
            loaded.query(CODE, sql)
        assert err.value.status == 422
