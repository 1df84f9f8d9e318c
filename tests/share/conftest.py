"""A sharing world: 公安 publishes a conditional population resource with data in the store,
民政 (the consumer) applies for it; the operator, provider and consumer act as in life."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pyarrow as pa
import pytest

from huitong.access import Actor
from huitong.catalog import service as catalog
from huitong.catalog.model import DataItem, DataType, ShareType
from huitong.db.base import Database, utcnow
from huitong.share import applications as apps
from huitong.share.grants import Conditions
from huitong.standards.idcard import make_id_number
from huitong.store import Store
from tests.world import World, spec

ITEMS = [
    DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
    DataItem("姓名", DataType.C, 50, element="DE01002", required=True),
    DataItem("性别", DataType.C, 1, element="DE01003"),
    DataItem("住址", DataType.C, 200, element="DE03002"),
    DataItem("区划代码", DataType.C, 6),
]
PEOPLE = [
    (make_id_number("330106", date(1980, 5, 17), 11), "张三", "1", "浙江省杭州市西湖区文三路90号", "330106"),
    (
        make_id_number("330106", date(1990, 1, 2), 22),
        "欧阳娜娜",
        "2",
        "浙江省杭州市西湖区天目山路8号",
        "330106",
    ),
    (
        make_id_number("330110", date(1975, 12, 31), 33),
        "李四",
        "1",
        "浙江省杭州市余杭区良渚街道1号",
        "330110",
    ),
    (make_id_number("330110", date(2001, 7, 7), 44), "王五", "1", "浙江省杭州市余杭区五常街道7号", "330110"),
]


def people_table(rows=PEOPLE) -> pa.Table:
    names = [it.name for it in ITEMS]
    return pa.table({n: pa.array([r[i] for r in rows], type=pa.string()) for i, n in enumerate(names)})


@dataclass
class Sharing:
    world: World
    store: Store
    code: str  # conditional 常住人口户籍信息 of 公安
    open_code: str  # unconditional 公安 resource
    closed_code: str  # 不予共享 resource

    @property
    def db(self) -> Database:
        return self.world.db

    def actor(self, name: str) -> Actor:
        return self.world.actor(name)

    def apply(
        self,
        code: str | None = None,
        items: list[str] | None = None,
        modes=("query", "verify", "batch", "subscription"),
        who: str = "mz",
    ) -> int:
        """民政 applies; returns the request id."""
        form = apps.ApplicationForm(
            resources={code or self.code: items or []},
            purpose="data_verification",
            purpose_text="低保审核时核验申请人身份",
            legal_basis="《社会救助暂行办法》第十一条",
            business="最低生活保障审核",
            use_from=date.today(),
            use_until=date.today() + timedelta(days=365),
            modes=list(modes),
        )
        with self.db.session() as s:
            return apps.submit(s, self.actor(who), form).requests[0].id

    def act(
        self,
        request_id: int,
        who: str,
        action: str,
        reason: str | None = None,
        conditions: Conditions | None = None,
    ):
        with self.db.session() as s:
            req = apps.act(s, self.actor(who), request_id, action, reason=reason, conditions=conditions)
            return req.state, req.grant_id

    def granted(self, items: list[str] | None = None, **conds) -> int:
        """Apply, comply, approve: the grant id."""
        rid = self.apply()
        self.act(rid, "op", "comply")
        _, grant = self.act(rid, "ga", "approve", conditions=Conditions(items=items, **conds))
        return grant


def _publish(world: World, **overrides) -> str:
    with world.db.session() as s:
        code = catalog.create(s, world.actor("ga"), spec(world.police, **({"items": ITEMS} | overrides))).code
        catalog.submit(s, world.actor("ga"), code)
        catalog.publish(s, world.actor("op"), code)
    return code


@pytest.fixture
def sharing(world, test_database, tmp_path):
    code = _publish(world)
    open_code = _publish(
        world, name="人口基础信息", share_type=ShareType.unconditional, share_condition=None, share_basis=None
    )
    closed_code = _publish(
        world,
        name="在逃人员信息",
        share_type=ShareType.none,
        share_condition=None,
        share_basis="《中华人民共和国人民警察法》",
    )
    store = Store(test_database.url, tmp_path / "warehouse")
    for c in (code, open_code, closed_code):
        store.ensure_table(c, ITEMS)
        store.write(c, people_table(), "full")
    yield Sharing(world, store, code, open_code, closed_code)
    store.close()


def later(days: int = 0, **kw):
    return utcnow() + timedelta(days=days, **kw)


@pytest.fixture(scope="module")
def shared_sharing(tmp_path_factory):
    """One SQLite sharing world for a whole property test (hypothesis reuses it across examples)."""
    from tests.conftest import TestDatabase
    from tests.world import build_world

    tmp = tmp_path_factory.mktemp("shared")
    tdb = TestDatabase("sqlite", tmp)
    db = tdb.open()
    world = build_world(db)
    code = _publish(world)
    store = Store(tdb.url, tmp / "warehouse")
    store.ensure_table(code, ITEMS)
    store.write(code, people_table(), "full")
    yield Sharing(world, store, code, code, code)
    store.close()
    db.dispose()
