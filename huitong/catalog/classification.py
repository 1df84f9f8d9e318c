"""The classification trees (类/项/目/细目) of the 编制指南: 基础, 主题 and 部门.

Codes concatenate segments: 类 1 digit, 项 2 digits, 目 3 digits, 细目 any length. The
default tree below is seeded at ``huitong init``; operators add 目 and 细目 nodes, and every
department gets its own 目 under 部门 when it is registered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from huitong.errors import Problem, invalid

ROOTS = {"1": "基础信息资源", "2": "主题信息资源", "3": "部门信息资源"}
ROOT_EN = {"1": "base", "2": "theme", "3": "department"}

BASE_ITEMS = ["人口", "法人单位", "自然资源和空间地理", "社会信用", "电子证照"]
THEME_ITEMS = [
    "公共服务",
    "健康保障",
    "社会保障",
    "食品药品安全",
    "安全生产",
    "价格监管",
    "能源安全",
    "信用体系",
    "城乡建设",
    "社区治理",
    "生态环保",
    "应急维稳",
]
DEPT_ITEMS = [
    "党中央",
    "全国人大常委会",
    "国务院",
    "全国政协",
    "最高人民法院",
    "最高人民检察院",
    "省(自治区、直辖市)及其下各级政务部门",
    "计划单列市及其下各级政务部门",
]
PROVINCIAL_DEPT_ITEM = "307"  # where a provincial platform's departments are registered

BASE_TARGETS = {
    "101": ["人口基本信息", "户籍信息", "婚姻登记信息", "社会保障信息", "教育信息", "健康信息"],
    "102": ["法人基本信息", "登记注册信息", "资质许可信息", "年报信息"],
    "103": ["土地资源", "地理空间", "不动产登记"],
    "104": ["自然人信用", "法人信用", "信用评价"],
    "105": ["个人证照", "法人证照"],
}

CODE_RE = re.compile(r"^[1-3]\d{2}\d{3}[0-9A-Z]*/[0-9A-Z]+$")
CLASS_RE = re.compile(r"^[1-3](\d{2}(\d{3}[0-9A-Z]*)?)?$")


@dataclass(frozen=True)
class ClassNode:
    code: str
    name: str
    parent: str | None

    @property
    def depth(self) -> int:
        """1 类, 2 项, 3 目, 4+ 细目."""
        n = len(self.code)
        return 1 if n == 1 else 2 if n == 3 else 3 if n == 6 else 4

    @property
    def root(self) -> str:
        return self.code[0]


def default_tree() -> list[ClassNode]:
    nodes = [ClassNode(code, name, None) for code, name in ROOTS.items()]
    for root, names in (("1", BASE_ITEMS), ("2", THEME_ITEMS), ("3", DEPT_ITEMS)):
        nodes += [ClassNode(f"{root}{i:02d}", name, root) for i, name in enumerate(names, start=1)]
    for item, targets in BASE_TARGETS.items():
        nodes += [ClassNode(f"{item}{i:03d}", name, item) for i, name in enumerate(targets, start=1)]
    for i in range(1, len(THEME_ITEMS) + 1):
        nodes.append(ClassNode(f"2{i:02d}001", "综合", f"2{i:02d}"))
    return nodes


def parent_of(code: str) -> str | None:
    if len(code) == 1:
        return None
    if len(code) == 3:
        return code[0]
    if len(code) == 6:
        return code[:3]
    return code[:6]


def check_class_code(code: str, *, field: str = "class_code") -> None:
    if not CLASS_RE.match(code or ""):
        raise invalid(
            f"{field}: {code!r} is not a classification code (类 1 digit, 项 2, 目 3, 细目 any)",
            Problem("malformed classification code", field=field, value=code),
        )


def check_resource_code(code: str) -> None:
    if not CODE_RE.match(code or ""):
        raise invalid(
            f"resource code {code!r} is not 前段码/顺序码 (e.g. 101001/00001)",
            Problem("malformed resource code", field="code", value=code),
        )


def make_code(class_code: str, seq: int) -> str:
    return f"{class_code}/{seq:05d}"
