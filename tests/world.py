"""A small province → city → county world built through the real services (no mocks)."""

from __future__ import annotations

from dataclasses import dataclass

from huitong.access import SYSTEM, Actor
from huitong.catalog.model import (
    DataItem,
    DataType,
    FormatClass,
    OpenType,
    ResourceSpec,
    ShareMode,
    ShareType,
    UpdateCycle,
)
from huitong.db.base import Database
from huitong.org import service as org
from huitong.standards.uscc import make_credit_code

PASSWORD = "correct-horse-battery"


def credit_code(region: str, n: int) -> str:
    """A valid 统一社会信用代码 of a 机关 (authority 1, kind 1) in ``region``."""
    return make_credit_code("1", "1", region, f"{n:08d}")


@dataclass
class World:
    db: Database
    bureau: str  # 浙江省大数据发展管理局 (the platform operator's department)
    police: str  # 杭州市公安局
    civil: str  # 杭州市民政局
    market: str  # 余杭区市场监督管理局
    actors: dict[str, Actor]

    def actor(self, name: str) -> Actor:
        return self.actors[name]


def build_world(db: Database) -> World:
    with db.session() as s:
        org.add_region(s, SYSTEM, "330000", "浙江省")
        org.add_region(s, SYSTEM, "330100", "杭州市", parent_code="330000")
        org.add_region(s, SYSTEM, "330110", "余杭区", parent_code="330100")
        bureau = org.add_department(
            s, SYSTEM, "330000", "大数据发展管理局", credit_code("330000", 10000001)
        ).code
        police = org.add_department(s, SYSTEM, "330100", "公安局", credit_code("330100", 10000002)).code
        civil = org.add_department(s, SYSTEM, "330100", "民政局", credit_code("330100", 10000003)).code
        market = org.add_department(
            s, SYSTEM, "330110", "市场监督管理局", credit_code("330110", 10000004)
        ).code
        people = {
            "op": (bureau, ["operator"]),
            "ga": (police, ["dept_admin"]),
            "mz": (civil, ["dept_admin"]),
            "mzu": (civil, ["dept_user"]),
            "sj": (market, ["dept_admin"]),
            "aud": (bureau, ["auditor"]),
        }
        actors = {}
        for name, (dept, roles) in people.items():
            # Only "ga" signs in with a password in tests; argon2 is deliberately slow.
            user = org.add_user(
                s, SYSTEM, name, name.upper(), dept, roles, PASSWORD if name == "ga" else None
            )
            actors[name] = org.actor_for(user)
    return World(db=db, bureau=bureau, police=police, civil=civil, market=market, actors=actors)


def spec(provider_code: str, name: str = "常住人口户籍信息", **overrides) -> ResourceSpec:
    """A valid conditional-sharing database resource; override any field."""
    base = dict(
        name=name,
        class_code="101002",
        provider_code=provider_code,
        summary="本市常住人口的户籍登记信息，包括姓名、身份号码、性别与住址。",
        format_class=FormatClass.database,
        format_type="MySQL",
        share_type=ShareType.conditional,
        share_mode=ShareMode.api,
        open_type=OpenType.none,
        update_cycle=UpdateCycle.daily,
        share_condition="仅限政务服务办理中核验使用",
        share_basis="《中华人民共和国户口登记条例》",
        tags=["户籍", "人口"],
        items=[
            DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
            DataItem("姓名", DataType.C, 50, element="DE01002", required=True),
            DataItem("性别", DataType.C, 1, element="DE01003"),
            DataItem("住址", DataType.C, 200, element="DE03002"),
        ],
    )
    base.update(overrides)
    return ResourceSpec(**base)
