"""Grading (分级) as rules over data, configurable per province (GB/T 43697 §6; the guide's §4.2).

The numbers in GB/T 43697's annexes are not all confirmed, so every table here is a default that a
province replaces in its grading policy file (``grading_policy`` in ``huitong.toml``):

- the grade a kind of personal data proposes (a data element's kind its element's default grade;
  敏感个人信息 and children's data 4级);
- the impact table of §6.5: 影响对象 × 影响程度 → 核心 / 重要 / 一般;
- how a derived resource's grade follows from its inputs (Annex I, 衍生数据): a copy keeps the highest
  (就高从严), fusion raises one step within 一般, de-identification lowers to at most 一般2级 and
  statistics to 一般1级, while 重要 and 核心 data keep their level except as statistics.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from huitong.classify.kinds import MINOR, Kind
from huitong.errors import Problem, invalid
from huitong.standards.elements import BUILTIN_ELEMENTS, Grade


class Impact(StrEnum):
    national_security = "national_security"  # 国家安全
    economy = "economy"  # 经济运行
    social_order = "social_order"  # 社会秩序
    public_interest = "public_interest"  # 公共利益
    organisation = "organisation"  # 组织权益
    individual = "individual"  # 个人权益


class Degree(StrEnum):
    severe = "severe"  # 特别严重危害
    serious = "serious"  # 严重危害
    ordinary = "ordinary"  # 一般危害


class Treatment(StrEnum):
    copy = "copy"  # the same rows, or a selection of them
    fusion = "fusion"  # records of several inputs joined into one (融合)
    deidentified = "deidentified"  # 去标识化 under a release plan that passed its risk check
    statistics = "statistics"  # aggregated figures (统计)


def _general(n: int) -> Grade:
    return Grade(f"general_{max(1, min(4, n))}")


# A kind that is a standard data element proposes that element's own default grade (one scale for
# elements, items and discovery); the rest are sensitive personal data (4级) or set here.
KIND_ELEMENT = {
    Kind.id_number: "DE01001",
    Kind.person_name: "DE01002",
    Kind.birth_date: "DE01004",
    Kind.uscc: "DE02001",
    Kind.division_code: "DE03001",
    Kind.address: "DE03002",
    Kind.mobile: "DE04001",
    Kind.landline: "DE04002",
    Kind.email: "DE04004",
}
_ELEMENT_GRADES = {e.identifier: e.default_grade for e in BUILTIN_ELEMENTS}
DEFAULT_KIND_GRADES: dict[Kind, Grade] = {
    **{kind: Grade.general_4 for kind in Kind},
    Kind.plate: Grade.general_3,
    Kind.ip: Grade.general_2,
    **{kind: Grade(_ELEMENT_GRADES[element]) for kind, element in KIND_ELEMENT.items()},
}

_I, _D = Impact, Degree
DEFAULT_IMPACT: dict[tuple[Impact, Degree], str] = {
    (_I.national_security, _D.severe): "core",
    (_I.national_security, _D.serious): "core",
    (_I.national_security, _D.ordinary): "important",
    **{(i, _D.severe): "core" for i in (_I.economy, _I.social_order, _I.public_interest)},
    **{(i, _D.serious): "important" for i in (_I.economy, _I.social_order, _I.public_interest)},
    **{(i, _D.ordinary): "general" for i in (_I.economy, _I.social_order, _I.public_interest)},
    **{(i, d): "general" for i in (_I.organisation, _I.individual) for d in Degree},
}
# 一般数据 sub-grades by harm to 组织/个人权益 (Annex H, as the guide reads it)
GENERAL_BY_DEGREE = {
    Degree.severe: Grade.general_4,
    Degree.serious: Grade.general_3,
    Degree.ordinary: Grade.general_2,
}


@dataclass(frozen=True)
class GradePolicy:
    kinds: Mapping[Kind, Grade] = field(default_factory=lambda: dict(DEFAULT_KIND_GRADES))
    minor: Grade = Grade.general_4  # 14岁以下儿童信息
    impact: Mapping[tuple[Impact, Degree], str] = field(default_factory=lambda: dict(DEFAULT_IMPACT))

    def proposed(self, kind: Kind, classes: Iterable[str] = ()) -> Grade:
        """The grade a column of ``kind`` proposes; children's data raises it to the minor grade."""
        grade = self.kinds.get(kind, Grade.general_2)
        if MINOR in classes and self.minor.rank > grade.rank:
            grade = self.minor
        return grade

    def assess(self, impacts: Mapping[Impact, Degree]) -> Grade:
        """The level from an impact analysis (影响分析): the highest any impact object gives."""
        best = Grade.general_1
        for obj, degree in impacts.items():
            level = self.impact[(obj, degree)]
            grade = (
                Grade.core
                if level == "core"
                else Grade.important
                if level == "important"
                else GENERAL_BY_DEGREE[degree]
            )
            best = max(best, grade, key=lambda g: g.rank)
        return best


