"""``huitong deliver``: receive data under a grant (数据服务): query, verify, export, subscribe.

Each command is the consumer's side of one delivery mode; the grant is checked, counted and
recorded by :mod:`huitong.share.delivery` exactly as for the REST API."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import typer
from rich.table import Table

from huitong.cli.context import command, console, state
from huitong.cli.share import pairs
from huitong.errors import HuitongError

app = typer.Typer(no_args_is_help=True)


def _store():
    from huitong.store import Store

    return Store.from_settings(state.settings)


def _extracts() -> Path:
    return Path(state.settings.data_dir) / "extracts"


def _actor():
    with state.db.session(read_only=True) as s:
        return state.actor(s)


def _json(data) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.command("query")
@command
def query(
    grant_id: int = typer.Argument(..., metavar="GRANT"),
    filter_: list[str] = typer.Option(
        [], "--filter", help="item=value on an item you see in clear; repeat an item for several values."
    ),
    limit: int = typer.Option(100, help="Rows per page (at most 1000)."),
    offset: int = typer.Option(0, help="Rows to skip."),
    snapshot: int = typer.Option(None, help="Read this version (the snapshot id a previous page gave)."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """A page of the granted view: only the granted rows and items, masked as granted."""
    from huitong.share import delivery

    if fmt not in ("table", "json", "csv"):
        raise HuitongError(f"--format {fmt!r}: use table, json or csv")
    wanted = {k: v[0] if len(v) == 1 else v for k, v in pairs(filter_, "--filter").items()}
    actor = _actor()
    with _store() as store:
        page = delivery.query(
            state.db,
            store,
            actor,
            grant_id,
            filter=wanted or None,
            limit=limit,
            offset=offset,
            snapshot_id=snapshot,
        )
    if fmt == "json":
        _json(page)
    elif fmt == "csv":
        typer.echo("".join(delivery.csv_text(page["rows"])), nl=False)
    else:
        t = Table(
            *page["items"],
            title=f"grant {page['grant']}: {page['resource']}, version {page['snapshot_id']}",
            caption=f"rows {offset + 1}–{offset + page['count']}" if page["count"] else "no rows",
        )
        for row in page["rows"]:
            t.add_row(*("" if v is None else str(v) for v in row.values()))
        console.print(t)


@app.command("verify")
@command
def verify(
    grant_id: int = typer.Argument(..., metavar="GRANT"),
    values: list[str] = typer.Argument(..., help="item=value: the key and the items to check."),
) -> None:
    """数据核验: do these values match the record with this key? Never shows the stored values."""
    from huitong.share import delivery

    given = pairs(values, "value", "姓名=张三")
    twice = [k for k, v in given.items() if len(v) > 1]
    if twice:
        raise HuitongError(f"value: {', '.join(twice)} given more than once")
    actor = _actor()
    with _store() as store:
        out = delivery.verify(state.db, store, actor, grant_id, {k: v[0] for k, v in given.items()})
    ref = next((f", {k} {out[k]}" for k in ("evidence", "delivery") if k in out), "")
    console.print(f"{out['result']} (version {out['snapshot_id']}{ref})", highlight=False)
    for name, result in out["items"].items():
        console.print(f"  {name}: {result}", highlight=False)


@app.command("export")
@command
def export(
    grant_id: int = typer.Argument(..., metavar="GRANT"),
    fmt: str = typer.Option("csv", "--format", help="csv or parquet."),
    out: Path = typer.Option(None, "--out", help="Copy the extract here (a file, or a directory)."),
    snapshot: int = typer.Option(None, help="Extract this version (default: the current one)."),
) -> None:
    """A batch extract (批量交换) with its signed manifest (version, rows, columns, SHA-256)."""
    from huitong.share import delivery

    actor = _actor()
    with _store() as store:
        manifest = delivery.batch(
            state.db, store, actor, grant_id, _extracts(), fmt=fmt, snapshot_id=snapshot
        )
    path, _ = delivery.open_extract(state.db, actor, manifest["delivery"], _extracts())
    if out is not None:
        target = out / path.name if out.is_dir() else out
        shutil.copyfile(path, target)
        path = target
    _json(manifest)
    typer.echo(f"extract: {path}", err=True)


@app.command("subscribe")
@command
def subscribe(
    grant_id: int = typer.Argument(..., metavar="GRANT"),
    url: str = typer.Argument(..., help="The http(s) webhook to notify of new versions."),
) -> None:
    """Be told of each new version (订阅), by a signed webhook call."""
    from huitong.share import subscriptions

    with state.db.session() as s:
        sub = subscriptions.subscribe(s, state.actor(s), grant_id, url)
        sid = sub.id
    console.print(f"subscription {sid}: grant {grant_id} → {url}", highlight=False)


@app.command("unsubscribe")
@command
def unsubscribe(subscription_id: int) -> None:
    """Stop a subscription."""
    from huitong.share import subscriptions

    with state.db.session() as s:
        subscriptions.unsubscribe(s, state.actor(s), subscription_id)
    console.print(f"subscription {subscription_id} stopped")
