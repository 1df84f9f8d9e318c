"""Runs, measures and scorecards as plain dicts: one shape for the REST API, the console and the
deliveries that carry a resource's quality with them."""

from __future__ import annotations

from typing import Any

from huitong.quality.rules import Dimension
from huitong.quality.service import DepartmentScore, Scorecard
from huitong.quality.tables import QualityMetric, QualityRule, QualityRun


def rule_dict(r: QualityRule) -> dict[str, Any]:
    return {
        "id": r.id,
        "scope": r.scope,
        "target": r.target,
        "name": r.name,
        "kind": r.kind,
        "dimension": r.dimension,
        "severity": r.severity,
        "threshold": r.threshold,
        "columns": list(r.columns or []),
        "params": dict(r.params or {}),
        "origin": r.origin,
        "enabled": r.enabled,
    }


def run_dict(r: QualityRun) -> dict[str, Any]:
    return {
        "id": r.id,
        "resource": r.resource_code,
        "snapshot_id": r.snapshot_id,
        "version_at": r.version_at.isoformat(),
        "rows": r.rows,
        "score": r.score,
        "dimensions": dict(r.dimensions or {}),
        "failed_rules": r.failed_rules,
        "outcome": r.outcome,
        "trigger": r.trigger,
        "load_id": r.load_id,
        "seconds": r.seconds,
    }


def metric_dict(m: QualityMetric, with_sample: bool) -> dict[str, Any]:
    out = {
        "rule": m.rule_name,
        "rule_id": m.rule_id,
        "kind": m.kind,
        "dimension": m.dimension,
        "dimension_zh": Dimension(m.dimension).label_zh,
        "severity": m.severity,
        "columns": list(m.columns or []),
        "checked": m.checked,
        "failed": m.failed,
        "ratio": m.ratio,
        "value": m.value,
        "threshold": m.threshold,
        "passed": m.passed,
        "message": m.message,
    }
    if with_sample:
        out["sample"] = list(m.sample or [])
    return out


def scorecard_dict(card: Scorecard, with_sample: bool = False) -> dict[str, Any]:
    return {
        "resource": card.code,
        "name": card.name,
        "department": card.department,
        "score": card.score,
        "dimensions": card.dimensions,
        "run": run_dict(card.run) if card.run else None,
        "rules": [metric_dict(m, with_sample) for m in card.metrics],
        "trend": [{"version_at": t.isoformat(), "snapshot_id": sid, "score": s} for t, sid, s in card.trend],
    }


def department_dict(d: DepartmentScore) -> dict[str, Any]:
    return {
        "code": d.code,
        "name": d.name,
        "score": d.score,
        "resources": d.resources,
        "falling": [{"resource": c, "before": a, "now": b} for c, a, b in d.falling],
    }
