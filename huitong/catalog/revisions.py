"""Field-level differences between two revisions of a catalog entry (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any

    def as_dict(self) -> dict:
        return {"field": self.field, "before": self.before, "after": self.after}


def diff_snapshots(before: dict | None, after: dict) -> list[Change]:
    """Top-level fields compare by value; data items compare by name, field by field."""
    before = before or {}
    changes: list[Change] = []
    for key in sorted(set(before) | set(after)):
        if key == "items":
            continue
        if before.get(key) != after.get(key):
            changes.append(Change(key, before.get(key), after.get(key)))
    old = {it["name"]: it for it in before.get("items", [])}
    new = {it["name"]: it for it in after.get("items", [])}
    for name in [n for n in old if n not in new]:
        changes.append(Change(f"items[{name}]", old[name], None))
    for name, item in new.items():
        if name not in old:
            changes.append(Change(f"items[{name}]", None, item))
            continue
        for key in sorted(set(old[name]) | set(item)):
            if old[name].get(key) != item.get(key):
                changes.append(Change(f"items[{name}].{key}", old[name].get(key), item.get(key)))
    return changes
