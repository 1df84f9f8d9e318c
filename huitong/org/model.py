"""Administrative levels, roles and the rules that tie them together (pure, no I/O)."""

from __future__ import annotations

from enum import StrEnum

from huitong.errors import invalid


class AdminLevel(StrEnum):
    """行政层级: the level of government a region and its departments sit at."""

    national = "national"  # 国家
    province = "province"  # 省
    city = "city"  # 市
    county = "county"  # 县
    township = "township"  # 乡

    @property
    def label_zh(self) -> str:
        return LEVEL_ZH[self]

    @property
    def rank(self) -> int:
        return list(AdminLevel).index(self)


LEVEL_ZH = {
    AdminLevel.national: "国家",
    AdminLevel.province: "省",
    AdminLevel.city: "市",
    AdminLevel.county: "县",
    AdminLevel.township: "乡",
}


def parse_level(value: str) -> AdminLevel:
    for level in AdminLevel:
        if value in (level.value, level.label_zh):
            return level
    raise invalid(
        f"unknown administrative level {value!r}; use one of "
        + ", ".join(f"{lv.value} ({lv.label_zh})" for lv in AdminLevel)
    )


class Role(StrEnum):
    """Roles a user holds. The anonymous public holds none and is not a user."""

    operator = "operator"  # 平台运营 / 数据主管部门
    dept_admin = "dept_admin"  # 部门数据管理员
    dept_user = "dept_user"  # 部门数据使用人员
    auditor = "auditor"  # 审计

    @property
    def label_zh(self) -> str:
        return ROLE_ZH[self]


ROLE_ZH = {
    Role.operator: "数据主管部门(平台运营)",
    Role.dept_admin: "部门数据管理员",
    Role.dept_user: "部门数据使用人员",
    Role.auditor: "审计员",
}

# Separation of duties: whoever reads the evidence must not also administer what it records.
INCOMPATIBLE = {frozenset({Role.auditor, Role.operator}), frozenset({Role.auditor, Role.dept_admin})}


def parse_role(value: str) -> Role:
    for role in Role:
        if value in (role.value, role.label_zh):
            return role
    raise invalid(f"unknown role {value!r}; use one of {', '.join(r.value for r in Role)}")


def check_role_set(roles: set[Role]) -> None:
    """Refuse role combinations that break separation of duties."""
    for pair in INCOMPATIBLE:
        if pair <= roles:
            a, b = sorted(pair)
            raise invalid(f"separation of duties: a user cannot be both {a} and {b}")


def level_for_division(code: str) -> AdminLevel:
    """The level a 6-digit 行政区划代码 names: 110000 province, 110100 city, 110101 county."""
    if code == "000000":
        return AdminLevel.national
    if code.endswith("0000"):
        return AdminLevel.province
    if code.endswith("00"):
        return AdminLevel.city
    return AdminLevel.county
