"""Classification's actions, each with its permission check and ledger entry: scan a version for
personal data, keep each column's proposal, confirm or override it, raise the re-grading reviews of
GB/T 43697 Annex J, and report the undeclared personal data and the list of important data.

A scan reads the version's columns and hands them to :mod:`discover`; everything it finds is a
*proposal* until the provider's administrator confirms it (the catalog item's grade then rises) or
overrides it with a reason.  A column whose catalog item is graded below what its values propose is
*undeclared* personal data, shown on the dashboard until someone decides.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from huitong.access import Actor, Target, decide, require
from huitong.access.roles import Role
from huitong.catalog import service as catalog
from huitong.catalog.tables import Resource
from huitong.classify import discover
from huitong.classify.grading import GradePolicy, dataset_grade, policy_of
from huitong.classify.kinds import INFO, Kind
from huitong.classify.tables import ClassifyColumn, ClassifyReview, ClassifyScan
from huitong.errors import Conflict, NotFound, Problem, invalid
from huitong.ledger.events import record
from huitong.standards.elements import Grade
from huitong.store.store import Store

# 动态更新 triggers: the GB/T 35273 §11.1 scales (1,000,000 people; 100,000 for sensitive data)
COVERAGE_STEPS = (100_000, 1_000_000, 10_000_000)
QUASI_KINDS = {Kind.birth_date, Kind.division_code, Kind.address}
QUASI_ELEMENTS = {"gender"}
REASON_MAX = 500


def _res(session: Session, actor: Actor, code: str, action: str) -> Resource:
    res = catalog.get(session, actor, code)
    require(actor, action, Target(department_id=res.provider_id))
    return res


def _labels(res: Resource) -> dict[str, list[str]]:
    """More names per column for the hints: the item's English name, its data element, its note."""
    return {it.name: [x for x in (it.name_en, it.element, it.description) if x] for it in res.items}


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ScanResult:
    scan: ClassifyScan
    columns: list[ClassifyColumn]
    reviews: list[ClassifyReview]


def scan(
    session: Session,
    store: Store,
    actor: Actor,
    code: str,
    snapshot_id: int | None = None,
    *,
    trigger: str = "manual",
    sample: int | None = discover.DEFAULT_SAMPLE,
    policy: GradePolicy | None = None,
) -> ScanResult:
    """Scan one version (the current one unless told) and bring each column's proposal up to date;
    changes since the previous scan become review tasks."""
    started = time.monotonic()
    res = _res(session, actor, code, "classify.scan")
    version = store.version(res.code, snapshot_id)
    stored = {c.name for c in store.describe(res.code).columns}
    items = [it.name for it in res.items if it.name in stored]  # an item added since has no column yet
    # a stream of the version's files: DuckDB samples it as it reads, never holding the version whole
    table = store.stream(res.code, version.snapshot_id, items)
    found = discover.scan(
        table, rows=version.rows, sample=sample, labels=_labels(res), policy=policy or policy_of(session)
    )
    previous = session.scalars(
        select(ClassifyScan)
        .where(ClassifyScan.resource_code == res.code)
        .order_by(ClassifyScan.id.desc())
        .limit(1)
    ).first()
    now = _now()  # one time for the scan and what it first sees (the next scan's "before" is by it)
    row = ClassifyScan(
        at=now,
        resource_code=res.code,
        department_id=res.provider_id,
        snapshot_id=str(version.snapshot_id),
        rows=found.rows,
        sampled_rows=found.sampled_rows,
        sample_size=sample,
        findings=len(found.findings),
        trigger=trigger,
        actor_name=actor.username[:64],
    )
    session.add(row)
    session.flush()
    kept = {
        c.column: c
        for c in session.scalars(select(ClassifyColumn).where(ClassifyColumn.resource_code == res.code))
    }
    by_item = {it.name: it for it in res.items}
    columns: list[ClassifyColumn] = []
    new_personal: list[str] = []
    for f in found.findings:
        item = by_item[f.column]
        col = kept.pop(f.column, None)
        if col is None:
            col = ClassifyColumn(
                resource_code=res.code, department_id=res.provider_id, column=f.column, first_seen_at=now
            )
            session.add(col)
            if previous is not None and INFO[f.kind].personal:
                new_personal.append(f.column)
        elif col.status != "proposed" and (
            col.kind != f.kind.value or Grade(col.proposed_grade).rank < f.grade.rank
        ):
            col.status = "proposed"  # the evidence changed under the decision: decide again
            new_personal.append(f.column)
        col.scan_id = row.id
        col.kind, col.share, col.confidence = f.kind.value, f.share, f.confidence
        col.sampled, col.matched, col.evidence = f.sampled, f.matched, f.evidence
        col.name_hint, col.classes, col.proposed_grade = f.hint, list(f.classes), f.grade.value
        col.declared_grade, col.declared_element = item.grade, item.element
        col.present, col.updated_at = True, now
        columns.append(col)
    for gone in kept.values():  # found before, not now (a column emptied or dropped)
        gone.present, gone.scan_id, gone.updated_at = False, row.id, now
    session.flush()
    reviews = _reviews(session, res, row, previous, new_personal, columns)
    row.seconds = round(time.monotonic() - started, 3)
    record(
        session,
        actor,
        "classify.scan",
        "resource",
        res.code,
        details={
            "scan": row.id,
            "snapshot": row.snapshot_id,
            "rows": row.rows,
            "sampled": row.sampled_rows,
            "findings": [f"{f.column}:{f.kind.value}" for f in found.findings],
            "undeclared": [c.column for c in columns if undeclared(c)],
            "reviews": [r.trigger for r in reviews],
            "trigger": trigger,
        },
    )
    return ScanResult(row, columns, reviews)


