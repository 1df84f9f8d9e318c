"""Quality's actions, each with its permission check and its ledger entry (the edges call these).

- rules: import a rule file (all or nothing), list, export, enable or disable;
- runs: measure a version (after each load, or asked for), keep its metrics, and hold a version
  back from being current when the resource's gate says a ``fail`` rule must pass;
- results: a run's measures with their samples, the scorecard of a resource (with its trend over
  versions) and of the departments.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huitong.access import SYSTEM, Actor, Target, decide, require
from huitong.access.roles import Role
from huitong.catalog import service as catalog
from huitong.catalog.tables import Resource
from huitong.db.base import Database, after_commit
from huitong.errors import Conflict, HuitongError, NotFound, Problem, invalid
from huitong.ledger.events import record
from huitong.org.tables import Department
from huitong.quality import score as scoring
from huitong.quality.binding import Stored, bind, kind_of
from huitong.quality.measure import Measure, measure, shown_by
from huitong.quality.rulefile import RuleFile, dump, parse
from huitong.quality.rules import KINDS, Dimension, Rule, Severity
from huitong.quality.tables import QualityGate, QualityMetric, QualityRule, QualityRun
from huitong.standards.masking import show
from huitong.standards.store import elements_of
from huitong.store.schema import normalise_code
from huitong.store.store import Store

TREND_RUNS = 30
log = logging.getLogger("huitong.quality")


# ---------------------------------------------------------------- rules


def snapshot_number(value: int | str) -> int:
    """A version's snapshot id as given (digits, as JSON carries 64-bit ids), or a clear refusal."""
    text = str(value).strip()
    if not text.isdigit() or int(text) >= 2**63:
        raise invalid(
            f"{value!r} is not a version's snapshot id (a whole number, as `versions` lists them)",
            Problem("not a snapshot id", field="snapshot_id", value=str(value)[:40]),
        )
    return int(text)


def as_rule(row: QualityRule) -> Rule:
    return Rule(
        name=row.name,
        kind=row.kind,
        dimension=Dimension(row.dimension),
        severity=Severity(row.severity),
        threshold=row.threshold,
        columns=tuple(row.columns or ()),
        params=dict(row.params or {}),
        resource=row.target if row.scope == "resource" else None,
        element=row.target if row.scope == "element" else None,
        origin=row.origin,
    )


@dataclass
class Imported:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    gates: dict[str, bool] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _manage_target(session: Session, actor: Actor, rule: Rule) -> Resource | None:
    if rule.element:
        require(actor, "quality.manage", Target())  # an element's rules apply platform-wide
        return None
    res = catalog.get(session, actor, rule.resource or "")
    require(actor, "quality.manage", Target(department_id=res.provider_id))
    return res


def _may_compare_any(actor: Actor) -> bool:
    return actor.is_system or actor.has(Role.operator)


def _compares(rule: Rule) -> Mapping[str, Any] | None:
    """The other resource a rule reads (referential, cross-source), if any."""
    return rule.params.get("ref") or rule.params.get("other")


def _compared_with_others(session: Session, actor: Actor, rules: Sequence[Rule], filename: str) -> None:
    """A rule that reads another department's resource (referential, cross-source: 多源校核)
    would show its author that department's data without a grant: such rules are kept by the
    platform operator (数据主管部门), who checks data across departments, or by a department
    comparing resources it provides itself."""
    if _may_compare_any(actor):
        return
    problems = []
    for rule in rules:
        spec = _compares(rule)
        if not spec:
            continue
        other = session.scalar(select(Resource).where(Resource.code == normalise_code(spec["resource"])))
        if other is not None and other.provider_id == actor.department_id:
            continue
        problems.append(
            Problem(
                f"rule {rule.name!r} compares with {spec['resource']}, another department's resource: "
                "the platform operator (数据主管部门) keeps rules across departments",
                field=rule.kind,
                file=filename,
                line=_line(rule),
            )
        )
    if problems:
        raise HuitongError(f"{filename}: no rule was kept", code="forbidden", problems=problems, status=403)


