"""``huitong objection``: raise, list, show and step objections (异议处理)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from huitong.cli.context import command, console, state
from huitong.errors import Problem, invalid

app = typer.Typer(no_args_is_help=True)


def _store():
    from huitong.store import Store

    return Store.from_settings(state.settings)


def _key(text: str | None):
    """``--key`` is one key value, or a JSON object of the key items' values."""
    if text is None or not text.strip().startswith("{"):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid(f"--key is not a JSON object: {exc}", Problem("bad JSON", field="key")) from None


def _joined(key: list[str | None]) -> str:
    """A record key as shown, its values joined by ``/`` (a hidden one as ``(hidden)``)."""
    return "/".join("(hidden)" if v is None else v for v in key)


@app.command("raise")
@command
def raise_(
    resource: str,
    reason: str = typer.Option(..., help="Why the data is wrong (理由)."),
    key: str = typer.Option(None, help='The record: its key value, or {"item": "value", ...}.'),
    item: str = typer.Option(None, help="One data item of the record."),
    evidence: Path = typer.Option(None, help="A file to attach (at most 5 MB)."),
    for_citizen: bool = typer.Option(False, "--for-citizen", help="Raised for a citizen (代居民提出)."),
) -> None:
    """Object to a record, one of its items, or (without --key) the whole resource."""
    from huitong.quality import objections as service

    attached = None
    if evidence is not None:
        try:
            attached = service.Evidence(evidence.name, evidence.read_bytes())
        except OSError as exc:
            raise invalid(f"cannot read {evidence}", Problem(str(exc), file=str(evidence))) from None
    store = _store()
    try:
        with state.db.session() as s:
            obj = service.raise_objection(
                s,
                store,
                state.actor(s),
                resource,
                reason,
                key=_key(key),
                item=item,
                evidence=attached,
                on_behalf="citizen" if for_citizen else None,
                deadlines=service.configured(state.settings.deadlines),
            )
            console.print(
                f"objection {obj.id} on {obj.resource_code}: {obj.state}, due {obj.due_at:%Y-%m-%d}"
            )
    finally:
        store.close()


@app.command("list")
@command
def list_(
    resource: str = typer.Option(None, help="Only this resource's objections."),
    state_: str = typer.Option(None, "--state", help="Only objections in this state."),
    overdue: bool = typer.Option(False, help="Only those past their deadline."),
) -> None:
    """The objections you raised, those routed to your department, or all (operator)."""
    from huitong.quality import objections as service
    from huitong.quality.objection_flow import State

    with state.db.session() as s:
        actor = state.actor(s)
        rows = (
            service.overdue(s, actor)
            if overdue
            else service.list_for(s, actor, resource=resource, state=state_)
        )
        keys = service.shown_keys(s, actor, rows)  # masked unless you raised it or hold the data
        table = Table("id", "resource", "on", "state", "raiser", "due")
        for o in rows:
            on = (
                "resource"
                if o.scope == "resource"
                else _joined(keys[o.id]) + (f" {o.item}" if o.item else "")
            )
            table.add_row(
                str(o.id),
                o.resource_code,
                escape(on),
                f"{o.state} {State(o.state).label_zh}",
                escape(o.raiser_name),
                f"{o.due_at:%Y-%m-%d} ({o.due_party})" if o.due_at else "—",
            )
        console.print(table)


@app.command("show")
@command
def show(objection_id: int) -> None:
    """One objection with its steps and what you may do next."""
    from huitong.quality import objections as service
    from huitong.quality.objection_flow import State

    with state.db.session() as s:
        actor = state.actor(s)
        d = service.get(s, actor, objection_id)
        o = d.objection
        key = service.shown_keys(s, actor, [o])[o.id]
        console.print(
            f"objection {o.id} on {o.resource_code} ({o.scope}"
            + (f" {escape(_joined(key))}" if key else "")
            + (f" {o.item}" if o.item else "")
            + f"): {o.state} {State(o.state).label_zh}"
        )
        console.print(f"reason: {escape(o.reason)}")
        if o.correction:
            console.print(f"corrected in version {o.correction}")
        for st in d.steps:
            why = f": {escape(st.reason)}" if st.reason else ""
            console.print(
                f"  {st.at:%Y-%m-%d %H:%M} {st.action} by {st.actor_name} ({st.party}) → {st.target}{why}"
            )
        for e in d.evidence:
            console.print(f"  evidence {e.id}: {escape(e.name)}, {e.size} bytes, sha256 {e.sha256}")
        console.print(f"you may: {', '.join(d.actions) or 'nothing'}")


@app.command("step")
@command
def step(
    objection_id: int,
    action: str,
    reason: str = typer.Option(None, help="Why (needed to decline, extend and reject)."),
    correction: str = typer.Option(None, help="correct: the snapshot id of the correcting version."),
) -> None:
    """Take a step: accept, decline, flag, forward, extend, correct, reject, unflag, archive, withdraw."""
    from huitong.quality import objections as service

    store = _store()
    try:
        with state.db.session() as s:
            obj = service.take_step(
                s,
                state.actor(s),
                objection_id,
                action,
                reason=reason,
                correction=correction,
                store=store,
                deadlines=service.configured(state.settings.deadlines),
            )
            console.print(f"objection {obj.id}: {obj.state}")
    finally:
        store.close()