def scannable(session: Session, store: Store, actor: Actor) -> list[str]:
    """The stored resources ``actor`` may scan (数据资产梳理 over everything it holds), by code."""
    rows = session.execute(select(Resource.code, Resource.provider_id).order_by(Resource.code)).all()
    return [
        code
        for code, provider in rows
        if decide(actor, "classify.scan", Target(department_id=provider)) and store.exists(code)
    ]


DESCRIBES = ("personal", "organisation", "public")  # GB/T 43697 Annex A: 个人信息 / 组织数据 / 公共数据


def describes(columns: Sequence[ClassifyColumn]) -> str:
    """What a resource describes (描述对象), from its findings: persons if any column holds personal
    data, organisations if it holds their codes, else public data."""
    present = [Kind(c.decided_kind or c.kind) for c in columns if c.present]
    if any(INFO[k].personal for k in present):
        return "personal"
    if Kind.uscc in present:
        return "organisation"
    return "public"


def _quasi(res: Resource, columns: Sequence[ClassifyColumn]) -> list[str]:
    found = {c.column for c in columns if c.present and Kind(c.kind) in QUASI_KINDS}
    found |= {it.name for it in res.items if (it.element or "") in QUASI_ELEMENTS}
    return sorted(found)


def _reviews(
    session: Session,
    res: Resource,
    row: ClassifyScan,
    previous: ClassifyScan | None,
    new_personal: Sequence[str],
    columns: Sequence[ClassifyColumn],
) -> list[ClassifyReview]:
    """The re-grading tasks of GB/T 43697 Annex J that this scan raises."""
    out: list[ClassifyReview] = []

    def task(trigger: str, details: dict) -> None:
        out.append(
            ClassifyReview(
                resource_code=res.code,
                department_id=res.provider_id,
                scan_id=row.id,
                trigger=trigger,
                details=details,
            )
        )

    if previous is None:
        return out
    if new_personal:
        task("new_personal_column", {"columns": list(new_personal)})
    crossed = [s for s in COVERAGE_STEPS if previous.rows < s <= row.rows]
    if crossed or (previous.rows > 0 and row.rows >= 2 * previous.rows):
        task("coverage_jump", {"rows_before": previous.rows, "rows": row.rows, "crossed": crossed})
    quasi_now, quasi_before = _quasi(res, columns), previous_quasi(session, res, previous)
    if len(quasi_now) >= 2 and set(quasi_now) - set(quasi_before):
        task("new_quasi_combination", {"quasi": quasi_now, "before": quasi_before})
    for t in out:
        session.add(t)
    session.flush()
    return out


