"""The demo city's classification and de-identification (分类分级, 去标识化).

* Every load was scanned as it landed, so each resource already has its proposals.  公安's
  administrator confirms the proposals on 常住人口户籍信息 and overrides one with a reason.
* 流动人口居住登记信息's 备注 is declared as plain text but holds landlords' mobile numbers: it stays
  a finding of undeclared personal data on the dashboard (未申报的个人信息), for a person to try.
* 公安 releases 常住人口 de-identified for statistics: a plan that keeps exact birth dates is refused
  below k with the classes that fail; the plan with ten-year age bands passes and is approved into a
  release with its risk report; and two published figures (residents by sex, the total) spend 0.7 of
  the resource's privacy budget of 1.0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from huitong.access import Actor
from huitong.classify import service as classify
from huitong.db.base import Database
from huitong.deid import service as deid
from huitong.demo.people import AS_OF
from huitong.store import Store

HUKOU, MIGRANTS = "常住人口户籍信息", "流动人口居住登记信息"
EXACT_PLAN = {
    "direct": ["公民身份号码", "姓名", "户号", "住址"],
    "quasi": ["性别", "出生日期"],
    "k": 5,
    "columns": {
        "公民身份号码": {"op": "id_pseudonym", "keep_region": True},
        "姓名": "drop",
        "户号": "drop",
        "住址": "drop",
    },
}
BANDED_PLAN = {
    **EXACT_PLAN,
    "columns": {
        **EXACT_PLAN["columns"],
        "出生日期": {"op": "age_band", "width": 10, "top": 80, "as_of": AS_OF.isoformat()},
    },
    "table": ["suppress_rows"],
}


@dataclass
class ClassifyDemo:
    confirmed: list[str] = field(default_factory=list)
    overridden: str | None = None
    undeclared: list[tuple[str, str]] = field(default_factory=list)  # (resource code, column)
    refused: int | None = None  # the release refused below k
    released: int | None = None
    release_code: str | None = None
    figures: list[int] = field(default_factory=list)
    budget_left: float = 0.0


def run(db: Database, store: Store, actors: dict[str, Actor], codes: dict[str, str]) -> ClassifyDemo:
    ga = actors["gaadmin"]
    out = ClassifyDemo()
    hukou = codes[HUKOU]
    with db.session() as s:
        for col in classify.columns_of(s, ga, hukou):
            if col.status != "proposed" or not col.present:
                continue
            if col.column == "出生日期":
                classify.decide_column(
                    s, ga, hukou, col.column, action="override", grade="general_4",
                    reason="含未成年人出生日期，按《儿童个人信息网络保护规定》从严定为一般4级",
                )  # fmt: skip
                out.overridden = col.column
            else:
                classify.decide_column(s, ga, hukou, col.column, action="confirm")
                out.confirmed.append(col.column)
    with db.session(read_only=True) as s:
        out.undeclared = [(c.resource_code, c.column) for c in classify.open_findings(s, actors["op"])]
    with db.session() as s:
        out.refused = deid.propose(s, store, ga, hukou, EXACT_PLAN, name="常住人口明细（精确出生日期）").id
    with db.session() as s:
        out.released = deid.propose(s, store, ga, hukou, BANDED_PLAN, name="常住人口统计用去标识化明细").id
    done = deid.approve(db, store, ga, out.released)
    out.release_code = done.output_code
    with db.session() as s:
        by_sex = deid.publish_statistic(
            s, store, ga, hukou, statistic="histogram", column="性别", categories=["1", "2"], epsilon=0.5
        )
        total = deid.publish_statistic(s, store, ga, hukou, statistic="count", epsilon=0.2)
        out.figures = [by_sex.id, total.id]
        left = deid.budget(s, hukou)
        out.budget_left = round(left.total - left.spent, 6)
    return out
