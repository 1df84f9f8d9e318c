"""Base libraries' actions (基础库), each with its permission check and ledger entry: define one over
catalog resources, run it (read each input's current version, link, keep ids stable, choose every
field's value, write the base library as a new version of its own catalog resource), read its
status, review the pairs the model is unsure of, explain one person's record.

A run reads and writes the store outside any database transaction (SQLite's write lock) and then
records what it did in one transaction: a run that fails before that leaves the previous run as it
was (the store's extra version is superseded by the next run's). A run whose inputs and decisions
are unchanged since the last makes nothing new.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from huitong.access import SYSTEM, Actor, Target, require
from huitong.catalog import service as catalog
from huitong.catalog.tables import Resource
from huitong.db.base import Database
from huitong.errors import Conflict, NotFound, Problem, invalid
from huitong.fuse import golden as goldens
from huitong.fuse.definition import PREFIX, Definition, parse_definition
from huitong.fuse.identity import assign
from huitong.fuse.link import REVIEW_BAND, link
from huitong.fuse.prepare import prepare
from huitong.fuse.spec import Spec
from huitong.fuse.tables import (
    Fusion,
    FusionConflict,
    FusionDecision,
    FusionEdge,
    FusionEvent,
    FusionMember,
    FusionPair,
    FusionRun,
)
from huitong.ledger.events import record
from huitong.standards.elements import Grade, max_grade
from huitong.store.schema import columns_for
from huitong.store.store import Store

REVIEW_LIMIT = 5000  # pairs kept in the review queue per run (the most uncertain first)
KEY_LENGTH = 200  # a record key (<resource code>:<record id>) as fusion_member keeps it
INCREMENTAL_SHARE = 0.5  # above this share of changed records a run scores every pair again


def _now() -> datetime:
    return datetime.now(UTC)


def get(session: Session, actor: Actor, code: str) -> Fusion:
    require(actor, "fuse.read", Target())
    row = session.scalars(select(Fusion).where(Fusion.code == code)).first()
    if row is None:
        raise NotFound(f"no base library {code!r}")
    return row


def fusions(session: Session, actor: Actor) -> list[Fusion]:
    require(actor, "fuse.read", Target())
    return list(session.scalars(select(Fusion).order_by(Fusion.code)))


def definition_of(row: Fusion) -> Definition:
    return parse_definition(row.definition, where=row.code)


# ---- define ------------------------------------------------------------------------------------


def _check(session: Session, actor: Actor, d: Definition) -> tuple[Resource, dict[str, Grade]]:
    """Every input and item exists; the target has an item for each fused field. Returns the target
    and the grades its items must at least have (fusion never lowers a grade: 就高不就低)."""
    problems: list[Problem] = []
    grades: dict[str, Grade] = {}
    for n, inp in enumerate(d.inputs, 1):
        res = catalog.get(session, actor, inp.resource)
        if res.status != "published":  # a draft or retired entry is no source of record
            problems.append(
                Problem(f"{res.code} is {res.status}, not published", field=f"inputs[{n}]", value=res.code)
            )
        have = {it.name: it for it in res.items}
        for role, item in inp.roles.items():
            if item not in have:
                problems.append(
                    Problem(
                        f"{res.code} has no item {item!r} (role {role})",
                        field=f"inputs[{n}].roles",
                        value=item,
                    )
                )
            elif role in d.items:
                target_item = d.items[role]
                grades[target_item] = max_grade(grades.get(target_item, Grade.general_1), have[item].grade)
    target = catalog.get(session, actor, d.target)
    if target.code in {i.resource for i in d.inputs}:
        problems.append(
            Problem(
                "the target is also an input: a base library would read its own output",
                field="target",
                value=target.code,
            )
        )
    other = session.scalars(
        select(Fusion).where(Fusion.target_code == target.code, Fusion.code != d.code)
    ).first()
    if other is not None:
        problems.append(
            Problem(
                f"{target.code} is already base library {other.code}'s target",
                field="target",
                value=target.code,
            )
        )
    names = {it.name for it in target.items}
    wanted = ["base_id", "records", "lineage", *d.fields()]
    for f in wanted:
        if d.items[f] not in names:
            problems.append(
                Problem(
                    f"the target {target.code} has no item {d.items[f]!r} for {f}",
                    field="target",
                    value=d.items[f],
                )
            )
    if problems:
        raise invalid(f"fusion {d.code}: the catalog does not have what the definition names", *problems)
    return target, grades


def _raise_grades(
    session: Session, actor: Actor, d: Definition, target: Resource, grades: dict[str, Grade]
) -> None:
    """Each base-library item at least as strictly graded as the input items mapped to it. The
    platform raises them on the operator's behalf (only ever up, recorded as a catalog revision):
    the operator may not edit another department's entry, but a base library must never be graded
    below what it is made of. The base id and the lineage are the platform's own (the lineage names
    sources and versions, never a record), so they keep the grade the entry gives them."""
    raised = {n: g for n, g in grades.items() if n in {it.name for it in target.items}}
    if raised:
        catalog.raise_grades(
            session,
            SYSTEM,
            target.code,
            raised,
            reason=f"base library {d.code} by {actor.username}: fusion keeps the strictest grade of its inputs",
        )


def define(session: Session, actor: Actor, d: Definition) -> Fusion:
    """Create or replace a base library's definition. A changed definition keeps the ids handed out
    and the decisions made; the model is trained again at the next run."""
    require(actor, "fuse.manage", Target())
    target, grades = _check(session, actor, d)
    _raise_grades(session, actor, d, target, grades)
    row = session.scalars(select(Fusion).where(Fusion.code == d.code)).first()
    changed = row is None or row.definition != d.to_dict()
    if row is None:
        row = Fusion(code=d.code, next_seq=0, created_by=actor.username[:64])
        session.add(row)
    if changed:
        row.model = None
    row.name, row.kind, row.target_code, row.threshold = d.name, d.kind, target.code, d.threshold
    row.definition = d.to_dict()
    if changed:
        row.updated_at = _now()  # an identical definition again does not force a new run
    session.flush()
    record(
        session,
        actor,
        "fuse.define",
        "fusion",
        d.code,
        details={"target": target.code, "inputs": [i.resource for i in d.inputs], "changed": changed},
    )
    return row


# ---- run ---------------------------------------------------------------------------------------


@dataclass
class RunResult:
    run: FusionRun
    unchanged: bool = False


def _authority(session: Session, d: Definition) -> dict[str, list[str]]:
    """Who is 数源部门 for each field: the definition's word, else every input whose catalog entry
    is its own authoritative source (提供方 = 数源部门)."""
    own = []
    for inp in d.inputs:
        res = session.scalars(select(Resource).where(Resource.code == inp.resource)).first()
        if res is not None and (res.authoritative_id is None or res.authoritative_id == res.provider_id):
            own.append(inp.resource)
    return {
        f: d.authority.get(f, [i.resource for i in d.inputs if i.resource in own and f in i.roles])
        for f in d.fields()
    }


def _records(store: Store, d: Definition, versions: dict[str, object]) -> pa.Table:
    parts = []
    for priority, inp in enumerate(d.inputs):
        version = versions[inp.resource]
        items = sorted(set(inp.roles.values()))
        table = store.read(inp.resource, version.snapshot_id, columns=items)
        roles = {role: f"c{n}" for n, role in enumerate(inp.roles)}
        renamed = pa.table({roles[role]: _text(table.column(item)) for role, item in inp.roles.items()})
        prepared = prepare(renamed, Spec(d.kind, roles), source=inp.resource)
        counts = pc.value_counts(prepared.column("unique_id"))
        repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
        if len(repeated):
            item = inp.roles["record_id"]
            raise invalid(
                f"{inp.resource}: {len(repeated)} value(s) of {item} (the input's record_id) name more than one record",
                *(
                    Problem(
                        "a record id must name one record: map record_id to the resource's key",
                        field=item,
                        value=str(v),
                    )
                    for v in repeated.to_pylist()[:10]
                ),
            )
        key = pc.binary_join_element_wise(pa.scalar(inp.resource), prepared.column("unique_id"), ":")
        long = pc.filter(prepared.column("unique_id"), pc.greater(pc.utf8_length(key), KEY_LENGTH))
        if len(long):
            raise invalid(
                f"{inp.resource}: {len(long)} record id(s) of {inp.roles['record_id']} are too long to keep",
                Problem(
                    f"a record id is at most {KEY_LENGTH - len(inp.resource) - 1} characters",
                    field=inp.roles["record_id"],
                ),
            )
        prepared = prepared.set_column(0, "unique_id", key)
        n = prepared.num_rows
        prepared = prepared.append_column("source", pa.repeat(pa.scalar(inp.resource), n))
        prepared = prepared.append_column("priority", pa.repeat(pa.scalar(priority), n))
        prepared = prepared.append_column("version_at", pa.repeat(pa.scalar(version.committed_at), n))
        prepared = prepared.append_column("snapshot_id", pa.repeat(pa.scalar(str(version.snapshot_id)), n))
        load = None if version.load_id is None else str(version.load_id)
        prepared = prepared.append_column("load_id", pa.repeat(pa.scalar(load, pa.string()), n))
        parts.append(prepared)
    return pa.concat_tables(parts)


def _text(col: pa.ChunkedArray) -> pa.Array:
    """A stored column as text, as a department's export would give it (dates as ISO)."""
    col = col.combine_chunks()
    return col if pa.types.is_string(col.type) else pc.cast(col, pa.string())


