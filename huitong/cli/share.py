"""``huitong share``: apply for data, decide, watch deadlines, manage grants, recalls,
credentials, and send subscription notices."""

from __future__ import annotations

import json
from datetime import date, timedelta

import typer
from rich.table import Table

from huitong.cli.context import command, console, state
from huitong.errors import HuitongError

app = typer.Typer(no_args_is_help=True)


def _deadlines():
    return state.settings.deadlines


def _items(pairs: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pair in pairs:
        code, _, items = pair.partition(":")
        out[code.strip()] = [i.strip() for i in items.split(",") if i.strip()] if items else []
    return out


@app.command("apply")
@command
def apply(
    resource: list[str] = typer.Argument(..., help="CODE or CODE:item,item — one per resource in the cart."),
    purpose: str = typer.Option(
        ..., help="行政依据 / 工作参考 / 数据校核 / 业务协同 / 其他 (or the English key)."
    ),
    purpose_text: str = typer.Option(..., "--purpose-text", help="What the data is used for."),
    legal_basis: str = typer.Option(..., "--legal-basis", help="The law or policy that allows the use."),
    business: str = typer.Option(..., help="The business (事项) it serves."),
    days: int = typer.Option(365, help="Period of use from today, in days."),
    mode: list[str] = typer.Option(
        ["query"], "--mode", help="query, verify, batch, subscription; repeatable."
    ),
) -> None:
    """Submit one application (共享申请) for one or more resources."""
    from huitong.share import applications as apps

    form = apps.ApplicationForm(
        resources=_items(resource),
        purpose=purpose,
        purpose_text=purpose_text,
        legal_basis=legal_basis,
        business=business,
        use_from=date.today(),
        use_until=date.today() + timedelta(days=days),
        modes=mode,
    )
    with state.db.session() as s:
        app_row = apps.submit(s, state.actor(s), form, _deadlines())
        for r in app_row.requests:
            console.print(
                f"request {r.id}: {r.resource_code} submitted, compliance review due {r.due_at:%Y-%m-%d}"
            )


def _requests_table(rows: list[dict]) -> Table:
    t = Table("id", "resource", "state", "due", "left (wd)", "purpose")
    for r in rows:
        left = "" if r["working_days_left"] is None else str(r["working_days_left"])
        due = (r["due"] or "")[:10] + (" ⚠ overdue" if r["overdue"] else "")
        t.add_row(str(r["id"]), r["resource"], r["state_zh"], due, left, r["purpose_zh"] or "")
    return t


@app.command("list")
@command
def list_requests(
    role: str = typer.Option("any", help="consumer (my applications), provider (my inbox), operator, any."),
    state_: str = typer.Option(None, "--state", help="Only requests in this state."),
    overdue: bool = typer.Option(False, help="Only requests past their deadline."),
) -> None:
    """Requested resources with state and working-day deadline."""
    from huitong.share import applications as apps

    with state.db.session() as s:
        actor = state.actor(s)
        rows = [
            apps.request_dict(r, actor)
            for r in apps.list_requests(s, actor, role=role, state=state_, overdue_only=overdue)
        ]
    console.print(_requests_table(rows))


@app.command("show")
@command
def show(request_id: int) -> None:
    """One requested resource with its decisions."""
    from huitong.share import applications as apps

    with state.db.session() as s:
        actor = state.actor(s)
        req = apps.get_request(s, actor, request_id)
        d = apps.request_dict(req, actor)
        console.print(_requests_table([d]))
        console.print(f"items: {', '.join(d['items'])}; possible now: {', '.join(d['actions']) or '—'}")
        t = Table("when", "action", "by", "party", "→ state", "working days", "reason")
        for h in apps.transitions(s, req):
            t.add_row(
                f"{h.at:%Y-%m-%d %H:%M}",
                h.action,
                h.actor_name,
                h.party,
                h.to_state,
                "" if h.working_days is None else str(h.working_days) + (" (late)" if h.overdue else ""),
                h.reason or "",
            )
        console.print(t)


@app.command("act")
@command
def act(
    request_id: int,
    action: str = typer.Argument(
        ..., help="comply, refuse, approve, reject, negotiate, escalate, close, withdraw"
    ),
    reason: str = typer.Option(None, help="Required to refuse, reject, negotiate, escalate or close."),
    items: str = typer.Option(None, help="approve: the items granted, comma-separated (default: as asked)."),
    conditions: str = typer.Option(
        None, help='approve: JSON conditions, e.g. {"row_filter": {"区划代码": "330110"}}'
    ),
) -> None:
    """Take a step on a requested resource."""
    from huitong.share import applications as apps
    from huitong.share.grants import Conditions

    conds = None
    if items or conditions:
        try:
            extra = json.loads(conditions) if conditions else {}
        except json.JSONDecodeError as exc:
            raise HuitongError(f"--conditions is not JSON: {exc.msg} at column {exc.colno}") from None
        if items:
            extra["items"] = [i.strip() for i in items.split(",") if i.strip()]
        if "valid_until" in extra:
            extra["valid_until"] = date.fromisoformat(extra["valid_until"])
        try:
            conds = Conditions(**extra)
        except TypeError as exc:
            raise HuitongError(f"--conditions: {exc}") from None
    with state.db.session() as s:
        req = apps.act(
            s, state.actor(s), request_id, action, reason=reason, conditions=conds, deadlines=_deadlines()
        )
        d = apps.request_dict(req)
    console.print(
        f"request {request_id}: {d['state_zh']} ({d['state']})"
        + (f", grant {d['grant']}" if d["grant"] else "")
    )


@app.command("stats")
@command
def stats() -> None:
    """Per provider department: received, decided, median working days, overdue (考核)."""
    from huitong.share import applications as apps

    with state.db.session() as s:
        rows = apps.department_stats(s, state.actor(s))
    t = Table("department", "received", "decided", "median days", "overdue now", "decided late")
    for r in rows:
        t.add_row(
            r["department"] or str(r["department_id"]),
            str(r["received"]),
            str(r["decided"]),
            "—" if r["median_decision_days"] is None else str(r["median_decision_days"]),
            str(r["overdue_now"]),
            str(r["decided_late"]),
        )
    console.print(t)


@app.command("grants")
@command
def list_grants(role: str = typer.Option("any", help="consumer, provider or any.")) -> None:
    """Grants you are party to."""
    from huitong.share import grants
    from huitong.share.masking import Treatment

    with state.db.session() as s:
        rows = [grants.grant_dict(g) for g in grants.list_grants(s, state.actor(s), role=role)]
    t = Table("id")
    t.add_column("resource", no_wrap=True)
    t.add_column("consumer")
    t.add_column("items", no_wrap=True)
    t.add_column("until", no_wrap=True)
    t.add_column("modes")
    t.add_column("status")
    for g in rows:
        items = "\n".join(f"{k} {Treatment(v).label_zh}" for k, v in g["treatments"].items())
        t.add_row(
            str(g["id"]),
            g["resource"],
            str(g["consumer_id"]),
            items,
            g["valid_until"][:10],
            "\n".join(g["modes"]),
            g["status"],
        )
    console.print(t)


@app.command("revoke")
@command
def revoke(grant_id: int, reason: str = typer.Option(..., help="Why the grant stops.")) -> None:
    """Revoke a grant now; extracts the consumer holds are recalled (数据召回)."""
    from huitong.share import grants

    with state.db.session() as s:
        grants.revoke(s, state.actor(s), grant_id, reason)
        opened = [r for r in grants.recalls(s, state.actor(s), status="open") if r.grant_id == grant_id]
    console.print(
        f"grant {grant_id} revoked"
        + (f"; recall {opened[0].id} opened for {len(opened[0].batches)} extract(s)" if opened else "")
    )


@app.command("recalls")
@command
def recalls(
    open_only: bool = typer.Option(False, "--open", help="Only recalls not yet acknowledged."),
) -> None:
    """Recalls and whether the consumer has confirmed deletion."""
    from huitong.share import grants

    with state.db.session() as s:
        rows = grants.recalls(s, state.actor(s), status="open" if open_only else None)
        t = Table("id", "grant", "consumer", "extracts", "status", "reason")
        for r in rows:
            t.add_row(
                str(r.id),
                str(r.grant_id),
                str(r.consumer_id),
                ",".join(map(str, r.batches)),
                r.status,
                r.reason,
            )
    console.print(t)


@app.command("ack")
@command
def ack(recall_id: int, note: str = typer.Option(None, help="How the extracts were deleted.")) -> None:
    """Confirm that recalled extracts were deleted."""
    from huitong.share import grants

    with state.db.session() as s:
        grants.acknowledge_recall(s, state.actor(s), recall_id, note)
    console.print(f"recall {recall_id} acknowledged")


@app.command("credential")
@command
def credential(name: str = typer.Argument(..., help="The consumer system's name.")) -> None:
    """Issue application credentials (应用凭证) for a consumer system; the secret is shown once."""
    from huitong.share import credentials

    with state.db.session() as s:
        cred, secret = credentials.create(s, state.actor(s), name)
    console.print(f"client id: {cred.client_id}\nsecret:    {secret}\n(store the secret now; it is not kept)")


@app.command("dispatch")
@command
def dispatch() -> None:
    """Send due subscription notices from the outbox (the server does this every few seconds)."""
    from huitong.share.subscriptions import dispatch as run

    done = run(state.db)
    console.print(f"delivered {done['delivered']}, to retry {done['retry']}, given up {done['dead']}")
