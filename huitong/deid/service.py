"""De-identified releases and published statistics, each with its permission check and ledger entry.

A release (去标识化发布) follows GB/T 37964's process: the provider's administrator proposes a plan for
one version (确定目标, 识别标识, 处理标识); the plan is applied as SQL over the version and the result's
re-identification risk is measured at once (验证); below the plan's k (or l) the release is refused
with the failing equivalence classes, and nothing leaves.  A plan that passes waits for its approvals
(审批): the provider's, and for 重要 data the operator's as well; the last approval writes the result
as a version of its own table with its lineage (the source version, the plan, the risk report).

Pseudonyms use a key made for the release and kept beside the ledger keys, outside the database;
reading it is the operator's alone and is recorded.  Published figures spend the resource's privacy
budget (ε), which is refused once spent.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from huitong.access import Actor, Target, decide, require
from huitong.access.roles import Role
from huitong.catalog import service as catalog
from huitong.catalog.model import DataItem, DataType
from huitong.catalog.tables import Resource
from huitong.classify.controls import check_release, controls_for
from huitong.classify.grading import Treatment, derived_grade
from huitong.db.base import Database, after_commit
from huitong.deid import dp
from huitong.deid.plan import Plan
from huitong.deid.release import apply
from huitong.deid.risk import assess
from huitong.deid.tables import DeidBudget, DeidRelease, DeidStatistic
from huitong.errors import Conflict, Forbidden, NotFound, Problem, invalid
from huitong.ledger.events import record, record_apart
from huitong.standards import masking
from huitong.standards.elements import Grade
from huitong.standards.store import elements_of
from huitong.store.store import Store

DEFAULT_BUDGET = 1.0  # ε per resource until the operator sets another
MAX_EPSILON = 10.0  # per figure: beyond it the noise no longer hides one person
NAME_MAX = 200


def _now() -> datetime:
    return datetime.now(UTC)


def _resource(session: Session, actor: Actor, code: str, action: str) -> Resource:
    res = catalog.get(session, actor, code)
    require(actor, action, Target(department_id=res.provider_id))
    return res


def key_dir(store: Store) -> Path:
    """Release keys live beside the ledger's keys (``<data_dir>/keys/deid``), never in the database."""
    return store.warehouse.parent / "keys" / "deid"


def _save_key(store: Store, release_id: int, key: bytes) -> None:
    folder = key_dir(store)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"release-{release_id}.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)


def _key(store: Store, release_id: int) -> bytes:
    path = key_dir(store) / f"release-{release_id}.key"
    try:
        return path.read_bytes()
    except OSError:
        raise NotFound(f"the key of release {release_id} is missing from {key_dir(store)}") from None


_ARROW_TYPES = [
    (pa.types.is_string, DataType.C),
    (pa.types.is_large_string, DataType.C),
    (pa.types.is_integer, DataType.I),
    (pa.types.is_floating, DataType.F),
    (pa.types.is_date, DataType.D),
    (pa.types.is_timestamp, DataType.T),
    (pa.types.is_boolean, DataType.L),
]


def _items(table: pa.Table) -> list[DataItem]:
    """The release table's columns as data items (their types as the plan's output has them)."""
    out = []
    for f in table.schema:
        kind = next((t for test, t in _ARROW_TYPES if test(f.type)), DataType.C)
        out.append(DataItem(f.name, kind))
    return out


def _normalised(table: pa.Table) -> pa.Table:
    """Decimals become doubles, other odd types text: a release table's columns are plain types."""
    cols = []
    for f in table.schema:
        col = table.column(f.name)
        if pa.types.is_decimal(f.type):
            col = col.cast(pa.float64())
        elif not any(test(f.type) for test, _ in _ARROW_TYPES):
            col = col.cast(pa.string())
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _assess(out: pa.Table, plan: Plan):
    return assess(out, list(plan.quasi), k=plan.k, sensitive=list(plan.sensitive), l=plan.l)


def _shown(session: Session, res: Resource, plan: Plan, risk: dict[str, Any]) -> dict[str, Any]:
    """The risk report as kept and shown: a failing class's value of a quasi-identifier the plan leaves
    as stored is shown as the item's grade shows it everywhere else (masked, or hidden for 核心), so
    a refused plan over an identifying column does not list its values."""
    untouched = [q for q in plan.quasi if q not in plan.columns]
    if not untouched or not risk.get("failing"):
        return risk
    items = {it.name: it for it in res.items}
    elements = elements_of(session, {it.element for it in res.items if it.element})
    for cls in risk["failing"]:
        for q in untouched:
            item, value = items.get(q), cls["values"].get(q)
            if item is None or value is None:
                continue
            element = elements.get(item.element) if item.element else None
            cls["values"][q] = masking.show(item.grade, element.mask_rule if element else None, str(value))
    return risk


