"""``huitong source``, ``huitong ingest`` and ``huitong data``: from department sources into
the versioned store, and back out again."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from huitong.cli.context import command, console, state
from huitong.errors import HuitongError

source_app = typer.Typer(no_args_is_help=True)
ingest_app = typer.Typer(no_args_is_help=True)
data_app = typer.Typer(no_args_is_help=True)


def _store():
    from huitong.store import Store

    return Store.from_settings(state.settings)


def _options(pairs: list[str]) -> dict:
    out: dict = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise HuitongError(f"option {pair!r}: write key=value, e.g. path=export.csv or encoding=gbk")
        try:
            out[key.strip()] = json.loads(value)  # numbers, true/false, lists
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


@source_app.command("add")
@command
def source_add(
    name: str,
    resource: str = typer.Argument(..., help="Catalog code the source feeds, e.g. 101002/00001."),
    kind: str = typer.Argument(..., help="csv, excel, json, ndjson, http, sql, …"),
    option: list[str] = typer.Option([], "--option", "-o", help="Connector option key=value; repeatable."),
    mode: str = typer.Option("full", help="full, append or upsert (by the resource's key items)."),
    schedule: str = typer.Option(None, help="Cron expression for the worker, e.g. '0 2 * * *'."),
) -> None:
    """Register a department source (数据源) for a catalog resource."""
    from huitong.aggregate import registry

    with state.db.session() as s:
        row = registry.add_source(
            s, state.actor(s), name, resource, kind, _options(option), mode=mode, schedule=schedule
        )
        console.print(
            f"source {row.name}: {kind} → {resource} ({mode}); options {registry.redact(row.config)}"
        )


@source_app.command("list")
@command
def source_list() -> None:
    """Every configured source, with secrets masked."""
    from huitong.aggregate import registry
    from huitong.aggregate.worker import upcoming

    tz = state.settings.schedule_timezone
    with state.db.session() as s:
        table = Table("name", "resource", "kind", "mode", "schedule", f"next run ({tz})", "options")
        for row in registry.list_sources(s):
            nxt = upcoming(s, row, tz)
            table.add_row(
                row.name,
                registry.resource_of(s, row).code,
                row.kind,
                row.mode,
                row.schedule or "",
                f"{nxt.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M}" if nxt else "",
                json.dumps(registry.redact(row.config), ensure_ascii=False),
            )
    console.print(table)


@source_app.command("schedule")
@command
def source_schedule(
    name: str,
    cron: str = typer.Argument(..., help="Cron expression (minute hour day month weekday), or '' for none."),
) -> None:
    """Set when the worker loads the source, e.g. '0 2 * * *' for 2 a.m. daily; '' takes it off."""
    from huitong.aggregate import registry
    from huitong.aggregate.worker import upcoming

    tz = state.settings.schedule_timezone
    with state.db.session() as s:
        row = registry.set_schedule(s, state.actor(s), name, cron)
        nxt = upcoming(s, row, tz)
        if nxt is None:
            console.print(f"source {row.name} is not scheduled: load it with huitong ingest run {row.name}")
        else:
            console.print(
                f"source {row.name}: {row.schedule} ({tz}); next run {nxt.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M}"
            )


@source_app.command("test")
@command
def source_test(name: str) -> None:
    """Open the source and show what it holds: columns, encoding, header rows, skipped lines."""
    from huitong.aggregate import registry

    with state.db.session() as s:
        d = registry.describe_source(s, state.actor(s), name)
    for key in ("encoding", "delimiter", "sheet", "title"):
        if getattr(d, key, None):
            console.print(f"{key}: {getattr(d, key)}")
    console.print("columns: " + ", ".join(c.label for c in d.columns))
    for note in getattr(d, "notes", []) or []:
        console.print(f"[dim]note:[/] {note}")


@ingest_app.command("map")
@command
def ingest_map(
    name: str,
    save: bool = typer.Option(False, help="Confirm the proposal as the source's next mapping version."),
    from_file: typer.FileText = typer.Option(None, "--file", help="Save this mapping JSON instead."),
) -> None:
    """Propose a mapping of the source's columns to the resource's data items (for a person to confirm)."""
    from huitong.aggregate import registry
    from huitong.aggregate.mapping import Mapping, propose_mapping
    from huitong.catalog.service import spec_of

    with state.db.session() as s:
        actor = state.actor(s)
        source = registry.get_source(s, name)
        items = spec_of(registry.resource_of(s, source)).items
        if from_file is not None:
            mapping = Mapping.from_json(from_file.read())
        else:
            desc = registry.describe_source(s, actor, name)
            proposals = propose_mapping(list(desc.columns), items)
            console.print(proposals.report(), highlight=False)
            mapping = proposals.to_mapping()
        if save or from_file is not None:
            row = registry.save_mapping(s, actor, name, mapping.to_dict())
            console.print(f"saved mapping version {row.version} of {name}")
        else:
            console.print("[dim]review it, then run again with --save (or --file mapping.json)[/]")


@ingest_app.command("run")
@command
def ingest_run(
    name: str,
    max_reject_ratio: float = typer.Option(None, help="Abort when more than this share of rows is rejected."),
    max_rejects: int = typer.Option(None, help="Abort when more rows than this are rejected."),
) -> None:
    """Load the source into the resource's store: one new version, rejects kept with row and column."""
    from huitong.aggregate.pipeline import run_load
    from huitong.aggregate.validate import LoadPolicy

    with state.db.session() as s:
        actor = state.actor(s)
    store = _store()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} rows/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"loading {name}", total=None, rate="-")

        def advance(n: int, expected: int | None) -> None:
            done = progress.tasks[0].completed + n
            total = max(expected, done) if expected is not None else None  # an estimate never runs short
            progress.update(task, advance=n, total=total)
            elapsed = progress.tasks[0].elapsed or 0
            progress.update(task, rate=f"{done / elapsed:,.0f}" if elapsed else "-")

        try:
            result = run_load(
                state.db,
                store,
                actor,
                name,
                policy=LoadPolicy(max_reject_ratio, max_rejects),
                progress=advance,
            )
        finally:
            store.close()
    s_ = result.summary
    console.print(
        f"load {result.load_id}: {result.status}; {s_.rows_in} rows in, {s_.rows_out} stored, "
        f"{s_.rows_rejected} rejected" + (f"; version {result.snapshot_id}" if result.snapshot_id else "")
    )
    if s_.rows_rejected:
        console.print(f"see the rejects: huitong ingest rejects {result.load_id}")


