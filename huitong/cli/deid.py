"""``huitong deid``: de-identified releases (propose, approve, list, show), published statistics with
differential privacy and their budgets, and the operator's audited read of a re-identification key."""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from huitong.cli.context import command, console, state
from huitong.errors import Problem, invalid

app = typer.Typer(no_args_is_help=True)


def _store():
    from huitong.store import Store

    return Store.from_settings(state.settings)


def _plan(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml") else json.loads(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, json.JSONDecodeError) as exc:
        raise invalid(f"cannot read the plan {path}", Problem(str(exc), file=str(path))) from None


def _show(r: dict) -> None:
    risk = r["risk"] or {}
    console.print(
        f"release {r['id']} of {r['resource']} ({escape(r['name'])}): [bold]{r['status']}[/]"
        f" · {r['rows_in']} → {r['rows_out']} rows · grade {r['grade_in']} → {r['grade_out']}"
    )
    if risk:
        console.print(
            f"  k {risk.get('k')} asked, {risk.get('k_achieved')} achieved; {risk.get('classes')} classes; "
            f"{risk.get('records_below_k')} record(s) below k; max risk {risk.get('max_risk')}"
        )
    if r["reason"]:
        console.print(f"  [red]{escape(r['reason'])}[/]")
    for c in (risk.get("failing") or [])[:10]:
        console.print(f"  failing class {escape(json.dumps(c['values'], ensure_ascii=False))}: {c['size']}")
    got = ", ".join(f"{a['as']} ({a['by']})" for a in r["approvals"]) or "none"
    console.print(f"  approvals needed: {', '.join(r['needs'])}; given: {got}")
    if r["output_code"]:
        console.print(f"  released as {r['output_code']} snapshot {r['output_snapshot_id']}")


@app.command("propose")
@command
def propose(
    resource: str,
    plan: Path = typer.Argument(
        ..., help="The plan as YAML or JSON (direct, quasi, sensitive, k, l, columns)."
    ),
    name: str = typer.Option(..., help="What the release is called."),
) -> None:
    """Apply a plan to the current version and check its re-identification risk."""
    from huitong.deid import dicts, service

    with state.db.session() as s:
        r = dicts.release_dict(service.propose(s, _store(), state.actor(s), resource, _plan(plan), name=name))
    _show(r)
    if r["status"] == "refused":
        raise typer.Exit(1)


@app.command("approve")
@command
def approve(release: int) -> None:
    """Approve a release (the provider's administrator, and for 重要 data the operator too)."""
    from huitong.deid import dicts, service

    with state.db.session(read_only=True) as s:
        actor = state.actor(s)
    _show(dicts.release_dict(service.approve(state.db, _store(), actor, release)))


@app.command("list")
@command
def list_(resource: str = typer.Argument(None)) -> None:
    """Releases, newest first."""
    from huitong.deid import dicts, service

    with state.db.session(read_only=True) as s:
        rows = [dicts.release_dict(r) for r in service.releases(s, state.actor(s), resource)]
    table = Table("id", "resource", "name", "status", "k", "rows", "approvals")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["resource"],
            escape(r["name"]),
            r["status"],
            f"{(r['risk'] or {}).get('k_achieved')}/{(r['risk'] or {}).get('k')}",
            f"{r['rows_in']}→{r['rows_out']}",
            ", ".join(a["as"] for a in r["approvals"]),
        )
    console.print(table)


@app.command("show")
@command
def show(release: int) -> None:
    """One release with its risk report."""
    from huitong.deid import dicts, service

    with state.db.session(read_only=True) as s:
        _show(dicts.release_dict(service.get(s, state.actor(s), release)))


@app.command("stat")
@command
def stat(
    resource: str,
    statistic: str = typer.Option(..., help="count, sum, mean or histogram."),
    epsilon: float = typer.Option(..., help="The privacy loss ε this figure spends."),
    column: str = typer.Option(None, help="The data item (not for count)."),
    category: list[str] = typer.Option(None, help="A histogram's categories, declared up front (repeat)."),
    lower: float = typer.Option(None, help="Clamp values to this lower bound (sum, mean)."),
    upper: float = typer.Option(None, help="... and this upper bound."),
) -> None:
    """Publish one differentially private figure, charged to the resource's privacy budget."""
    from huitong.deid import dicts, service

    with state.db.session() as s:
        fig = service.publish_statistic(
            s,
            _store(),
            state.actor(s),
            resource,
            statistic=statistic,
            epsilon=epsilon,
            column=column,
            categories=list(category or []) or None,
            lower=lower,
            upper=upper,
        )
        left = service.budget(s, fig.resource_code)
        out = dicts.statistic_dict(fig)
    console.print_json(json.dumps(out["result"], ensure_ascii=False))
    console.print(f"ε {out['epsilon']} spent; {left.total - left.spent:g} of {left.total:g} left")


@app.command("budget")
@command
def budget(resource: str, total: float = typer.Option(None, help="Set the total ε (the operator).")) -> None:
    """A resource's privacy budget."""
    from huitong.deid import service

    with state.db.session() as s:
        actor = state.actor(s)
        row = service.set_budget(s, actor, resource, total) if total is not None else None
        if row is None:
            from huitong.catalog import service as catalog

            row = service.budget(s, catalog.get(s, actor, resource).code)
        console.print(f"{row.resource_code}: ε {row.spent:g} of {row.total:g} spent")


@app.command("key")
@command
def key(release: int, purpose: str = typer.Option(..., help="Why the key is read (recorded).")) -> None:
    """The re-identification key of a release (the operator only; recorded in the ledger)."""
    from huitong.deid import service

    with state.db.session() as s:
        console.print(service.read_key(s, _store(), state.actor(s), release, purpose).hex())
