"""Fixtures for the store tests: a Store on the test metadata database (SQLite or PostgreSQL, one
schema per test) with its warehouse in the test's temporary directory, and small resources."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from huitong.catalog.model import DataItem, DataType
from huitong.store import Store

CODE = "101002/00001"  # keyed: enterprises by 统一社会信用代码
LOG = "101002/00002"  # no key: a log of inspections

ENTERPRISE = [
    DataItem("统一社会信用代码", DataType.C, is_key=True, element="DE01002"),
    DataItem("企业名称", DataType.C),
    DataItem("注册资本（万元）", DataType.N, name_en="registered capital"),
    DataItem("成立日期", DataType.D),
]
INSPECTION = [
    DataItem("检查对象", DataType.C),
    DataItem("检查时间", DataType.T),
    DataItem("是否合格", DataType.L),
]


def enterprises(*rows: tuple[str, str, str | None, date | None]) -> pa.Table:
    return pa.table(
        {
            "统一社会信用代码": [r[0] for r in rows],
            "企业名称": [r[1] for r in rows],
            "注册资本（万元）": pa.array(
                [None if r[2] is None else Decimal(r[2]) for r in rows], pa.decimal128(20, 4)
            ),
            "成立日期": pa.array([r[3] for r in rows], pa.date32()),
        }
    )


def inspections(*rows: tuple[str, datetime, bool]) -> pa.Table:
    return pa.table(
        {
            "检查对象": [r[0] for r in rows],
            "检查时间": pa.array([r[1] for r in rows], pa.timestamp("us")),
            "是否合格": [r[2] for r in rows],
        }
    )


def by_key(table: pa.Table, key: str = "统一社会信用代码") -> dict:
    return {r[key]: r for r in table.to_pylist()}


@pytest.fixture
def store(test_database, tmp_path) -> Iterator[Store]:
    s = Store(test_database.url, tmp_path / "数据 warehouse")
    yield s
    s.close()


@pytest.fixture
def keyed(store: Store) -> Store:
    store.ensure_table(CODE, ENTERPRISE)
    return store


@pytest.fixture
def unkeyed(store: Store) -> Store:
    store.ensure_table(LOG, INSPECTION)
    return store


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory) -> Iterator[Store]:
    """One SQLite store for a module's property tests (each example makes its own resource)."""
    base = tmp_path_factory.mktemp("module-store")
    store = Store(f"sqlite:///{base / 'meta.db'}", base / "warehouse")
    yield store
    store.close()
