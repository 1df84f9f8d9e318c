"""Register the departments' sources and load them, the way an administrator would.

Each source is added by its department's administrator, its columns are matched to the
resource's data items by :func:`propose_mapping`, the administrator confirms the proposal (with
the corrections a person makes where a legacy column name says nothing, e.g. CLRQ 成立日期 →
登记日期), and the load runs through the real pipeline into the versioned store.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.progress import Progress

from huitong.access import Actor
from huitong.aggregate import registry
from huitong.aggregate.mapping import ItemOptions, Mapping, propose_mapping
from huitong.aggregate.pipeline import LoadResult, run_load
from huitong.aggregate.validate import LoadPolicy
from huitong.catalog.service import spec_of
from huitong.db.base import Database
from huitong.demo.sources import SourcePlan
from huitong.store import Store

POLICY = LoadPolicy(max_reject_ratio=0.05)  # a department's export with more than 5 % bad rows is sent back


@dataclass(frozen=True)
class Loaded:
    plan: SourcePlan
    code: str
    result: LoadResult | None  # None: registered and scheduled, not loaded yet


def register(db: Database, actor: Actor, plan: SourcePlan, code: str) -> None:
    """Add the source and confirm a mapping: the proposal plus the person's corrections."""
    with db.session() as s:
        source = registry.add_source(
            s, actor, plan.name, code, plan.kind, plan.config, mode=plan.mode, schedule=plan.schedule
        )
        described = registry.describe_source(s, actor, plan.name)
        items = spec_of(registry.resource_of(s, source)).items
        proposed = propose_mapping(list(described.columns), items).to_mapping()
        columns = {c: i for c, i in proposed.columns.items() if i not in plan.fixes.values()}
        columns.update(plan.fixes)
        note = "confirmed as proposed"
        if plan.fixes:
            note = "confirmed; mapped by hand: " + ", ".join(f"{c} → {i}" for c, i in plan.fixes.items())
        mapping = Mapping(
            columns,
            options={item: ItemOptions(**o) for item, o in plan.options.items()},
            resource=code,
            note=note,
        )
        registry.save_mapping(s, actor, plan.name, mapping.to_dict())


def load_all(
    db: Database,
    store: Store,
    progress: Progress,
    work: list[tuple[SourcePlan, str, Actor, int]],
) -> list[Loaded]:
    """Register every source, then load those meant to be loaded now, one progress bar each."""
    out = []
    for plan, code, actor, _ in work:
        register(db, actor, plan, code)
    for plan, code, actor, rows in work:
        if not plan.load:
            out.append(Loaded(plan, code, None))
            continue
        task = progress.add_task(f"loading {plan.name} ({plan.kind})", total=rows)
        result = run_load(
            db,
            store,
            actor,
            plan.name,
            policy=POLICY,
            progress=lambda n, _expected, task=task: progress.advance(task, n),
        )
        progress.update(task, completed=rows)
        out.append(Loaded(plan, code, result))
    return out