def _output(d: Definition, wide: pa.Table, target_items) -> pa.Table:
    columns = {c.name: c for c in columns_for(target_items)}
    names = {"base_id": d.items["base_id"], "records": d.items["records"], "lineage": d.items["lineage"]}
    names |= {f: d.items[f] for f in d.fields()}
    out = {}
    for f, item in names.items():
        col = wide.column(f)
        out[item] = col.cast(columns[item].arrow_type)
    for item, col in columns.items():  # an item no input fills stays empty
        if item not in out:
            out[item] = pa.nulls(wide.num_rows, col.arrow_type)
    return pa.table(out)


def run(
    db: Database,
    store: Store,
    actor: Actor,
    code: str,
    *,
    retrain: bool = False,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    started = time.monotonic()
    step = progress or (lambda _s: None)
    with db.session(read_only=True) as s:
        require(actor, "fuse.manage", Target())
        row = get(s, actor, code)
        d = definition_of(row)
        target, grades = _check(s, actor, d)
        target_items = catalog.spec_of(target).items
        authority = _authority(s, d)
        versions = {}
        for inp in d.inputs:
            try:
                versions[inp.resource] = store.version(inp.resource) if store.exists(inp.resource) else None
            except NotFound:
                versions[inp.resource] = None
            if versions[inp.resource] is None:
                raise invalid(
                    f"{inp.resource} has no stored data yet",
                    Problem("load it first", field="inputs", value=inp.resource),
                )
        inputs = {c: str(v.snapshot_id) for c, v in versions.items()}
        decisions = {
            (x.record_a, x.record_b): x.same
            for x in s.scalars(select(FusionDecision).where(FusionDecision.fusion_id == row.id))
        }
        decided_at = s.scalar(
            select(func.max(FusionDecision.decided_at)).where(FusionDecision.fusion_id == row.id)
        )
        last = s.scalars(
            select(FusionRun).where(FusionRun.fusion_id == row.id).order_by(FusionRun.id.desc()).limit(1)
        ).first()
        current = store.version(target.code).snapshot_id if store.exists(target.code) else None
        if (
            last is not None
            and not retrain
            and str(current) == str(last.output_snapshot_id)  # nobody wrote the target meanwhile
            and last.inputs == inputs
            and row.model is not None
            and (decided_at is None or decided_at <= last.at)
            and row.updated_at <= last.at
        ):
            s.expunge(last)
            return RunResult(last, unchanged=True)
        last_id = None if last is None else last.id
        previous = s.execute(
            select(FusionMember.record_key, FusionMember.base_id, FusionMember.row_hash).where(
                FusionMember.fusion_id == row.id
            )
        ).all()
        edges = s.execute(
            select(FusionEdge.record_a, FusionEdge.record_b, FusionEdge.probability).where(
                FusionEdge.fusion_id == row.id
            )
        ).all()
        pending = [
            (p.record_a, p.record_b, p.probability, p.levels)
            for p in s.scalars(select(FusionPair).where(FusionPair.fusion_id == row.id))
        ]
        fusion_id, next_seq, model, threshold = (
            row.id,
            row.next_seq,
            None if retrain else row.model,
            row.threshold,
        )
    step("read")
    records = _records(store, d, versions)
    hashes = _row_hashes(records)
    changed, kept = (
        _changes(records, hashes, previous, edges) if model is not None and previous else (None, None)
    )
    if changed is not None and pc.sum(changed).as_py() > INCREMENTAL_SHARE * records.num_rows:
        changed, kept = None, None  # most records changed: scoring everything again costs no more
    linked = link(
        records,
        d.kind,
        d.roles(),
        threshold=threshold,
        decisions=decisions,
        trained=model,
        progress=step,
        changed=changed,
        kept=kept,
    )
    step("identify")
    before = pa.table(
        {"record_key": [k for k, _, _ in previous], "base_id": [b for _, b, _ in previous]},
        schema=pa.schema([("record_key", pa.string()), ("base_id", pa.string())]),
    )
    assigned = assign(
        linked.clusters.rename_columns(["record_key", "cluster_id"]),
        before,
        prefix=PREFIX[d.kind],
        next_seq=next_seq,
    )
    step("golden")
    keyed = _join_base(records, assigned.members)
    chosen = goldens.golden(keyed, d.kind, authority)
    wide = goldens.wide(chosen.values, assigned.members, d.kind)
    out = _output(d, wide, target_items)
    step("write")
    store.ensure_table(target.code, target_items, key=[d.items["base_id"]])
    version = store.write(target.code, out, load_id=f"fuse-{d.code}-{_now():%Y%m%d%H%M%S}")
    review = _review_pairs(linked, threshold, decisions)
    if changed is not None:  # pending pairs between unchanged records stay in the queue
        touched = set(pc.filter(records.column("unique_id"), changed).to_pylist())
        current = set(records.column("unique_id").to_pylist())
        still = [
            p
            for p in pending
            if p[0] in current
            and p[1] in current
            and not {p[0], p[1]} & touched
            and (p[0], p[1]) not in decisions
        ]
    else:
        still = []
    stats = {
        "records": records.num_rows,
        "by_input": {c: int(pc.sum(pc.equal(records.column("source"), c)).as_py() or 0) for c in inputs},
        "clusters": wide.num_rows,
        "singletons": int(pc.sum(pc.equal(wide.column("records"), 1)).as_py() or 0),
        "multi_source": int(pc.sum(pc.greater(wide.column("records"), 1)).as_py() or 0),
        "pairs_scored": linked.stats["pairs_scored"],
        "incremental": changed is not None,
        "changed": linked.stats["changed"],
        "pairs_kept": linked.stats["pairs_kept"],
        "conflicts": chosen.conflicts.num_rows,
        "review": review.num_rows,
        "decisions": len(decisions),
        "events": {
            k: sum(1 for e in assigned.events if e.kind == k)
            for k in ("created", "merged", "split", "retired")
        },
        "retrained": model is None,
    }
    with db.session() as s:
        row = s.get(Fusion, fusion_id, with_for_update=True)
        newest = s.scalar(select(func.max(FusionRun.id)).where(FusionRun.fusion_id == fusion_id))
        if row.next_seq != next_seq or newest != last_id:
            raise Conflict(f"base library {code} was run by someone else meanwhile; run it again")
        run_row = FusionRun(
            fusion_id=fusion_id,
            at=_now(),
            inputs=inputs,
            stats=stats,
            output_snapshot_id=str(version.snapshot_id),
            actor_name=actor.username[:64],
        )
        s.add(run_row)
        s.flush()
        _raise_grades(s, actor, d, catalog.get(s, SYSTEM, target.code), grades)  # inputs may be stricter now
        _replace_state(s, fusion_id, run_row.id, assigned, hashes, linked, review, still, chosen.conflicts)
        row.model, row.next_seq = linked.model, assigned.next_seq
        run_row.seconds = round(time.monotonic() - started, 3)
        record(
            s,
            actor,
            "fuse.run",
            "fusion",
            code,
            details={
                "run": run_row.id,
                "inputs": inputs,
                "target": target.code,
                "snapshot": run_row.output_snapshot_id,
                **{k: v for k, v in stats.items() if k != "by_input"},
            },
        )
        s.flush()
        s.expunge(run_row)
    return RunResult(run_row)


def _row_hashes(records: pa.Table) -> dict[str, str]:
    """Each record's key → an MD5 of the values its comparisons read, computed in DuckDB."""
    import duckdb

    cols = [
        c
        for c in records.column_names
        if c not in ("unique_id", "source", "priority", "version_at", "snapshot_id", "load_id")
    ]
    expr = ", ".join(f"coalesce(CAST(\"{c}\" AS VARCHAR), '\x01')" for c in cols)
    con = duckdb.connect()
    try:
        con.register("r", records)
        got = con.sql(f"SELECT unique_id, md5(concat_ws('\x1f', {expr})) FROM r").fetchall()
    finally:
        con.close()
    return dict(got)


def _changes(records: pa.Table, hashes: dict[str, str], previous, edges) -> tuple[pa.Array, pa.Table]:
    """Which records are new or changed since the last run, and the last run's pairs between records
    that are neither changed nor gone."""
    before = {k: h for k, _, h in previous}
    keys = records.column("unique_id").to_pylist()
    changed = [before.get(k) != hashes[k] for k in keys]
    stable = {k for k, c in zip(keys, changed, strict=True) if not c}
    kept = [(a, b, p) for a, b, p in edges if a in stable and b in stable]
    table = pa.table(
        {
            "unique_id_l": [a for a, _, _ in kept],
            "unique_id_r": [b for _, b, _ in kept],
            "match_probability": [float(p) for _, _, p in kept],
        },
        schema=pa.schema(
            [("unique_id_l", pa.string()), ("unique_id_r", pa.string()), ("match_probability", pa.float64())]
        ),
    )
    return pa.array(changed, pa.bool_()), table


def _join_base(records: pa.Table, members: pa.Table) -> pa.Table:
    import duckdb

    con = duckdb.connect()
    try:
        con.register("r", records)
        con.register("m", members)
        return (
            con.sql(
                "SELECT r.*, r.unique_id AS record_key, m.base_id FROM r JOIN m ON m.record_key = r.unique_id"
            )
            .arrow()
            .read_all()
        )
    finally:
        con.close()


def _review_pairs(linked, threshold: float, decisions: dict) -> pa.Table:
    """Pairs between the review band's lower edge and the threshold (and just above it), most
    uncertain first, not yet decided."""
    import duckdb

    low, high = REVIEW_BAND[0], max(threshold, REVIEW_BAND[1])
    levels = [f"gamma_{c.role}" for c in linked.comparisons if f"gamma_{c.role}" in linked.pairs.column_names]
    decided = pa.table(
        {"a": [min(k) for k in decisions], "b": [max(k) for k in decisions]},
        schema=pa.schema([("a", pa.string()), ("b", pa.string())]),
    )
    con = duckdb.connect()
    try:
        con.register("p", linked.pairs)
        con.register("d", decided)
        gammas = ", ".join(f'"{g}"' for g in levels) or "NULL AS none"
        return (
            con.sql(
                f"""SELECT least(unique_id_l, unique_id_r) AS a, greatest(unique_id_l, unique_id_r) AS b, match_probability AS p, {gammas}
                FROM p WHERE match_probability >= ? AND match_probability < ?
                  AND NOT EXISTS (SELECT 1 FROM d WHERE d.a = least(unique_id_l, unique_id_r) AND d.b = greatest(unique_id_l, unique_id_r))
                ORDER BY abs(match_probability - ?), a, b LIMIT {REVIEW_LIMIT}""",
                params=[low, high, review_middle(threshold)],
            )
            .arrow()
            .read_all()
        )
    finally:
        con.close()


def _levels(linked_comparisons, pair: dict) -> dict[str, str]:
    out = {}
    for c in linked_comparisons:
        g = pair.get(f"gamma_{c.role}")
        if g is None:
            continue
        # Splink numbers levels from the top: the highest is the first listed, -1 the null level
        labels = [lv.label for lv in c.levels] + ["else"]
        out[c.role] = "null" if g == -1 else labels[len(labels) - 1 - g] if 0 <= g < len(labels) else str(g)
    return out


def _bulk(s: Session, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), 5000):
        s.execute(insert(table), rows[start : start + 5000])