@ingest_app.command("history")
@command
def ingest_history(resource: str) -> None:
    """Every load of a resource: source, mapping version, counts, who, how long, the version it made."""
    from huitong.aggregate.loads import history

    with state.db.session() as s:
        table = Table(
            "load",
            "started (UTC)",
            "status",
            "connector",
            "origin",
            "map",
            "in",
            "out",
            "rej",
            "by",
            "version",
        )
        for r in history(s, state.actor(s), resource):
            table.add_row(
                str(r.id),
                f"{r.started_at:%Y-%m-%d %H:%M:%S}",
                r.status,
                r.connector,
                r.origin or "",
                str(r.mapping_version or ""),
                str(r.rows_in),
                str(r.rows_out),
                str(r.rows_rejected),
                r.actor_name,
                r.snapshot_id or "",
            )
    console.print(table)


@ingest_app.command("show")
@command
def ingest_show(
    load_id: int, as_json: bool = typer.Option(False, "--json", help="as the API gives it")
) -> None:
    """One load's lineage and the schema contract it ran under, with the columns it left out."""
    from huitong.aggregate.loads import get_load, load_dict

    with state.db.session() as s:
        shown = load_dict(s, get_load(s, state.actor(s), load_id))
    if as_json:
        console.print_json(json.dumps(shown, ensure_ascii=False))
        return
    table = Table("field 字段", "value 值", show_header=False)
    for key in ("id", "status", "message", "source", "resource", "mode", "connector", "origin", "mapping_version",
                "rows_in", "rows_out", "rows_rejected", "snapshot_id", "content_hash", "actor", "started_at",
                "finished_at"):  # fmt: skip
        if shown.get(key) is not None:
            table.add_row(key, escape(str(shown[key])))
    console.print(table)
    contract = shown["contract"] or {}
    if contract:
        console.print(
            "schema contract 数据契约: missing mapped column → {missing_column}; new column → {new_column}; "
            "bad value → {bad_value}; too many rejects → {too_many_rejects}".format(**contract),
            highlight=False,
        )
    if shown["new_columns"]:
        console.print(
            "new columns not in the mapping, loaded without them 未映射的新列: "
            + escape(", ".join(shown["new_columns"]))
            + escape(f" (map them with huitong ingest map {shown['source']})"),
            highlight=False,
        )


@ingest_app.command("rejects")
@command
def ingest_rejects(load_id: int, limit: int = typer.Option(100), offset: int = typer.Option(0)) -> None:
    """Rows a load rejected: file, row, column, value and why."""
    from huitong.aggregate.loads import get_load, rejects

    with state.db.session() as s:
        actor = state.actor(s)
        run = get_load(s, actor, load_id)
        total, page = rejects(s, actor, load_id, limit=limit, offset=offset)
        table = Table("file", "row", "column", "value", "reason")
        for r in page:
            table.add_row(r.file or "", str(r.row or ""), r.column or "", r.value or "", r.reason)
        status, message = run.status, run.message
    console.print(table)
    if total > offset + len(page):
        console.print(f"{len(page)} of {total} rejects shown; more with --offset {offset + len(page)}")
    if message:
        console.print(f"load {load_id} {status}: {message}", highlight=False)


