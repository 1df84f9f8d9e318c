"""Sharing activity in the demo city, through the real services, so every state has an example.

Departments apply for each other's data, the operator and the providers decide (granted with
fewer items and masks, rejected with a reason, in negotiation, still waiting), consumers use
their grants (verification, queries, lookups, one batch extract), 民政 subscribes a webhook,
and 市场监管 revokes a grant whose extract must then be recalled. One thing cannot happen
honestly within a single run, a request going past its deadline; the demo sets that one
request's deadline to its submission time and says so (see :attr:`Activity.simulated`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from huitong.access import Actor
from huitong.config import Deadlines
from huitong.db.base import Database
from huitong.demo.people import Enterprise, Person
from huitong.demo.sources import WEBHOOK
from huitong.errors import HuitongError
from huitong.share import applications as apps
from huitong.share import delivery, grants, subscriptions
from huitong.share.grants import Conditions
from huitong.share.tables import ShareRequest
from huitong.store import Store


@dataclass
class Activity:
    """What happened, for the summary and the tests."""

    requests: dict[str, int] = field(default_factory=dict)  # story → request id
    grants: dict[str, int] = field(default_factory=dict)  # story → grant id
    verify: Counter = field(default_factory=Counter)  # match / no_match / not_found
    deliveries: Counter = field(default_factory=Counter)  # mode → count
    masked_rows: list[dict] = field(default_factory=list)  # a page 民政 received
    refused: list[str] = field(default_factory=list)  # deliveries refused, with why
    recall: int | None = None
    subscription: int | None = None
    verified_id: str | None = None  # an ID number 民政 verified: try audit who-used on it
    simulated: list[str] = field(default_factory=list)


class Demo:
    """The sharing actors and resources of the demo city."""

    def __init__(
        self, db: Database, store: Store, actors: dict[str, Actor], codes: dict[str, str], extracts: Path
    ):
        self.db, self.store, self.actors, self.codes, self.extracts = db, store, actors, codes, extracts
        self.activity = Activity()

    def apply(
        self,
        story: str,
        who: str,
        resource: str,
        items: list[str],
        purpose: str,
        text: str,
        basis: str,
        business: str,
        modes: list[str],
        deadlines: Deadlines | None = None,
    ) -> int:
        form = apps.ApplicationForm(
            resources={self.codes[resource]: items},
            purpose=purpose,
            purpose_text=text,
            legal_basis=basis,
            business=business,
            use_from=date.today(),
            use_until=date.today() + timedelta(days=365),
            modes=modes,
        )
        with self.db.session() as s:
            rid = apps.submit(s, self.actors[who], form, deadlines).requests[0].id
        self.activity.requests[story] = rid
        return rid

    def act(
        self, rid: int, who: str, action: str, reason: str | None = None, conditions: Conditions | None = None
    ) -> int | None:
        with self.db.session() as s:
            return apps.act(s, self.actors[who], rid, action, reason=reason, conditions=conditions).grant_id


def run_sharing(demo: Demo, dibao: list[tuple[Person, str]], enterprises: list[Enterprise]) -> Activity:
    a = demo.activity
    # 1. 民政 verifies 低保 applicants against 公安's register: granted with fewer items, masked
    rid = demo.apply(
        "granted",
        "mzadmin",
        "常住人口户籍信息",
        ["公民身份号码", "姓名", "性别", "住址", "户号"],
        "data_verification",
        "最低生活保障审核时核验申请人身份与户籍住址",
        "《社会救助暂行办法》第十一条",
        "最低生活保障审核确认",
        ["verify", "query", "subscription"],
    )
    demo.act(rid, "op", "comply")
    granted = demo.act(
        rid,
        "gaadmin",
        "approve",
        conditions=Conditions(
            items=["公民身份号码", "姓名", "住址"],
            treatments={"公民身份号码": "mask", "姓名": "clear", "住址": "mask"},
            max_requests_per_day=5000,
            note="性别、户号与低保审核无关，不予提供；住址仅脱敏展示",
        ),
    )
    a.grants["granted"] = granted
    _use_population_grant(demo, granted, dibao)
    with demo.db.session() as s:
        a.subscription = subscriptions.subscribe(s, demo.actors["mzadmin"], granted, WEBHOOK).id

    # 2. 人社 looks up employers in 市场监管's register (无条件共享: granted at compliance review)
    rid = demo.apply(
        "granted_unconditional",
        "rsuser",
        "企业登记注册信息",
        ["统一社会信用代码", "单位名称", "法定代表人", "企业类型", "登记日期"],
        "business_collaboration",
        "社会保险单位参保登记时核对用人单位登记信息",
        "《中华人民共和国社会保险法》第五十七条",
        "用人单位社会保险登记",
        ["query"],
    )
    unconditional = demo.act(rid, "op", "comply")
    a.grants["granted_unconditional"] = unconditional
    for e in enterprises[:3]:
        delivery.lookup(demo.db, demo.store, demo.actors["rsuser"], unconditional, e.credit_code)
        a.deliveries["query"] += 1
    delivery.query(
        demo.db,
        demo.store,
        demo.actors["rsuser"],
        unconditional,
        filter={"企业类型": "股份有限公司（非上市、自然人投资或控股）"},
        limit=50,
    )
    a.deliveries["query"] += 1

    # 3. waiting for the operator's compliance review
    demo.apply(
        "pending_operator",
        "scadmin",
        "常住人口户籍信息",
        ["公民身份号码", "姓名"],
        "data_verification",
        "企业设立登记时核验法定代表人身份",
        "《市场主体登记管理条例》第十三条",
        "企业设立登记",
        ["verify"],
    )
    # 4. overdue at the operator: due the day it was filed, which in one run is only simulated
    rid = demo.apply(
        "overdue",
        "rsuser",
        "居民身份证签发信息",
        ["公民身份号码", "姓名", "有效期至"],
        "data_verification",
        "社保卡申领时核验居民身份证有效期",
        "《社会保障卡管理办法》",
        "社会保障卡申领",
        ["verify"],
        deadlines=Deadlines(operator_review=0),
    )
    with demo.db.session() as s:
        req = s.get(ShareRequest, rid)
        req.due_at = req.state_since
    a.simulated.append(
        f"request {rid}: filed with a 0-working-day compliance review (due end of today), then its "
        "deadline was moved back to the moment it was filed, so it shows as overdue now"
    )
    # 5. waiting for the provider (民政) after the operator found it compliant
    rid = demo.apply(
        "pending_provider",
        "rsuser",
        "最低生活保障对象信息",
        ["公民身份号码", "姓名", "救助类型", "救助金额"],
        "business_collaboration",
        "低保对象参加城乡居民养老保险时代缴保费",
        "《浙江省城乡居民基本养老保险实施办法》",
        "困难群体城乡居民养老保险代缴",
        ["query", "verify"],
    )
    demo.act(rid, "op", "comply")
    # 6. rejected by the provider, with its reason
    rid = demo.apply(
        "rejected",
        "scadmin",
        "机动车登记信息",
        ["车牌号码", "公民身份号码", "姓名"],
        "work_reference",
        "企业登记时了解法定代表人名下车辆",
        "《市场主体登记管理条例》",
        "企业设立登记",
        ["query"],
    )
    demo.act(rid, "op", "comply")
    demo.act(
        rid,
        "gaadmin",
        "reject",
        reason="企业登记不需要机动车信息，用途与数据内容不符；核验法定代表人身份请申请常住人口户籍信息的核验服务",
    )
    # 7. in negotiation: refused, and the consumer explains what it really needs
    rid = demo.apply(
        "negotiation",
        "mzadmin",
        "流动人口居住登记信息",
        ["公民身份号码", "姓名", "住址"],
        "data_verification",
        "临时救助申请人居住地核验",
        "《社会救助暂行办法》第四十八条",
        "临时救助",
        ["query"],
    )
    demo.act(rid, "op", "comply")
    demo.act(rid, "gaadmin", "reject", reason="居住登记住址属敏感信息，不提供批量查询")
    demo.act(
        rid, "mzadmin", "negotiate", reason="只需逐人核验居住地是否一致，不需要返回住址明文，可改为核验方式"
    )
    # 8. 不予共享: the compliance review ends it; 9. refused by the operator for a vague purpose
    rid = demo.apply(
        "not_shared",
        "rsuser",
        "企业纳税申报信息",
        ["纳税人识别号", "单位名称"],
        "work_reference",
        "了解企业经营状况",
        "《中华人民共和国社会保险法》",
        "社会保险费征缴",
        ["query"],
    )
    demo.act(rid, "op", "comply")
    rid = demo.apply(
        "refused",
        "rsuser",
        "婚姻登记信息",
        ["公民身份号码", "姓名", "婚姻状况"],
        "other",
        "工作需要",
        "相关规定",
        "日常工作",
        ["query"],
    )
    demo.act(rid, "op", "refuse", reason="用途“工作需要”不具体，依据未列明法律法规条款，请补充后重新申请")
    # 10. granted, extracted, then revoked: the extract must be recalled
    rid = demo.apply(
        "revoked",
        "mzadmin",
        "企业登记注册信息",
        ["统一社会信用代码", "单位名称", "法定代表人", "住址"],
        "work_reference",
        "社会组织登记时比对名称是否与企业重名",
        "《社会团体登记管理条例》第十一条",
        "社会组织名称核准",
        ["batch", "query"],
    )
    revoked = demo.act(rid, "op", "comply")
    a.grants["revoked"] = revoked
    delivery.batch(demo.db, demo.store, demo.actors["mzadmin"], revoked, demo.extracts, fmt="csv")
    a.deliveries["batch"] += 1
    with demo.db.session() as s:
        grants.revoke(
            s,
            demo.actors["scadmin"],
            revoked,
            "名称比对只需逐条查询，全量批量数据超出申请用途，请删除已下载文件",
        )
    with demo.db.session() as s:
        a.recall = grants.recalls(s, demo.actors["scadmin"])[0].id
    try:  # after revocation nothing is delivered, and the refusal is in the ledger too
        delivery.query(demo.db, demo.store, demo.actors["mzadmin"], revoked, limit=10)
    except HuitongError as exc:
        a.refused.append(exc.message)
    return a


def _use_population_grant(demo: Demo, grant: int, dibao: list[tuple[Person, str]]) -> None:
    """民政 checks its 低保 roll against 公安's register, then looks at one page."""
    a, mz = demo.activity, demo.actors["mzadmin"]
    for person, address in dibao[:24]:
        values = {"公民身份号码": person.id_number, "姓名": person.name, "住址": address}
        result = delivery.verify(demo.db, demo.store, mz, grant, values)
        a.verify[result["result"]] += 1
        a.deliveries["verify"] += 1
        if a.verified_id is None and result["result"] == "match":
            a.verified_id = person.id_number
    unknown = {"公民身份号码": "330110201001010000", "姓名": "查无此人"}
    a.verify[delivery.verify(demo.db, demo.store, mz, grant, unknown)["result"]] += 1
    a.deliveries["verify"] += 1
    page = delivery.query(demo.db, demo.store, mz, grant, filter={"姓名": dibao[0][0].name}, limit=20)
    page = page if page["rows"] else delivery.query(demo.db, demo.store, mz, grant, limit=20)
    a.masked_rows = page["rows"]
    a.deliveries["query"] += 1
