"""SQL sources on SQLite, PostgreSQL and MariaDB: tables, read-only queries, incremental watermarks."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    create_engine,
    func,
    insert,
    select,
    text,
)

from huitong.aggregate.sources import open_source
from huitong.errors import HuitongError
from tests.aggregate.helpers import read_all, values
from tests.conftest import PG_BASE, need_pg, pg_url

# a table name with a space and Chinese, and a reserved word as a column: quoting must be right
TABLE = "低保 对象"


def dibao(engine) -> Table:
    md = MetaData()
    table = Table(
        TABLE,
        md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("姓名", String(50)),
        Column("金额", Numeric(12, 2)),
        Column("order", String(10)),
        Column("updated_at", DateTime),
    )
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(table),
            [
                {
                    "id": 1,
                    "姓名": "张三",
                    "金额": Decimal("1234.50"),
                    "order": "a",
                    "updated_at": datetime(2025, 1, 1, 8),
                },
                {
                    "id": 2,
                    "姓名": "李四",
                    "金额": Decimal("800.00"),
                    "order": "b",
                    "updated_at": datetime(2025, 1, 2, 8),
                },
                {"id": 3, "姓名": "王五", "金额": None, "order": None, "updated_at": datetime(2025, 1, 3, 8)},
            ],
        )
    return table


def people(engine) -> Table:
    md = MetaData()
    table = Table(
        "people",
        md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("name", String(50)),
        Column("district", String(20)),
        Column("updated_at", DateTime),
    )
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(table),
            [
                {
                    "id": i,
                    "name": f"居民{i}",
                    "district": "西湖区" if i % 2 else "上城区",
                    "updated_at": datetime(2025, 1, i),
                }
                for i in range(1, 9)
            ],
        )
    return table


def test_table_is_read_in_key_order_with_types_and_keys(sql_db):
    dibao(sql_db.engine)
    source = open_source("sql", url=sql_db.url, table=TABLE)
    d = source.describe()
    assert d.names == ["id", "姓名", "金额", "order", "updated_at"]
    rows = read_all(source)
    assert [(r.row, r.key, r.file) for r in rows] == [
        (1, "id=1", TABLE),
        (2, "id=2", TABLE),
        (3, "id=3", TABLE),
    ]
    assert rows[0].values == {
        "id": 1,
        "姓名": "张三",
        "金额": Decimal("1234.50"),
        "order": "a",
        "updated_at": datetime(2025, 1, 1, 8),
    }
    assert rows[2].problem("金额 is missing", "金额").message == "金额 is missing (id=3)"


def test_incremental_reads_by_watermark(sql_db):
    table = dibao(sql_db.engine)
    first = open_source("sql", url=sql_db.url, table=TABLE, watermark_column="updated_at")
    assert [r.values["id"] for r in read_all(first)] == [1, 2, 3]
    assert first.watermark == datetime(2025, 1, 3, 8)

    with sql_db.engine.begin() as conn:
        conn.execute(
            insert(table),
            [
                {"id": 4, "姓名": "赵六", "updated_at": datetime(2025, 1, 5, 9)},
                {"id": 5, "姓名": "钱七", "updated_at": datetime(2025, 1, 4, 9)},
            ],
        )
        conn.execute(table.update().where(table.c.id == 1).values(updated_at=datetime(2025, 1, 6, 10)))
    second = open_source(
        "sql", url=sql_db.url, table=TABLE, watermark_column="updated_at", watermark=first.watermark
    )
    assert [r.values["id"] for r in read_all(second)] == [5, 4, 1]  # in watermark order
    assert second.watermark == datetime(2025, 1, 6, 10)

    # nothing new: no rows, the watermark stays; the ISO text a config file keeps works too
    third = open_source(
        "sql", url=sql_db.url, table=TABLE, watermark_column="updated_at", watermark="2025-01-06T10:00:00"
    )
    assert read_all(third) == []
    assert third.watermark == "2025-01-06T10:00:00"


def test_query_with_parameters_and_watermark(sql_db):
    people(sql_db.engine)
    query = "SELECT id, name, updated_at FROM people WHERE district = :district;"
    source = open_source(
        "sql",
        url=sql_db.url,
        query=query,
        params={"district": "西湖区"},
        watermark_column="updated_at",
        watermark=datetime(2025, 1, 3),
    )
    assert source.describe().names == ["id", "name", "updated_at"]
    rows = read_all(source)
    assert [(r.row, r.values["id"], r.values["name"], r.file) for r in rows] == [
        (1, 5, "居民5", "query"),
        (2, 7, "居民7", "query"),
    ]
    assert str(source.watermark)[:10] == "2025-01-07"


def test_batches_stream_in_order(sql_db):
    table = people(sql_db.engine)
    with sql_db.engine.begin() as conn:
        conn.execute(
            insert(table),
            [{"id": i, "name": f"n{i}", "district": "x", "updated_at": None} for i in range(9, 2509)],
        )
    batches = list(open_source("sql", url=sql_db.url, table="people").batches(batch_size=1000))
    assert [len(b) for b in batches] == [1000, 1000, 508]
    assert [r.values["id"] for b in batches for r in b] == list(range(1, 2509))
    assert batches[-1][-1].row == 2508


def test_writing_queries_are_refused_and_nothing_changes(sql_db):
    table = people(sql_db.engine)
    for query in ("DELETE FROM people", "update people set name = 'x'", "SELECT 1; DROP TABLE people"):
        with pytest.raises(HuitongError) as caught:
            open_source("sql", url=sql_db.url, query=query)
        assert "this source only reads" in caught.value.message or "single statement" in caught.value.message
    # a name is a name, never SQL
    with pytest.raises(HuitongError, match="no table 'people; DROP TABLE people'"):
        open_source("sql", url=sql_db.url, table="people; DROP TABLE people").describe()
    with sql_db.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(table)) == 8


def test_missing_table_and_columns_are_named(sql_db):
    dibao(sql_db.engine)
    people(sql_db.engine)
    with pytest.raises(HuitongError) as caught:
        open_source("sql", url=sql_db.url, table="peple").describe()
    assert "no table 'peple'" in caught.value.message
    assert "people" in caught.value.message and TABLE in caught.value.message
    with pytest.raises(HuitongError) as caught:
        read_all(open_source("sql", url=sql_db.url, table="people", watermark_column="modified"))
    assert (
        caught.value.message
        == "people has no column 'modified' for the watermark; columns: id, name, district, updated_at"
    )
    with pytest.raises(HuitongError, match="is not a valid datetime for column 'updated_at'"):
        read_all(
            open_source(
                "sql", url=sql_db.url, table="people", watermark_column="updated_at", watermark="1' OR '1'='1"
            )
        )
    with pytest.raises(
        HuitongError, match="more than one column called id; give them distinct names with AS"
    ):
        read_all(
            open_source(
                "sql", url=sql_db.url, query="SELECT p.id, q.id FROM people p JOIN people q ON p.id = q.id"
            )
        )


def test_a_select_that_writes_is_refused_by_the_read_only_transaction():
    # nextval() writes although the statement is a SELECT: PostgreSQL itself must refuse it
    need_pg()
    schema = f"agg_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(pg_url(schema))
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE SEQUENCE 受理号"))
        with pytest.raises(HuitongError) as caught:
            read_all(open_source("sql", url=pg_url(schema), query="SELECT nextval('受理号') AS n"))
        assert "cannot execute nextval() in a read-only transaction" in caught.value.message
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT nextval('受理号')")) == 1  # never advanced
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def test_sqlite_is_opened_read_only_and_a_missing_file_is_not_created(tmp_path):
    missing = tmp_path / "missing.db"
    with pytest.raises(HuitongError, match="no database file"):
        open_source("sql", url=f"sqlite:///{missing}", table="t").describe()
    assert not missing.exists()


def test_connection_failures_never_show_the_password():
    need_pg()
    url = PG_BASE.replace("://", "://nobody_here:pa55-word@", 1)
    with pytest.raises(HuitongError) as caught:
        open_source("sql", url=url, table="t").describe()
    err = caught.value
    assert "cannot connect to postgresql+psycopg://nobody_here:***@127.0.0.1" in err.message
    assert "pa55-word" not in str(err) and "pa55-word" not in repr(err.problems)


def test_configuration_errors():
    with pytest.raises(HuitongError, match="needs either table or query"):
        open_source("sql", url="sqlite:///x.db")
    with pytest.raises(HuitongError, match="needs either table or query"):
        open_source("sql", url="sqlite:///x.db", table="a", query="select 1")
    with pytest.raises(HuitongError, match="is not a database URL"):
        open_source("sql", url="not a url", table="a").describe()


def test_values_helper_reads_sqlite_in_plain_python(tmp_path):
    url = f"sqlite:///{tmp_path / 'v.db'}"
    engine = create_engine(url)
    people(engine)
    engine.dispose()
    rows = read_all(
        open_source("sql", url=url, query="SELECT name FROM people WHERE id <= :n", params={"n": 2})
    )
    assert values(rows) == [{"name": "居民1"}, {"name": "居民2"}]


def test_stopping_early_leaves_the_database_usable(sql_db):
    table = people(sql_db.engine)
    with sql_db.engine.begin() as conn:
        conn.execute(insert(table), [{"id": i, "name": f"n{i}", "district": "x"} for i in range(9, 3009)])
    source = open_source("sql", url=sql_db.url, table="people")
    batches = source.batches(batch_size=100)
    assert [r.values["id"] for r in next(batches)][:3] == [1, 2, 3]
    batches.close()  # the pipeline gave up after the first batch: no draining of the other 2,900 rows
    assert len(read_all(open_source("sql", url=sql_db.url, table="people"))) == 3008
