"""``huitong fuse``: record linkage and base libraries (基础库, 多源融合)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from huitong.cli.context import command, console

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
    if truth is not None:
        from huitong.fuse.accuracy import accuracy, read_truth

        figures["accuracy"] = accuracy(
            linked.clusters.rename_columns(["record_id", "cluster_id"]), read_truth(truth)
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
