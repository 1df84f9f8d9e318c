"""Grants (授权) and their enforcement: deny by default, and only what, for what, until when and
how much the decision allowed.

A grant is checked on every delivery, never cached: a revoked or expired grant stops delivery at
once. Daily quotas are counted in the delivery's own transaction with the row locked, so two
consumers' calls racing at the limit cannot both pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huitong.access import Actor, Target, decide, require
from huitong.catalog.tables import Resource
from huitong.classify.controls import check_grant
from huitong.db.base import utcnow
from huitong.errors import Forbidden, NotFound, Problem, QuotaExceeded, invalid
from huitong.events import GrantRevoked, emit, merged
from huitong.ledger.events import record
from huitong.share.tables import Delivery, Grant, GrantUsage, Recall, ShareRequest
from huitong.share.treatments import ItemView, Treatment, check_treatment, default_treatment
from huitong.standards.store import elements_of
from huitong.workdays import CHINA

MODES = ("query", "verify", "batch", "subscription")


@dataclass
class Conditions:
    """What an approval allows (审批条件). Unset fields take the application's values."""

    items: list[str] | None = None
    treatments: dict[str, str] = field(default_factory=dict)
    row_filter: dict[str, Any] | None = None
    valid_until: date | None = None
    modes: list[str] | None = None
    max_requests_per_day: int | None = None
    max_rows_per_day: int | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d = {
            "items": self.items,
            "treatments": self.treatments,
            "row_filter": self.row_filter,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "modes": self.modes,
            "max_requests_per_day": self.max_requests_per_day,
            "max_rows_per_day": self.max_rows_per_day,
            "note": self.note,
        }
        return {k: v for k, v in d.items() if v not in (None, {}, [])}


def default_conditions(req: ShareRequest, res: Resource) -> Conditions:
    return Conditions(items=list(req.items))


def _mask_rules(session: Session, res: Resource) -> dict[str, str | None]:
    elements = elements_of(session, (it.element for it in res.items))
    return {it.name: (elements[it.element].mask_rule if it.element in elements else None) for it in res.items}


def item_views(
    session: Session, res: Resource, items: list[str], treatments: dict[str, str]
) -> list[ItemView]:
    """How each granted item appears, in the resource's item order."""
    rules = _mask_rules(session, res)
    wanted = set(items)
    out = []
    for it in res.items:
        if it.name not in wanted:
            continue
        t = (
            Treatment(treatments[it.name])
            if it.name in treatments
            else default_treatment(it.grade, rules[it.name])
        )
        out.append(ItemView(it.name, t, rules[it.name]))
    return out


def _check_conditions(req: ShareRequest, res: Resource, c: Conditions) -> list[Problem]:
    problems: list[Problem] = []
    items = c.items if c.items is not None else list(req.items)
    if not items:
        problems.append(Problem("grant at least one data item", field="items"))
    extra = [n for n in items if n not in req.items]
    if extra:
        problems.append(Problem(f"not requested: {', '.join(extra)}", field="items"))
    grades = {it.name: it.grade for it in res.items}
    for name, t in c.treatments.items():
        if name not in items:
            problems.append(
                Problem("a treatment for an item that is not granted", field="treatments", value=name)
            )
            continue
        try:
            check_treatment(name, grades[name], t)
        except ValueError as exc:
            problems.append(Problem(str(exc), field="treatments", value=name))
    for name in c.row_filter or {}:
        if name not in grades:
            problems.append(
                Problem(
                    "the row filter names an item the resource does not have", field="row_filter", value=name
                )
            )
    app = req.application
    if c.valid_until is not None and not (app.use_from <= c.valid_until <= app.use_until):
        problems.append(
            Problem("validity must end within the period of use applied for", field="valid_until")
        )
    modes = c.modes if c.modes is not None else app.modes
    bad = [m for m in modes if m not in app.modes]
    if bad or not modes:
        problems.append(
            Problem(f"modes must be among those applied for: {', '.join(app.modes)}", field="modes")
        )
    for name in ("max_requests_per_day", "max_rows_per_day"):
        v = getattr(c, name)
        if v is not None and v < 1:
            problems.append(Problem("a quota is 1 or more (leave it out for no quota)", field=name))
    return problems


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=CHINA).astimezone(UTC)


def _day_end(d: date) -> datetime:
    return datetime.combine(d, time(23, 59, 59), tzinfo=CHINA).astimezone(UTC)


