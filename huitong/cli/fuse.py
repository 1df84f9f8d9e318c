"""``huitong fuse``: record linkage and base libraries (基础库, 多源融合)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from huitong.cli.context import command, console, state

app = typer.Typer(no_args_is_help=True)

STEPS = {
    "prior": "estimating how often two records are one person",
    "u": "estimating u from random pairs",
    "em": "training m (expectation maximisation)",
    "predict": "scoring the blocked pairs",
    "cluster": "joining pairs into clusters",
}


def _progress():
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@app.command("link")
@command
def link_files(
    files: list[Path] = typer.Argument(..., help="CSV (UTF-8 or GBK), Excel, JSON or Parquet files."),
    spec: Path = typer.Option(
        ..., "--spec", help='JSON: roles → column names, {"record_id": ..., "name": ...}.'
    ),
    out: Path = typer.Option(Path("clusters.csv"), "--out", help="Where to write record_id,cluster_id."),
    threshold: float = typer.Option(0.9, min=0.0, max=1.0, help="Match probability a pair needs."),
    truth: Path = typer.Option(
        None, help="A labelled file (record_id,person_id as CSV): report precision, recall and F1."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Link plain files by a spec without touching the catalog; every record gets a cluster."""
    from huitong.fuse.files import link_files as run
    from huitong.fuse.files import write_clusters
    from huitong.fuse.spec import read_spec

    parsed = read_spec(spec)
    labelled = None
    if truth is not None:  # a mistyped truth file is said before the linkage runs, not after
        from huitong.fuse.accuracy import read_truth

        labelled = read_truth(truth)
    with _progress() as progress:
        task = progress.add_task("reading", total=None)
        linked = run(
            files,
            parsed,
            threshold=threshold,
            progress=lambda s: progress.update(task, description=STEPS.get(s, s)),
        )
    written = write_clusters(linked, out)
    figures: dict = {"out": str(out), "records": written, **linked.stats}
    if labelled is not None:
        from huitong.fuse.accuracy import accuracy

        figures["accuracy"] = accuracy(
            linked.clusters.rename_columns(["record_id", "cluster_id"]), labelled
        ).to_dict()
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=1))
        return
    console.print(
        f"{written} records in {linked.stats['clusters']} clusters "
        f"({linked.stats['pairs_scored']} pairs scored) → {escape(str(out))}"
    )
    if "accuracy" in figures:
        table = Table("measure", "precision", "recall", "F1")
        acc = figures["accuracy"]
        table.add_row("pairs", *(f"{acc[k]:.4f}" for k in ("precision", "recall", "f1")))
        table.add_row("B-cubed", *(f"{acc[f'bcubed_{k}']:.4f}" for k in ("precision", "recall", "f1")))
        console.print(table)


def _store():
    from huitong.store import Store

    return Store.from_settings(state.settings)


@app.command("define")
@command
def define(file: Path = typer.Argument(..., help="A fusion definition, JSON or YAML.")) -> None:
    """Create or replace a base library's definition (its inputs, roles, priority and target)."""
    from huitong.fuse import service
    from huitong.fuse.definition import read_definition

    d = read_definition(file)
    with state.db.session() as s:
        row = service.define(s, state.actor(s), d)
        console.print(
            f"base library {row.code} ({escape(row.name)}): {len(d.inputs)} inputs → {row.target_code}"
        )


@app.command("run")
@command
def run(
    code: str,
    retrain: bool = typer.Option(False, help="Train the model again instead of reusing the last one."),
    as_json: bool = typer.Option(False, "--json", help="Print the run's figures as JSON."),
) -> None:
    """Fuse the inputs' current versions into a new version of the base library."""
    from huitong.fuse import service

    store = _store()
    with state.db.session(read_only=True) as s:
        actor = state.actor(s)
    with _progress() as progress:
        task = progress.add_task("reading", total=None)
        done = service.run(
            state.db,
            store,
            actor,
            code,
            retrain=retrain,
            progress=lambda st: progress.update(task, description=STEPS.get(st, st)),
        )
    r = done.run
    if as_json:
        typer.echo(
            json.dumps(
                {"run": r.id, "unchanged": done.unchanged, "snapshot": r.output_snapshot_id, **r.stats},
                ensure_ascii=False,
                indent=1,
            )
        )
        return
    if done.unchanged:
        console.print(f"{code}: inputs and decisions unchanged since run {r.id}; nothing new")
        return
    st = r.stats
    ev = st["events"]
    console.print(
        f"run {r.id}: {st['records']:,} records → {st['clusters']:,} in the base library "
        f"({st['multi_source']:,} from several records, {st['singletons']:,} single), {st['conflicts']:,} conflicts, "
        f"{st['review']:,} pairs for review; ids: {ev['created']} new, {ev['merged']} merged, {ev['split']} split, "
        f"{ev['retired']} retired; version {r.output_snapshot_id} in {r.seconds:.1f}s"
    )


@app.command("status")
@command
def status(code: str = typer.Argument(None, help="One base library (default: all).")) -> None:
    """Base libraries with their last run."""
    from huitong.fuse import service

    with state.db.session(read_only=True) as s:
        actor = state.actor(s)
        codes = [code] if code else [f.code for f in service.fusions(s, actor)]
        table = Table(
            "code", "name", "target", "inputs", "last run", "records", "clusters", "conflicts", "review"
        )
        for c in codes:
            sm = service.summary(s, actor, c)
            last = sm["last_run"] or {}
            table.add_row(
                sm["code"], escape(sm["name"]), sm["target"], str(len(sm["inputs"])),
                f"#{last['id']} {last['at'][:19]}" if last else "never",
                f"{last.get('records', 0):,}", f"{last.get('clusters', 0):,}", f"{last.get('conflicts', 0):,}",
                str(sm["review_pending"]),
            )  # fmt: skip
        console.print(table)