def _line(rule: Rule) -> int | None:
    tail = rule.origin.rpartition(":")[2]
    return int(tail) if tail.isdigit() else None


def _check_against_catalog(session: Session, rules: Sequence[Rule], filename: str) -> None:
    """Columns, elements and other resources the rules name must exist; every miss reported."""
    problems: list[Problem] = []
    items_of: dict[str, set[str]] = {}

    def items(code: str) -> set[str] | None:
        if code not in items_of:
            res = session.scalar(select(Resource).where(Resource.code == code))
            items_of[code] = None if res is None else {it.name for it in res.items}
        return items_of[code]

    known_elements = set(elements_of(session, {r.element for r in rules if r.element}))
    for rule in rules:
        where = {"file": filename, "line": _line(rule)}
        if rule.element:
            if rule.element not in known_elements:
                problems.append(Problem(f"no data element {rule.element}", field="element", **where))
            continue
        names = items(rule.resource or "")
        if names is None:
            problems.append(Problem(f"no catalog entry {rule.resource}", field="resource", **where))
            continue
        wanted = list(rule.columns)
        if rule.kind == "cross_source":
            key = rule.params["other"]["key"]
            wanted += [key] if isinstance(key, str) else list(key)
        for name in wanted:
            if name not in names:
                problems.append(
                    Problem(f"resource {rule.resource} has no data item {name!r}", field="columns", **where)
                )
        spec = _compares(rule)
        if spec:
            there = items(spec["resource"])
            if there is None:
                problems.append(Problem(f"no catalog entry {spec['resource']}", field=rule.kind, **where))
                continue
            other_names = [spec.get("column") or rule.columns[0]]
            if rule.kind == "cross_source":
                okey = spec.get("other_key") or spec["key"]
                other_names += [okey] if isinstance(okey, str) else list(okey)
            for name in other_names:
                if name not in there:
                    problems.append(
                        Problem(
                            f"resource {spec['resource']} has no data item {name!r}", field=rule.kind, **where
                        )
                    )
    if problems:
        raise invalid(f"{filename} names what the catalog does not hold; no rule was kept", *problems)


@dataclass(frozen=True)
class Change:
    """One declared rule that differs from the stored one: each field as (before, after)."""

    rule: Rule
    fields: dict[str, tuple[Any, Any]]


@dataclass
class Plan:
    """What keeping a rule file would do, worked out before anything is written: ``import_rules``
    applies it, the console's check shows it."""

    file: RuleFile
    targets: dict[tuple[str, str], Resource | None]
    rows: dict[tuple[str, str, str], QualityRule]  # the stored rules of the targets
    added: list[Rule] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: list[Rule] = field(default_factory=list)
    removed: list[QualityRule] = field(default_factory=list)
    gates: dict[str, tuple[bool | None, bool]] = field(default_factory=dict)  # code -> (before, after)

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed or any(a != b for a, b in self.gates.values()))


def _fields(rule: Rule) -> dict[str, Any]:
    return {
        "kind": rule.kind,
        "dimension": rule.dimension.value,
        "severity": rule.severity.value,
        "threshold": rule.threshold,
        "columns": list(rule.columns),
        "params": dict(rule.params),
    }


def _outside(parsed: RuleFile, resource: str, filename: str) -> list[Problem]:
    """A file edited for one resource may not reach another resource or an element."""
    problems = []
    if parsed.resource and parsed.resource != resource:
        problems.append(
            Problem(
                f"this file keeps the rules of {resource}, not {parsed.resource}",
                field="resource",
                file=filename,
            )
        )
    for rule in parsed.rules:
        if rule.target != resource:
            where = "data element" if rule.element else "resource"
            problems.append(
                Problem(
                    f"rule {rule.name!r} is for {where} {rule.target}; this file keeps the rules of {resource}",
                    field="element" if rule.element else "resource",
                    file=filename,
                    line=_line(rule),
                )
            )
    return problems