def create_grant(session: Session, actor: Actor, req: ShareRequest, res: Resource, c: Conditions) -> Grant:
    problems = _check_conditions(req, res, c)
    if problems:
        raise invalid("the approval conditions do not fit the request", *problems)
    app = req.application
    check_grant(res.grade, list(c.modes if c.modes is not None else app.modes))  # the grade's controls
    items = list(c.items if c.items is not None else req.items)
    views = item_views(session, res, items, c.treatments)
    grant = Grant(
        request_id=req.id,
        consumer_id=req.consumer_id,
        provider_id=req.provider_id,
        resource_id=res.id,
        resource_code=res.code,
        items=[v.name for v in views],
        treatments={v.name: v.treatment.value for v in views},
        row_filter=c.row_filter or None,
        purpose=app.purpose,
        purpose_text=app.purpose_text,
        valid_from=max(_day_start(app.use_from), utcnow().replace(microsecond=0)),
        valid_until=_day_end(c.valid_until or app.use_until),
        modes=list(c.modes if c.modes is not None else app.modes),
        max_requests_per_day=c.max_requests_per_day,
        max_rows_per_day=c.max_rows_per_day,
        created_by=actor.username,
    )
    session.add(grant)
    session.flush()
    record(
        session,
        actor,
        "share.grant.create",
        "grant",
        str(grant.id),
        details=grant_dict(grant),
    )
    return grant


def grant_dict(g: Grant, now: datetime | None = None) -> dict[str, Any]:
    return {
        "id": g.id,
        "request": g.request_id,
        "resource": g.resource_code,
        "consumer_id": g.consumer_id,
        "provider_id": g.provider_id,
        "items": g.items,
        "treatments": g.treatments,
        "row_filter": g.row_filter,
        "purpose": g.purpose,
        "valid_from": g.valid_from.isoformat(),
        "valid_until": g.valid_until.isoformat(),
        "modes": g.modes,
        "max_requests_per_day": g.max_requests_per_day,
        "max_rows_per_day": g.max_rows_per_day,
        "status": effective_status(g, now),
        "revoke_reason": g.revoke_reason,
    }


def effective_status(g: Grant, now: datetime | None = None) -> str:
    now = now or utcnow()
    if g.status == "revoked":
        return "revoked"
    if now > g.valid_until:
        return "expired"
    if now < g.valid_from:
        return "pending"
    return "active"


def get_grant(session: Session, actor: Actor, grant_id: int) -> Grant:
    g = session.get(Grant, grant_id)
    if g is None or not (
        decide(actor, "share.read", Target(department_id=g.consumer_id))
        or decide(actor, "share.read", Target(department_id=g.provider_id))
        or (actor.kind == "app" and actor.department_id == g.consumer_id)
    ):
        raise NotFound(f"no grant {grant_id}")
    return g


def list_grants(session: Session, actor: Actor, *, role: str = "any") -> list[Grant]:
    stmt = select(Grant).order_by(Grant.id.desc())
    if role == "consumer":
        stmt = stmt.where(Grant.consumer_id == actor.department_id)
    elif role == "provider":
        stmt = stmt.where(Grant.provider_id == actor.department_id)
    out = []
    for g in session.scalars(stmt):
        if (
            decide(actor, "share.read", Target(department_id=g.consumer_id))
            or decide(actor, "share.read", Target(department_id=g.provider_id))
            or (actor.kind == "app" and actor.department_id == g.consumer_id)
        ):
            out.append(g)
    return out


def usable_grant(session: Session, actor: Actor, grant_id: int, mode: str, *, lock: bool = True) -> Grant:
    """The grant, if this actor may receive data under it in this mode now; else a clear refusal.
    ``lock=False`` for readers that count their use elsewhere (verification's group commit)."""
    g = session.get(Grant, grant_id, with_for_update=lock)
    if g is None:
        raise NotFound(f"no grant {grant_id}")
    return check_usable(actor, g, mode)


def check_usable(actor: Actor, g, mode: str):
    """Refuse unless this actor may receive data under ``g`` (a Grant or a row of its columns)
    in this mode now."""
    require(actor, "share.deliver", Target(department_id=g.consumer_id))
    status = effective_status(g)
    if status == "revoked":
        raise Forbidden(f"grant {g.id} was revoked ({g.revoke_reason}); no data is delivered under it")
    if status == "expired":
        raise Forbidden(f"grant {g.id} expired at {g.valid_until.isoformat()}")
    if status == "pending":
        raise Forbidden(f"grant {g.id} is valid from {g.valid_from.isoformat()}")
    if mode not in g.modes:
        raise Forbidden(f"grant {g.id} does not allow {mode} delivery (allowed: {', '.join(g.modes)})")
    return g