def _replace_state(
    s: Session,
    fusion_id: int,
    run_id: int,
    assigned,
    hashes: dict[str, str],
    linked,
    review: pa.Table,
    still: list[tuple],
    conflicts: pa.Table,
) -> None:
    s.execute(delete(FusionMember).where(FusionMember.fusion_id == fusion_id))
    members = assigned.members
    _bulk(
        s,
        FusionMember,
        [
            {"fusion_id": fusion_id, "record_key": k, "base_id": b, "row_hash": hashes[k]}
            for k, b in zip(
                members.column("record_key").to_pylist(), members.column("base_id").to_pylist(), strict=True
            )
        ],
    )
    s.execute(delete(FusionEdge).where(FusionEdge.fusion_id == fusion_id))
    e = linked.edges
    _bulk(
        s,
        FusionEdge,
        [
            {"fusion_id": fusion_id, "record_a": a, "record_b": b, "probability": float(p)}
            for a, b, p in zip(
                e.column("unique_id_l").to_pylist(),
                e.column("unique_id_r").to_pylist(),
                e.column("match_probability").to_pylist(),
                strict=True,
            )
        ],
    )
    if assigned.events:
        s.execute(
            insert(FusionEvent),
            [
                {
                    "fusion_id": fusion_id,
                    "run_id": run_id,
                    "kind": e.kind,
                    "base_id": e.base_id,
                    "others": list(e.others),
                }
                for e in assigned.events
            ],
        )
    s.execute(delete(FusionPair).where(FusionPair.fusion_id == fusion_id))
    fresh = [
        {
            "fusion_id": fusion_id,
            "run_id": run_id,
            "record_a": p["a"],
            "record_b": p["b"],
            "probability": float(p["p"]),
            "levels": _levels(linked.comparisons, p),
        }
        for p in review.to_pylist()
    ]
    seen = {(r["record_a"], r["record_b"]) for r in fresh}
    kept = [
        {
            "fusion_id": fusion_id,
            "run_id": run_id,
            "record_a": a,
            "record_b": b,
            "probability": p,
            "levels": lv,
        }
        for a, b, p, lv in still
        if (a, b) not in seen
    ]
    _bulk(s, FusionPair, fresh + kept)
    s.execute(delete(FusionConflict).where(FusionConflict.fusion_id == fusion_id))
    if conflicts.num_rows:
        s.execute(
            insert(FusionConflict),
            [
                {
                    "fusion_id": fusion_id,
                    "run_id": run_id,
                    "base_id": c["base_id"],
                    "field": c["field"],
                    "chosen": c["chosen"],
                    "chosen_source": c["chosen_source"],
                    "values": c["values"],
                }
                for c in conflicts.to_pylist()
            ],
        )