def _normalised(parsed: RuleFile, filename: str) -> RuleFile:
    """Resource codes as the catalog writes them (``" 101002/00001"`` is ``101002/00001``), so a
    file's gate and rules land on the resource they name; a code that is none is refused."""
    problems = []

    def code(text: str | None, line: int | None) -> str | None:
        if text is None:
            return None
        try:
            return normalise_code(text)
        except HuitongError as exc:
            problems.append(Problem(exc.message, field="resource", file=filename, line=line))
            return text

    resource = code(parsed.resource, None)
    rules = tuple(replace(r, resource=code(r.resource, _line(r))) if r.resource else r for r in parsed.rules)
    if problems:
        raise invalid(f"{filename} names what is not a resource code; no rule was kept", *problems)
    return replace(parsed, resource=resource, rules=rules)


def check_rules(
    session: Session,
    actor: Actor,
    text: str,
    filename: str = "rules.yaml",
    *,
    prune: bool = False,
    resource: str | None = None,
) -> Plan:
    """What importing a rule file would add, change and remove, with every check of the import
    (who may, the file's mistakes, the catalog's columns) and nothing written. ``resource``: the
    file must keep that resource's rules only (the console edits one resource at a time); with
    ``prune`` it is the whole of them, so an empty ``rules:`` removes them all."""
    # who may keep any rules at all is asked before the text is read: parsing costs the server
    require(actor, "quality.manage", Target(department_id=actor.department_id))
    parsed: RuleFile = _normalised(parse(text, filename), filename)
    if resource is not None:
        resource = normalise_code(resource)
        if problems := _outside(parsed, resource, filename):
            raise invalid(f"{filename} reaches beyond {resource}; no rule was kept", *problems)
    targets: dict[tuple[str, str], Resource | None] = {}
    for rule in parsed.rules:
        if (rule.scope, rule.target) not in targets:
            targets[(rule.scope, rule.target)] = _manage_target(session, actor, rule)
    for code in {parsed.resource, resource} - {None}:
        if ("resource", code) not in targets:
            targets[("resource", code)] = _manage_target(
                session,
                actor,
                Rule(name="-", kind="not_null", dimension=Dimension.completeness, resource=code),
            )
    _check_against_catalog(session, parsed.rules, filename)
    rows = {
        (r.scope, r.target, r.name): r
        for r in session.scalars(
            select(QualityRule).where(QualityRule.target.in_([t for _, t in targets] or [""]))
        )
        if (r.scope, r.target) in targets
    }
    plan = Plan(parsed, targets, rows)
    declared = set()
    for rule in parsed.rules:
        key = (rule.scope, rule.target, rule.name)
        declared.add(key)
        row = rows.get(key)
        if row is None:
            plan.added.append(rule)
            continue
        diff = {k: (getattr(row, k), v) for k, v in _fields(rule).items() if getattr(row, k) != v}
        if not row.enabled:
            diff["enabled"] = (False, True)
        if diff:
            plan.changed.append(Change(rule, diff))
        else:
            plan.unchanged.append(rule)
    _compared_with_others(session, actor, [*plan.added, *(c.rule for c in plan.changed)], filename)
    if prune:  # the operator's rules across departments stay unless the operator drops them
        plan.removed = [
            row
            for key, row in rows.items()
            if key not in declared and (_may_compare_any(actor) or not _compares(as_rule(row)))
        ]
    if parsed.gate is not None and parsed.resource:
        gate = session.get(QualityGate, parsed.resource)
        plan.gates[parsed.resource] = (gate.enabled if gate else None, parsed.gate)
    return plan