def previous_quasi(session: Session, res: Resource, previous: ClassifyScan) -> list[str]:
    """The quasi-identifiers as of the previous scan: the columns found then (by their scan ids)."""
    rows = session.scalars(select(ClassifyColumn).where(ClassifyColumn.resource_code == res.code)).all()
    found = {c.column for c in rows if Kind(c.kind) in QUASI_KINDS and c.first_seen_at <= previous.at}
    found |= {it.name for it in res.items if (it.element or "") in QUASI_ELEMENTS}
    return sorted(found)


def undeclared(col: ClassifyColumn) -> bool:
    """Personal data the catalog does not declare: the item names no data element (its values are
    not said to be anything), is graded below what they propose, and nobody has decided otherwise."""
    return (
        col.present
        and col.status == "proposed"
        and INFO[Kind(col.kind)].personal
        and not col.declared_element
        and Grade(col.declared_grade).rank < Grade(col.proposed_grade).rank
    )


def columns_of(session: Session, actor: Actor, code: str) -> list[ClassifyColumn]:
    res = _res(session, actor, code, "classify.read")
    return list(
        session.scalars(
            select(ClassifyColumn).where(ClassifyColumn.resource_code == res.code).order_by(ClassifyColumn.id)
        )
    )


def scans_of(session: Session, actor: Actor, code: str, limit: int = 20) -> list[ClassifyScan]:
    res = _res(session, actor, code, "classify.read")
    return list(
        session.scalars(
            select(ClassifyScan)
            .where(ClassifyScan.resource_code == res.code)
            .order_by(ClassifyScan.id.desc())
            .limit(limit)
        )
    )


def _visible_departments(actor: Actor) -> int | None | bool:
    """None: every department; an id: one; False: none."""
    if actor.has(Role.operator) or actor.has(Role.auditor) or actor.is_system:
        return None
    if actor.department_id is not None and (actor.has(Role.dept_admin) or actor.has(Role.dept_user)):
        return actor.department_id
    return False


def proposals(session: Session, actor: Actor) -> list[ClassifyColumn]:
    """Every column still awaiting a decision that the actor may see, by resource."""
    scope = _visible_departments(actor)
    if scope is False:
        return []
    q = select(ClassifyColumn).where(ClassifyColumn.status == "proposed", ClassifyColumn.present.is_(True))
    if scope is not None:
        q = q.where(ClassifyColumn.department_id == scope)
    return list(session.scalars(q.order_by(ClassifyColumn.resource_code, ClassifyColumn.id)))


def open_findings(session: Session, actor: Actor) -> list[ClassifyColumn]:
    """Undeclared personal data the actor may see (the dashboard's finding), newest first."""
    return sorted((c for c in proposals(session, actor) if undeclared(c)), key=lambda c: -c.id)


def _reason(reason: str | None, required: bool) -> str | None:
    text = (reason or "").strip()
    if required and not text:
        raise invalid("an override needs a reason", Problem("give the reason for the grade", field="reason"))
    if len(text) > REASON_MAX:
        raise invalid(
            f"the reason is longer than {REASON_MAX} characters",
            Problem(f"at most {REASON_MAX} characters", field="reason"),
        )
    return text or None


