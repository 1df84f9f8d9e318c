"""De-identification's one JSON shape, for the API and the command line."""

from __future__ import annotations

from typing import Any

from huitong.deid.tables import DeidRelease, DeidStatistic


def release_dict(r: DeidRelease) -> dict[str, Any]:
    return {
        "id": r.id,
        "resource": r.resource_code,
        "name": r.name,
        "snapshot_id": r.snapshot_id,
        "status": r.status,
        "reason": r.reason,
        "grade_in": r.grade_in,
        "grade_out": r.grade_out,
        "rows_in": r.rows_in,
        "rows_out": r.rows_out,
        "needs": list(r.needs),
        "approvals": list(r.approvals),
        "risk": r.risk,
        "plan": r.plan,
        "output_code": r.output_code,
        "output_snapshot_id": r.output_snapshot_id,
        "created_by": r.created_by,
        "created_at": r.created_at.isoformat(),
        "released_at": r.released_at.isoformat() if r.released_at else None,
    }


def statistic_dict(s: DeidStatistic) -> dict[str, Any]:
    return {
        "id": s.id,
        "resource": s.resource_code,
        "snapshot_id": s.snapshot_id,
        "statistic": s.statistic,
        "column": s.column,
        "epsilon": s.epsilon,
        "result": s.result,
        "created_by": s.created_by,
        "created_at": s.created_at.isoformat(),
    }