def import_rules(
    session: Session,
    actor: Actor,
    text: str,
    filename: str = "rules.yaml",
    *,
    prune: bool = False,
    resource: str | None = None,
) -> Imported:
    """Keep a rule file's rules (added or replaced by name); with ``prune``, the rules of the file's
    targets that it no longer declares are removed, so the file in version control is the truth.
    Every check is :func:`check_rules`' (nothing is written unless it passes)."""
    plan = check_rules(session, actor, text, filename, prune=prune, resource=resource)
    out = Imported(unchanged=len(plan.unchanged))
    for rule in plan.added:
        session.add(
            QualityRule(
                scope=rule.scope,
                target=rule.target,
                name=rule.name,
                origin=rule.origin,
                updated_by=actor.username[:64],
                **_fields(rule),
            )
        )
        out.added += 1
    for change in plan.changed:
        rule = change.rule
        row = plan.rows[(rule.scope, rule.target, rule.name)]
        for k, v in _fields(rule).items():
            setattr(row, k, v)
        row.enabled, row.origin, row.updated_by = True, rule.origin, actor.username[:64]
        row.updated_at = datetime.now(UTC)
        out.updated += 1
    for row in plan.removed:
        session.delete(row)
        out.removed += 1
    for code, (_, after) in plan.gates.items():
        gate = session.get(QualityGate, code)
        if gate is None:
            session.add(QualityGate(resource_code=code, enabled=after))
        else:
            gate.enabled, gate.updated_at = after, datetime.now(UTC)
        out.gates[code] = after
    session.flush()
    record(
        session,
        actor,
        "quality.rules.import",
        "rule_file",
        filename[:200],
        details={**out.as_dict(), "targets": sorted(t for _, t in plan.targets)},
    )
    return out


def rules_of(session: Session, actor: Actor, code: str | None = None) -> list[QualityRule]:
    """The rules that apply to a resource (its own and its elements'), or, without one, all rules
    the actor may see."""
    require(actor, "quality.read", Target())
    if code is None:
        return list(
            session.scalars(
                select(QualityRule).order_by(QualityRule.scope, QualityRule.target, QualityRule.id)
            )
        )
    res = catalog.get(session, actor, code)
    return _rules_for(session, res)


def _rules_for(session: Session, res: Resource) -> list[QualityRule]:
    elements = sorted({it.element for it in res.items if it.element})
    q = select(QualityRule).where(
        ((QualityRule.scope == "resource") & (QualityRule.target == res.code))
        | ((QualityRule.scope == "element") & QualityRule.target.in_(elements or [""]))
    )
    return list(session.scalars(q.order_by(QualityRule.id)))


def export_rules(session: Session, actor: Actor, code: str) -> str:
    """A resource's own rules as a rule file (its elements' rules belong to the operator's file)."""
    res = catalog.get(session, actor, code)
    require(actor, "quality.read", Target())
    rows = [r for r in _rules_for(session, res) if r.scope == "resource"]
    gate = session.get(QualityGate, res.code)
    return dump([as_rule(r) for r in rows], resource=res.code, gate=gate.enabled if gate else None)


@dataclass(frozen=True)
class RuleSheet:
    """A resource's own rules as its keeper edits them: the file's text and the rules it declares."""

    code: str
    name: str
    department: str
    text: str
    rules: list[QualityRule]


def rule_sheet(session: Session, actor: Actor, code: str) -> RuleSheet:
    """Only for whoever may keep the resource's rules (the console's editor)."""
    res = catalog.get(session, actor, code)
    require(actor, "quality.manage", Target(department_id=res.provider_id))
    rows = [r for r in _rules_for(session, res) if r.scope == "resource"]
    return RuleSheet(res.code, res.name, res.provider.name, export_rules(session, actor, res.code), rows)


def has_rules(session: Session, code: str) -> bool:
    """Whether any enabled rule applies to the resource (a load of one without rules is not measured)."""
    res = session.scalar(select(Resource).where(Resource.code == normalise_code(code)))
    return res is not None and any(r.enabled for r in _rules_for(session, res))


