"""A small city's items and name pools, shared by the base-library tests that build their own world
(the console's pages and the sharing of a base library)."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from huitong.catalog.model import DataItem, DataType
from huitong.standards.idcard import make_id_number

NAME = DataItem("姓名", DataType.C, 50, element="DE01002", required=True)
ID = DataItem("公民身份号码", DataType.C, 18, element="DE01001")
BIRTH = DataItem("出生日期", DataType.D, 10, element="DE01004")
ADDRESS = DataItem("住址", DataType.C, 200, element="DE03002")
POLICE = [
    DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
    NAME,
    BIRTH,
    ADDRESS,
]
CIVIL = [DataItem("档案编号", DataType.C, 30, is_key=True, required=True), NAME, ID, BIRTH, ADDRESS]
TARGET = [
    DataItem("基础库标识", DataType.C, 20, is_key=True, required=True),
    DataItem("姓名", DataType.C, 50, element="DE01002"),
    ID,
    BIRTH,
    DataItem("性别", DataType.C, 1, element="DE01003"),
    ADDRESS,
    DataItem("手机号码", DataType.C, 11, element="DE04001"),
    DataItem("来源记录数", DataType.I),
    DataItem("字段来源", DataType.M),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超英霞平"
ROADS = ["文三路", "天目山路", "教工路", "学院路", "莫干山路", "延安路", "凤起路", "庆春路"]


def residents(n: int = 36, given=GIVEN) -> list[dict]:
    """公安's residents: valid ID numbers, names from the pools, one address each."""
    out = []
    for i in range(n):
        born = date(1950 + (i * 7) % 50, 1 + (i * 5) % 12, 1 + (i * 11) % 28)
        out.append(
            {
                "公民身份号码": make_id_number("330106", born, 100 + i),
                "姓名": SURNAMES[i % 20] + given[(i * 3) % 20] + ("" if i % 3 else given[(i * 7 + 1) % 20]),
                "出生日期": born,
                "住址": f"杭州市西湖区{ROADS[i % 8]}{10 + i}号{1 + i % 5}幢{100 + i}室",
            }
        )
    return out


def civil_only(given=GIVEN) -> list[dict]:
    """Five people 民政 knows and 公安 does not."""
    rows = []
    for k in range(5):
        born = date(1985, 3, 3 + k)
        rows.append(
            {
                "档案编号": f"DA{k + 50:04d}",
                "姓名": "赵" + given[k + 5],
                "公民身份号码": make_id_number("330105", born, k),
                "出生日期": born,
                "住址": f"杭州市拱墅区大关路{k + 1}号",
            }
        )
    return rows


def table(rows: list[dict]) -> pa.Table:
    return pa.table({k: [r[k] for r in rows] for k in rows[0]})


ROLES = {"name": "姓名", "id_number": "公民身份号码", "birth_date": "出生日期", "address": "住址"}


def load_and_fuse(db, store, op, code: str, police: str, civil: str, target: str, people, civil_rows):
    """公安's and 民政's rows stored, the 人口库 defined over them and run once. Returns the run and
    every ID number in the sources (none may reach a view whole)."""
    from huitong.fuse import service as fuse
    from huitong.fuse.definition import parse_definition

    store.ensure_table(police, POLICE)
    store.write(police, table(people))
    store.ensure_table(civil, CIVIL)
    store.write(civil, table(civil_rows))
    definition = {
        "code": code,
        "name": "人口库",
        "kind": "person",
        "target": target,
        "inputs": [
            {"resource": police, "roles": {"record_id": "公民身份号码", **ROLES}},
            {"resource": civil, "roles": {"record_id": "档案编号", **ROLES}},
        ],
    }
    with db.session() as s:
        fuse.define(s, op, parse_definition(definition))
    done = fuse.run(db, store, op, code)
    ids = sorted({r["公民身份号码"] for r in [*people, *civil_rows] if r["公民身份号码"]})
    return done, ids