# ---- read and review ---------------------------------------------------------------------------


def runs(session: Session, actor: Actor, code: str, limit: int = 20) -> list[FusionRun]:
    row = get(session, actor, code)
    return list(
        session.scalars(
            select(FusionRun).where(FusionRun.fusion_id == row.id).order_by(FusionRun.id.desc()).limit(limit)
        )
    )


def _undecided(fusion_id: int):
    decided = select(FusionDecision.id).where(
        FusionDecision.fusion_id == fusion_id,
        FusionDecision.record_a == FusionPair.record_a,
        FusionDecision.record_b == FusionPair.record_b,
    )
    return (FusionPair.fusion_id == fusion_id) & ~decided.exists()


def review_middle(threshold: float) -> float:
    """The probability a review queue is sorted around: the middle of the band, most uncertain first."""
    return 0.5 * (REVIEW_BAND[0] + max(threshold, REVIEW_BAND[1]))


def review_queue(session: Session, actor: Actor, code: str, limit: int = 50) -> list[FusionPair]:
    """The pairs waiting for a verdict, most uncertain first (one decided since the last run has left)."""
    row = get(session, actor, code)
    require(actor, "fuse.manage", Target())
    middle = review_middle(row.threshold)
    return list(
        session.scalars(
            select(FusionPair)
            .where(_undecided(row.id))
            .order_by(func.abs(FusionPair.probability - middle), FusionPair.id)
            .limit(limit)
        )
    )