def gated(session: Session, code: str) -> bool:
    gate = session.get(QualityGate, normalise_code(code))
    return bool(gate and gate.enabled)


# ---------------------------------------------------------------- runs


def item_views(res: Resource, elements) -> dict[str, Any]:
    """Each item's default view (clear, masked or hidden by its grade, masked by its element's
    rule), as a function of a value: for samples, and for objections' record keys."""
    views = {}
    for it in res.items:
        element = elements.get(it.element) if it.element else None
        rule = element.mask_rule if element else None
        views[it.name] = lambda v, g=it.grade, r=rule: None if v is None else show(g, r, str(v))
    return views


def _their_views(session: Session, bound) -> dict[str, Any]:
    """The other resources' columns a cross-source sample shows (``<table>.<column>``), each in
    its own item's default view by its own grade, not by the grade of the column it is compared to."""
    views: dict[str, Any] = {}
    for code, table in bound.others.items():
        other = session.scalar(select(Resource).where(Resource.code == normalise_code(code)))
        if other is None:
            continue
        elements = elements_of(session, {it.element for it in other.items if it.element})
        for name, view in item_views(other, elements).items():
            views[f"{table}.{name}"] = view
    return views


def _outcome(measures: Sequence[Measure], gate: bool) -> tuple[str, int, int]:
    failed = [m for m in measures if not m.passed]
    hard = [m for m in failed if m.rule.severity is Severity.fail]
    if hard:
        return ("quarantined" if gate else "failed"), len(failed), len(hard)
    return ("warned" if failed else "passed"), len(failed), 0


def run(
    session: Session,
    store: Store,
    actor: Actor,
    code: str,
    snapshot_id: int | str | None = None,
    *,
    trigger: str = "manual",
    load_id: int | None = None,
    now: datetime | None = None,
) -> QualityRun:
    """Measure one version (the current one unless told) against every rule that applies, and keep
    the metrics. A load's run (``trigger="load"``) on a gated resource whose ``fail`` rule failed
    holds the version back (the store keeps it, not as current)."""
    started = time.monotonic()
    res = catalog.get(session, actor, code)
    require(actor, "quality.run", Target(department_id=res.provider_id))
    version = store.version(res.code, snapshot_number(snapshot_id) if snapshot_id is not None else None)
    rows = _rules_for(session, res)
    rules = [(r.id, as_rule(r)) for r in rows if r.enabled]
    elements = elements_of(session, {it.element for it in res.items if it.element})
    stored = {c.name: kind_of(c.data_type) for c in store.describe(res.code).columns}
    others: dict[str, Stored | None] = {}
    for _, rule in rules:
        spec = _compares(rule)
        if spec and spec["resource"] not in others:
            others[spec["resource"]] = _stored_columns(store, spec["resource"])
    items = {it.name: it for it in catalog.spec_of(res).items}
    bound = bind(rules, stored, items, elements, others)
    measures, n = measure(
        store,
        res.code,
        version,
        bound,
        shown_by(item_views(res, elements) | _their_views(session, bound)),
        update_cycle=res.update_cycle,
        now=now,
    )
    scored = [_scored(m) for m in measures]
    dims = scoring.dimension_scores(scored)
    gate = trigger == "load" and gated(session, res.code)
    outcome, failed, hard = _outcome(measures, gate)
    qrun = QualityRun(
        resource_code=res.code,
        snapshot_id=str(version.snapshot_id),
        version_at=version.committed_at,
        department_id=res.provider_id,
        rows=n,
        score=scoring.overall(dims),
        dimensions=dims,
        failed_rules=failed,
        failed_fail_rules=hard,
        outcome=outcome,
        trigger=trigger,
        load_id=load_id,
        actor_name=actor.username[:64],
    )
    session.add(qrun)
    session.flush()
    for m in measures:
        session.add(
            QualityMetric(
                run_id=qrun.id,
                rule_id=m.rule_id,
                rule_name=m.rule.name,
                kind=m.rule.kind,
                dimension=m.rule.dimension.value,
                severity=m.rule.severity.value,
                columns=list(m.columns),
                checked=m.checked,
                failed=m.failed,
                ratio=m.ratio,
                value=m.value,
                threshold=m.rule.threshold,
                passed=m.passed,
                message=m.message,
                sample=m.sample,
            )
        )
    qrun.seconds = round(time.monotonic() - started, 3)
    session.flush()
    record(
        session,
        actor,
        "quality.run",
        "resource",
        res.code,
        result="ok" if outcome in ("passed", "warned") else outcome,
        details={
            "run": qrun.id,
            "snapshot": str(version.snapshot_id),
            "score": qrun.score,
            "outcome": outcome,
            "rules": len(measures),
            "failed": failed,
            "trigger": trigger,
            **({"load": load_id} if load_id else {}),
        },
    )
    if outcome == "quarantined":  # once the run is recorded, and outside the database's lock
        after_commit(session, lambda: _hold_back(store, res.code, version.snapshot_id))
    return qrun