def today() -> date:
    return utcnow().astimezone(CHINA).date()


def check_quota(g: Grant, requests_so_far: int, rows_so_far: int, rows: int) -> None:
    """Refuse a call that would take the grant past its daily quota (pure)."""
    if g.max_requests_per_day is not None and requests_so_far + 1 > g.max_requests_per_day:
        raise QuotaExceeded(f"grant {g.id}: {g.max_requests_per_day} requests per day are used up")
    if g.max_rows_per_day is not None and rows_so_far + rows > g.max_rows_per_day:
        raise QuotaExceeded(
            f"grant {g.id}: this call would deliver {rows} rows; {g.max_rows_per_day - rows_so_far} "
            f"of {g.max_rows_per_day} rows per day are left"
        )


def count_use(session: Session, g: Grant, rows: int) -> GrantUsage:
    """Count one call and its rows against today's quota, refusing when it would exceed it."""
    day = today()
    usage = session.get(GrantUsage, (g.id, day), with_for_update=True)
    if usage is None:
        usage = GrantUsage(grant_id=g.id, day=day, requests=0, rows=0)
        session.add(usage)
        session.flush()
    check_quota(g, usage.requests, usage.rows, rows)
    usage.requests += 1
    usage.rows += rows
    session.flush()
    return usage


def revoke(session: Session, actor: Actor, grant_id: int, reason: str) -> Grant:
    """Stop a grant now; if the consumer holds batch extracts, open a recall (数据召回) for them."""
    g = session.get(Grant, grant_id, with_for_update=True)
    if g is None:
        raise NotFound(f"no grant {grant_id}")
    require(actor, "share.revoke", Target(department_id=g.provider_id))
    if not reason or not reason.strip():
        raise invalid("revoking a grant needs a reason", Problem("required", field="reason"))
    if g.status == "revoked":
        raise invalid(f"grant {g.id} is already revoked")
    now = utcnow()
    g.status, g.revoked_at, g.revoked_by, g.revoke_reason = "revoked", now, actor.username, reason.strip()
    batches = list(
        session.scalars(select(Delivery.id).where(Delivery.grant_id == g.id, Delivery.mode == "batch"))
    )
    recall = None
    if batches:
        recall = Recall(
            grant_id=g.id,
            consumer_id=g.consumer_id,
            reason=reason.strip(),
            batches=batches,
            created_by=actor.username,
            created_at=now,
        )
        session.add(recall)
        session.flush()
    # subscribers are told and their subscriptions closed, in this transaction
    event = GrantRevoked(g.id, g.resource_code, g.revoke_reason, recall.id if recall else None, batches)
    added = emit(session, event)
    details = merged({"reason": g.revoke_reason, "recall": event.recall, "batches": batches}, added)
    record(session, actor, event.action, "grant", str(g.id), details=details)
    return g


def recalls(session: Session, actor: Actor, *, status: str | None = None) -> list[Recall]:
    stmt = select(Recall).order_by(Recall.id.desc())
    if status:
        stmt = stmt.where(Recall.status == status)
    out = []
    for r in session.scalars(stmt):
        g = session.get(Grant, r.grant_id)
        if decide(actor, "share.read", Target(department_id=r.consumer_id)) or decide(
            actor, "share.read", Target(department_id=g.provider_id)
        ):
            out.append(r)
    return out


def acknowledge_recall(session: Session, actor: Actor, recall_id: int, note: str | None = None) -> Recall:
    """The consumer confirms it deleted the recalled extracts; the recall is then closed."""
    r = session.get(Recall, recall_id, with_for_update=True)
    if r is None:
        raise NotFound(f"no recall {recall_id}")
    require(actor, "share.subscribe", Target(department_id=r.consumer_id))
    if r.status == "acknowledged":
        raise invalid(f"recall {r.id} was already acknowledged by {r.acknowledged_by}")
    r.status, r.acknowledged_at, r.acknowledged_by = "acknowledged", utcnow(), actor.username
    r.note = (note or "").strip() or None
    record(
        session, actor, "share.recall.ack", "recall", str(r.id), details={"grant": r.grant_id, "note": r.note}
    )
    return r
