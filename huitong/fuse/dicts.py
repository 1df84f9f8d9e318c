"""Fusion's JSON shapes, one place for the API and the CLI's --json."""

from __future__ import annotations

from typing import Any

from huitong.fuse.tables import FusionConflict, FusionDecision, FusionPair, FusionRun


def run_dict(r: FusionRun, unchanged: bool = False) -> dict[str, Any]:
    return {
        "id": r.id,
        "at": r.at.isoformat(),
        "inputs": r.inputs,
        "snapshot": r.output_snapshot_id,
        "seconds": r.seconds,
        "by": r.actor_name,
        "unchanged": unchanged,
        "stats": r.stats,
    }


def pair_dict(p: FusionPair) -> dict[str, Any]:
    return {"record_a": p.record_a, "record_b": p.record_b, "probability": p.probability, "levels": p.levels}


def decision_dict(d: FusionDecision) -> dict[str, Any]:
    return {
        "record_a": d.record_a,
        "record_b": d.record_b,
        "same": d.same,
        "reason": d.reason,
        "by": d.decided_by,
        "at": d.decided_at.isoformat(),
    }


def conflict_dict(c: FusionConflict, show) -> dict[str, Any]:
    """``show`` masks each value as the base library's item is graded."""
    return {
        "base_id": c.base_id,
        "field": c.field,
        "values": [{**v, "value": show(c.field, v["value"])} for v in c.values],
    }


def explained_dict(e, show) -> dict[str, Any]:
    return {
        "base_id": e.base_id,
        "fields": {f: {**v, "value": show(f, v["value"])} for f, v in e.fields.items()},
        "records": e.members,
        "conflicts": [conflict_dict(c, show) for c in e.conflicts],
        "events": [
            {"kind": ev.kind, "base_id": ev.base_id, "others": ev.others, "run": ev.run_id} for ev in e.events
        ],
    }