def _actor():
    with state.db.session() as s:
        return state.actor(s)


@data_app.command("versions")
@command
def data_versions(resource: str) -> None:
    """The stored versions of a resource, with row counts."""
    from huitong.aggregate import reads as service

    actor = _actor()
    with _store() as store:
        table = Table("version", "committed (UTC)", "mode", "load", "rows", "+", "~", "-")
        for v in service.versions(state.db, store, actor, resource):
            table.add_row(
                str(v.snapshot_id),
                f"{v.committed_at:%Y-%m-%d %H:%M:%S}",
                v.mode or v.operation,
                v.load_id or "",
                str(v.rows),
                str(v.inserted),
                str(v.updated),
                str(v.deleted),
            )
    console.print(table)


@data_app.command("show")
@command
def data_show(
    resource: str,
    as_of: str = typer.Option(None, "--as-of", help="The version current at this time, e.g. 2026-01-01."),
    version: int = typer.Option(None, help="A version id from huitong data versions."),
    limit: int = typer.Option(20),
    offset: int = typer.Option(0),
) -> None:
    """Rows of the current (or a past) version; every read is recorded in the ledger."""
    from huitong.aggregate import reads as service

    when = None
    if as_of:
        try:
            when = datetime.fromisoformat(as_of)
        except ValueError:
            raise HuitongError(
                f"--as-of {as_of!r}: use ISO form, e.g. 2026-01-01 or 2026-01-01T08:00"
            ) from None
    actor = _actor()
    with _store() as store:
        page = service.read_rows(
            state.db, store, actor, resource, snapshot_id=version, as_of=when, limit=limit, offset=offset
        )
    rows = page.rows
    table = Table(*rows.column_names)
    for r in rows.to_pylist():
        table.add_row(*("" if v is None else str(v) for v in r.values()))
    console.print(table)
    console.print(
        f"version {page.version.snapshot_id}: rows {offset + 1 if rows.num_rows else offset}"
        f"–{offset + rows.num_rows} of {page.total}",
        highlight=False,
    )


@data_app.command("diff")
@command
def data_diff(resource: str, first: int, second: int = typer.Argument(None)) -> None:
    """Rows added, removed and changed between two versions (the second defaults to the current)."""
    from huitong.aggregate import reads as service

    actor = _actor()
    with _store() as store:
        d = service.diff(state.db, store, actor, resource, first, second)
    for label, part in (("added", d.added), ("removed", d.removed), ("changed", d.changed)):
        console.print(f"[bold]{label}[/]: {part.num_rows}")
        for r in part.to_pylist()[:20]:
            console.print(
                "  " + ", ".join(f"{k}={v}" for k, v in r.items() if not k.startswith("_")), highlight=False
            )


@data_app.command("expire")
@command
def data_expire(
    resource: str = typer.Argument(None, help="Catalog code; or --all for every resource you may expire."),
    all_: bool = typer.Option(False, "--all", help="Every resource with stored data (that you may expire)."),
    older_than: int = typer.Option(None, "--older-than", help="Days; default: the retention_days setting."),
    keep_last: int = typer.Option(
        None, "--keep-last", help="Versions always kept; default: retention_keep_last."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be expired."),
) -> None:
    """Forget old versions (retention): their files are deleted and time travel to them ends."""
    from huitong.aggregate import reads as service

    if bool(resource) == all_:
        raise HuitongError("name one resource, or give --all")
    settings = state.settings
    days = older_than if older_than is not None else settings.retention_days
    if older_than is None and days <= 0:
        raise HuitongError(
            "no retention period: give --older-than DAYS or set retention_days (see docs/configuration.md)"
        )
    keep = keep_last if keep_last is not None else settings.retention_keep_last
    actor = _actor()
    with _store() as store:
        done = service.expire(
            state.db,
            store,
            actor,
            None if all_ else resource,
            older_than_days=days,
            keep_last=keep,
            dry_run=dry_run,
        )
    verb = "would expire" if dry_run else "expired"
    for e in done:
        console.print(f"{e.code}: {verb} {len(e.versions)} version(s)", highlight=False)
        for v in e.versions:
            console.print(
                f"  {v.snapshot_id}  {v.committed_at:%Y-%m-%d %H:%M:%S}  {v.rows} rows", highlight=False
            )
    if not done:
        console.print("no resource with stored data to expire")
