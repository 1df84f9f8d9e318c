"""``huitong share``: fill a cart and apply for data, decide, watch deadlines, manage grants,
recalls, credentials, and send subscription notices."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import typer
from rich.table import Table

from huitong.cli.context import command, console, state
from huitong.errors import HuitongError

app = typer.Typer(no_args_is_help=True)
cart_app = typer.Typer(no_args_is_help=True)
recall_app = typer.Typer()
app.add_typer(cart_app, name="cart", help="The application cart (申请清单): add, list, clear, submit.")
app.add_typer(recall_app, name="recall", help="Recalls (数据召回): list them, or ack one.")


def _deadlines():
    return state.settings.deadlines


def _names(text: str | None) -> list[str] | None:
    """``a,b`` → ``["a", "b"]``; ``None`` stays ``None``."""
    if text is None:
        return None
    return [i.strip() for i in text.split(",") if i.strip()]


def pairs(values: list[str], option: str, example: str = "区划代码=330106") -> dict[str, list[str]]:
    """``item=value`` arguments; an item given again collects its values in order."""
    out: dict[str, list[str]] = {}
    for pair in values:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise HuitongError(f"{option} {pair!r}: write item=value, e.g. {example}")
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def _one_or_list(values: dict[str, list[str]]) -> dict[str, str | list[str]]:
    return {k: v[0] if len(v) == 1 else v for k, v in values.items()}


def _items(pairs: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pair in pairs:
        code, _, items = pair.partition(":")
        out[code.strip()] = [i.strip() for i in items.split(",") if i.strip()] if items else []
    return out


@app.command("request")
@command
def request(
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
    """Submit one application (共享申请) for one or more resources (or use the cart)."""
    _submit(_items(resource), purpose, purpose_text, legal_basis, business, days, mode)


app.command("apply", hidden=True, help="Same as request.")(request)


def _submit(
    resources: dict[str, list[str]],
    purpose: str,
    purpose_text: str,
    legal_basis: str,
    business: str,
    days: int,
    modes: list[str],
) -> None:
    from huitong.share import applications as apps

    form = apps.ApplicationForm(
        resources=resources,
        purpose=purpose,
        purpose_text=purpose_text,
        legal_basis=legal_basis,
        business=business,
        use_from=date.today(),
        use_until=date.today() + timedelta(days=days),
        modes=modes,
    )
    with state.db.session() as s:
        app_row = apps.submit(s, state.actor(s), form, _deadlines())
        lines = [
            f"request {r.id}: {r.resource_code} submitted, compliance review due {r.due_at:%Y-%m-%d}"
            for r in app_row.requests
        ]
        head = f"application {app_row.id}"
    console.print(head)  # printed once the transaction has committed
    for line in lines:
        console.print(line)


# ---------------------------------------------------------------- the cart (申请清单)

_USER = re.compile(r"[a-z0-9._-]+")


def _cart_path() -> Path:
    """The acting user's cart: ``<data_dir>/carts/<user>.json``."""
    user = (state.acting_as or "system").strip().lower()
    if not _USER.fullmatch(user):
        raise HuitongError(f"--as {state.acting_as!r} is not a user name")
    return Path(state.settings.data_dir) / "carts" / f"{user}.json"