def _min_k(grade: Grade) -> int:
    return controls_for(grade).min_k


def _check_plan_for(res: Resource, plan: Plan) -> None:
    """What the resource's grade asks of a plan: a k, at least the grade's floor, and quasi-identifiers
    to measure it over."""
    floor = _min_k(Grade(res.grade))
    problems = []
    if plan.k is None or plan.k < floor:
        problems.append(Problem(f"at least {floor}", field="k", value=str(plan.k)))
    if not plan.quasi:
        problems.append(Problem("name the quasi-identifiers k is measured over", field="quasi"))
    if problems:
        raise invalid(
            f"{res.code} is graded {Grade(res.grade).label_zh}: a release needs quasi-identifiers and "
            f"k of {floor} or more",
            *problems,
        )


def propose(
    session: Session, store: Store, actor: Actor, code: str, plan_raw: Any, *, name: str
) -> DeidRelease:
    """Apply a plan to the current version and measure the result; a release that does not reach its k
    (or the grade's minimum k) is kept as refused, with the classes that fail, and goes no further."""
    res = _resource(session, actor, code, "deid.manage")
    check_release(res.grade, "microdata")
    title = (name or "").strip()
    if not title or len(title) > NAME_MAX:
        raise invalid("a release needs a name", Problem(f"1 to {NAME_MAX} characters", field="name"))
    plan = Plan.parse(plan_raw)
    _check_plan_for(res, plan)
    version = store.version(res.code)
    table = store.read(res.code, version.snapshot_id, columns=[it.name for it in res.items])
    row = DeidRelease(
        resource_code=res.code,
        department_id=res.provider_id,
        name=title,
        snapshot_id=str(version.snapshot_id),
        plan=plan.to_dict(),
        grade_in=res.grade,
        grade_out=derived_grade([Grade(res.grade)], Treatment.deidentified).value,
        rows_in=table.num_rows,
        status="pending",
        needs=list(controls_for(res.grade).release_approvers),
        approvals=[],
        created_by=actor.username[:64],
    )
    session.add(row)
    session.flush()
    key = secrets.token_bytes(32)
    out = apply(table, plan, key=key)
    # kept once the release is: a plan refused as bad input, or a rolled-back proposal, leaves no key
    after_commit(session, lambda rid=row.id: _save_key(store, rid, key))
    report = _assess(out, plan)
    row.risk, row.rows_out = _shown(session, res, plan, report.to_dict()), out.num_rows
    if not report.passes:
        row.status = "refused"
        row.reason = (
            f"k-anonymity {report.k_achieved} is below {plan.k}: {report.failing_count} equivalence "
            f"class(es) fail, {report.records_below_k} record(s) would need suppressing"
            if report.k_achieved is not None and report.k_achieved < plan.k
            else f"l-diversity below {plan.l}: {report.failing_count} equivalence class(es) fail"
        )
    session.flush()
    record(
        session,
        actor,
        "deid.release.propose",
        "resource",
        res.code,
        result="ok" if report.passes else "refused",
        details={
            "release": row.id,
            "snapshot": row.snapshot_id,
            "plan_sha256": hashlib.sha256(json.dumps(row.plan, sort_keys=True).encode()).hexdigest(),
            "k": plan.k,
            "k_achieved": report.k_achieved,
            "records_below_k": report.records_below_k,
            "max_risk": report.max_risk,
            **({"reason": row.reason} if row.reason else {}),
        },
    )
    return row


def _approver(actor: Actor, row: DeidRelease) -> str:
    if actor.has(Role.operator):
        return "operator"
    if actor.has(Role.dept_admin) and actor.department_id == row.department_id:
        return "provider"
    raise Forbidden(
        f"{actor.label()} may not approve release {row.id}: the provider's administrator or the operator does"
    )


def _check_approval(row: DeidRelease, role: str) -> None:
    if row.status != "pending":
        raise Conflict(f"release {row.id} is {row.status}: only a pending release is approved")
    if role not in row.needs:
        raise Conflict(f"release {row.id} needs no {role} approval (it needs: {', '.join(row.needs)})")
    if any(a["as"] == role for a in row.approvals):
        raise Conflict(f"release {row.id} already has the {role}'s approval")


