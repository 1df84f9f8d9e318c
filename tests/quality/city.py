"""Two departments' person records with known mistakes in them, stored as real Iceberg versions,
and a Python reference that counts each rule's rows one by one (to check the SQL against)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from huitong.catalog import service as catalog
from huitong.catalog.model import DataItem, DataType
from huitong.standards.elements import get_builtin, validate_value
from huitong.standards.idcard import make_id_number
from huitong.store import Store
from tests.world import World, spec

PEOPLE_ITEMS = [
    DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
    DataItem("姓名", DataType.C, 50, element="DE01002", required=True),
    DataItem("性别", DataType.C, 1, element="DE01003"),
    DataItem("出生日期", DataType.D, element="DE01004"),
    DataItem("住址", DataType.C, 200, element="DE03002"),
    DataItem("年龄", DataType.I),
    DataItem("户籍状态", DataType.C, 2),
]
CIVIL_ITEMS = [
    DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
    DataItem("住址", DataType.C, 200, element="DE03002"),
]


def person(n: int) -> str:
    return make_id_number("330106", date(1960, 1, 1) + timedelta(days=37 * n), n % 1000)


def people(count: int, *, bad_every: int = 7) -> list[dict[str, Any]]:
    """Rows with mistakes at known places: a wrong check character, a missing name, a birth date
    that disagrees with the ID, a gender against its parity, an age out of range, an odd status."""
    rows = []
    for n in range(count):
        ident = person(n)
        born = date(int(ident[6:10]), int(ident[10:12]), int(ident[12:14]))
        gender = "1" if int(ident[16]) % 2 else "2"
        row = {
            "公民身份号码": ident,
            "姓名": f"居民{n}",
            "性别": gender,
            "出生日期": born,
            "住址": f"杭州市西湖区文三路{n}号",
            "年龄": 2026 - born.year,
            "户籍状态": "10",
        }
        if n % bad_every == 1:
            row["公民身份号码"] = ident[:-1] + ("0" if ident[-1] != "0" else "1")
        if n % bad_every == 2:
            row["姓名"] = None
        if n % bad_every == 3:
            row["出生日期"] = born + timedelta(days=1)
        if n % bad_every == 4:
            row["性别"] = "2" if gender == "1" else "1"
        if n % bad_every == 5:
            row["年龄"] = 190
        if n % bad_every == 6:
            row["户籍状态"] = "99"
        rows.append(row)
    return rows


def civil_rows(rows: list[dict[str, Any]], differ_every: int = 5) -> list[dict[str, Any]]:
    """民政's addresses of the same people; every ``differ_every``-th differs, every other one is
    the same address written with blanks (which the normalised comparison ignores)."""
    out = []
    for n, row in enumerate(rows):
        address = row["住址"]
        if n % differ_every == 0:
            address = f"杭州市拱墅区湖墅南路{n}号"
        elif n % 2:
            address = address.replace("西湖区", "西湖区 ")
        out.append({"公民身份号码": row["公民身份号码"], "住址": address})
    return out


def table(rows: list[dict[str, Any]], items: list[DataItem]) -> pa.Table:
    types = {DataType.C: pa.string(), DataType.D: pa.date32(), DataType.I: pa.int64()}
    return pa.table({it.name: pa.array([r.get(it.name) for r in rows], types[it.data_type]) for it in items})


@dataclass
class City:
    world: World
    store: Store
    people: str  # 公安's 人口 resource
    civil: str  # 民政's resource with addresses


def make_city(world: World, test_database, tmp_path: Path) -> City:
    with world.db.session() as s:
        people_code = catalog.create(s, world.actor("ga"), spec(world.police, items=PEOPLE_ITEMS)).code
        catalog.submit(s, world.actor("ga"), people_code)
        catalog.review(s, world.actor("op"), people_code, "approve")
        civil_code = catalog.create(
            s, world.actor("mz"), spec(world.civil, name="低保对象信息", items=CIVIL_ITEMS)
        ).code
        catalog.submit(s, world.actor("mz"), civil_code)
        catalog.review(s, world.actor("op"), civil_code, "approve")
    store = Store(test_database.url, tmp_path / "warehouse")
    store.ensure_table(people_code, PEOPLE_ITEMS)
    store.ensure_table(civil_code, CIVIL_ITEMS)
    return City(world, store, people_code, civil_code)


# ---------------------------------------------------------------- the Python reference


def _id_ok(value: str) -> bool:
    result = validate_value(get_builtin("DE01001"), value)
    return result.ok and result.value == value


def reference(kind: str, rows: list[dict[str, Any]], columns: list[str], **params) -> tuple[int, int]:
    """(rows checked, rows failing), counted one row at a time."""
    c0 = columns[0] if columns else None
    present = [r for r in rows if r.get(c0) is not None]
    if kind == "not_null":
        return len(rows), sum(1 for r in rows if r.get(c0) is None or str(r[c0]).strip() == "")
    if kind == "valid":
        return len(present), sum(1 for r in present if not _id_ok(r[c0]))
    if kind == "in_code_table":
        return len(present), sum(1 for r in present if str(r[c0]) not in params["values"])
    if kind == "pattern":
        return len(present), sum(1 for r in present if not re.fullmatch(params["regex"], str(r[c0])))
    if kind == "range":
        return len(present), sum(1 for r in present if not params["min"] <= r[c0] <= params["max"])
    if kind == "unique":
        keyed = [tuple(r[c] for c in columns) for r in rows if all(r.get(c) is not None for c in columns)]
        return len(keyed), len(keyed) - len(set(keyed))
    if kind == "birth_date_in_id":
        both = [r for r in rows if r.get(columns[0]) and r.get(columns[1]) is not None]
        return len(both), sum(1 for r in both if r[columns[0]][6:14] != r[columns[1]].strftime("%Y%m%d"))
    if kind == "gender_in_id":
        both = [r for r in rows if r.get(columns[0]) and r.get(columns[1]) in ("1", "2")]
        return len(both), sum(1 for r in both if (int(r[columns[0]][16]) % 2 == 1) != (r[columns[1]] == "1"))
    if kind == "referential":
        there = {r[params["column"]] for r in params["other"] if r.get(params["column"]) is not None}
        return len(present), sum(1 for r in present if r[c0] not in there)
    if kind == "cross_source":

        def norm(v):
            if v is None or params.get("exact"):
                return v
            return re.sub(r"\s+", "", v.strip().lower())

        there: dict[str, set] = {}
        for r in params["other"]:
            there.setdefault(r[params["key"]], set()).add(norm(r[c0]))
        matched = [r for r in rows if r.get(params["key"]) in there]
        bad = sum(
            1
            for r in matched
            if len(there[r[params["key"]]]) > 1 or norm(r[c0]) not in there[r[params["key"]]]
        )
        return len(matched), bad
    raise ValueError(kind)