def _cart() -> dict[str, list[str]]:
    path = _cart_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): [str(i) for i in v] for k, v in data["resources"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise HuitongError(f"the cart {path} is damaged; remove it or run huitong share cart clear") from None


def _save_cart(resources: dict[str, list[str]]) -> None:
    path = _cart_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.part")
    tmp.write_text(json.dumps({"resources": resources}, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)


def _describe(items: list[str]) -> str:
    return ", ".join(items) if items else "all items"


@cart_app.command("add")
@command
def cart_add(
    code: str = typer.Argument(..., help="Catalog code of the resource, e.g. 101002/00001."),
    items: str = typer.Option(None, help="The data items needed, comma-separated (default: all)."),
) -> None:
    """Put a resource in your cart (again: replaces its items)."""
    from huitong.catalog import service as catalog

    wanted = _names(items) or []
    with state.db.session(read_only=True) as s:
        res = catalog.get(s, state.actor(s), code)
        code, names = res.code, [it.name for it in res.items]
    unknown = [n for n in wanted if n not in names]
    if unknown:
        raise HuitongError(f"--items: not data items of {code}: {', '.join(unknown)}")
    cart = _cart()
    again = code in cart
    cart[code] = list(dict.fromkeys(wanted))
    _save_cart(cart)
    console.print(
        f"{'updated' if again else 'added'} {code} ({_describe(cart[code])}); "
        f"{len(cart)} resource(s) in the cart",
        soft_wrap=True,
    )


@cart_app.command("list")
@command
def cart_list() -> None:
    """What is in your cart."""
    cart = _cart()
    if not cart:
        console.print("the cart is empty")
        return
    t = Table("resource", "items")
    for code, items in cart.items():
        t.add_row(code, _describe(items))
    console.print(t)


@cart_app.command("clear")
@command
def cart_clear() -> None:
    """Empty your cart."""
    _cart_path().unlink(missing_ok=True)
    console.print("the cart is empty")


@cart_app.command("submit")
@command
def cart_submit(
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
    """File one application for everything in your cart; the cart is emptied once it is filed."""
    cart = _cart()
    if not cart:
        raise HuitongError("the cart is empty: add resources with huitong share cart add CODE")
    _submit(cart, purpose, purpose_text, legal_basis, business, days, mode)
    _cart_path().unlink(missing_ok=True)


# ---------------------------------------------------------------- requests and decisions


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
    _act(request_id, action, reason, conds)


def _act(request_id: int, action: str, reason: str | None = None, conds=None) -> None:
    from huitong.share import applications as apps

    with state.db.session() as s:
        req = apps.act(
            s, state.actor(s), request_id, action, reason=reason, conditions=conds, deadlines=_deadlines()
        )
        d = apps.request_dict(req)
    due = f", next deadline {d['due'][:10]}" if d["due"] else ""
    console.print(
        f"request {request_id}: {d['state_zh']} ({d['state']})"
        + (f", grant {d['grant']}" if d["grant"] else "")
        + due
    )


REASON = "Why (recorded with the decision)."


@app.command("review")
@command
def review(
    request_id: int,
    decision: str = typer.Argument(..., help="comply (合规) or refuse (不合规, needs --reason)."),
    reason: str = typer.Option(None, help=REASON),
) -> None:
    """The operator's compliance review (符合性审查) of a requested resource."""
    if decision not in ("comply", "refuse"):
        raise HuitongError(f"decision {decision!r}: use comply or refuse")
    _act(request_id, decision, reason)


@app.command("approve")
@command
def approve(
    request_id: int,
    items: str = typer.Option(None, help="The items granted, comma-separated (default: as asked)."),
    treatment: list[str] = typer.Option(
        [], "--treatment", help="item=clear|mask|pseudonym|hidden (default: by grade); repeatable."
    ),
    row_filter: list[str] = typer.Option(
        [], "--row-filter", help="item=value: only these rows; repeat an item for several values."
    ),
    until: str = typer.Option(None, help="Last day of validity, YYYY-MM-DD (default: end of use)."),
    mode: list[str] = typer.Option(
        [], "--mode", help="Delivery modes granted (default: as applied for); repeatable."
    ),
    max_requests: int = typer.Option(None, "--max-requests", help="Calls per day (default: no quota)."),
    max_rows: int = typer.Option(None, "--max-rows", help="Rows per day (default: no quota)."),
    note: str = typer.Option(None, help="A condition in words, kept with the grant's conditions."),
) -> None:
    """Approve (同意) with conditions: the grant is created with the decision."""
    from huitong.share.grants import Conditions
    from huitong.share.treatments import Treatment

    treatments = {}
    for name, values in pairs(treatment, "--treatment", "姓名=mask").items():
        kinds = ", ".join(t.value for t in Treatment)
        if len(values) > 1 or values[0] not in {t.value for t in Treatment}:
            raise HuitongError(f"--treatment {name}={'/'.join(values)}: give one of {kinds}")
        treatments[name] = values[0]
    valid_until = None
    if until:
        try:
            valid_until = date.fromisoformat(until)
        except ValueError:
            raise HuitongError(f"--until {until!r}: write a date as YYYY-MM-DD") from None
    conds = Conditions(
        items=_names(items),
        treatments=treatments,
        row_filter=_one_or_list(pairs(row_filter, "--row-filter")) or None,
        valid_until=valid_until,
        modes=mode or None,
        max_requests_per_day=max_requests,
        max_rows_per_day=max_rows,
        note=note,
    )
    _act(request_id, "approve", conds=conds)


@app.command("reject")
@command
def reject(request_id: int, reason: str = typer.Option(..., help=REASON)) -> None:
    """The provider refuses (不同意), with a reason; the consumer may negotiate."""
    _act(request_id, "reject", reason)


@app.command("negotiate")
@command
def negotiate(request_id: int, reason: str = typer.Option(..., help=REASON)) -> None:
    """The consumer asks the provider to reconsider a refusal (协商)."""
    _act(request_id, "negotiate", reason)


@app.command("escalate")
@command
def escalate(request_id: int, reason: str = typer.Option(..., help=REASON)) -> None:
    """The consumer asks the operator to coordinate (协调) when negotiation fails."""
    _act(request_id, "escalate", reason)


@app.command("close")
@command
def close(request_id: int, reason: str = typer.Option(..., help=REASON)) -> None:
    """The operator ends coordination without sharing."""
    _act(request_id, "close", reason)


@app.command("withdraw")
@command
def withdraw(request_id: int, reason: str = typer.Option(None, help=REASON)) -> None:
    """The consumer withdraws an open request (撤回)."""
    _act(request_id, "withdraw", reason)


@app.command("overdue")
@command
def overdue(
    role: str = typer.Option("any", help="consumer (my applications), provider (my inbox), operator, any."),
) -> None:
    """Requests past their working-day deadline, and how many working days late (超期)."""
    from huitong.share import applications as apps

    with state.db.session() as s:
        actor = state.actor(s)
        rows = [
            apps.request_dict(r, actor) for r in apps.list_requests(s, actor, role=role, overdue_only=True)
        ]
    if not rows:
        console.print("no request is overdue")
        return
    t = Table("id", "resource", "state", "due", "working days late", "you may")
    for r in rows:
        t.add_row(
            str(r["id"]),
            r["resource"],
            r["state_zh"],
            r["due"][:10],
            str(-(r["working_days_left"] or 0)),
            ", ".join(r["actions"]) or "—",
        )
    console.print(t)


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


@app.command("grant")
@command
def grant(
    grant_id: int = typer.Argument(None, help="Show this grant in detail (default: list your grants)."),
    role: str = typer.Option("any", help="When listing: consumer, provider or any."),
) -> None:
    """Grants (授权) you are party to, or one grant: items and treatments, rows, validity, quotas."""
    if grant_id is None:
        _list_grants(role)
    else:
        _show_grant(grant_id)


@app.command("grants", hidden=True)
@command
def list_grants(role: str = typer.Option("any", help="consumer, provider or any.")) -> None:
    """Same as grant without an id."""
    _list_grants(role)


def _list_grants(role: str) -> None:
    from huitong.share import grants
    from huitong.share.treatments import Treatment

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


def _local(moment) -> str:
    from datetime import UTC

    from huitong.workdays import CHINA

    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return f"{moment.astimezone(CHINA):%Y-%m-%d %H:%M}"


def _show_grant(grant_id: int) -> None:
    from huitong.org.tables import Department
    from huitong.share import grants
    from huitong.share.applications import PURPOSES
    from huitong.share.treatments import Treatment

    with state.db.session(read_only=True) as s:
        g = grants.get_grant(s, state.actor(s), grant_id)
        d = grants.grant_dict(g)
        names = {
            i: (dept.name if (dept := s.get(Department, i)) else str(i))
            for i in (g.consumer_id, g.provider_id)
        }
        purpose_text = g.purpose_text
    scope = d["row_filter"] or {}
    rows = (
        "; ".join(f"{k} = {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in scope.items())
        or "all rows"
    )
    status = d["status"] + (f" ({d['revoke_reason']})" if d["revoke_reason"] else "")

    def quota(v):
        return "no quota" if v is None else f"{v} per day"

    lines = [
        f"grant {d['id']}: {d['resource']} (request {d['request']}), {status}",
        f"provider:  {names[g.provider_id]}",
        f"consumer:  {names[g.consumer_id]}",
        f"purpose:   {PURPOSES.get(d['purpose'], d['purpose'])} — {purpose_text}",
        f"valid:     {_local(g.valid_from)} to {_local(g.valid_until)} (Beijing time)",
        f"modes:     {', '.join(d['modes'])}",
        f"rows:      {rows}",
        f"quotas:    requests {quota(d['max_requests_per_day'])}, rows {quota(d['max_rows_per_day'])}",
    ]
    for line in lines:
        console.print(line, highlight=False)
    t = Table("item", "treatment")
    for name in d["items"]:
        tr = Treatment(d["treatments"][name])
        t.add_row(name, f"{tr.label_zh} ({tr.value})")
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


@recall_app.callback(invoke_without_command=True)
@command
def recall(
    ctx: typer.Context,
    open_only: bool = typer.Option(False, "--open", help="Only recalls not yet acknowledged."),
) -> None:
    """Recalls (数据召回) and whether the consumer has confirmed deletion; ack one with recall ack ID."""
    if ctx.invoked_subcommand is None:
        _recalls(open_only)


@app.command("recalls", hidden=True)
@command
def recalls(
    open_only: bool = typer.Option(False, "--open", help="Only recalls not yet acknowledged."),
) -> None:
    """Same as recall."""
    _recalls(open_only)


def _recalls(open_only: bool) -> None:
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


@recall_app.command("ack")
@command
def recall_ack(recall_id: int, note: str = typer.Option(None, help="How the extracts were deleted.")) -> None:
    """Confirm that recalled extracts were deleted."""
    from huitong.share import grants

    with state.db.session() as s:
        grants.acknowledge_recall(s, state.actor(s), recall_id, note)
    console.print(f"recall {recall_id} acknowledged")


app.command("ack", hidden=True, help="Same as recall ack.")(recall_ack)


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
