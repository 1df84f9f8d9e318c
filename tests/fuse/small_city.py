"""A small city's items and name pools, shared by the base-library tests that build their own world
(the console's pages and the sharing of a base library)."""

from __future__ import annotations

from huitong.catalog.model import DataItem, DataType

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
