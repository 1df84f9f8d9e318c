"""The demo city's objections (异议): wrong values found by the departments that received them,
sent back to the department whose load produced them, in every state the flow has.

* 民政 checked its 低保 roll against 公安's register and found addresses that disagree (the
  cross-source rule 住址与公安一致 finds the same pairs). It objects to two of them on 公安's
  records. 公安 answered the first: the register is right and 民政's roll is old. That objection
  ran to the end (archived). The second one waits for 公安's answer (verifying, disputed).
* 人社 reports that a resident has moved. 公安 takes the one extension to check the archive, and
  then corrects the address in its next increment. The objection names that version, and 人社
  is told.
* 人社 objects to an enterprise's registered legal representative. It waits for the operator
  (submitted), as does one the auditor raised for a resident who asked who used their data
  (代居民提出).
* A vague objection to a whole resource is declined (不予受理), with the reason.
* One is overdue at 公安. It is simulated: raised and forwarded eleven calendar days ago.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from huitong.access import Actor
from huitong.db.base import Database, utcnow
from huitong.demo.people import Enterprise, Person
from huitong.quality import objections
from huitong.quality.objections import Evidence
from huitong.store import Store

HUKOU, DIBAO, ENTERPRISES = "常住人口户籍信息", "最低生活保障对象信息", "企业登记注册信息"


@dataclass
class ObjectionDemo:
    """The demo's objections by story, for the summary and the tests."""

    ids: dict[str, int] = field(default_factory=dict)
    moved: Person | None = None  # the resident whose move 公安 corrects
    moved_to: str = ""
    simulated: list[str] = field(default_factory=list)


class Objections:
    def __init__(self, db: Database, store: Store, actors: dict[str, Actor], codes: dict[str, str]):
        self.db, self.store, self.actors, self.codes = db, store, actors, codes
        self.demo = ObjectionDemo()

    def raise_(self, story: str, who: str, resource: str, reason: str, **kw) -> int:
        with self.db.session() as s:
            obj = objections.raise_objection(
                s, self.store, self.actors[who], self.codes[resource], reason, **kw
            )
            self.demo.ids[story] = obj.id
            return obj.id

    def step(self, story: str, who: str, *actions: str, **kw) -> None:
        for action in actions:
            with self.db.session() as s:
                objections.take_step(
                    s, self.actors[who], self.demo.ids[story], action, store=self.store, **kw
                )


def _evidence(person: Person, address: str) -> Evidence:
    text = (
        "入户核查记录（最低生活保障年度复核）\n"
        f"核查对象：{person.name}\n核查住址：{address}\n"
        "核查结论：申请人现居住于核查住址，与户籍登记住址不一致\n核查人：民政局社会救助科\n"
    )
    return Evidence("入户核查记录.txt", text.encode("utf-8"))


def before_increments(
    db: Database,
    store: Store,
    actors: dict[str, Actor],
    codes: dict[str, str],
    dibao: list[tuple[Person, str]],
    enterprises: list[Enterprise],
    moved: Person,
    moved_to: str,
) -> Objections:
    """Every objection except the correction, which needs 公安's next increment."""
    o = Objections(db, store, actors, codes)
    differ = [(p, a) for p, a in dibao if a != p.address]
    (first, first_at), (second, second_at) = differ[0], differ[1]
    for story, (person, address) in (("answered", (first, first_at)), ("verifying", (second, second_at))):
        o.raise_(
            story,
            "mzadmin",
            HUKOU,
            f"低保复核入户核查：该居民现住 {address}，与户籍登记住址不一致（多源校核“住址与公安一致”未通过）",
            key=person.id_number,
            item="住址",
            evidence=_evidence(person, address),
        )
        o.step(story, "op", "accept", "flag", "forward")
    o.step(
        "answered",
        "gaadmin",
        "reject",
        reason="经核对迁移登记档案，户籍登记住址为该居民最近一次迁入后的住址；民政名册仍为上次复核时的住址，请民政更新名册",
    )
    o.step("answered", "op", "unflag", "archive")

    o.demo.moved, o.demo.moved_to = moved, moved_to
    o.raise_(
        "corrected",
        "rsuser",
        HUKOU,
        f"社保经办时居民本人申报已搬迁，现住 {moved_to}，户籍登记住址未更新",
        key=moved.id_number,
        item="住址",
    )
    o.step("corrected", "op", "accept", "flag", "forward")
    o.step("corrected", "gaadmin", "extend", reason="需调取派出所迁移登记档案核实，申请延期")

    ent = enterprises[0]
    o.raise_(
        "submitted",
        "rsadmin",
        ENTERPRISES,
        "用人单位参保登记时提交的营业执照所载法定代表人与登记信息不一致，请核实",
        key=ent.credit_code,
        item="法定代表人",
    )
    # a resident asked who used their data (the auditor's 查询谁用了我的数据) and says the name is wrong
    citizen = dibao[0][0]  # 民政 verified this resident against 公安's register
    o.raise_(
        "for_citizen",
        "auditor",
        HUKOU,
        "居民本人到窗口查询谁用了其数据时反映：户籍登记的姓名用字有误（生僻字被替换），请核实",
        key=citizen.id_number,
        item="姓名",
        on_behalf="citizen",
    )
    o.raise_("declined", "rsuser", ENTERPRISES, "数据不准")
    o.step("declined", "op", "decline", reason="未指明有误的记录和数据项，也未说明依据；请补充后重新提出")

    # overdue: raised and forwarded eleven days ago, so 公安's five working days have passed
    late, late_at = differ[2]
    past = utcnow() - timedelta(days=11)
    o.raise_(
        "overdue",
        "mzadmin",
        HUKOU,
        f"低保复核入户核查：该居民现住 {late_at}，与户籍登记住址不一致",
        key=late.id_number,
        item="住址",
        now=past,
    )
    o.step("overdue", "op", "accept", "flag", "forward", now=past + timedelta(hours=2))
    o.demo.simulated.append(
        f"objection {o.demo.ids['overdue']}: raised and forwarded to 公安 eleven days ago (backdated), so its "
        "five-working-day answer is overdue now"
    )
    return o


def after_increments(o: Objections, corrected_snapshot: str) -> ObjectionDemo:
    """公安 names the version that corrected the moved resident's address; 人社 is told."""
    o.step("corrected", "gaadmin", "correct", correction=corrected_snapshot)
    return o.demo
