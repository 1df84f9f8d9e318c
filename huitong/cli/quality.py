"""``huitong quality``: rules (规则), runs, results and scorecards (数据质量)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from huitong.cli.context import command, console, state
from huitong.errors import HuitongError, Problem, invalid

app = typer.Typer(no_args_is_help=True)


def _store():
    from huitong.store import Store

    return Store.from_settings(state.settings)


def _percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{100 * ratio:.2f}%"


@app.command("rules")
@command
def rules(
    file: Path = typer.Option(None, "--import", "-i", help="Keep the rules of a YAML or JSON rule file."),
    prune: bool = typer.Option(
        False, help="With --import: remove the file's targets' rules it no longer lists."
    ),
    resource: str = typer.Option(None, help="Show the rules that apply to this resource."),
    export: bool = typer.Option(False, help="Print the resource's own rules as a rule file."),
) -> None:
    """Import, list or export quality rules."""
    from huitong.quality import service

    with state.db.session() as s:
        actor = state.actor(s)
        if file is not None:
            try:
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise invalid(f"cannot read {file}", Problem(str(exc), file=str(file))) from None
            done = service.import_rules(s, actor, text, file.name, prune=prune)
            console.print(
                f"{file.name}: {done.added} added, {done.updated} updated, {done.unchanged} unchanged"
                + (f", {done.removed} removed" if prune else "")
                + "".join(f"; gate {'on' if on else 'off'} for {code}" for code, on in done.gates.items())
            )
            return
        if export:
            if not resource:
                raise HuitongError("--export needs --resource")
            console.print(escape(service.export_rules(s, actor, resource)), end="")
            return
        rows = service.rules_of(s, actor, resource)
        table = Table("id", "target", "name", "kind", "dimension", "severity", "threshold", "columns", "on")
        for r in rows:
            table.add_row(
                str(r.id),
                f"{r.scope}:{r.target}",
                escape(r.name),
                r.kind,
                r.dimension,
                r.severity,
                f"{r.threshold:g}",
                escape(", ".join(r.columns or [])),
                "yes" if r.enabled else "no",
            )
        console.print(table)


@app.command("run")
@command
def run(
    resource: str,
    snapshot: str = typer.Option(None, help="A version's snapshot id (default: the current one)."),
) -> None:
    """Measure a version against every rule that applies, and keep the metrics."""
    from huitong.quality import service

    store = _store()
    try:
        with state.db.session() as s:
            qrun = service.run(s, store, state.actor(s), resource, snapshot)
            console.print(
                f"run {qrun.id}: {qrun.resource_code} version {qrun.snapshot_id}, {qrun.rows} rows, "
                f"score {qrun.score if qrun.score is not None else '—'}, {qrun.outcome} "
                f"({qrun.failed_rules} rule(s) failed) in {qrun.seconds:.2f} s"
            )
    finally:
        store.close()


@app.command("results")
@command
def results(
    run_id: int = typer.Argument(None, help="A run's id (default: the resource's latest run)."),
    resource: str = typer.Option(None, help="The latest run of this resource."),
    samples: bool = typer.Option(False, help="Show the failing rows (masked) or disagreeing pairs."),
) -> None:
    """A run's measures, worst first."""
    from huitong.quality import service

    with state.db.session(read_only=True) as s:
        actor = state.actor(s)
        if run_id is None:
            if not resource:
                raise HuitongError("give a run id or --resource")
            latest = service.runs(s, actor, resource, limit=1)
            if not latest:
                raise HuitongError(f"{resource} has not been measured yet (huitong quality run {resource})")
            run_id = latest[0].id
        qrun, metrics, may_see = service.get_run(s, actor, run_id)
        console.print(
            f"run {qrun.id}: {qrun.resource_code} version {qrun.snapshot_id} ({qrun.rows} rows), "
            f"score {qrun.score if qrun.score is not None else '—'}, {qrun.outcome}"
        )
        table = Table(
            "rule", "kind", "dimension", "severity", "checked", "failed", "pass", "threshold", "result"
        )
        for m in metrics:
            table.add_row(
                escape(m.rule_name),
                m.kind,
                m.dimension,
                m.severity,
                str(m.checked),
                str(m.failed),
                _percent(m.ratio) if m.value is None else f"{m.value:g}",
                f"{m.threshold:g}",
                ("ok" if m.passed else "[red]FAILED[/red]") + (f" {escape(m.message)}" if m.message else ""),
            )
        console.print(table)
        if samples:
            if not may_see:
                raise HuitongError("only the provider department and the operator see failing rows")
            for m in metrics:
                if m.sample:
                    console.print(f"[bold]{escape(m.rule_name)}[/bold]")
                    for row in m.sample:
                        console.print("  " + escape(", ".join(f"{k}={v}" for k, v in row.items())))


@app.command("scorecard")
@command
def scorecard(
    resource: str = typer.Argument(None, help="A resource (default: every department, ranked)."),
) -> None:
    """A resource's score per dimension with its trend, or the departments ranked."""
    from huitong.quality import service
    from huitong.quality.rules import Dimension

    with state.db.session(read_only=True) as s:
        actor = state.actor(s)
        if resource is None:
            table = Table("rank", "department", "score", "resources", "falling")
            for n, d in enumerate(service.departments(s, actor), start=1):
                table.add_row(
                    str(n),
                    escape(d.name),
                    "—" if d.score is None else f"{d.score:.2f}",
                    str(d.resources),
                    escape(", ".join(f"{c} {a:.1f}→{b:.1f}" for c, a, b in d.falling)),
                )
            console.print(table)
            return
        card = service.scorecard(s, actor, resource)
        console.print(
            f"{card.code} {escape(card.name)} ({escape(card.department)}): "
            f"score {'—' if card.score is None else f'{card.score:.2f}'}"
        )
        table = Table("dimension", "score")
        for key, value in card.dimensions.items():
            table.add_row(f"{Dimension(key).label_zh} {key}", f"{value:.2f}")
        console.print(table)
        if card.trend:
            console.print("trend: " + " → ".join("—" if p[2] is None else f"{p[2]:.1f}" for p in card.trend))


@app.command("release")
@command
def release(resource: str, snapshot: str) -> None:
    """Make a version held back by the quality gate current after all."""
    from huitong.quality import service

    store = _store()
    try:
        with state.db.session(read_only=True) as s:
            actor = state.actor(s)
        qrun = service.release(state.db, store, actor, resource, snapshot)
        console.print(f"version {qrun.snapshot_id} of {qrun.resource_code} is current")
    finally:
        store.close()
