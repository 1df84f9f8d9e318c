"""``huitong audit``: the tamper-evident ledger (留痕): checkpoints, proofs, queries, bundles."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from huitong.cli.context import command, console, state
from huitong.errors import HuitongError
from huitong.ledger import service
from huitong.ledger.verify import Report, verify_bundle

app = typer.Typer(no_args_is_help=True)


def _print_report(report: Report, what: str) -> None:
    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(
        f"{what}: {report.entries_checked} entries and {report.checkpoints_checked} checkpoints checked, "
        f"tree size {report.tree_size}"
    )
    if report.ok:
        console.print(
            "[bold green]verified[/]: no entry or checkpoint was edited, removed, reordered or inserted"
        )
        return
    for f in report.findings[:200]:
        console.print(f"  [red]✗[/] {escape(str(f))}", highlight=False)
    raise HuitongError(f"verification failed: {len(report.findings)} finding(s)")


@app.command("verify")
@command
def verify(
    bundle: Path = typer.Option(None, help="Verify an exported bundle (no database needed)."),
    key: list[str] = typer.Option([], help="A published verifier key (vkey) to trust; repeatable."),
) -> None:
    """Check the evidence: this node's database, or a bundle exported from any node."""
    if bundle is not None:
        try:
            doc = json.loads(bundle.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise HuitongError(f"{bundle}: not JSON (line {exc.lineno}, column {exc.colno})") from None
        _print_report(verify_bundle(doc, key), str(bundle))
        return
    service.sign_checkpoint(state.db)
    _print_report(service.verify_database(state.db), "database")


@app.command("checkpoint")
@command
def checkpoint(force: bool = typer.Option(False, help="Sign even if the tree has not grown.")) -> None:
    """Sequence pending entries and sign the tree head now (C2SP checkpoint)."""
    with state.db.session() as s:
        from huitong.access import require

        require(state.actor(s), "audit.checkpoint")
    row = service.sign_checkpoint(state.db, force=force)
    console.print(row.note, highlight=False, soft_wrap=True)


@app.command("proof")
@command
def proof(
    entry_id: int, size: int = typer.Option(None, help="Checkpoint size (default: the latest).")
) -> None:
    """An entry with its inclusion proof in a signed checkpoint, as JSON."""
    with state.db.session() as s:
        out = service.inclusion(s, state.actor(s), entry_id, size)
    console.print_json(json.dumps(out, ensure_ascii=False, default=str))


@app.command("consistency")
@command
def consistency(first: int, second: int) -> None:
    """Proof that the checkpoint of size SECOND extends the one of size FIRST."""
    with state.db.session() as s:
        out = service.consistency(s, state.actor(s), first, second)
    console.print_json(json.dumps(out, ensure_ascii=False))


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise HuitongError(f"time {text!r}: use ISO form, e.g. 2026-01-31 or 2026-01-31T08:00") from None


@app.command("log")
@command
def log(
    object_id: str = typer.Option(None, "--object", help="Object id, e.g. a resource code."),
    object_type: str = typer.Option(None, "--type", help="resource, user, department, grant, ..."),
    actor: str = typer.Option(None, "--actor", help="Username."),
    action: str = typer.Option(None, help="Action, or a prefix with *, e.g. catalog.*"),
    since: str = typer.Option(None),
    until: str = typer.Option(None),
    limit: int = typer.Option(50),
) -> None:
    """Who did what, to which object, when (newest first)."""
    q = service.EntryQuery(
        object_type=object_type,
        object_id=object_id,
        actor_name=actor,
        action=action,
        since=_when(since),
        until=_when(until),
        limit=limit,
    )
    with state.db.session() as s:
        rows = service.search(s, state.actor(s), q)
        table = Table("id", "leaf", "time (UTC)", "actor", "action", "object", "result")
        for e in rows:
            table.add_row(
                str(e.id),
                "-" if e.leaf_index is None else str(e.leaf_index),
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.actor_name,
                e.action,
                f"{e.object_type}:{e.object_id or ''}",
                e.result,
            )
    console.print(table)


@app.command("who-used")
@command
def who_used(number: str = typer.Argument(..., help="公民身份号码 or 统一社会信用代码.")) -> None:
    """Which departments retrieved records keyed by this number, when and why (the lookup is recorded)."""
    with state.db.session() as s:
        rows = service.who_used(s, state.actor(s), number)
        table = Table("time (UTC)", "who", "department", "action", "object", "purpose")
        for e in rows:
            purpose = json.loads(e.details).get("purpose", "") if e.details else "(purged)"
            table.add_row(
                f"{e.at:%Y-%m-%d %H:%M}",
                e.actor_name,
                str(e.department_id or ""),
                e.action,
                f"{e.object_type}:{e.object_id or ''}",
                str(purpose),
            )
    console.print(f"{len(rows)} access(es)")
    console.print(table)


@app.command("export")
@command
def export(out: Path = typer.Argument(Path("evidence-bundle.json"))) -> None:
    """Export every entry with proofs, checkpoints and public keys, for an audit elsewhere."""
    with state.db.session() as s:
        actor = state.actor(s)
    bundle = service.export_bundle(state.db, actor)
    out.write_text(json.dumps(bundle, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    console.print(f"wrote {out}: {len(bundle['entries'])} entries, {len(bundle['checkpoints'])} checkpoints")


@app.command("keys")
@command
def keys() -> None:
    """The public keys that sign this node's checkpoints (publish these)."""
    for k in service.public_keys(state.db):
        until = k["valid_until"] or "now"
        console.print(f"{k['vkey']}   valid {k['valid_from']} .. {until}", highlight=False, soft_wrap=True)


@app.command("rotate-key")
@command
def rotate_key() -> None:
    """Retire the signing key and start a new one (old checkpoints still verify)."""
    from huitong.ledger.keys import rotate_keys

    with state.db.session() as s:
        from huitong.access import require

        require(state.actor(s), "audit.purge")
    state.db.ledger_keys = rotate_keys(state.settings.keys_dir)
    service.sign_checkpoint(state.db, force=True)
    console.print(
        f"new signing key {state.db.ledger_keys.current.fingerprint}; a checkpoint was signed with it"
    )


@app.command("purge")
@command
def purge(before: str = typer.Argument(..., help="Drop details of entries older than this date.")) -> None:
    """Retention: remove entry details before a date; the tree still verifies."""
    when = _when(before)
    if when.tzinfo is None:
        from datetime import UTC

        when = when.replace(tzinfo=UTC)
    with state.db.session() as s:
        n = service.purge(s, state.actor(s), when)
    console.print(f"purged the details of {n} entries")