@app.command("review")
@command
def review(
    code: str,
    pair: int = typer.Option(None, "--pair", help="Decide this pair of the queue (its number in the list)."),
    record_a: str = typer.Option(None, "--a", help="Or name the pair by its record keys: the first …"),
    record_b: str = typer.Option(None, "--b", help="… and the second."),
    same: bool = typer.Option(None, "--same/--different", help="The verdict on the pair."),
    reason: str = typer.Option(None, help="Why (kept with the decision)."),
    limit: int = typer.Option(20, help="Pairs listed."),
) -> None:
    """The clerical review queue (人工复核), or a verdict on one pair, reused by every later run."""
    from huitong.fuse import service
    from huitong.fuse.views import key_displayer

    if pair is not None or record_a is not None:
        if same is None or (pair is None and record_b is None):
            raise typer.BadParameter("a verdict needs --pair N (or --a and --b) and --same or --different")
        with state.db.session() as s:
            actor = state.actor(s)
            if pair is not None:
                d = service.decide_pair(s, actor, code, pair, same, reason)
            else:
                d = service.decide(s, actor, code, record_a, record_b, same, reason)
            key = key_displayer(s, service.definition_of(service.get(s, actor, code)))
            verdict = "the same" if d.same else "different"
            console.print(f"{key(d.record_a)} and {key(d.record_b)}: {verdict} (applied at the next run)")
        return
    with state.db.session(read_only=True) as s:
        actor = state.actor(s)
        pairs = service.review_queue(s, actor, code, limit=limit)
        key = key_displayer(s, service.definition_of(service.get(s, actor, code)))
        table = Table("pair", "record a", "record b", "probability", "levels")
        for p in pairs:
            levels = ", ".join(f"{k}:{v}" for k, v in p.levels.items())
            table.add_row(str(p.id), key(p.record_a), key(p.record_b), f"{p.probability:.3f}", levels)
        console.print(table if pairs else f"{code}: no pair waits for review")


@app.command("explain")
@command
def explain(code: str, base_id: str) -> None:
    """One person's (or entity's) record: every field with the source it came from (masked)."""
    from huitong.fuse import service
    from huitong.fuse.views import displayer, key_displayer

    with state.db.session() as s:
        actor = state.actor(s)
        e = service.explain(s, _store(), actor, code, base_id)
        row = service.get(s, actor, code)
        masked, key = displayer(s, row), key_displayer(s, service.definition_of(row))
        table = Table("field", "value", "source", "record", "version")
        for f, v in e.fields.items():
            table.add_row(
                f"{v['item']} ({f})",
                escape(masked(f, v["value"])),
                v.get("source", ""),
                key(v.get("record") or ""),
                v.get("snapshot", ""),
            )
        console.print(table)
        console.print(
            f"{len(e.members)} source record(s): " + ", ".join(key(m["record_key"]) for m in e.members)
        )
        for c in e.conflicts:
            console.print(
                f"[yellow]conflict[/] {c.field}: "
                + "; ".join(f"{escape(masked(c.field, v['value']))} ({v['source']})" for v in c.values)
            )
        for ev in e.events:
            console.print(f"event {ev.kind} {ev.base_id} {' '.join(ev.others)} (run {ev.run_id})")


@app.command("conflicts")
@command
def conflicts(code: str, limit: int = typer.Option(50, help="Conflicts listed.")) -> None:
    """Fields whose sources disagree (多源校核), with every value and its source (masked)."""
    from huitong.fuse import service
    from huitong.fuse.views import displayer

    with state.db.session(read_only=True) as s:
        actor = state.actor(s)
        rows = service.conflicts(s, actor, code, limit=limit)
        masked = displayer(s, service.get(s, actor, code))
        table = Table("base id", "field", "values (source)")
        for c in rows:
            table.add_row(
                c.base_id,
                c.field,
                "; ".join(f"{escape(masked(c.field, v['value']))} ({v['source']})" for v in c.values),
            )
        console.print(table if rows else f"{code}: no conflicts")


@app.command("model")
@command
def model(code: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """The trained model: m, u and match weight of every comparison level, and the prior."""
    from huitong.fuse import service
    from huitong.fuse.weights import level_weights, prior_weight

    with state.db.session(read_only=True) as s:
        row = service.get(s, state.actor(s), code)
        trained = row.model or {}
    levels = level_weights(trained)
    if as_json:
        typer.echo(
            json.dumps(
                {"prior_weight": prior_weight(trained), "levels": [lv.to_dict() for lv in levels]}, indent=1
            )
        )
        return
    if not trained:
        console.print(f"{code}: not trained yet (huitong fuse run {code})")
        return
    console.print(f"prior: match weight {prior_weight(trained):.2f}")
    table = Table("comparison", "level", "m", "u", "weight")
    for lv in levels:
        fmt = lambda x: "" if x is None else f"{x:.4g}"  # noqa: E731
        table.add_row(
            lv.comparison, lv.level, fmt(lv.m), fmt(lv.u), "" if lv.weight is None else f"{lv.weight:+.2f}"
        )
    console.print(table)


@app.command("object")
@command
def object_to(
    code: str, base_id: str, field: str = typer.Argument(..., help="name, address, birth_date …")
) -> None:
    """Send a conflict back to the departments: an objection on each disagreeing source record."""
    from huitong.fuse import service

    with state.db.session() as s:
        raised = service.object_to_conflict(s, _store(), state.actor(s), code, base_id, field)
        for o in raised:
            console.print(
                f"objection #{o.id} on {o.resource_code} {'/'.join(o.key or [])} {o.item} → department {o.holder_department_id}"
            )
        if not raised:
            console.print("every source agrees with the chosen value: nothing to object to")
