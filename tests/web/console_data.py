"""A small console world on SQLite, built through the real services: the tests/world.py
departments and users (each with a password), published and draft catalog entries, a
source loaded twice (two versions, one reject), a ledger entry with a subject and a
signed checkpoint, and sharing: a police data user, a grant to 民政 on the loaded
resource with one delivery, and a request waiting for the provider; 民政 has raised an objection
to one of its records (submitted, with an evidence file: nothing is flagged)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from huitong.access import SYSTEM
from huitong.aggregate import registry
from huitong.aggregate.mapping import propose_mapping
from huitong.aggregate.pipeline import run_load
from huitong.catalog import service as catalog
from huitong.catalog.model import DataItem, DataType, OpenType, ShareType
from huitong.ledger.events import record
from huitong.ledger.service import sign_checkpoint
from huitong.org import service as org
from huitong.quality import objections
from huitong.share import applications as apps
from huitong.share import delivery
from huitong.share.grants import Conditions
from huitong.standards.idcard import make_id_number
from huitong.store import Store
from tests.conftest import TestDatabase
from tests.world import PASSWORD, World, build_world, spec

ITEMS = [
    DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
    DataItem("姓名", DataType.C, 50, element="DE01002", required=True),
    DataItem("性别", DataType.C, 1, element="DE01003"),
]
GOOD_1 = make_id_number("330106", date(1949, 12, 31), 1)
GOOD_2 = make_id_number("330106", date(1949, 12, 31), 2)
BAD = GOOD_1[:-1] + ("0" if GOOD_1[-1] != "0" else "1")
EXPORT = f"身份证号,姓名,性别\n{GOOD_1},张三,男\n{GOOD_2},李四,女\n{BAD},王五,男\n"


@dataclass
class ConsoleWorld:
    world: World
    store: Store
    hj: str  # police, published, loaded twice: 常住人口户籍信息
    stats: str  # police, published, open to the public: 户籍人口统计信息
    draft: str  # police, draft: 出入境证件签发信息
    relief: str  # civil affairs, published: 最低生活保障对象信息
    load_id: int  # the first load of hj (one reject)
    subject_entry: int  # a ledger entry touching GOOD_1
    grant: int  # 民政 (mz) holds a grant on hj: ID number and name, masked; one delivery made
    granted_request: int  # the request that led to it
    pending_request: int  # mzu's request for hj, waiting for the provider (provider_review)
    objection: int  # mz's objection to GOOD_1's record of hj, submitted (not flagged)

    @property
    def db(self):
        return self.world.db


def build_console_world(tmp: Path) -> ConsoleWorld:
    tdb = TestDatabase("sqlite", tmp)
    db = tdb.open()
    world = build_world(db)
    ga, mz, op = world.actor("ga"), world.actor("mz"), world.actor("op")
    with db.session() as s:  # a police data user: reads its department's inbox, never decides
        user = org.add_user(s, SYSTEM, "gau", "GAU", world.police, ["dept_user"])
        world.actors["gau"] = org.actor_for(user)
    with db.session() as s:
        for name in world.actors:
            if name != "ga":
                org.set_password(s, SYSTEM, name, PASSWORD)
    with db.session() as s:
        hj = catalog.create(s, ga, spec(world.police, items=ITEMS)).code
        stats = catalog.create(
            s,
            ga,
            spec(
                world.police,
                "户籍人口统计信息",
                class_code="101001",
                summary="按区县、街道汇总的户籍人口数量，按月更新。",
                share_type=ShareType.unconditional,
                share_condition=None,
                share_basis=None,
                open_type=OpenType.unconditional,
            ),
        ).code
        draft = catalog.create(
            s, ga, spec(world.police, "出入境证件签发信息", class_code="101002", tags=["出入境"])
        ).code
        relief = catalog.create(
            s,
            mz,
            spec(
                world.civil,
                "最低生活保障对象信息",
                class_code="101004",
                summary="城乡最低生活保障对象及发放金额。",
                tags=["低保"],
            ),
        ).code
        for code in (hj, stats):
            catalog.submit(s, ga, code)
            catalog.publish(s, op, code)
        catalog.submit(s, mz, relief)
        catalog.publish(s, op, relief)
    path = tmp / "人口.csv"
    path.write_bytes(EXPORT.encode("gbk"))
    with db.session() as s:
        registry.add_source(s, ga, "hj", hj, "csv", {"path": str(path)}, mode="upsert", schedule="0 2 * * *")
        desc = registry.describe_source(s, ga, "hj")
        proposals = propose_mapping([c.name for c in desc.columns], ITEMS)
        registry.save_mapping(s, ga, "hj", proposals.to_mapping().to_dict())
    store = Store(tdb.url, tmp / "warehouse")
    first = run_load(db, store, ga, "hj")
    path.write_bytes(EXPORT.replace("李四", "李思").encode("gbk"))
    run_load(db, store, ga, "hj")
    with db.session() as s:
        entry = record(
            s, ga, "data.query", "resource", hj, details={"purpose": "测试核验"}, subjects=[GOOD_1]
        )
        s.flush()
        subject_entry = entry.id
    granted, pending, grant = _share(db, store, world, hj)
    with db.session() as s:
        evidence = objections.Evidence("户口本.pdf", b"%PDF-1.4 scan")
        objection = objections.raise_objection(
            s, store, mz, hj, "姓名登记有误", key=GOOD_1, evidence=evidence
        ).id
    sign_checkpoint(db)
    return ConsoleWorld(
        world,
        store,
        hj,
        stats,
        draft,
        relief,
        first.load_id,
        subject_entry,
        grant,
        granted,
        pending,
        objection,
    )


def application(code: str, items: list[str]) -> apps.ApplicationForm:
    return apps.ApplicationForm(
        resources={code: items},
        purpose="data_verification",
        purpose_text="低保审核时核验申请人身份",
        legal_basis="《社会救助暂行办法》第十一条",
        business="最低生活保障审核",
        use_from=date.today(),
        use_until=date.today() + timedelta(days=365),
        modes=["query", "verify"],
    )


def _share(db, store, world: World, hj: str) -> tuple[int, int, int]:
    """民政 applies twice for hj: one request is granted (ID number and name) and used once,
    the other waits for 公安's decision."""
    mz, mzu, op, ga = (world.actor(n) for n in ("mz", "mzu", "op", "ga"))
    with db.session() as s:
        granted = apps.submit(s, mz, application(hj, ["公民身份号码", "姓名"])).requests[0].id
        pending = apps.submit(s, mzu, application(hj, [])).requests[0].id
        for rid in (granted, pending):
            apps.act(s, op, rid, "comply")
        req = apps.act(s, ga, granted, "approve", conditions=Conditions(max_requests_per_day=1000))
        grant = req.grant_id
    delivery.query(db, store, mz, grant, limit=10)
    return granted, pending, grant
