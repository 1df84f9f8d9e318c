"""``huitong discover`` (a file, before it is sent) and ``huitong classify`` (stored resources: scan,
findings, confirm or override, reviews, the list of important data)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from huitong.cli.context import command, console, state

app = typer.Typer(no_args_is_help=True)


def _percent(share: float) -> str:
    return f"{100 * share:.1f}%"


def discover(
    file: Path = typer.Argument(..., help="A CSV/TXT (UTF-8 or GBK), Excel, JSON or Parquet file."),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
    sample: int = typer.Option(10_000, help="Rows sampled from a larger file (0: every row)."),
) -> None:
    """Find the personal data in a file's columns, without touching the catalog (个人信息识别)."""
    from huitong.aggregate.files import read_table
    from huitong.classify import discover as finder

    table = read_table(file)
    found = finder.scan(table, sample=sample or None)
    if as_json:
        typer.echo(json.dumps({"file": str(file), **found.to_dict()}, ensure_ascii=False, indent=1))
        return
    console.print(
        f"{escape(str(file))}: {found.rows} rows, {len(found.columns)} columns, "
        f"{found.sampled_rows} sampled; {len(found.findings)} column(s) with personal data"
    )
    _findings_table([f.to_dict() for f in found.findings])


def _findings_table(rows: list[dict]) -> None:
    table = Table("column", "kind", "share", "confidence", "grade", "evidence")
    for f in rows:
        table.add_row(
            escape(f["column"]),
            f"{f['kind']} ({f['kind_zh']})" + (" [sensitive]" if f.get("sensitive") else ""),
            _percent(f["share"]),
            f"{f['confidence']:.2f}",
            f"{f['grade']} ({f['grade_zh']})",
            escape(f["evidence"]),
        )
    console.print(table)


def _store():
    from huitong.store import Store

    return Store.from_settings(state.settings)


@app.command("scan")
@command
def scan(
    resource: str,
    snapshot: int = typer.Option(None, help="A version's snapshot id (default: the current one)."),
    sample: int = typer.Option(10_000, help="Rows sampled (0: every row)."),
) -> None:
    """Scan a stored resource for personal data; findings become proposals."""
    from huitong.classify import service

    with state.db.session() as s:
        done = service.scan(s, _store(), state.actor(s), resource, snapshot, sample=sample or None)
        console.print(
            f"scan {done.scan.id} of {done.scan.resource_code} (snapshot {done.scan.snapshot_id}): "
            f"{done.scan.rows} rows, {done.scan.sampled_rows} sampled, {len(done.columns)} finding(s)"
            + "".join(f"; review: {r.trigger}" for r in done.reviews)
        )
        _columns(done.columns)


@app.command("scan-all")
@command
def scan_all(sample: int = typer.Option(10_000, help="Rows sampled per resource (0: every row).")) -> None:
    """Scan every stored resource you may scan (数据资产梳理), with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from huitong.classify import service

    store = _store()
    with state.db.session(read_only=True) as s:
        actor = state.actor(s)
        codes = service.scannable(s, store, actor)
    found = undeclared = 0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("scanning", total=len(codes))
        for code in codes:
            with state.db.session() as s:
                done = service.scan(s, store, actor, code, sample=sample or None)
                found += len(done.columns)
                undeclared += sum(service.undeclared(c) for c in done.columns)
            progress.advance(task)
    console.print(
        f"{len(codes)} resource(s) scanned: {found} column(s) with personal data, {undeclared} undeclared"
    )


def _columns(cols) -> None:
    from huitong.classify.service import undeclared

    table = Table("column", "kind", "share", "proposed", "declared", "status", "decided")
    for c in cols:
        table.add_row(
            escape(c.column),
            c.kind,
            _percent(c.share),
            c.proposed_grade,
            c.declared_grade + (" [undeclared]" if undeclared(c) else ""),
            c.status if c.present else f"{c.status} (gone)",
            (c.decided_grade or "") + (f" — {escape(c.reason)}" if c.reason else ""),
        )
    console.print(table)


@app.command("findings")
@command
def findings(
    resource: str = typer.Argument(None, help="One resource (default: every open proposal)."),
) -> None:
    """The columns with personal data and the decision on each."""
    from huitong.classify import service

    with state.db.session(read_only=True) as s:
        actor = state.actor(s)
        _columns(service.columns_of(s, actor, resource) if resource else service.proposals(s, actor))


@app.command("confirm")
@command
def confirm(resource: str, column: str, reason: str = typer.Option(None, help="Why (recorded).")) -> None:
    """Confirm a proposal: the data item's grade rises to the proposed one."""
    from huitong.classify import service

    with state.db.session() as s:
        c = service.decide_column(s, state.actor(s), resource, column, action="confirm", reason=reason)
        console.print(f"{escape(c.column)}: confirmed {c.decided_grade}")


@app.command("override")
@command
def override(
    resource: str,
    column: str,
    grade: str = typer.Option(..., help="The grade to keep (general_1..4, important, core or 一般N级)."),
    reason: str = typer.Option(..., help="Why the proposal is wrong (recorded)."),
) -> None:
    """Override a proposal with another grade and a reason."""
    from huitong.classify import service

    with state.db.session() as s:
        c = service.decide_column(
            s, state.actor(s), resource, column, action="override", grade=grade, reason=reason
        )
        console.print(f"{escape(c.column)}: overridden to {c.decided_grade}")


@app.command("reviews")
@command
def reviews(
    close: int = typer.Option(None, help="Close this review task."),
    note: str = typer.Option(None, help="With --close: what was decided."),
    all_: bool = typer.Option(False, "--all", help="Closed ones too."),
) -> None:
    """Re-grading review tasks (动态更新): new personal columns, coverage jumps, new quasi-identifiers."""
    from huitong.classify import service

    with state.db.session() as s:
        actor = state.actor(s)
        if close is not None:
            t = service.close_review(s, actor, close, note or "")
            console.print(f"review {t.id} closed")
            return
        table = Table("id", "resource", "trigger", "details", "status", "at")
        for t in service.reviews(s, actor, status=None if all_ else "open"):
            table.add_row(
                str(t.id),
                t.resource_code,
                t.trigger,
                escape(json.dumps(t.details, ensure_ascii=False)),
                t.status,
                t.created_at.strftime("%Y-%m-%d %H:%M"),
            )
        console.print(table)


@app.command("important")
@command
def important(as_json: bool = typer.Option(False, "--json", help="Print the list as JSON.")) -> None:
    """重要数据目录: the resources graded 重要 or 核心, with the items that make them so."""
    from huitong.classify import service

    with state.db.session(read_only=True) as s:
        rows = service.important_data(s, state.actor(s))
    if as_json:
        out = [
            {"code": e.code, "name": e.name, "provider": e.provider, "grade": e.grade.value, "items": e.items}
            for e in rows
        ]
        typer.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    table = Table("code", "name", "provider", "grade", "items")
    for e in rows:
        table.add_row(
            e.code,
            escape(e.name),
            escape(e.provider),
            e.grade.label_zh,
            escape(", ".join(n for n, _ in e.items)),
        )
    console.print(table)