def decide_column(
    session: Session,
    actor: Actor,
    code: str,
    column: str,
    *,
    action: str,
    grade: str | None = None,
    reason: str | None = None,
) -> ClassifyColumn:
    """The provider's administrator confirms a proposal (the item's grade rises to it) or overrides
    it with another grade and a reason (the item's grade rises to that, never falls here)."""
    res = _res(session, actor, code, "classify.decide")
    col = session.scalars(
        select(ClassifyColumn).where(
            ClassifyColumn.resource_code == res.code, ClassifyColumn.column == column
        )
    ).first()
    if col is None:
        raise NotFound(f"{res.code} has no classification finding on column {column!r}")
    if action not in ("confirm", "override"):
        raise invalid(
            f"unknown decision {action!r}",
            Problem("must be confirm or override", field="action", value=action),
        )
    if col.status != "proposed":
        raise Conflict(f"the finding on {column!r} was already {col.status} by {col.decided_by}")
    text = _reason(reason, required=action == "override")
    chosen = Grade(col.proposed_grade) if action == "confirm" else Grade.parse(grade or "", "grade")
    before = col.declared_grade
    catalog.raise_grades(
        session,
        actor,
        res.code,
        {column: chosen},
        reason=f"classification {action}: {column} {INFO[Kind(col.kind)].label_zh} → {chosen.label_zh}"
        + (f" ({text})" if text else ""),
    )
    col.status = "confirmed" if action == "confirm" else "overridden"
    col.decided_grade, col.decided_kind = chosen.value, col.kind
    col.reason, col.decided_by, col.decided_at = text, actor.username[:64], _now()
    item = next(it for it in res.items if it.name == column)
    col.declared_grade = item.grade
    session.flush()
    record(
        session,
        actor,
        f"classify.{action}",
        "resource",
        res.code,
        details={
            "column": column,
            "kind": col.kind,
            "proposed": col.proposed_grade,
            "grade": chosen.value,
            "item_grade_before": before,
            "item_grade": item.grade,
            **({"reason": text} if text else {}),
        },
    )
    return col


def reviews(
    session: Session, actor: Actor, *, status: str | None = "open", code: str | None = None
) -> list[ClassifyReview]:
    scope = _visible_departments(actor)
    if scope is False:
        return []
    q = select(ClassifyReview)
    if status:
        q = q.where(ClassifyReview.status == status)
    if scope is not None:
        q = q.where(ClassifyReview.department_id == scope)
    if code:
        q = q.where(ClassifyReview.resource_code == code)
    return list(session.scalars(q.order_by(ClassifyReview.id.desc())))


def close_review(session: Session, actor: Actor, review_id: int, note: str) -> ClassifyReview:
    task = session.get(ClassifyReview, review_id)
    if task is None:
        raise NotFound(f"no classification review {review_id}")
    require(actor, "classify.decide", Target(department_id=task.department_id))
    if task.status != "open":
        raise Conflict(f"review {review_id} was already closed by {task.closed_by}")
    text = _reason(note, required=True)
    task.status, task.note, task.closed_by, task.closed_at = "closed", text, actor.username[:64], _now()
    session.flush()
    record(
        session,
        actor,
        "classify.review.close",
        "resource",
        task.resource_code,
        details={"review": task.id, "trigger": task.trigger, "note": text},
    )
    return task


@dataclass(frozen=True)
class ImportantEntry:
    code: str
    name: str
    provider: str
    grade: Grade
    items: list[tuple[str, str]]  # (item, grade) of its 重要/核心 items


def important_data(session: Session, actor: Actor) -> list[ImportantEntry]:
    """重要数据目录: every resource graded 重要 or 核心 that the actor may read, with the items that make it
    so (就高从严: a resource takes its highest item)."""
    rows = session.scalars(
        select(Resource)
        .where(Resource.grade.in_([Grade.important.value, Grade.core.value]))
        .order_by(Resource.code)
    ).all()
    out = []
    for res in rows:
        target = Target(department_id=res.provider_id, status=res.status, open_type=res.open_type)
        if not decide(actor, "catalog.read", target):
            continue
        grades = [Grade(it.grade) for it in res.items]
        out.append(
            ImportantEntry(
                res.code,
                res.name,
                res.provider.name,
                dataset_grade(grades),
                [(it.name, it.grade) for it in res.items if Grade(it.grade).rank >= Grade.important.rank],
            )
        )
    return out