def decide(
    session: Session,
    actor: Actor,
    code: str,
    record_a: str,
    record_b: str,
    same: bool,
    reason: str | None = None,
) -> FusionDecision:
    """A steward's verdict on a pair; the next run applies it over the model's."""
    row = get(session, actor, code)
    require(actor, "fuse.manage", Target())
    a, b = sorted((record_a.strip(), record_b.strip()))
    if a == b:
        raise invalid("a pair needs two different records", Problem("the same record twice", value=a))
    known = set(
        session.scalars(
            select(FusionMember.record_key).where(
                FusionMember.fusion_id == row.id, FusionMember.record_key.in_([a, b])
            )
        )
    )
    missing = [k for k in (a, b) if k not in known]
    if missing:
        raise invalid(
            f"base library {code} holds no record {missing[0]!r}",
            *(Problem("no such record in the last run", value=k) for k in missing),
        )
    found = session.scalars(
        select(FusionDecision).where(
            FusionDecision.fusion_id == row.id, FusionDecision.record_a == a, FusionDecision.record_b == b
        )
    ).first()
    if found is None:
        found = FusionDecision(fusion_id=row.id, record_a=a, record_b=b)
        session.add(found)
    found.same, found.reason, found.decided_by, found.decided_at = (
        same,
        (reason or "").strip() or None,
        actor.username[:64],
        _now(),
    )
    session.flush()
    record(
        session,
        actor,
        "fuse.review",
        "fusion",
        code,
        details={"a": a, "b": b, "same": same, "reason": found.reason},
    )
    return found


