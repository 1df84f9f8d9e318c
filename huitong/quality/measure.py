"""Measuring a version: the compiled pass over its stored columns, then a bounded sample of the
rows failing each rule (the I/O side of the engine: the store in, measures out).

Only the columns the rules name are read from the version's Parquet files, once; every row rule
is answered by the single query :func:`huitong.quality.compile.plan` writes, on a locked-down
DuckDB connection. The samples are further small queries, run only for rules that failed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from huitong.encoding import text
from huitong.quality import compile as sql
from huitong.quality.binding import Bound, Broken
from huitong.quality.rules import CYCLE_DAYS, Rule
from huitong.store import duck
from huitong.store.schema import ROW_HASH
from huitong.store.store import Store
from huitong.store.versions import Version

SAMPLE_ROWS = 20
SAMPLE_PAIRS = 200  # cross-source disagreements are reported pair by pair, this many kept per run


@dataclass
class Measure:
    rule_id: int | None
    rule: Rule
    columns: tuple[str, ...]
    checked: int = 0
    failed: int = 0
    ratio: float | None = None
    value: float | None = None
    passed: bool = True
    message: str | None = None
    sample: list[dict[str, Any]] = field(default_factory=list)


Show = Callable[[str, Any], Any]  # (column, value) -> the value as a viewer may see it


def measure(
    store: Store,
    code: str,
    version: Version,
    bound: Bound,
    show: Show,
    *,
    update_cycle: str | None = None,
    now: datetime | None = None,
) -> tuple[list[Measure], int]:
    """Every rule's measure on ``version``, and the version's row count."""
    out: list[Measure] = [_broken(b) for b in bound.broken]
    rows = version.rows
    if bound.checks:
        names = sorted({c.name for check in bound.checks for c in check.columns})
        data = store.read(code, snapshot_id=version.snapshot_id, columns=[*names, ROW_HASH])
        tables: dict[str, pa.Table] = {"t": data}
        for other_code, table in bound.others.items():
            wanted = sorted(
                {
                    c.name
                    for check in bound.checks
                    if check.other is not None and check.other.table == table
                    for c in (*check.other.columns, *([check.other.value] if check.other.value else []))
                }
            )
            tables[table] = store.read(other_code, columns=wanted)
        con = duck.connect(tables)
        try:
            plan = sql.plan(bound.checks)
            row = con.sql(plan.sql, params=plan.params).fetchall()[0]
            rows = int(row[0])
            for n, (check, rule_id) in enumerate(zip(bound.checks, bound.rule_ids, strict=True)):
                checked, failed = int(row[1 + 2 * n]), int(row[2 + 2 * n])
                m = _ratio(rule_id, check, checked, failed)
                if not m.passed or (failed and check.rule.kind == "cross_source"):
                    m.sample = _sample(con, check, show)
                out.append(m)
        finally:
            con.close()
    for rule_id, rule in bound.version_rules:
        if rule.kind == "accessible":
            out.append(_accessible(store, code, version, rule_id, rule, bound))
            continue
        out.append(_version_rule(store, code, version, rule_id, rule, update_cycle, now or datetime.now(UTC)))
    return out, rows


def _broken(b: Broken) -> Measure:
    return Measure(b.rule_id, b.rule, b.columns, passed=False, message=b.reason)


def _ratio(rule_id, check: sql.Check, checked: int, failed: int) -> Measure:
    ratio = None if checked == 0 else (checked - failed) / checked
    passed = ratio is None or ratio >= check.rule.threshold
    return Measure(
        rule_id,
        check.rule,
        tuple(c.name for c in check.columns),
        checked=checked,
        failed=failed,
        ratio=ratio,
        passed=passed,
        message=None if checked else "no rows to check",
    )


def _sample(con, check: sql.Check, show: Show) -> list[dict[str, Any]]:
    cross = check.rule.kind == "cross_source"
    shown = list(check.columns)
    if check.rule.kind != "unique":
        shown.append(sql.Column(ROW_HASH, sql.TEXT))
    plan = sql.failing(check, shown, SAMPLE_PAIRS if cross else SAMPLE_ROWS)
    result = con.sql(plan.sql, params=plan.params).to_arrow_table()
    names = result.column_names
    out = []
    for values in zip(*(result.column(n).to_pylist() for n in names), strict=True):
        row: dict[str, Any] = {}
        for name, value in zip(names, values, strict=True):
            if name == "__theirs":  # the other source's value, shown as its own item is
                theirs = check.other.value if check.other is not None else None
                row["__theirs"] = show(f"{check.other.table}.{theirs.name}", value) if theirs else None
            elif name in (ROW_HASH, "__count"):
                row[name] = value
            else:
                row[name] = show(name, value)
        out.append({k: text(v) if not isinstance(v, int | type(None)) else v for k, v in row.items()})
    return out


def _accessible(store: Store, code: str, version: Version, rule_id, rule: Rule, bound: Bound) -> Measure:
    """可访问性: each catalog data item is a stored column, and each file of the version opens."""
    files, unreadable = store.unreadable(code, version.snapshot_id)
    checked = bound.items + files
    failed = len(bound.items_missing) + len(unreadable)
    m = Measure(rule_id, rule, (), checked=checked, failed=failed)
    m.ratio = (checked - failed) / checked if checked else None
    m.passed = m.ratio is None or m.ratio >= rule.threshold
    found = [f"data item {name} is not stored" for name in bound.items_missing] + [
        f"file {f}" for f in unreadable
    ]
    m.message = (
        f"{bound.items - len(bound.items_missing)} of {bound.items} data items stored, "
        f"{files - len(unreadable)} of {files} files readable"
        + (f"; {'; '.join(found[:5])}" if found else "")
    )
    m.sample = [{"problem": text} for text in found[:SAMPLE_ROWS]]
    return m


def _version_rule(
    store: Store, code: str, version: Version, rule_id, rule: Rule, cycle: str | None, now: datetime
) -> Measure:
    m = Measure(rule_id, rule, ())
    if rule.kind == "freshness":
        allowed = rule.params.get("max_age_days") or CYCLE_DAYS.get(cycle or "")
        age = (now - version.committed_at).total_seconds() / 86400
        m.value = round(age, 3)
        if allowed is None:
            m.message = f"update cycle {cycle}: no age is expected"
        else:
            m.passed = age <= float(allowed)
            m.message = f"version is {age:.1f} days old; {cycle or 'the rule'} allows {allowed}"
        return m
    if rule.kind == "row_count_change":
        limit = float(rule.params.get("max_change", 0.5))
        if version.parent_id is None:
            m.message = "first version: nothing to compare with"
            return m
        try:
            before = store.version(code, version.parent_id).rows
        except Exception:  # an expired parent: nothing to compare with
            m.message = "the previous version is no longer kept"
            return m
        change = abs(version.rows - before) / max(before, 1)
        m.value = round(change, 4)
        m.passed = change <= limit
        m.message = f"{before} → {version.rows} rows ({change:+.1%} change; at most {limit:.0%} allowed)"
        return m
    raise ValueError(f"rule kind {rule.kind} is measured over rows")


def shown_by(views: Mapping[str, Callable[[Any], Any]]) -> Show:
    """A :data:`Show` from one view function per column (columns not listed are shown as stored)."""
    return lambda column, value: views[column](value) if column in views else value
