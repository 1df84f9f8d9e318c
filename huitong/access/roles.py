"""Roles a user holds and the separation of duties between them (pure, no I/O)."""

from __future__ import annotations

from enum import StrEnum

from huitong.errors import invalid


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
