"""Objections as plain dicts, for the API and the CLI alike (one shape at both edges). The record
key is the one the caller is shown (:func:`huitong.quality.objections.shown_keys`), never the
stored one as such: masked for whoever is neither the raiser nor the holder."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from huitong.quality.objection_flow import State
from huitong.quality.objections import Detail, Figures
from huitong.quality.tables import Objection, ObjectionNotice


def _t(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def objection_dict(o: Objection, *, key: list[str | None] | None, lineage: bool = False) -> dict[str, Any]:
    """``key``: the record key as the caller is shown it (``shown_keys``; None or [] for a resource);
    ``lineage``: whether the caller sees the version and load that routed it (``sees_lineage``)."""
    state = State(o.state)
    return {
        "id": o.id,
        "resource": o.resource_code,
        "scope": o.scope,
        "key": key or None,
        "item": o.item,
        "reason": o.reason,
        "state": state.value,
        "state_zh": state.label_zh,
        "disputed": state.disputed,
        "raiser": o.raiser_name,
        "raiser_department_id": o.raiser_department_id,
        "on_behalf": o.on_behalf,
        "holder_department_id": o.holder_department_id,
        "also_routed_to": list(o.also_routed_to or []),
        "snapshot_id": o.snapshot_id if lineage else None,
        "load_id": o.load_id if lineage else None,
        "correction": o.correction,
        "created_at": _t(o.created_at),
        "due_at": _t(o.due_at),
        "due_party": o.due_party,
        "due_provisional": o.due_provisional,
        "forwarded_at": _t(o.forwarded_at),
        "answered_at": _t(o.answered_at),
        "answered_on_time": o.answered_on_time,
    }


def detail_dict(d: Detail, *, key: list[str | None] | None, lineage: bool = False) -> dict[str, Any]:
    return objection_dict(d.objection, key=key, lineage=lineage) | {
        "you_are": [p.value for p in d.parties],
        "actions": d.actions,
        "steps": [
            {
                "action": s.action,
                "from": s.source,
                "to": s.target,
                "party": s.party,
                "by": s.actor_name,
                "reason": s.reason,
                "correction": s.correction,
                "at": _t(s.at),
            }
            for s in d.steps
        ],
        "evidence": [{"id": e.id, "name": e.name, "size": e.size, "sha256": e.sha256} for e in d.evidence],
    }


def notice_dict(n: ObjectionNotice, o: Objection) -> dict[str, Any]:
    return {
        "id": n.id,
        "objection": o.id,
        "resource": o.resource_code,
        "kind": n.kind,
        "message": n.message,
        "at": _t(n.at),
    }


def figures_dict(f: Figures) -> dict[str, Any]:
    return dict(f.__dict__)
