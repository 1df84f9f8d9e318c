"""The base library is shared like any other resource (docs/fusion.md, "Grades and sharing"): after a
fusion run the 人口库 is an ordinary published catalog entry; a consumer department applies for it,
the operator checks compliance, the provider (数据局) approves, and a delivery by query returns the
base library's rows masked by the grades fusion raised them to (the ID number, the name and the
field sources, whose record references are ID numbers, never in clear unless the grant says so).
Every delivery is in the ledger with the people it touched; without a grant nothing is delivered."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from huitong.access import SYSTEM, Actor
from huitong.catalog import service as catalog
from huitong.catalog.model import ShareType
from huitong.errors import Forbidden
from huitong.ledger import service as ledger
from huitong.ledger.tables import EvidenceEntry
from huitong.org import service as org
from huitong.share import applications as apps
from huitong.share import delivery
from huitong.share.grants import Conditions
from huitong.standards.elements import Grade
from huitong.store import Store
from tests.fuse.small_city import CIVIL, POLICE, TARGET, civil_only, load_and_fuse, residents
from tests.world import spec

pytestmark = pytest.mark.pg

CODE = "renkou"


def _civil(people: list[dict]) -> list[dict]:
    """Twenty of 公安's residents again at 民政 (one in traditional characters, one without an ID),
    and five 民政 knows alone."""
    rows = [{"档案编号": f"DA{n + 1:04d}", **p} for n, p in enumerate(people[:20])]
    rows[0]["姓名"] = "張" + rows[0]["姓名"][1:]
    rows[1]["公民身份号码"] = None
    return rows + civil_only()


@dataclass
class Library:
    db: object
    store: Store
    target: str  # 数据局's 人口基础库, the base library's catalog entry
    ids: list[str]  # every ID number in the sources
    actors: dict[str, Actor]
    clusters: int

    def actor(self, name: str) -> Actor:
        return self.actors[name]

    def apply(self, who: str = "sj") -> int:
        form = apps.ApplicationForm(
            resources={self.target: []},
            purpose="data_verification",
            purpose_text="市场主体登记时核验经营者身份",
            legal_basis="《市场主体登记管理条例》第十三条",
            business="个体工商户登记",
            use_from=date.today(),
            use_until=date.today() + timedelta(days=365),
            modes=["query"],
        )
        with self.db.session() as s:
            return apps.submit(s, self.actor(who), form).requests[0].id

    def act(self, request_id: int, who: str, action: str, conditions: Conditions | None = None):
        with self.db.session() as s:
            req = apps.act(s, self.actor(who), request_id, action, conditions=conditions)
            return req.state, req.grant_id

    def granted(self, who: str = "sj", **conds) -> int:
        """Apply, comply (operator), approve (数据局, the provider): the grant id."""
        rid = self.apply(who)
        self.act(rid, "op", "comply")
        state, grant = self.act(rid, "sjj", "approve", Conditions(**conds))
        assert state == "granted" and grant is not None
        return grant


@pytest.fixture
def library(world, test_database, tmp_path) -> Library:
    """公安 and 民政 publish their people, the platform publishes the 人口基础库 entry (数据局's, with an
    administrator who decides requests for it), the operator defines the 人口库 over them and runs it."""
    op, ga, mz = world.actor("op"), world.actor("ga"), world.actor("mz")
    actors = dict(world.actors)
    with world.db.session() as s:
        police = catalog.create(
            s, ga, spec(world.police, "居民身份登记信息", items=POLICE, tags=["居民", "身份"])
        ).code
        civil = catalog.create(
            s, mz, spec(world.civil, "救助对象档案信息", class_code="101004", items=CIVIL, tags=["救助"])
        ).code
        target = catalog.create(
            s,
            SYSTEM,
            spec(
                world.bureau,
                "人口基础库",
                items=TARGET,
                share_type=ShareType.conditional,
                summary="由公安、民政的人员记录融合而成的人口基础库：一人一码，每个字段注明来源。",
                tags=["基础库"],
            ),
        ).code
        catalog.submit(s, ga, police)
        catalog.submit(s, mz, civil)
        catalog.submit(s, SYSTEM, target)
        for code in (police, civil, target):
            catalog.publish(s, op, code)
        sjj = org.add_user(s, SYSTEM, "sjj", "SJJ", world.bureau, ["dept_admin"], None)
        actors["sjj"] = org.actor_for(sjj)
    store = Store(test_database.url, tmp_path / "warehouse")
    people = residents()
    done, ids = load_and_fuse(world.db, store, op, CODE, police, civil, target, people, _civil(people))
    yield Library(world.db, store, target, ids, actors, done.run.stats["clusters"])
    store.close()


def _no_full_id(payload: object, lib: Library) -> None:
    text = json.dumps(payload, ensure_ascii=False, default=str)
    assert [i for i in lib.ids if i in text] == [], "a full ID number was delivered"


def test_a_granted_consumer_receives_the_base_library_masked_by_its_raised_grades(library):
    lib = library
    with lib.db.session() as s:
        res = catalog.get(s, SYSTEM, lib.target)
        grades = {it.name: it.grade for it in res.items}
    # fusion raised the entry to what it is made of; the ID number as strictly as the inputs hold it; the base id and the lineage are the platform's own
    assert Grade(grades["公民身份号码"]).rank >= Grade(grades["基础库标识"]).rank
    assert grades["公民身份号码"] != Grade.general_1

    grant = lib.granted()
    page = delivery.query(lib.db, lib.store, lib.actor("sj"), grant, limit=1000)
    rows = page["rows"]
    assert page["count"] == len(rows) == lib.clusters  # one row per person, all of them
    assert {"基础库标识", "姓名", "公民身份号码", "字段来源"} <= set(rows[0])
    _no_full_id(page, lib)
    with_id = [r for r in rows if r["公民身份号码"]]
    assert with_id and all(re.fullmatch(r"\d{6}\*{8}[\dX]{4}", r["公民身份号码"]) for r in with_id)
    assert all("*" in r["姓名"] for r in rows if r["姓名"])  # 张* — a name is never in clear

    with lib.db.session() as s:
        entries = s.scalars(
            select(EvidenceEntry).where(
                EvidenceEntry.action == "share.deliver.query", EvidenceEntry.object_id == lib.target
            )
        ).all()
        assert [(e.actor_name, e.result) for e in entries] == [("sj", "ok")]
        details = json.loads(entries[0].details)
        assert details["grant"] == grant and details["rows"] == lib.clusters
        # who used my data: a resident finds the delivery by their ID number
        used = ledger.who_used(s, lib.actor("aud"), lib.ids[0])
        assert entries[0].id in {e.id for e in used}


def test_without_a_grant_nothing_is_delivered_and_the_refusal_is_in_the_ledger(library):
    lib = library
    grant = lib.granted("sj")
    for other in ("mz", "ga"):  # departments that asked for nothing (one of them fed the library)
        with pytest.raises(Forbidden):
            delivery.query(lib.db, lib.store, lib.actor(other), grant)
    with lib.db.session() as s:
        denied = s.scalars(
            select(EvidenceEntry).where(
                EvidenceEntry.action == "share.deliver.query", EvidenceEntry.result == "denied"
            )
        ).all()
        delivered = s.scalars(
            select(EvidenceEntry).where(
                EvidenceEntry.action == "share.deliver.query", EvidenceEntry.result == "ok"
            )
        ).all()
    assert sorted(e.actor_name for e in denied) == ["ga", "mz"]
    assert delivered == []


def test_a_grant_may_give_the_id_number_in_clear_and_only_it(library):
    lib = library
    grant = lib.granted(items=["基础库标识", "公民身份号码", "姓名"], treatments={"公民身份号码": "clear"})
    rows = delivery.query(lib.db, lib.store, lib.actor("sj"), grant, limit=1000)["rows"]
    assert set(rows[0]) == {"基础库标识", "公民身份号码", "姓名"}
    clear = {r["公民身份号码"] for r in rows if r["公民身份号码"]}
    assert clear and clear <= set(lib.ids)  # the grant said so
    assert all("*" in r["姓名"] for r in rows if r["姓名"])  # the name stays masked