def _check_grade_now(session: Session, row: DeidRelease) -> None:
    """The source's grade as it stands at approval: a grade raised since the proposal (a confirmed
    classification finding, say) may forbid the release, raise its least k or add an approver."""
    res = session.scalars(select(Resource).where(Resource.code == row.resource_code)).one()
    check_release(res.grade, "microdata")
    floor = _min_k(Grade(res.grade))
    k = (row.plan or {}).get("k")
    if k is None or k < floor:
        raise Conflict(
            f"release {row.id}: {res.code} is now graded {Grade(res.grade).label_zh}, which needs k of "
            f"{floor} or more (the plan has {k}); propose it again"
        )
    needs = [*row.needs, *(n for n in controls_for(res.grade).release_approvers if n not in row.needs)]
    if needs != list(row.needs):
        row.needs = needs


def approve(db: Database, store: Store, actor: Actor, release_id: int) -> DeidRelease:
    """One approval; the last one needed writes the release as a version of its own table.  The store
    commits first, outside any transaction (SQLite's write lock); a release whose approval then loses a
    race keeps an unreferenced version of its table, which the next approval's write supersedes."""
    with db.session(read_only=True) as s:
        row = get(s, actor, release_id)
        role = _approver(actor, row)
        _check_grade_now(s, row)
        _check_approval(row, role)
        done = {a["as"] for a in row.approvals} | {role} >= set(row.needs)
        s.expunge(row)
    written = _publish(store, row) if done else None
    with db.session() as s:
        row = get(s, actor, release_id, lock=True)
        _check_grade_now(s, row)
        _check_approval(row, role)
        if written is not None and not {a["as"] for a in row.approvals} | {role} >= set(row.needs):
            raise Conflict(f"release {row.id} needs {', '.join(row.needs)} approval; it is not released")
        row.approvals = [*row.approvals, {"as": role, "by": actor.username[:64], "at": _now().isoformat()}]
        details: dict[str, Any] = {"release": row.id, "as": role}
        if written is not None:
            row.output_code, row.output_snapshot_id, row.rows_out = written
            row.status, row.released_at = "released", _now()
            details |= {
                "output": row.output_code,
                "output_snapshot": row.output_snapshot_id,
                "rows": row.rows_out,
            }
        s.flush()
        record(s, actor, "deid.release.approve", "resource", row.resource_code, details=details)
        s.expunge(row)
    return row


def _publish(store: Store, row: DeidRelease) -> tuple[str, str, int]:
    """The same plan, key and version as the check: the output is the one that was measured."""
    plan = Plan.parse(row.plan)
    items = [n for n in _source_columns(store, row)]
    table = store.read(row.resource_code, int(row.snapshot_id), columns=items)
    out = _normalised(apply(table, plan, key=_key(store, row.id)))
    report = _assess(out, plan)
    if not report.passes:  # the version and plan are fixed, so this would be a defect: refuse loudly
        raise Conflict(f"release {row.id} no longer passes its risk check; it is not released")
    code = f"{row.resource_code}/R{row.id}"
    store.ensure_table(code, _items(out), key=[])
    version = store.write(code, out, load_id=f"deid-release-{row.id}")
    return code, str(version.snapshot_id), out.num_rows


def _source_columns(store: Store, row: DeidRelease) -> list[str]:
    return [c.name for c in store.describe(row.resource_code).columns]


def get(session: Session, actor: Actor, release_id: int, *, lock: bool = False) -> DeidRelease:
    q = select(DeidRelease).where(DeidRelease.id == release_id)
    if lock:
        q = q.with_for_update()
    row = session.scalars(q).first()
    if row is None:
        raise NotFound(f"no release {release_id}")
    require(actor, "deid.read", Target(department_id=row.department_id))
    return row


def releases(session: Session, actor: Actor, code: str | None = None) -> list[DeidRelease]:
    q = select(DeidRelease).order_by(DeidRelease.id.desc())
    if code:
        q = q.where(DeidRelease.resource_code == catalog.get(session, actor, code).code)
    return [
        r for r in session.scalars(q) if decide(actor, "deid.read", Target(department_id=r.department_id))
    ]


def read_key(session: Session, store: Store, actor: Actor, release_id: int, purpose: str) -> bytes:
    """The re-identification key of a release: the operator's alone, with a stated purpose, recorded."""
    row = get(session, actor, release_id)
    require(actor, "deid.key.read", Target(department_id=row.department_id))
    text = (purpose or "").strip()
    if not text:
        raise invalid("reading a re-identification key needs a purpose", Problem("required", field="purpose"))
    record(
        session,
        actor,
        "deid.key.read",
        "resource",
        row.resource_code,
        details={"release": row.id, "purpose": text},
    )
    return _key(store, row.id)


