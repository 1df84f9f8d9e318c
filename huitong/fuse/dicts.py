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


def pair_dict(p: FusionPair, key) -> dict[str, Any]:
    """``key`` masks a record key (a record id may be an ID number): see ``views.key_displayer``."""
    return {
        "id": p.id,
        "record_a": key(p.record_a),
        "record_b": key(p.record_b),
        "probability": p.probability,
        "levels": p.levels,
    }


def decision_dict(d: FusionDecision, key) -> dict[str, Any]:
    return {
        "record_a": key(d.record_a),
        "record_b": key(d.record_b),
        "same": d.same,
        "reason": d.reason,
        "by": d.decided_by,
        "at": d.decided_at.isoformat(),
    }


def conflict_dict(c: FusionConflict, show, key) -> dict[str, Any]:
    """``show`` masks each value as the base library's item is graded, ``key`` each record key."""
    return {
        "base_id": c.base_id,
        "field": c.field,
        "values": [
            {**v, "value": show(c.field, v["value"]), "record_key": key(v["record_key"])} for v in c.values
        ],
    }


def explained_dict(e, show, key) -> dict[str, Any]:
    return {
        "base_id": e.base_id,
        "fields": {
            f: {**v, "value": show(f, v["value"]), "record": key(v.get("record") or "")}
            for f, v in e.fields.items()
        },
        "records": [
            {**m, "record_key": key(m["record_key"]), "record": key(m["record_key"]).partition(":")[2]}
            for m in e.members
        ],
        "conflicts": [conflict_dict(c, show, key) for c in e.conflicts],
        "events": [
            {"kind": ev.kind, "base_id": ev.base_id, "others": ev.others, "run": ev.run_id} for ev in e.events
        ],
    }