def dataset_grade(grades: Iterable[Grade]) -> Grade:
    """就高从严: a resource takes the highest grade among its items."""
    return max(grades, key=lambda g: g.rank, default=Grade.general_1)


def derived_grade(inputs: Iterable[Grade], treatment: Treatment) -> Grade:
    """The grade of a resource derived from ``inputs`` by ``treatment`` (Annex I)."""
    top = dataset_grade(inputs)
    general = top.rank <= Grade.general_4.rank
    if treatment is Treatment.copy:
        return top
    if treatment is Treatment.fusion:
        return _general(top.rank + 2) if general else top  # rank 0 is general_1
    if treatment is Treatment.deidentified:
        return _general(min(top.rank + 1, 2)) if general else top
    # statistics: figures about groups, not records
    if top is Grade.core:
        return top
    return Grade.general_1 if general else Grade.general_2


def policy_of(session) -> GradePolicy:
    """The policy of the session's database (``grading_policy`` in the settings), or the defaults."""
    db = session.info.get("database")
    found = db.parts.peek(GradePolicy) if db is not None else None
    return found or GradePolicy()


def load_policy(path: Path | None) -> GradePolicy:
    """The province's grading policy file (TOML), over the defaults; every mistake with its key."""
    policy = GradePolicy()
    if path is None or not str(path):
        return policy
    if not path.exists():
        raise invalid(f"grading policy {path} does not exist", Problem("no such file", file=str(path)))
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise invalid(f"{path}: not valid TOML", Problem(str(exc), file=str(path))) from exc
    problems: list[Problem] = []
    kinds = dict(policy.kinds)
    for name, value in (doc.get("kinds") or {}).items():
        try:
            kinds[Kind(name)] = Grade.parse(str(value), f"kinds.{name}")
        except ValueError:
            problems.append(
                Problem(f"unknown kind {name!r}", file=str(path), field=f"kinds.{name}", value=name)
            )
        except Exception as exc:  # HuitongError from Grade.parse
            problems.append(Problem(str(exc), file=str(path), field=f"kinds.{name}", value=str(value)))
    impact = dict(policy.impact)
    for obj, row in (doc.get("impact") or {}).items():
        for degree, level in (row or {}).items():
            where = f"impact.{obj}.{degree}"
            try:
                key = (Impact(obj), Degree(degree))
            except ValueError:
                problems.append(Problem("unknown impact object or degree", file=str(path), field=where))
                continue
            if level not in ("core", "important", "general"):
                problems.append(
                    Problem(
                        "must be core, important or general", file=str(path), field=where, value=str(level)
                    )
                )
                continue
            impact[key] = level
    unknown = set(doc) - {"kinds", "impact", "minor"}
    problems += [Problem("unknown section", file=str(path), field=k) for k in sorted(unknown)]
    minor = policy.minor
    if "minor" in doc:
        try:
            minor = Grade.parse(str(doc["minor"]), "minor")
        except Exception as exc:
            problems.append(Problem(str(exc), file=str(path), field="minor", value=str(doc["minor"])))
    if problems:
        raise invalid(f"grading policy {path} has {len(problems)} problem(s)", *problems)
    return replace(policy, kinds=kinds, impact=impact, minor=minor)