# ---- published statistics with differential privacy --------------------------------------------------


def budget(session: Session, code: str, *, lock: bool = False) -> DeidBudget:
    q = select(DeidBudget).where(DeidBudget.resource_code == code)
    if lock:
        q = q.with_for_update()
    row = session.scalars(q).first()
    if row is None:
        row = DeidBudget(resource_code=code, total=DEFAULT_BUDGET, spent=0.0)
        session.add(row)
        session.flush()
    return row


def set_budget(session: Session, actor: Actor, code: str, total: float) -> DeidBudget:
    res = _resource(session, actor, code, "deid.budget")
    row = budget(session, res.code, lock=True)
    dp.Budget(total, min(row.spent, total))  # a finite, non-negative total
    if total < row.spent:
        raise Conflict(f"{res.code} has already spent ε {row.spent}; the total cannot be set below it")
    before = row.total
    row.total, row.updated_at = float(total), _now()
    session.flush()
    record(
        session,
        actor,
        "deid.budget.set",
        "resource",
        res.code,
        details={"total": row.total, "before": before},
    )
    return row


STATISTICS = ("count", "sum", "mean", "histogram")


def publish_statistic(
    session: Session,
    store: Store,
    actor: Actor,
    code: str,
    *,
    statistic: str,
    epsilon: float,
    column: str | None = None,
    categories: list | None = None,
    lower: float | None = None,
    upper: float | None = None,
) -> DeidStatistic:
    """One differentially private figure over the current version, charged to the resource's budget."""
    res = _resource(session, actor, code, "deid.manage")
    check_release(res.grade, "statistics")
    if isinstance(epsilon, int | float) and epsilon > MAX_EPSILON:
        raise invalid(
            f"ε {epsilon} for one figure is more than {MAX_EPSILON}: so weak a guarantee is no protection",
            Problem(f"at most {MAX_EPSILON}", field="epsilon", value=str(epsilon)),
        )
    if statistic not in STATISTICS:
        raise invalid(
            f"unknown statistic {statistic!r}",
            Problem(f"one of {', '.join(STATISTICS)}", field="statistic", value=str(statistic)),
        )
    names = [it.name for it in res.items]
    if statistic != "count" and column not in names:
        raise invalid(
            f"{res.code} has no data item {column!r}",
            Problem("no such data item", field="column", value=str(column)),
        )
    row = budget(session, res.code, lock=True)
    try:
        after = dp.Budget(row.total, row.spent).charge(epsilon)
    except dp.BudgetExhausted:
        record_apart(
            session,
            actor,
            "deid.dp.release",
            "resource",
            res.code,
            result="refused",
            details={
                "statistic": statistic,
                "column": column,
                "epsilon": epsilon,
                "remaining": row.total - row.spent,
            },
        )
        raise
    version = store.version(res.code)
    values = store.read(res.code, version.snapshot_id, columns=[column or names[0]]).column(0)
    if statistic == "count":
        out = dp.count(values, epsilon=epsilon)
    elif statistic == "histogram":
        out = dp.histogram(values, categories=categories or [], epsilon=epsilon)
    else:
        fn = dp.sum if statistic == "sum" else dp.mean
        out = fn(values, lower=lower, upper=upper, epsilon=epsilon)
    row.spent, row.updated_at = after.spent, _now()
    figure = DeidStatistic(
        resource_code=res.code,
        snapshot_id=str(version.snapshot_id),
        statistic=statistic,
        column=column,
        epsilon=float(epsilon),
        result=out.to_dict(),
        created_by=actor.username[:64],
    )
    session.add(figure)
    session.flush()
    record(
        session,
        actor,
        "deid.dp.release",
        "resource",
        res.code,
        details={
            "figure": figure.id,
            "statistic": statistic,
            "column": column,
            "epsilon": float(epsilon),
            "spent": row.spent,
            "total": row.total,
            "snapshot": figure.snapshot_id,
        },
    )
    return figure


def statistics_of(session: Session, actor: Actor, code: str) -> tuple[DeidBudget, list[DeidStatistic]]:
    """A resource's privacy budget (as it stands; nothing is written) and the figures published from
    it, newest first."""
    res = _resource(session, actor, code, "deid.read")
    figures = session.scalars(
        select(DeidStatistic).where(DeidStatistic.resource_code == res.code).order_by(DeidStatistic.id.desc())
    )
    kept = session.get(DeidBudget, res.code)
    return kept or DeidBudget(resource_code=res.code, total=DEFAULT_BUDGET, spent=0.0), list(figures)