@dataclass
class Explained:
    base_id: str
    fields: dict[str, dict]  # field → {value, source, record, snapshot}
    members: list[dict]  # every source record: record_key, source, and its values
    conflicts: list[FusionConflict]
    events: list[FusionEvent]


def explain(session: Session, store: Store, actor: Actor, code: str, base_id: str) -> Explained:
    """One person's (or entity's) record with the source of every field, read from the base library's
    current version; the reading is in the ledger like any data access."""
    import json

    row = get(session, actor, code)
    d = definition_of(row)
    base_item = d.items["base_id"]
    found = store.read(row.target_code, filter={base_item: base_id})
    if found.num_rows == 0:
        raise NotFound(f"base library {code} has no {base_id!r}")
    values = found.to_pylist()[0]
    lineage = json.loads(values.get(d.items["lineage"]) or "{}")
    keys = list(
        session.scalars(
            select(FusionMember.record_key)
            .where(FusionMember.fusion_id == row.id, FusionMember.base_id == base_id)
            .order_by(FusionMember.record_key)
        )
    )
    members = [{"record_key": k, "source": k.split(":", 1)[0], "record": k.split(":", 1)[1]} for k in keys]
    # the lineage names a field's source and version; its record is that source's member here
    of_source = {m["source"]: m["record_key"] for m in members}
    fields = {}
    for f in d.fields():
        where = lineage.get(f, {})
        fields[f] = {
            "item": d.items[f],
            "value": values.get(d.items[f]),
            **where,
            "record": of_source.get(where.get("source")),
        }
    conflicts = list(
        session.scalars(
            select(FusionConflict).where(
                FusionConflict.fusion_id == row.id, FusionConflict.base_id == base_id
            )
        )
    )
    events = list(
        session.scalars(
            select(FusionEvent)
            .where(
                FusionEvent.fusion_id == row.id,
                FusionEvent.kind.in_(("merged", "split")) | (FusionEvent.base_id == base_id),
            )
            .order_by(FusionEvent.id)
        )
    )
    # an id merged into this one, or split off from it, is told under the other id too
    events = [e for e in events if e.base_id == base_id or base_id in (e.others or [])]
    record(
        session,
        actor,
        "fuse.explain",
        "fusion",
        code,
        details={"base_id": base_id, "records": len(keys)},
        subjects=[
            str(v)
            for f, v in ((f, fields[f]["value"]) for f in fields)
            if f in ("id_number", "credit_code") and v
        ],
    )
    return Explained(base_id, fields, members, conflicts, events)


