"""Classification's one JSON shape, for the API (and anything else that answers in JSON)."""

from __future__ import annotations

from typing import Any

from huitong.classify.kinds import INFO, Kind
from huitong.classify.service import ImportantEntry, undeclared
from huitong.classify.tables import ClassifyColumn, ClassifyReview, ClassifyScan


def column_dict(c: ClassifyColumn) -> dict[str, Any]:
    info = INFO[Kind(c.kind)]
    return {
        "resource": c.resource_code,
        "column": c.column,
        "kind": c.kind,
        "kind_zh": info.label_zh,
        "pi_class": info.pi_class,
        "sensitive": info.sensitive or "minor_under_14" in (c.classes or []),
        "classes": list(c.classes or []),
        "share": round(c.share, 4),
        "confidence": round(c.confidence, 3),
        "sampled": c.sampled,
        "matched": c.matched,
        "evidence": c.evidence,
        "name_hint": c.name_hint,
        "proposed_grade": c.proposed_grade,
        "declared_grade": c.declared_grade,
        "undeclared": undeclared(c),
        "present": c.present,
        "status": c.status,
        "decided_grade": c.decided_grade,
        "reason": c.reason,
        "decided_by": c.decided_by,
        "decided_at": c.decided_at.isoformat() if c.decided_at else None,
        "scan": c.scan_id,
    }


def scan_dict(s: ClassifyScan) -> dict[str, Any]:
    return {
        "id": s.id,
        "resource": s.resource_code,
        "snapshot_id": s.snapshot_id,
        "rows": s.rows,
        "sampled_rows": s.sampled_rows,
        "sample_size": s.sample_size,
        "findings": s.findings,
        "trigger": s.trigger,
        "seconds": s.seconds,
        "at": s.at.isoformat(),
    }


def review_dict(r: ClassifyReview) -> dict[str, Any]:
    return {
        "id": r.id,
        "resource": r.resource_code,
        "trigger": r.trigger,
        "details": r.details,
        "status": r.status,
        "note": r.note,
        "closed_by": r.closed_by,
        "created_at": r.created_at.isoformat(),
        "closed_at": r.closed_at.isoformat() if r.closed_at else None,
    }


def important_dict(e: ImportantEntry) -> dict[str, Any]:
    return {
        "code": e.code,
        "name": e.name,
        "provider": e.provider,
        "grade": e.grade.value,
        "grade_zh": e.grade.label_zh,
        "items": [{"name": n, "grade": g} for n, g in e.items],
    }