def unmeasured(
    session: Session, store: Store, code: str, snapshot_id: int, load_id: int | None, error: str
) -> QualityRun | None:
    """A load's run that could not be made (the engine failed on the version): a gated resource
    fails closed, holding the version back as if a ``fail`` rule had failed, with the error as the
    reason; an ungated one keeps it and only the ledger says it went unmeasured."""
    res = session.scalar(select(Resource).where(Resource.code == normalise_code(code)))
    if res is None:
        return None
    gate = gated(session, res.code)
    version = store.version(res.code, int(snapshot_id))
    qrun = None
    if gate:
        qrun = QualityRun(
            resource_code=res.code,
            snapshot_id=str(version.snapshot_id),
            version_at=version.committed_at,
            department_id=res.provider_id,
            rows=version.rows,
            score=None,
            dimensions={},
            failed_rules=0,
            failed_fail_rules=0,
            outcome="quarantined",
            trigger="load",
            load_id=load_id,
            actor_name=SYSTEM.username[:64],
        )
        session.add(qrun)
        session.flush()
    record(
        session,
        SYSTEM,
        "quality.run",
        "resource",
        res.code,
        result="quarantined" if gate else "error",
        details={"snapshot": str(version.snapshot_id), "error": error[:500], "gated": gate, "load": load_id},
    )
    if gate:
        after_commit(session, lambda: _hold_back(store, res.code, version.snapshot_id))
    return qrun


def _hold_back(store: Store, code: str, snapshot_id: int) -> None:
    try:
        store.quarantine(code, snapshot_id)
    except Conflict:  # a later load is current already: the held version was never served alone
        log.warning("version %s of %s was superseded before it could be held back", snapshot_id, code)


def _stored_columns(store: Store, code: str) -> Stored | None:
    try:
        if not store.exists(code) or store.version(code) is None:
            return None
    except NotFound:
        return None
    info = store.describe(code)
    return Stored({c.name: kind_of(c.data_type) for c in info.columns}, tuple(info.key))


def _scored(m: Measure | QualityMetric) -> scoring.Scored:
    kind = m.rule.kind if isinstance(m, Measure) else m.kind
    dimension = m.rule.dimension.value if isinstance(m, Measure) else m.dimension
    severity = m.rule.severity.value if isinstance(m, Measure) else m.severity
    return scoring.Scored(dimension, severity, m.ratio, m.passed, KINDS[kind].over_rows)


def held_back(session: Session, code: str, snapshot_id: int | str) -> bool:
    """Whether a version was kept out of current by its quality gate (and not released since)."""
    last = session.scalar(  # a later manual run of it does not change that; a release does
        select(QualityRun)
        .where(
            QualityRun.resource_code == normalise_code(code),
            QualityRun.snapshot_id == str(snapshot_id),
            QualityRun.outcome == "quarantined",
        )
        .limit(1)
    )
    return last is not None