def conflicts(session: Session, actor: Actor, code: str, limit: int = 100) -> list[FusionConflict]:
    row = get(session, actor, code)
    return list(
        session.scalars(
            select(FusionConflict)
            .where(FusionConflict.fusion_id == row.id)
            .order_by(FusionConflict.base_id, FusionConflict.field)
            .limit(limit)
        )
    )


def summary(session: Session, actor: Actor, code: str) -> dict:
    row = get(session, actor, code)
    last = session.scalars(
        select(FusionRun).where(FusionRun.fusion_id == row.id).order_by(FusionRun.id.desc()).limit(1)
    ).first()
    pending = session.scalar(select(func.count()).select_from(FusionPair).where(_undecided(row.id)))
    decided = session.scalar(
        select(func.count()).select_from(FusionDecision).where(FusionDecision.fusion_id == row.id)
    )
    return {
        "code": row.code,
        "name": row.name,
        "kind": row.kind,
        "target": row.target_code,
        "threshold": row.threshold,
        "inputs": [i["resource"] for i in row.definition.get("inputs", [])],
        "trained": row.model is not None,
        "last_run": None
        if last is None
        else {
            "id": last.id,
            "at": last.at.isoformat(),
            "seconds": last.seconds,
            "snapshot": last.output_snapshot_id,
            **last.stats,
        },
        "review_pending": pending,
        "decisions": decided,
    }


def members(session: Session, actor: Actor, code: str) -> list[tuple[str, str]]:
    """(record key, base id) of every source record, as of the last run."""
    row = get(session, actor, code)
    return [
        tuple(r)
        for r in session.execute(
            select(FusionMember.record_key, FusionMember.base_id).where(FusionMember.fusion_id == row.id)
        )
    ]


