"""The demo city's data quality: rule files the departments keep in version control, imported
before the loads (so every load is measured), and two more 公安 increments after the sharing: one
typed with broken addresses that the quality gate holds back, and its correction. 常住人口 ends
with four versions on its scorecard's trend; 民政's 低保 roll disagrees with 公安 on about one
address in eight, reported pair by pair by the cross-source rule (多源校核)."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from pathlib import Path

from huitong.access import Actor
from huitong.aggregate.pipeline import LoadResult, run_load
from huitong.db.base import Database
from huitong.demo.people import Person
from huitong.demo.sources import Handed, police_rows, write_police_csv
from huitong.quality import service as quality
from huitong.store import Store

POLICE_RULES = """# 杭州市公安局 常住人口户籍信息: 数据质量规则 (kept beside the export scripts)
resource: {hukou}
gate: true          # a version failing a fail rule is kept, not made current
rules:
  - {{name: 身份证号有效, kind: valid, column: 公民身份号码, severity: fail}}
  - {{name: 姓名完整, kind: not_null, column: 姓名, severity: fail}}
  - {{name: 性别代码, kind: in_code_table, column: 性别}}
  - {{name: 出生日期与身份证号一致, kind: cross_field, columns: [公民身份号码, 出生日期], check: birth_date_in_id}}
  - {{name: 性别与身份证号一致, kind: cross_field, columns: [公民身份号码, 性别], check: gender_in_id}}
  - {{name: 户号完整, kind: not_null, column: 户号, threshold: 0.99}}
  - {{name: 住址为本市地址, kind: pattern, column: 住址, regex: "浙江省杭州市.+", threshold: 0.999, severity: fail}}
  - {{name: 户主关系完整, kind: not_null, column: 与户主关系, threshold: 0.99}}
  - {{name: 按时更新, kind: freshness}}
  - {{name: 记录数稳定, kind: row_count_change, max_change: 0.2}}
  - {{name: 数据可访问, kind: accessible, severity: fail}}
"""

CROSS_RULES = """# 数据主管部门: 多源校核, 民政 的低保名册对照 公安 的户籍登记 (rules across departments are the operator's)
resource: {dibao}
rules:
  - name: 住址与公安一致
    kind: cross_source
    column: 住址
    other: {{resource: {hukou}, key: 公民身份号码}}
    threshold: 0.95
  - {{name: 在户籍登记, kind: referential, column: 公民身份号码, ref: {{resource: {hukou}, column: 公民身份号码}}}}
"""

CIVIL_RULES = """# 杭州市民政局 最低生活保障对象信息: 数据质量规则
resource: {dibao}
rules:
  - {{name: 救助类型代码, kind: in_code_table, column: 救助类型, values: [城市低保, 农村低保]}}
  - {{name: 救助金额范围, kind: range, column: 救助金额, min: 0, max: 5000}}
  - {{name: 手机号码有效, kind: valid, column: 手机号码, threshold: 0.98}}
  - {{name: 按月更新, kind: freshness}}
"""

ELEMENT_RULES = """# 数据主管部门: 数据元上的规则, 凡映射到该数据元的信息项均适用
rules:
  - {name: 公民身份号码符合国标, kind: valid, element: DE01001, severity: fail}
  - {name: 姓名不为空, kind: not_null, element: DE01002, threshold: 0.999}
"""


@dataclass(frozen=True)
class QualityDemo:
    rule_files: list[Path]
    held: LoadResult  # the increment the gate held back
    corrected: LoadResult


def import_rules(db: Database, actors: dict[str, Actor], codes: dict[str, str], data_dir: Path) -> list[Path]:
    """Write each department's rule file where it keeps them, and import it as that department."""
    folder = data_dir / "quality-rules"
    folder.mkdir(parents=True, exist_ok=True)
    hukou, dibao = codes["常住人口户籍信息"], codes["最低生活保障对象信息"]
    files = [
        (folder / "公安_常住人口.yaml", POLICE_RULES.format(hukou=hukou), "gaadmin"),
        (folder / "民政_低保.yaml", CIVIL_RULES.format(dibao=dibao), "mzadmin"),
        (folder / "数据局_多源校核.yaml", CROSS_RULES.format(hukou=hukou, dibao=dibao), "op"),
        (folder / "数据元.yaml", ELEMENT_RULES, "op"),
    ]
    for path, text, who in files:
        path.write_text(text, encoding="utf-8")
        with db.session() as s:
            quality.import_rules(s, actors[who], text, path.name)
    return [p for p, _, _ in files]


def movers(people: list[Person], seed: int) -> list[Person]:
    """The residents in 公安's next increments (a change record each)."""
    return random.Random(seed + 11).sample(people, min(80, len(people) // 10))


def later_increments(
    db: Database,
    store: Store,
    actor: Actor,
    handed: Handed,
    moved: list[Person],
    fixes: dict[str, str] | None = None,
) -> tuple[LoadResult, LoadResult]:
    """公安's next two increments through the daily source: the first typed with addresses that
    lost their city (held back by the gate), then the same people written correctly, with the new
    addresses of those whose move was reported (``fixes``: ID number → address)."""
    fixes = fixes or {}
    path = Path(handed.directory) / "公安_常住人口_变动.csv"
    slips = [replace(p, address=p.address.split("杭州市", 1)[-1]) for p in moved]
    write_police_csv(path, "杭州市公安局常住人口变动信息（日增量）", police_rows(slips))
    held = run_load(db, store, actor, "ga-hukou-daily")
    right = [replace(p, address=fixes.get(p.id_number, p.address)) for p in moved]
    write_police_csv(path, "杭州市公安局常住人口变动信息（日增量，更正）", police_rows(right))
    corrected = run_load(db, store, actor, "ga-hukou-daily")
    return held, corrected