def releasable(runs_newest_first: Sequence[QualityRun]) -> set[str]:
    """The held-back versions still made on the current one: those held since the last version
    that became current (a later load builds on the current version, so releasing an older held one
    would undo it; the store refuses that too)."""
    out = set()
    for r in runs_newest_first:
        if r.trigger != "load":  # a manual run makes no version current
            continue
        if r.outcome != "quarantined":
            break
        out.add(r.snapshot_id)
    return out


def release(db: Database, store: Store, actor: Actor, code: str, snapshot_id: int | str) -> QualityRun:
    """Make a held-back version current after all (the provider's decision, recorded). The store
    moves first, outside any transaction (SQLite's write lock), then the run and the evidence."""
    with db.session(read_only=True) as s:
        res = catalog.get(s, actor, code)
        require(actor, "quality.manage", Target(department_id=res.provider_id))
        code = res.code
        if not held_back(s, code, snapshot_id):
            raise Conflict(f"version {snapshot_id} of {code} is not held back by its quality gate")
    store.release(code, snapshot_number(snapshot_id))
    with db.session() as s:
        held = s.scalars(
            select(QualityRun)
            .where(
                QualityRun.resource_code == code,
                QualityRun.snapshot_id == str(snapshot_id),
                QualityRun.outcome == "quarantined",
            )
            .order_by(QualityRun.id.desc())
        ).all()
        for r in held:
            r.outcome = "failed"  # it stays a failing version; it is no longer held back
        last = held[0]
        record(
            s,
            actor,
            "quality.release",
            "resource",
            code,
            details={"snapshot": str(snapshot_id), "run": last.id},
        )
        return last


# ---------------------------------------------------------------- results


def runs(session: Session, actor: Actor, code: str, limit: int = TREND_RUNS) -> list[QualityRun]:
    """A resource's latest runs, newest first."""
    res = catalog.get(session, actor, code)
    require(actor, "quality.read", Target(department_id=res.provider_id))
    q = select(QualityRun).where(QualityRun.resource_code == res.code).order_by(QualityRun.id.desc())
    return list(session.scalars(q.limit(limit)))


def get_run(session: Session, actor: Actor, run_id: int) -> tuple[QualityRun, list[QualityMetric], bool]:
    """One run and its measures, worst first; the third value says whether the actor may see the
    failing samples (the provider's staff and the operator; values masked by grade either way)."""
    qrun = session.get(QualityRun, run_id)
    if qrun is None:
        raise NotFound(f"no quality run {run_id}")
    res = catalog.get(session, actor, qrun.resource_code)
    require(actor, "quality.read", Target(department_id=res.provider_id))
    metrics = list(session.scalars(select(QualityMetric).where(QualityMetric.run_id == run_id)))
    metrics.sort(key=_worst_first)
    samples = bool(decide(actor, "quality.samples", Target(department_id=res.provider_id)))
    return qrun, metrics, samples


def _worst_first(m: QualityMetric) -> tuple:
    return (m.passed, m.severity != "fail", m.ratio if m.ratio is not None else 1.0, m.rule_name)


def _served_runs():
    """Runs of versions that were served (never held back, or released), each resource's newest
    version first, its latest run first: the first is the resource's current quality. A manual
    run of an old version or of a held one never becomes the current score."""
    held = select(QualityRun.snapshot_id).where(QualityRun.outcome == "quarantined")
    return (
        select(QualityRun)
        .where(QualityRun.outcome != "quarantined", QualityRun.snapshot_id.not_in(held))
        .order_by(QualityRun.version_at.desc(), QualityRun.id.desc())
    )