def source_records(session: Session, store: Store, actor: Actor, code: str, keys: list[str]) -> list[dict]:
    """Source records as their departments hold them now (a reviewer compares a pair this way): each
    role's value, masked as the source item is graded. Reading them is in the ledger."""
    from huitong.quality.service import item_views
    from huitong.standards.store import elements_of

    row = get(session, actor, code)
    require(actor, "fuse.manage", Target())
    d = definition_of(row)
    by_resource = {i.resource: i for i in d.inputs}
    out = []
    for key in keys:
        resource, _, record_id = key.partition(":")
        inp = by_resource.get(resource)
        if inp is None or not record_id:
            raise invalid(
                f"{key!r} is no record key of base library {code}",
                Problem("expected <resource code>:<record id>", value=key),
            )
        res = catalog.get(session, actor, resource)
        views = item_views(res, elements_of(session, {it.element for it in res.items if it.element}))
        found = store.read(
            resource,
            filter={inp.roles["record_id"]: record_id},
            columns=sorted(set(inp.roles.values())),
            limit=1,
        )
        values = found.to_pylist()[0] if found.num_rows else {}
        shown = {
            role: (views[item](values.get(item)) if item in views else None)
            for role, item in inp.roles.items()
            if role != "record_id"
        }
        out.append(
            {
                "record_key": key,
                "source": resource,
                "source_name": res.name,
                "found": bool(found.num_rows),
                "values": shown,
            }
        )
    record(session, actor, "fuse.compare", "fusion", code, details={"records": keys})
    return out


def _open_objection(session: Session, resource: str, record_id: str, item: str) -> bool:
    from huitong.quality.objection_flow import State
    from huitong.quality.tables import Objection

    closed = [
        State.corrected,
        State.rejected,
        State.unflagged,
        State.archived,
        State.declined,
        State.withdrawn,
    ]
    rows = session.scalars(
        select(Objection).where(
            Objection.resource_code == resource,
            Objection.item == item,
            Objection.state.not_in([c.value for c in closed]),
        )
    )
    return any(list(o.key or []) == [record_id] for o in rows)


def object_to_conflict(
    session: Session, store: Store, actor: Actor, code: str, base_id: str, field: str
) -> list:
    """A conflict sent back to the departments (多源校核 → 异议): an objection on each source record
    whose value differs from the one the base library chose, routed by the objection loop to the
    department whose load produced it. The reason names the base library, the item and the source
    the value was taken from, never the other department's value."""
    from huitong.quality.objections import raise_objection

    row = get(session, actor, code)
    require(actor, "fuse.manage", Target())
    d = definition_of(row)
    conflict = session.scalars(
        select(FusionConflict).where(
            FusionConflict.fusion_id == row.id,
            FusionConflict.base_id == base_id,
            FusionConflict.field == field,
        )
    ).first()
    if conflict is None:
        raise NotFound(f"base library {code} has no conflict on {field} of {base_id}")
    chosen = explain(session, store, actor, code, base_id).fields.get(field, {})
    by_resource = {i.resource: i for i in d.inputs}
    raised = []
    for v in conflict.values:
        if v["record_key"] == chosen.get("record") or str(v["value"]) == str(chosen.get("value")):
            continue
        resource, _, record_id = v["record_key"].partition(":")
        inp = by_resource[resource]
        # a value an input does not hold but was read from its ID (a birth date, a gender) is
        # objected to on the ID number it came from
        item = inp.roles.get(field) or inp.roles.get("id_number")
        if item is None:
            continue
        reason = (
            f"基础库「{row.name}」{base_id} 的{item}与数源 {chosen.get('source')} 不一致，请核实本部门记录"
            f" (base library {code}: {item} disagrees with its authoritative source)"
        )
        if _open_objection(session, resource, record_id, item):
            continue  # already sent back and not yet answered: one deadline per record and item
        raised.append(raise_objection(session, store, actor, resource, reason, key=record_id, item=item))
    record(
        session,
        actor,
        "fuse.object",
        "fusion",
        code,
        details={"base_id": base_id, "field": field, "objections": [o.id for o in raised]},
    )
    return raised


def decide_pair(
    session: Session, actor: Actor, code: str, pair_id: int, same: bool, reason: str | None = None
) -> FusionDecision:
    """A verdict on a pair of the review queue named by its id (what a reviewer sees: its record keys
    may hold ID numbers, which no view shows whole)."""
    row = get(session, actor, code)
    pair = session.get(FusionPair, pair_id) if 0 < pair_id < 2**62 else None
    if pair is None or pair.fusion_id != row.id:
        raise NotFound(f"base library {code} has no pair {pair_id} in its review queue")
    return decide(session, actor, code, pair.record_a, pair.record_b, same, reason)
