"""The demo city's base libraries (基础库): a 人口库 fused from 公安's 户籍 and 流动人口, 民政's 低保,
人社's 社保 and 卫健's 健康档案 (names heard by ear, traditional forms, swapped given names, missing
IDs, moved residents), and a 法人库 from 市场监管's 企业登记 and 税务's 纳税人登记 (old 纳税人识别号
with only the 组织机构代码, 有限责任公司 for 有限公司).

The operator defines both, runs them, decides the most uncertain pair of the review queue, and runs
the 人口库 again: the decision is applied and every resident keeps the id of the first run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from huitong.access import Actor
from huitong.db.base import Database
from huitong.fuse import service as fuse
from huitong.fuse.definition import parse_definition
from huitong.store import Store

PEOPLE, ENTITIES = "人口基础库", "法人基础库"


def definitions(codes: dict[str, str]) -> list[dict]:
    people = {
        "code": "renkou",
        "name": "人口库",
        "kind": "person",
        "target": codes[PEOPLE],
        "inputs": [
            {
                "resource": codes["常住人口户籍信息"],
                "roles": {
                    "record_id": "公民身份号码",
                    "name": "姓名",
                    "id_number": "公民身份号码",
                    "birth_date": "出生日期",
                    "gender": "性别",
                    "address": "住址",
                },
            },
            {
                "resource": codes["流动人口居住登记信息"],
                "roles": {
                    "record_id": "公民身份号码",
                    "name": "姓名",
                    "id_number": "公民身份号码",
                    "address": "住址",
                },
            },
            {
                "resource": codes["最低生活保障对象信息"],
                "roles": {
                    "record_id": "公民身份号码",
                    "name": "姓名",
                    "id_number": "公民身份号码",
                    "address": "住址",
                    "phone": "手机号码",
                },
            },
            {
                "resource": codes["社会保险参保信息"],
                "roles": {"record_id": "公民身份号码", "name": "姓名", "id_number": "公民身份号码"},
            },
            {
                "resource": codes["居民电子健康档案信息"],
                "roles": {
                    "record_id": "档案编号",
                    "name": "姓名",
                    "id_number": "公民身份号码",
                    "gender": "性别",
                    "birth_date": "出生日期",
                    "address": "住址",
                    "phone": "手机号码",
                },
            },
        ],
        # 卫健 reaches residents by phone every year: its numbers are the ones kept current
        "authority": {"phone": [codes["居民电子健康档案信息"]]},
    }
    entities = {
        "code": "faren",
        "name": "法人库",
        "kind": "entity",
        "target": codes[ENTITIES],
        "inputs": [
            {
                "resource": codes["企业登记注册信息"],
                "roles": {
                    "record_id": "统一社会信用代码",
                    "name": "单位名称",
                    "credit_code": "统一社会信用代码",
                    "address": "住址",
                },
            },
            {
                "resource": codes["纳税人登记信息"],
                "roles": {
                    "record_id": "纳税人识别号",
                    "name": "单位名称",
                    "credit_code": "统一社会信用代码",
                    "org_code": "组织机构代码",
                    "address": "住所",
                },
            },
        ],
    }
    return [people, entities]


@dataclass
class FusionDemo:
    stats: dict[str, dict] = field(default_factory=dict)  # fusion code → its last run's figures
    decided: tuple[str, str, bool] | None = None
    stable: bool = False  # every id of the first run survived the second


def run(db: Database, store: Store, actors: dict[str, Actor], codes: dict[str, str]) -> FusionDemo:
    op = actors["op"]
    out = FusionDemo()
    for data in definitions(codes):
        with db.session() as s:
            fuse.define(s, op, parse_definition(data))
        result = fuse.run(db, store, op, data["code"])
        out.stats[data["code"]] = result.run.stats
    with db.session() as s:
        queue = fuse.review_queue(s, op, "renkou", limit=1)
        before = dict(fuse.members(s, op, "renkou"))
        if queue:
            pair = queue[0]
            same = pair.probability >= 0.7
            fuse.decide(
                s, op, "renkou", pair.record_a, pair.record_b, same, reason="核对户籍档案与健康档案原件后确认"
            )
            out.decided = (pair.record_a, pair.record_b, same)
    if out.decided:
        out.stats["renkou"] = fuse.run(db, store, op, "renkou").run.stats
    with db.session() as s:
        after = dict(fuse.members(s, op, "renkou"))
    decided_keys = set(out.decided[:2]) if out.decided else set()
    out.stable = all(after.get(k) == v for k, v in before.items() if k not in decided_keys)
    return out