def latest_run(session: Session, code: str) -> QualityRun | None:
    """The run of the resource's current version (or its latest, if that version was not measured)."""
    return session.scalar(_served_runs().where(QualityRun.resource_code == normalise_code(code)).limit(1))


def summary(session: Session, code: str) -> dict[str, Any] | None:
    """A resource's current quality in a few fields, for whoever may see its catalog entry (the
    catalog, every delivery): the score, when it was measured, and the outcome; None if never."""
    last = latest_run(session, code)
    if last is None:
        return None
    return {
        "score": last.score,
        "dimensions": dict(last.dimensions or {}),
        "outcome": last.outcome,
        "snapshot_id": last.snapshot_id,
        "measured_at": last.started_at.isoformat(),
        "run": last.id,
    }


@dataclass(frozen=True)
class Scorecard:
    code: str
    name: str
    department: str
    score: float | None
    dimensions: dict[str, float]
    run: QualityRun | None
    metrics: list[QualityMetric]
    trend: list[tuple[datetime, str, float | None]]  # (version time, snapshot, score), oldest first


def scorecard(session: Session, actor: Actor, code: str) -> Scorecard:
    res = catalog.get(session, actor, code)
    require(actor, "quality.read", Target(department_id=res.provider_id))
    last = latest_run(session, res.code)
    metrics = []
    if last is not None:
        metrics = sorted(
            session.scalars(select(QualityMetric).where(QualityMetric.run_id == last.id)), key=_worst_first
        )
    trend = _trend(session, res.code)
    return Scorecard(
        res.code,
        res.name,
        res.provider.name,
        last.score if last else None,
        dict(last.dimensions or {}) if last else {},
        last,
        metrics,
        trend,
    )


def _trend(session: Session, code: str) -> list[tuple[datetime, str, float | None]]:
    """One point per version: the score of its last run."""
    q = (
        select(QualityRun.snapshot_id, func.max(QualityRun.id))
        .where(QualityRun.resource_code == code)
        .group_by(QualityRun.snapshot_id)
    )
    ids = [i for _, i in session.execute(q)]
    rows = session.scalars(select(QualityRun).where(QualityRun.id.in_(ids or [0]))).all()
    points = sorted(rows, key=lambda r: (r.version_at, r.id))[-TREND_RUNS:]
    return [(r.version_at, r.snapshot_id, r.score) for r in points]


@dataclass(frozen=True)
class DepartmentScore:
    department_id: int
    code: str
    name: str
    score: float | None
    resources: int
    falling: list[tuple[str, float, float]]  # (resource, previous score, current score)


def departments(session: Session, actor: Actor) -> list[DepartmentScore]:
    """Departments ranked by the mean score of their resources' current versions, best first; each
    with the resources whose score fell since their previous version."""
    require(actor, "quality.read", Target())
    current, seen = [], set()
    for r in session.scalars(_served_runs()):  # each resource's first is its current quality
        if r.resource_code not in seen:
            seen.add(r.resource_code)
            current.append(r)
    by_dept: dict[int, list[QualityRun]] = {}
    for r in current:
        by_dept.setdefault(r.department_id, []).append(r)
    names = {
        d.id: d for d in session.scalars(select(Department).where(Department.id.in_(list(by_dept) or [0])))
    }
    out = []
    for dept_id, resource_runs in by_dept.items():
        falling = []
        for r in resource_runs:
            trend = _trend(session, r.resource_code)
            before, now = (trend[-2][2], trend[-1][2]) if len(trend) >= 2 else (None, None)
            if before is not None and now is not None and now < before:
                falling.append((r.resource_code, trend[-2][2], trend[-1][2]))
        d = names[dept_id]
        out.append(
            DepartmentScore(
                dept_id,
                d.code,
                d.name,
                scoring.mean([r.score for r in resource_runs]),
                len(resource_runs),
                falling,
            )
        )
    out.sort(key=lambda d: (-(d.score if d.score is not None else -1), d.code))
    return out
